"""Exercise 5.3.3 -- Input scaling and batch normalization: what each changes, measured.

Goal: make a churn network train on raw inputs (tenure in months, charges in dollars next to 0/1
columns) in two ways, by scaling the inputs and by a BatchNormalization layer that standardises
them (with each batch's statistics in training, moving averages at inference) before its learned
scale and shift, and write what a BatchNormalization layer computes in training and at inference.
Read first: README.md sections 6 (scaling, BatchNormalization's two modes) and 9 (the Keras
listing), demo_scaling_batchnorm.py

Your code: ``fit_scaler(X_train)`` learns whatever it needs from the raw training rows and
returns a function that scales any array of raw rows; ``build_raw_input_network`` is a churn
network, with BatchNormalization where it can standardise the raw inputs, that trains on them;
``batchnorm`` computes, with NumPy, what ``keras.layers.BatchNormalization`` outputs for a batch
``x`` in training mode or at inference, and its moving statistics after the call. ``state``
holds the layer's arrays "gamma", "beta", "moving_mean" and "moving_variance"; ``momentum`` and
``epsilon`` are the layer's settings of the same names.

What the rubric does and measures (you do not write any of it):
- trains its own churn network (Dense 64 and 32, Adam, 10 epochs of batches of 128 rows) on the
  raw inputs (it prints the test ROC AUC) and on your scaled ones: the test ROC AUC must be
  >= 0.82. Your function must scale a row the same whether it comes alone or with others, and
  the largest column standard deviation of the scaled training rows must be <= 10 times the
  smallest. On 5 hidden tables (a constant column, whole numbers, a single row to scale, a
  single training row) it must return finite floats of the rows' shape, learned from the
  training rows alone: moving and rescaling a table's columns changes nothing in its scaled
  values, and a table fitted again gives the same answer;
- checks that your network has a BatchNormalization layer before its first Dense layer, that
  every path from the inputs to the output passes it, a non-linear activation on every hidden
  layer, one sigmoid output unit and binary cross-entropy, trains it on the raw inputs the same way with
  your optimizer: test ROC AUC >= 0.82;
- compares ``batchnorm`` with its own NumPy computation on 10 hidden batches (each setting
  varied, a single row, a constant column, whole numbers), the first asked again at the end,
  and with a real BatchNormalization layer on batches you have not seen, in both modes:
  outputs and moving statistics within 0.0001 (relative).

Run this file to see what the rubric measures; ``course check 5.3.3`` records the verdict and
``course hint 5.3.3`` gives a hint.
"""

try:
    import coursekit
except ModuleNotFoundError:  # run by a Python without the course installed: say what to do, in one line
    raise SystemExit("This Python lacks the course: activate its environment (source .venv/bin/activate) or, in the "
                     "course folder, pip install -e \".[test]\" -c constraints.txt") from None
import keras
import numpy as np


def fit_scaler(X_train: np.ndarray):
    """A function ``scale(X) -> X_scaled`` for arrays of raw rows, learned from ``X_train`` alone."""
    # TODO: what to learn from the training rows, and the function that applies it to any rows.
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return lambda X: ((np.asarray(X, dtype=np.float64) - mean) / std).astype(np.float32)


def build_raw_input_network(n_features: int) -> keras.Model:
    """A compiled churn classifier for raw, unscaled inputs, with BatchNormalization before its first Dense layer."""
    # TODO: a layer that standardises the raw inputs itself, then the classifier.
    model = keras.Sequential([
        keras.Input(shape=(n_features,)),
        keras.layers.BatchNormalization(),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
    return model


def batchnorm(x: np.ndarray, state: dict, training: bool, momentum: float, epsilon: float) -> tuple[np.ndarray, dict]:
    """(outputs, new_state): the layer's output for the batch ``x`` (rows x features) and its
    arrays after the call, a dict with the same four keys as ``state``."""
    # TODO: which mean and variance normalise x in each mode, and what happens to the moving ones.
    new_state = dict(state)
    if training:
        mean, variance = x.mean(axis=0), x.var(axis=0)
        new_state["moving_mean"] = momentum * state["moving_mean"] + (1 - momentum) * mean
        new_state["moving_variance"] = momentum * state["moving_variance"] + (1 - momentum) * variance
    else:
        mean, variance = state["moving_mean"], state["moving_variance"]
    outputs = state["gamma"] * (x - mean) / np.sqrt(variance + epsilon) + state["beta"]
    return outputs, new_state


if __name__ == "__main__":
    coursekit.selfcheck(__file__)
