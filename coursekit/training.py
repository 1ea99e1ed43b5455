"""Training helpers the exercises share, so each exercise's code is about its own topic."""

from __future__ import annotations

import numpy as np


def fit_early_stopping(
    model,
    X_train,
    y_train,
    X_val,
    y_val,
    *,
    epochs: int = 60,
    batch_size: int = 128,
    patience: int = 8,
    monitor: str = "val_loss",
    mode: str = "min",
    verbose: int = 0,
    callbacks=(),
):
    """Fit with EarlyStopping on validation data, restoring the best epoch's weights.

    The number of epochs is chosen on the validation split, never on the test split.
    Returns the Keras ``History``; ``len(history.epoch)`` is how many epochs ran.
    """
    import keras

    stop = keras.callbacks.EarlyStopping(
        monitor=monitor, mode=mode, patience=patience, restore_best_weights=True
    )
    return model.fit(
        X_train,
        y_train,
        validation_data=(X_val, y_val),
        epochs=epochs,
        batch_size=batch_size,
        callbacks=[stop, *callbacks],
        verbose=verbose,
    )


def predict(model, X, batch_size: int = 2048) -> np.ndarray:
    """Predictions as a NumPy array, in large batches (fast on CPU); a single output is flattened."""
    out = np.asarray(model.predict(X, batch_size=batch_size, verbose=0))
    return out.ravel() if out.ndim == 2 and out.shape[1] == 1 else out
