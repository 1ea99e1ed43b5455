"""Exercise 5.2.1 -- Epochs: too few, too many, and early stopping that restores the best epoch.

Goal: see under- and over-training on the Telco churn table, then let the validation split choose
the number of epochs with ``keras.callbacks.EarlyStopping(restore_best_weights=True)``.

Steps:
1. ``make_early_stopping(patience)``: an EarlyStopping callback that watches ``val_loss`` (lower is
   better), waits ``patience`` epochs without improvement, and restores the best epoch's weights.
2. ``best_epoch(history)``: the 1-based epoch whose ``val_loss`` was lowest in a Keras ``History``.
3. ``run()`` (given) trains the same network from the same initial weights three times: 1 epoch
   (too few), ``MAX_EPOCHS`` epochs with no callback (too many), and up to ``MAX_EPOCHS`` epochs
   with your callback; it reports each one's validation loss and scores the early-stopped model
   on the test split once.

Targets the grader checks (seeds 0-4):
- the callback is an EarlyStopping on val_loss with restore_best_weights=True;
- it stopped before the epoch limit, exactly ``patience`` epochs after the best epoch, and
  ``best_epoch`` agrees with the history;
- the early-stopped model's validation loss equals the best epoch's (the weights were restored),
  is no worse than 1 epoch's and at least 0.02 below the over-trained model's;
- test ROC AUC of the early-stopped model >= 0.83.

Hints: ``keras.callbacks.EarlyStopping(monitor=..., mode=..., patience=..., restore_best_weights=...)``.
``history.history["val_loss"]`` is a list with one value per epoch; epoch numbers start at 1.
"""

import coursekit  # noqa: F401  (first: quiet TensorFlow, headless figures)
import keras
import numpy as np
from sklearn.metrics import roc_auc_score

import data
from coursekit.training import predict

MAX_EPOCHS = 30
PATIENCE = 5
BATCH_SIZE = 128


def _build(n_features: int) -> keras.Model:
    """A network big enough to over-fit churn in a few dozen epochs."""
    model = keras.Sequential(
        [
            keras.Input(shape=(n_features,)),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy", steps_per_execution=32)
    return model


def make_early_stopping(patience: int) -> keras.callbacks.Callback:
    """EarlyStopping on val_loss (mode 'min') with the given patience, restoring the best weights."""
    return keras.callbacks.EarlyStopping(
        monitor="val_loss", mode="min", patience=patience, restore_best_weights=True
    )


def best_epoch(history) -> int:
    """The 1-based epoch with the lowest validation loss in a Keras History."""
    return int(np.argmin(history.history["val_loss"])) + 1


def run(seed: int = 0) -> dict:
    """Train for 1 epoch, for MAX_EPOCHS epochs, and with early stopping; compare on validation data."""
    churn = data.prepare_churn()
    fit = dict(validation_data=(churn.X_val, churn.y_val), batch_size=BATCH_SIZE, verbose=0)
    result = {"max_epochs": MAX_EPOCHS, "patience": PATIENCE}
    stop = make_early_stopping(PATIENCE)  # your callback, used for the third run
    for name, epochs in [("too_few", 1), ("too_many", MAX_EPOCHS)]:
        coursekit.set_seed(seed)  # the same initial weights and shuffling for every run
        model = _build(churn.n_features)
        model.fit(churn.X_train, churn.y_train, epochs=epochs, **fit)
        result[f"val_loss_{name}"] = model.evaluate(churn.X_val, churn.y_val, batch_size=2048, verbose=0)

    coursekit.set_seed(seed)
    model = _build(churn.n_features)
    history = model.fit(churn.X_train, churn.y_train, epochs=MAX_EPOCHS, callbacks=[stop], **fit)
    result["val_loss_early"] = model.evaluate(churn.X_val, churn.y_val, batch_size=2048, verbose=0)
    result["epochs_run"] = len(history.epoch)
    result["best_epoch"] = best_epoch(history)
    result["test_auc_early"] = roc_auc_score(churn.y_test, predict(model, churn.X_test))
    result["history"] = history
    result["callback"] = stop
    return result


if __name__ == "__main__":
    args = coursekit.script_args(__doc__)
    coursekit.print_metrics("Epochs and early stopping on churn", run(args.seed), "5.2.1")
