"""The trained models the demos of lesson 5.4 evaluate (a helper of the demos; the exercises and
the rubric do not use it).

- ``churn_mlp(seed)``: the lesson's churn network -- 64-32 ReLU, Adam ``1e-3``, batches of 128, at
  most 40 epochs with early stopping on the validation loss (patience 5, best epoch restored) --
  trained once per process and seed, so that the demos run in one process share it. Returns a
  :class:`ChurnRun` with the model, its history and its churn probabilities on the validation and
  test splits (read-only arrays).
- ``logistic()``: a logistic regression on the same split, the baseline beside the network.
- ``rare_churn(rate)``: the churn splits with churners subsampled to ``rate`` of each split (the
  "rare positives" of fraud or screening), a fixed subsample, the same for every seed.

The name ends in ``_5_4`` so that it cannot clash with another lesson's helper module.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

import coursekit
import data
from coursekit.training import fast_fit, predict


def _read_only(a) -> np.ndarray:
    a = np.array(a, dtype=np.float64).ravel()
    a.setflags(write=False)
    return a


@functools.lru_cache(maxsize=1)
def churn() -> data.Prepared:
    return data.prepare_churn()


@dataclass(frozen=True)
class ChurnRun:
    model: object
    history: dict  # {"loss": [...], "val_loss": [...]}, one value per epoch
    p_val: np.ndarray
    p_test: np.ndarray


@functools.lru_cache(maxsize=8)
def churn_mlp(seed: int = 0) -> ChurnRun:
    import keras

    prepared = churn()
    coursekit.set_seed(seed)
    model = keras.Sequential([keras.Input(shape=(prepared.n_features,)), keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(32, activation="relu"), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy", steps_per_execution=32)
    history = fast_fit(model, prepared.X_train, prepared.y_train, prepared.X_val, prepared.y_val, epochs=40,
                       batch_size=128, patience=5, seed=seed)
    return ChurnRun(model, {k: [float(x) for x in v] for k, v in history.history.items()},
                    _read_only(predict(model, prepared.X_val)), _read_only(predict(model, prepared.X_test)))


@functools.lru_cache(maxsize=1)
def logistic() -> tuple[np.ndarray, np.ndarray]:
    """(validation, test) churn probabilities of a logistic regression trained on the training split."""
    from sklearn.linear_model import LogisticRegression

    prepared = churn()
    model = LogisticRegression(max_iter=2000).fit(prepared.X_train, prepared.y_train)
    return _read_only(model.predict_proba(prepared.X_val)[:, 1]), _read_only(model.predict_proba(prepared.X_test)[:, 1])


@dataclass(frozen=True)
class RareSplit:
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


@functools.lru_cache(maxsize=4)
def rare_churn(rate: float = 0.05) -> RareSplit:
    """Every non-churner and a random subset of churners, so that ``rate`` of each split churns."""
    prepared = churn()
    rng = np.random.default_rng(data.SPLIT_SEED)
    parts = []
    for split in ("train", "val", "test"):
        X, y = getattr(prepared, f"X_{split}"), getattr(prepared, f"y_{split}")
        neg, pos = np.flatnonzero(y == 0), np.flatnonzero(y == 1)
        n_pos = int(round(rate * len(neg) / (1.0 - rate)))
        keep = np.sort(np.concatenate([neg, rng.choice(pos, size=min(n_pos, len(pos)), replace=False)]))
        parts += [X[keep], y[keep]]
    return RareSplit(*parts)
