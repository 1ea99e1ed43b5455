"""Small helpers shared by the exercises and demos of lesson 5.3 (given code, not a TODO)."""

from __future__ import annotations

import numpy as np

SUBSET_SIZE = 400  # training rows of the "scarce data" churn set that an over-sized MLP memorises
SUBSET_SEED = 0  # the subset is the same for every exercise seed; the seed changes initialisation only


def churn_subset(churn, n: int = SUBSET_SIZE, seed: int = SUBSET_SEED):
    """``n`` rows of the churn training split, drawn without replacement (always the same rows)."""
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(churn.X_train), size=n, replace=False)
    return churn.X_train[idx], churn.y_train[idx]


def bce(y_true, p) -> float:
    """Binary cross-entropy of probabilities ``p`` (the loss WITHOUT any regularization penalty)."""
    p = np.clip(np.asarray(p, dtype=np.float64).ravel(), 1e-7, 1 - 1e-7)
    y = np.asarray(y_true, dtype=np.float64).ravel()
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def add_noise_columns(X, n_noise: int, rng) -> np.ndarray:
    """``X`` with ``n_noise`` extra columns of standard-normal noise (no relation to any target)."""
    noise = rng.standard_normal((len(X), n_noise)).astype(np.float32)
    return np.hstack([X, noise])


def max_weight_change(before, after) -> float:
    """Largest absolute difference between two lists of weight arrays (0.0 means unchanged)."""
    return float(max(np.max(np.abs(np.asarray(a) - np.asarray(b))) for a, b in zip(before, after)))


def compile_binary(model):
    """Adam(1e-3) and binary cross-entropy, 32 steps per call (given code of exercises 5.3.1 and 5.3.2)."""
    import keras

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=1e-3),
        loss="binary_crossentropy",
        steps_per_execution=32,
    )
    return model


def train_variants(build, variants: dict, churn, seed: int, epochs: int) -> dict:
    """Train ``build(**kwargs)`` once per named variant on the 400-row subset, each from the same seed.

    Returns, per variant name, ``train_loss_<name>`` and ``val_loss_<name>`` (plain cross-entropy,
    without any penalty) and ``<name>_model``.
    """
    import coursekit
    from coursekit.training import predict

    X_small, y_small = churn_subset(churn)
    result = {}
    for name, kwargs in variants.items():
        coursekit.set_seed(seed)
        model = build(**kwargs)
        model.fit(X_small, y_small, epochs=epochs, batch_size=64, verbose=0)
        result[f"train_loss_{name}"] = bce(y_small, predict(model, X_small))
        result[f"val_loss_{name}"] = bce(churn.y_val, predict(model, churn.X_val))
        result[f"{name}_model"] = model
    return result
