"""Exercise 5.1.3 -- Ten classes: softmax, and a loss that matches the labels.

Goal: classify scikit-learn's 8x8 handwritten digits (ten classes) twice, once trained on integer
labels 0-9 and once on one-hot rows, and turn predicted probabilities into classes.
Read first: README.md sections 1 (output layers and losses), 5 (the Keras workflow) and 8
(softmax); demo_digits_softmax.py

Your decisions: each network's hidden layers, its output layer and the loss that fits the
format of the labels it will be trained on, and the optimizer. You also write the two small
conversions every multi-class model needs.

What the rubric does and measures (you do not write any of it):
- calls ``one_hot`` and ``predict_classes`` on inputs you have not seen;
- trains each network with your optimizer and loss on the labels of its format (at most 100
  epochs, batch 32, early stopping on the validation loss, best epoch restored);
- checks each output layer, each loss, that every predicted row sums to 1, and scores the test
  split itself: test accuracy >= 0.94 for each network (macro F1 is printed too).

Run this file to see what the rubric measures; ``course check 5.1.3`` records the verdict and
``course hint 5.1.3`` gives a hint.
"""

try:
    import coursekit
except ModuleNotFoundError:  # run by a Python without the course installed: say what to do, in one line
    raise SystemExit("This Python lacks the course: activate its environment (source .venv/bin/activate) or, in the "
                     "course folder, pip install -e \".[test]\" -c constraints.txt") from None
import keras
import numpy as np


def one_hot(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Integer labels (shape (n,)) as one-hot rows (shape (n, n_classes), float32)."""
    # TODO: one row per label, one column per class.
    raise NotImplementedError("one_hot: return the labels as one-hot rows, one column per class")


def build_for_integer_labels(n_features: int, n_classes: int) -> keras.Model:
    """A compiled classifier to be trained on integer labels 0..n_classes-1."""
    # TODO: hidden layers of your choice, an output for n_classes classes, the matching loss.
    raise NotImplementedError("build_for_integer_labels: return a compiled classifier for integer labels")


def build_for_one_hot_labels(n_features: int, n_classes: int) -> keras.Model:
    """A compiled classifier to be trained on one-hot label rows."""
    # TODO: as above; only the format of the labels differs.
    raise NotImplementedError("build_for_one_hot_labels: return a compiled classifier for one-hot labels")


def predict_classes(model: keras.Model, X: np.ndarray) -> np.ndarray:
    """The predicted class of each row of X (shape (n,), integers)."""
    # TODO: from the model's probabilities to one class per row.
    raise NotImplementedError("predict_classes: return one predicted class per row of X")


if __name__ == "__main__":
    coursekit.selfcheck(__file__)
