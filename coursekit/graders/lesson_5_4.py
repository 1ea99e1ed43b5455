"""What the graders of lesson 5.4 (advanced model evaluation) share.

The graders own the harness: they call the student's functions on inputs they chose (hidden cases,
the validation predictions of networks they trained themselves, histories they generated) and
compute every graded number themselves. The student's functions never receive the test split: the
graders apply a chosen threshold, a chosen weighting and a fitted recalibration to the test split on
their own.

Here: the prepared churn data, the graders' churn network and its weighted training, the churn
network's predictions (trained once per seed and process), the reading of a returned number, and the
cost of a threshold with the graders' own search for the cheapest one (5.4.2 and 5.4.3).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

import coursekit
from coursekit.grading import prepared, rubric_cache
from coursekit.training import fast_fit, predict


def frozen(a) -> np.ndarray:
    a = np.array(a, dtype=np.float64).ravel()
    a.setflags(write=False)
    return a


def network(n_features: int, hidden: tuple[int, ...]) -> keras.Model:
    model = keras.Sequential([keras.Input(shape=(n_features,))] + [keras.layers.Dense(w, activation="relu") for w in hidden]
                             + [keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy", steps_per_execution=32)
    return model


def fit_weighted(X, y, w, *, seed: int, hidden: tuple[int, ...], epochs: int) -> keras.Model:
    """The rubric's weighted training: ``epochs`` passes over the rows in batches of 128, each row's
    loss multiplied by its weight, no early stopping (a weighted loss has no unweighted yardstick)."""
    coursekit.set_seed(seed)
    model = network(X.shape[1], hidden)
    rows = (tf.data.Dataset.from_tensor_slices((X.astype(np.float32), y.astype(np.float32), w.astype(np.float32)))
            .cache().shuffle(len(X), seed=seed, reshuffle_each_iteration=True).batch(128).prefetch(tf.data.AUTOTUNE))
    model.fit(rows, epochs=epochs, verbose=0, shuffle=False)
    return model


@rubric_cache
def churn_predictions(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The rubric's churn network (64-32 ReLU, Adam 1e-3, early stopping on the validation loss),
    trained once per seed and process: its validation and test probabilities."""
    churn = prepared("churn")
    coursekit.set_seed(seed)
    model = network(churn.n_features, (64, 32))
    fast_fit(model, churn.X_train, churn.y_train, churn.X_val, churn.y_val, epochs=40, batch_size=128, patience=5, seed=seed)
    return frozen(predict(model, churn.X_val)), frozen(predict(model, churn.X_test))


def cost_per_case(y, scores, threshold, cost_fn, cost_fp) -> float:
    flagged = np.asarray(scores) >= threshold
    y = np.asarray(y)
    return float((cost_fn * np.sum((y == 1) & ~flagged) + cost_fp * np.sum((y == 0) & flagged)) / len(y))


def best_threshold(y, scores, cost_fn, cost_fp) -> tuple[float, float]:
    """The rubric's own search: (threshold, cost) over every distinct score and "flag nobody"."""
    candidates = np.r_[np.unique(scores), np.inf]
    costs = np.array([cost_per_case(y, scores, t, cost_fn, cost_fp) for t in candidates])
    return float(candidates[int(np.argmin(costs))]), float(costs.min())
