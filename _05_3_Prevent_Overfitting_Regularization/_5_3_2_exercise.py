"""Exercise 5.3.2 -- Dropout: off at inference, and Monte Carlo dropout as an uncertainty estimate.

Goal: build an Ames house-price network with dropout that predicts deterministically, then
compute Monte Carlo dropout predictions and see where the network is unsure.
Read first: README.md sections 4 (dropout, Monte Carlo dropout) and 9 (the Keras listing),
demo_regularisers.py

Your decisions: the network (where its Dropout layers go, their rates, the widths), its output
layer, the loss and the optimizer. ``mean_target`` is the mean log price of the training sales,
yours to use or not. Your code: ``mc_dropout_predict(model, X, n_samples)``, which runs the
network ``n_samples`` times on ``X`` with its dropout active and returns, per row, the mean and
the standard deviation of those predictions.

What the rubric does and measures (you do not write any of it):
- checks that your network has Dropout between its hidden layers and none after the output,
  every Dropout layer with a rate above 0, every path from the inputs to the output through a
  Dropout layer, a non-linear activation on every hidden layer, one output unit without
  activation and a regression loss; that predictions of the same houses are
  identical twice, with ``predict`` and with a plain call (dropout off at inference), and that a
  call in training mode is not;
- trains it with your optimizer and loss on log prices (at most 100 epochs of batches of 64
  sales, early stopping on the validation loss, best epoch restored) and scores the test split:
  RMSE of the log price <= 0.14;
- calls ``mc_dropout_predict`` on a small dropout network of its own that counts the rows it
  sees, with 3, 12 and 40 samples and 3 again: exactly that many passes over X with dropout
  active, and a mean and a spread of shape (len(X),) each;
- calls ``mc_dropout_predict`` with 50 samples on a dropout network of its own and compares with
  its own Monte Carlo estimate: the mean spread within 0.1 of it (relatively) and the means
  close to its own, on the validation houses. From your spreads: on validation houses whose
  numeric inputs are moved 3 times as far from the training mean (houses unlike any in the
  training split) the mean spread must be >= 2 times that on the houses themselves, and on the
  quarter of validation houses with the largest errors >= 1.1 times that on the other three.

Run this file to see what the rubric measures; ``course check 5.3.2`` records the verdict and
``course hint 5.3.2`` gives a hint.
"""

try:
    import coursekit
except ModuleNotFoundError:  # run by a Python without the course installed: say what to do, in one line
    raise SystemExit("This Python lacks the course: activate its environment (source .venv/bin/activate) or, in the "
                     "course folder, pip install -e \".[test]\" -c constraints.txt") from None
import keras
import numpy as np


def build_dropout_network(n_features: int, mean_target: float) -> keras.Model:
    """A compiled network with Dropout that predicts the log sale price from the preprocessed inputs."""
    # TODO: hidden layers with dropout between them, an output that can reach any price, a regression loss.
    raise NotImplementedError("build_dropout_network: return the compiled price network with dropout between its hidden layers")


def mc_dropout_predict(model: keras.Model, X: np.ndarray, n_samples: int) -> tuple[np.ndarray, np.ndarray]:
    """(mean, std): for every row of ``X``, the mean and the standard deviation of ``n_samples``
    predictions of ``model`` made with its dropout active; two arrays of shape (len(X),)."""
    # TODO: repeated predictions with dropout on, then their mean and spread per row.
    raise NotImplementedError("mc_dropout_predict: return the mean and the spread of the dropout-active predictions, per row")


if __name__ == "__main__":
    coursekit.selfcheck(__file__)
