"""Callbacks: checkpoints, logs, a learning-rate schedule, and resuming an interrupted run.

One churn training run with the callbacks a real job uses, all writing into a temporary folder:
ModelCheckpoint (keep the best model by validation loss), CSVLogger (one line per epoch),
ReduceLROnPlateau (halve the rate when the validation loss stalls), TensorBoard (event files for
``tensorboard --logdir``), EarlyStopping, and BackupAndRestore. The run is interrupted on purpose
after epoch 5, as a crash or a pre-empted cloud machine would; a fresh process-like restart with
the same BackupAndRestore folder resumes at epoch 6 instead of starting over.

Run:  python demo_callbacks.py   (or: course run 5.2 callbacks)
"""

# %%
# Set-up: everything the callbacks write goes into a temporary folder, never into the repository.
import shutil
import tempfile
from pathlib import Path

import coursekit  # noqa: F401  (first: quiet TensorFlow, headless figures)
import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import data

args = coursekit.script_args(__doc__)
churn = data.prepare_churn()
work = Path(tempfile.mkdtemp(prefix="lesson52_callbacks_"))
EPOCHS, CRASH_AFTER = 14, 5


def build() -> keras.Model:
    model = keras.Sequential(
        [
            keras.Input(shape=(churn.n_features,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="binary_crossentropy", steps_per_execution=32)
    return model


class Interrupted(Exception):
    """Stands for whatever kills a job: a crash, an out-of-memory kill, a pre-empted machine."""


class Crash(keras.callbacks.Callback):
    """Simulates an interruption (a killed job) at the end of one epoch."""

    def __init__(self, after_epoch: int):
        super().__init__()
        self.after_epoch = after_epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.after_epoch:
            raise Interrupted(f"simulated interruption after epoch {epoch + 1}")


def callbacks(extra=()):
    # BackupAndRestore first, so it has saved epoch 5 before the crash callback fires.
    return [
        keras.callbacks.BackupAndRestore(backup_dir=str(work / "backup")),
        keras.callbacks.ModelCheckpoint(str(work / "best.keras"), monitor="val_loss", save_best_only=True),
        # ReduceLROnPlateau before CSVLogger: it adds the epoch's learning rate to the logs.
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, min_lr=1e-5),
        keras.callbacks.CSVLogger(str(work / "log.csv"), append=True),
        keras.callbacks.TensorBoard(log_dir=str(work / "tensorboard"), write_graph=False),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=6, restore_best_weights=True),
        *extra,
    ]


fit = dict(validation_data=(churn.X_val, churn.y_val), epochs=EPOCHS, batch_size=128, verbose=0)

# %%
# The first attempt dies after epoch 5.
coursekit.set_seed(args.seed)
try:
    build().fit(churn.X_train, churn.y_train, callbacks=callbacks([Crash(CRASH_AFTER)]), **fit)
except Interrupted as stop:
    print(f"first attempt: {stop}")

# %%
# The restart: a new model (new random weights), the same callbacks. BackupAndRestore loads the
# weights, the optimizer state and the epoch counter saved after epoch 5, and training goes on.
coursekit.set_seed(args.seed + 100)
model = build()
history = model.fit(churn.X_train, churn.y_train, callbacks=callbacks(), **fit)
print(f"restart: resumed at epoch {history.epoch[0] + 1}, ran to epoch {history.epoch[-1] + 1}")

# %%
# What the callbacks left behind.
log = pd.read_csv(work / "log.csv")
best = keras.models.load_model(work / "best.keras")
best_loss = best.evaluate(churn.X_val, churn.y_val, batch_size=2048, verbose=0)
print(f"CSVLogger: {len(log)} epochs logged (epochs {log.epoch.min() + 1}-{log.epoch.max() + 1}), "
      f"learning rates used: {sorted(set(np.round(log.learning_rate, 6)), reverse=True)}")
print(f"ModelCheckpoint: best.keras has val loss {best_loss:.4f}; lowest val loss in the log {log.val_loss.min():.4f}")
print(f"TensorBoard: {len(list((work / 'tensorboard').rglob('*tfevents*')))} event files "
      f"(view with: tensorboard --logdir {work / 'tensorboard'})")

# %%
# The figure: the CSV log of the interrupted and resumed run.
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
epochs = log.epoch + 1
ax1.plot(epochs, log.loss, marker="o", ms=3, label="training loss")
ax1.plot(epochs, log.val_loss, marker="o", ms=3, label="validation loss")
ax1.axvline(CRASH_AFTER + 0.5, color="red", ls="--", label=f"interrupted after epoch {CRASH_AFTER}, resumed")
ax1.set_xlabel("epoch")
ax1.set_ylabel("binary cross-entropy")
ax1.legend(fontsize=8)
ax2.semilogy(epochs, log.learning_rate, marker="o", ms=3, color="tab:purple")
ax2.axvline(CRASH_AFTER + 0.5, color="red", ls="--")
ax2.set_xlabel("epoch")
ax2.set_ylabel("learning rate (ReduceLROnPlateau)")
for ax in (ax1, ax2):
    ax.grid(alpha=0.3, which="both")
fig.suptitle("One run, two processes: the CSVLogger log across an interruption", fontsize=10)
coursekit.save_figure(fig, "callbacks_resume", __file__)
shutil.rmtree(work, ignore_errors=True)  # the checkpoints and logs were only for this demo
