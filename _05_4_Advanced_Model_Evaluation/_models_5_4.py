"""The trained models lesson 5.4 evaluates (a private helper of the lesson, given to students).

Evaluation needs predictions of a real model on real data. Exercises 5.4.1-5.4.4 and the demos all
evaluate the SAME churn MLP, so it is trained once per process and cached:

- ``train_churn_mlp(seed)``: a 128-128 ReLU MLP on the Telco churn table, trained for
  ``CHURN_EPOCHS`` epochs WITHOUT stopping early (so its history shows the whole story, overfitting
  included), then restored to the weights of the epoch with the lowest validation loss.
  Returns a :class:`ChurnRun` with the model, its history and its predicted churn probabilities on
  the validation and test splits (read-only arrays: evaluate them, do not edit them).
- ``rare_churn(rate)``: the same churn splits with churners subsampled to ``rate`` of each split,
  the "rare positives" setting of fraud or medical screening (a fixed subsample, the same for every seed).

The name of this module ends in ``_5_4`` so it cannot clash with another lesson's helper module.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

import coursekit
import data
from coursekit.training import fit_early_stopping, predict

CHURN_EPOCHS = 40  # long enough that the validation loss turns up: the history shows overfitting
CHURN_BATCH = 128


def build_churn_mlp(n_features: int):
    """Input -> Dense(128, relu) -> Dense(128, relu) -> Dense(1, sigmoid), Adam 5e-4, log loss."""
    import keras

    model = keras.Sequential(
        [
            keras.Input(shape=(n_features,)),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ],
        name="churn_mlp",
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=5e-4),
        loss="binary_crossentropy",
        metrics=[keras.metrics.AUC(name="auc")],
        steps_per_execution=32,
    )
    return model


@dataclass(frozen=True)
class ChurnRun:
    """One trained churn MLP and what it predicts."""

    model: object
    history: dict  # {"loss": [...], "val_loss": [...], "auc": [...], "val_auc": [...]}, one entry per epoch
    p_val: np.ndarray  # predicted churn probability of each validation customer
    p_test: np.ndarray  # ... and of each test customer
    churn: data.Prepared  # the arrays the model was trained and evaluated on


def _read_only(a) -> np.ndarray:
    a = np.array(a, dtype=np.float64)
    a.setflags(write=False)
    return a


@functools.lru_cache(maxsize=1)
def _churn() -> data.Prepared:
    churn = data.prepare_churn()
    for name in ["X_train", "y_train", "X_val", "y_val", "X_test", "y_test"]:
        getattr(churn, name).setflags(write=False)
    return churn


@functools.lru_cache(maxsize=8)
def train_churn_mlp(seed: int = 0) -> ChurnRun:
    """Train (once per process and seed) the churn MLP every exercise of the lesson evaluates."""
    churn = _churn()
    coursekit.set_seed(seed)
    model = build_churn_mlp(churn.n_features)
    # patience = epochs: never stops, but restore_best_weights still returns the lowest-val_loss epoch.
    history = fit_early_stopping(
        model, churn.X_train, churn.y_train, churn.X_val, churn.y_val,
        epochs=CHURN_EPOCHS, patience=CHURN_EPOCHS, batch_size=CHURN_BATCH, monitor="val_loss", mode="min",
    )
    hist = {key: [float(v) for v in values] for key, values in history.history.items()}
    return ChurnRun(model, hist, _read_only(predict(model, churn.X_val)), _read_only(predict(model, churn.X_test)), churn)


@dataclass(frozen=True)
class RareSplit:
    """Churn arrays with churners made rare in every split."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    rate: float

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]


def _subsample(X, y, rate, rng):
    neg = np.flatnonzero(y == 0)
    pos = np.flatnonzero(y == 1)
    n_pos = int(round(rate * len(neg) / (1.0 - rate)))
    keep = np.sort(np.concatenate([neg, rng.choice(pos, size=min(n_pos, len(pos)), replace=False)]))
    X, y = X[keep], y[keep]
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


@functools.lru_cache(maxsize=4)
def rare_churn(rate: float = 0.05) -> RareSplit:
    """Keep every non-churner and a random subset of churners so that ``rate`` of each split churns.

    The subsample is fixed (``data.SPLIT_SEED``), so only the model changes with the exercise seed.
    """
    churn = _churn()
    rng = np.random.default_rng(data.SPLIT_SEED)
    parts = []
    for X, y in [(churn.X_train, churn.y_train), (churn.X_val, churn.y_val), (churn.X_test, churn.y_test)]:
        parts.extend(_subsample(X, y, rate, rng))
    return RareSplit(*parts, rate=rate)
