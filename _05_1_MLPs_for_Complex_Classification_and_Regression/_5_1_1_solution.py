"""Exercise 5.1.1 -- Depth vs width under a parameter budget.

Goal: design a deep and a shallow churn classifier of at most 3,000 parameters each, and find out
which ranks churners better.
Read first: README.md sections 1 and 3 (counting parameters), 4 (why depth), 5 (the Keras
workflow) and 6 (ROC AUC); demo_churn_classifier.py, demo_why_depth.py

Your decisions: the widths of each network (the deep one has three or more hidden layers, the
shallow one exactly one), their activations, the output layer, the loss and the optimizer you
compile with. Count before you build: ``count_params`` is your tool for staying in the budget.

What the rubric does and measures (you do not write any of it):
- calls ``count_params`` on networks you have not seen and compares with Keras's own count;
- builds each of your networks for the 40 churn inputs, checks its depth, its parameter count
  (weights and biases, at most 3,000), its output layer and its loss;
- trains each with your optimizer and loss (at most 40 epochs, early stopping on the validation
  loss, best epoch restored), then scores the test split itself: test ROC AUC >= 0.815 each.
  It prints both validation AUCs and a logistic regression's test AUC for comparison.

Run this file to see what the rubric measures; ``course check 5.1.1`` records the verdict and
``course hint 5.1.1`` gives a hint.
"""

try:
    import coursekit
except ModuleNotFoundError:  # run by a Python without the course installed: say what to do, in one line
    raise SystemExit("This Python lacks the course: activate its environment (source .venv/bin/activate) or, in the "
                     "course folder, pip install -e \".[test]\" -c constraints.txt") from None
import keras


def count_params(n_inputs: int, hidden: list[int], n_outputs: int = 1) -> int:
    """The number of trainable numbers (weights and biases) of a stack of Dense layers:
    ``n_inputs`` inputs, hidden layers of the widths in ``hidden``, then ``n_outputs`` output units."""
    widths = [n_inputs, *hidden, n_outputs]
    return sum(fan_in * units + units for fan_in, units in zip(widths[:-1], widths[1:]))


def build_deep(n_features: int) -> keras.Model:
    """A compiled churn classifier with three or more hidden layers and at most 3,000 parameters."""
    hidden = [32, 32, 16]
    assert count_params(n_features, hidden) <= 3_000
    model = keras.Sequential(
        [keras.Input(shape=(n_features,))]
        + [keras.layers.Dense(units, activation="relu") for units in hidden]
        + [keras.layers.Dense(1, activation="sigmoid")]
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="binary_crossentropy")
    return model


def build_shallow(n_features: int) -> keras.Model:
    """A compiled churn classifier with exactly one hidden layer and at most 3,000 parameters."""
    model = keras.Sequential(
        [
            keras.Input(shape=(n_features,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="binary_crossentropy")
    return model


if __name__ == "__main__":
    coursekit.selfcheck(__file__)
