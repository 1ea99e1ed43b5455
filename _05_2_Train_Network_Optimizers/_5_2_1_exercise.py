"""Exercise 5.2.1 -- Learning rate and batch size under a budget, found with a range test.

Goal: with plain SGD and a budget of 4 epochs in batches of at least 256 rows, bring the churn
network to a low validation loss by choosing the learning rate and the batch size, and write
the learning-rate range test that tells you where to look.
Read first: README.md sections 2 (batch size) and 3 (the learning rate and the range test),
demo_learning_rate.py

The network is fixed (``task_network``: 40 inputs, 32 and 16 ReLU units, one sigmoid output) and
so is the optimizer: plain SGD, no momentum. The budget: 4 epochs; batches of at least 256 rows
(say the machine that retrains it every night is only efficient with large batches). Your
decisions: the learning rate and the batch size. SGD's default rate does not get far in 4
epochs of large batches; the range test shows which rates make progress and where it blows up.

``lr_range_test`` trains the model it is given for ``steps`` steps of one batch each, raising
the learning rate geometrically from ``lr_min`` (first step) to ``lr_max`` (last step), and
returns the rates and the training loss of each step's batch.

What the rubric does and measures (you do not write any of it):
- runs your range test on a made-up model whose losses it knows exactly, with two hidden
  settings (the second changes every argument): the rates, each step's loss (computed with
  that step's rate), the rows of each batch and the number of updates must be the ones the
  settings give;
- runs your range test on its own freshly built network from 1e-4 to 10 in 60 steps: the rates
  must be geometric with those ends, the optimizer must have made 60 updates, the first losses
  must be the untrained network's and the curve must fall and then blow up;
- trains the network itself with SGD at your rate and batch size for 4 epochs and measures the
  validation loss of the best epoch: it must be <= 0.45 (predicting the churn rate for
  everyone scores about 0.58).

Run this file to see what the rubric measures; ``course check 5.2.1`` records the verdict and
``course hint 5.2.1`` gives a hint.
"""

try:
    import coursekit
except ModuleNotFoundError:  # run by a Python without the course installed: say what to do, in one line
    raise SystemExit("This Python lacks the course: activate its environment (source .venv/bin/activate) or, in the "
                     "course folder, pip install -e \".[test]\" -c constraints.txt") from None
import keras
import numpy as np

import data

EPOCHS, MIN_BATCH = 4, 256  # the budget


def task_network(n_features: int) -> keras.Model:
    """The network of the task (uncompiled); the rubric builds its own copy."""
    return keras.Sequential([keras.Input(shape=(n_features,)), keras.layers.Dense(32, activation="relu"),
                             keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1, activation="sigmoid")])


def lr_range_test(model: keras.Model, train: data.TrainVal, lr_min: float, lr_max: float, steps: int,
                  batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Train the compiled ``model`` for ``steps`` single-batch steps on training rows, the rate growing
    geometrically from ``lr_min`` to ``lr_max``; return (rates, losses), one entry per step."""
    # TODO: one update per rate, recording the loss of the batch it was computed on.
    raise NotImplementedError("lr_range_test: return the rates tried and the training loss at each of them")


def choose_settings(train: data.TrainVal) -> dict:
    """Your settings for the budget: {"learning_rate": float, "batch_size": int}."""
    # TODO: the rate and the batch size you chose, from the range test and a few trial fits.
    raise NotImplementedError("choose_settings: return the learning rate and batch size you chose for the budget")


if __name__ == "__main__":
    coursekit.selfcheck(__file__)
