"""Exercise 5.2.4 -- Exploding gradients: make a diverging house-price regression train.

Goal: a network that predicts Ames sale prices in dollars diverges to a loss of nan in its first
epoch; find out why and make it train to a useful error, by your choice of remedy.
Read first: README.md section 5 (exploding gradients and clipping: the three routes),
demo_gradients.py

``given_network`` is the failing setup: 4 hidden Dense layers of 64 ReLU units, a linear output,
mean squared error, plain SGD at 0.01, fitted to prices in dollars (about $180,000 on average).
Your decisions: how the target is scaled before training (``target_scaling`` receives the
training prices only and returns a pair of functions: ``forward`` maps dollars to what the
network learns, ``inverse`` maps its predictions back to dollars) and how the network is
compiled (optimizer, learning rate, gradient clipping, weight penalties). The layers stay: the
same four hidden layers of 64 ReLU units, one linear output unit, a mean squared error.

What the rubric does and measures (you do not write any of it):
- checks that ``inverse(forward(y))`` gives prices back: the training prices, hidden prices
  (inside and outside the training range, a single one), and predictions shaped (n,) or (n, 1);
- checks that forward and inverse stay fixed once fitted on the training prices (a price's value
  does not depend on the other prices passed with it), that a second call of
  ``target_scaling`` leaves the first pair unchanged, and that a constant training target
  (every price the same) still comes back, not nan;
- checks your network keeps the layers, the linear output (no activation, nothing after it) and
  the mean squared error;
- trains it on ``forward(prices)`` itself, at most 60 epochs of batch 32 with early stopping on
  the validation loss (best epoch restored): every epoch's training loss must be finite;
- predicts the test houses, maps the predictions back with ``inverse`` and measures the RMSE in
  dollars: it must be <= $27,000 (ridge regression on log prices: about $21,000).

Run this file to see what the rubric measures; ``course check 5.2.4`` records the verdict and
``course hint 5.2.4`` gives a hint.
"""

try:
    import coursekit
except ModuleNotFoundError:  # run by a Python without the course installed: say what to do, in one line
    raise SystemExit("This Python lacks the course: activate its environment (source .venv/bin/activate) or, in the "
                     "course folder, pip install -e \".[test]\" -c constraints.txt") from None
import keras
import numpy as np

DEPTH, WIDTH = 4, 64  # the layers of the task


def given_network(n_features: int) -> keras.Model:
    """The setup that diverges on prices in dollars (compiled); the rubric builds its own copy."""
    layers = [keras.Input(shape=(n_features,))] + [keras.layers.Dense(WIDTH, activation="relu") for _ in range(DEPTH)]
    model = keras.Sequential(layers + [keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.01), "mse")
    return model


def target_scaling(y_train: np.ndarray):
    """(forward, inverse): functions from dollars to the network's target and back, fitted on ``y_train``."""
    # TODO: choose a scale for the target from the training prices, and the way back to dollars.
    raise NotImplementedError("target_scaling: return the pair of functions forward (dollars to target) and inverse")


def build_regressor(n_features: int) -> keras.Model:
    """The compiled 4 x 64 ReLU regressor, set up so that it trains."""
    # TODO: the same layers, compiled so that the gradient steps stay reasonable.
    raise NotImplementedError("build_regressor: return the compiled 4 x 64 regressor that trains")


if __name__ == "__main__":
    coursekit.selfcheck(__file__)
