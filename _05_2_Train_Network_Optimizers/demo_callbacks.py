# %% [markdown]
# # Callbacks: checkpoints, logs, a learning-rate schedule, and resuming an interrupted run
#
# Churn training runs with the callbacks a real job uses, all writing into a temporary folder:
# ModelCheckpoint (keep the best model by validation loss), CSVLogger (one line per epoch),
# ReduceLROnPlateau (halve the rate when the validation loss stalls), TensorBoard (event files for
# `tensorboard --logdir`), EarlyStopping, and BackupAndRestore. One run is interrupted on
# purpose after epoch 5, as a crash or a pre-empted cloud machine would; a restart with a new
# model, new callbacks and the same BackupAndRestore folder resumes at epoch 6 instead of starting
# over. An uninterrupted run with the same seed is the reference: it shows what BackupAndRestore
# brings back (weights, optimizer state, epoch counter) and what it does not (the other callbacks'
# memory of the best epoch and of their patience counters).
#
# Run it as a script, `python demo_callbacks.py` (or `course run 5.2 callbacks`), or as a
# notebook: `course notebook 5.2`.

# %%
import coursekit  # first: quiet TensorFlow, headless figures

args = coursekit.demo("5.2")  # --seed and --figures from a shell; the defaults in a notebook

import math
import shutil
import tempfile
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import data

# %% [markdown]
# ## Set-up
#
# Everything the callbacks write goes into a temporary folder, never into the repository.

# %%
coursekit.set_seed(args.seed)
churn = data.prepare_churn()
work = Path(tempfile.mkdtemp(prefix="lesson52_callbacks_"))
EPOCHS, CRASH_AFTER, BATCH = 14, 5, 128
STEPS_PER_EPOCH = math.ceil(len(churn.X_train) / BATCH)


def build() -> keras.Model:
    model = keras.Sequential(
        [
            keras.Input(shape=(churn.n_features,)),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(128, activation="relu"),
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


class StateAtStart(keras.callbacks.Callback):
    """Reads the optimizer's step counter and learning rate when fit starts (placed after
    BackupAndRestore, so it sees what BackupAndRestore has loaded)."""

    def on_train_begin(self, logs=None):
        self.iterations = int(self.model.optimizer.iterations.numpy())
        self.learning_rate = float(np.asarray(self.model.optimizer.learning_rate))


def callbacks(folder: Path) -> dict:
    # BackupAndRestore first, so it has saved epoch 5 before the crash callback fires.
    # ReduceLROnPlateau before CSVLogger: it adds the epoch's learning rate to the logs.
    return {
        "backup": keras.callbacks.BackupAndRestore(backup_dir=str(folder / "backup")),
        "start": StateAtStart(),
        "checkpoint": keras.callbacks.ModelCheckpoint(str(folder / "best.keras"), monitor="val_loss", save_best_only=True),
        "plateau": keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2, min_lr=1e-5),
        "csv": keras.callbacks.CSVLogger(str(folder / "log.csv"), append=True),
        "tensorboard": keras.callbacks.TensorBoard(log_dir=str(folder / "tensorboard"), write_graph=False),
        "stop": keras.callbacks.EarlyStopping(monitor="val_loss", patience=4, restore_best_weights=True),
    }


def run(folder: Path, extra=()):
    folder.mkdir(exist_ok=True)
    cbs = callbacks(folder)
    model = build()
    history = model.fit(churn.X_train, churn.y_train, validation_data=(churn.X_val, churn.y_val), epochs=EPOCHS,
                        batch_size=BATCH, callbacks=[*cbs.values(), *extra], verbose=0)
    return model, history, cbs


def val_loss(path: Path) -> float:
    return keras.models.load_model(path).evaluate(churn.X_val, churn.y_val, batch_size=2048, verbose=0)


# %% [markdown]
# ## The reference
#
# The same job without an interruption.

# %%
coursekit.set_seed(args.seed)
_, ref_history, ref = run(work / "uninterrupted")
print(f"uninterrupted: ran epochs 1-{ref_history.epoch[-1] + 1}; EarlyStopping's best val loss "
      f"{ref['stop'].best:.4f} at epoch {ref['stop'].best_epoch + 1}")

# %% [markdown]
# ## The first attempt
#
# Same seed, so its first 5 epochs are the reference's; it dies after epoch 5.

# %%
coursekit.set_seed(args.seed)
try:
    run(work / "interrupted", [Crash(CRASH_AFTER)])
except Interrupted as stop:
    print(f"first attempt: {stop}")

# %% [markdown]
# ## The restart
#
# A new model (new random weights) and new callbacks. BackupAndRestore loads the weights, the
# optimizer state (step counter, Adam's moments, the learning rate) and the epoch counter saved
# after epoch 5; the other callbacks start from scratch.

# %%
coursekit.set_seed(args.seed + 100)
model, history, cbs = run(work / "interrupted")
print(f"restart: resumed at epoch {history.epoch[0] + 1} with the optimizer's step counter at "
      f"{cbs['start'].iterations} ({CRASH_AFTER} epochs x {STEPS_PER_EPOCH} batches) and learning rate "
      f"{cbs['start'].learning_rate:.5f}; ran to epoch {history.epoch[-1] + 1}")

# %% [markdown]
# ## What the callbacks left behind, and what they forgot

# %%
ref_log = pd.read_csv(work / "uninterrupted" / "log.csv")
log = pd.read_csv(work / "interrupted" / "log.csv")
lowest = int(log.val_loss.idxmin())
same = np.allclose(log.val_loss[:CRASH_AFTER], ref_log.val_loss[:CRASH_AFTER], rtol=0, atol=1e-6)
print(f"epochs 1-{CRASH_AFTER} of the interrupted run equal the uninterrupted run's: {same}")
print(f"EarlyStopping after the restart: best val loss {cbs['stop'].best:.4f} at epoch {cbs['stop'].best_epoch + 1} "
      f"(it saw only epochs {CRASH_AFTER + 1}-{history.epoch[-1] + 1}); "
      f"the CSV log's lowest is {log.val_loss[lowest]:.4f} at epoch {log.epoch[lowest] + 1}")
print(f"ModelCheckpoint: best.keras has val loss {val_loss(work / 'interrupted' / 'best.keras'):.4f} after the restart, "
      f"{val_loss(work / 'uninterrupted' / 'best.keras'):.4f} in the uninterrupted run")
print(f"CSVLogger: {len(log)} epochs logged (epochs {log.epoch.min() + 1}-{log.epoch.max() + 1})")
print(f"ReduceLROnPlateau, learning rate per epoch: uninterrupted {list(np.round(ref_log.learning_rate, 6))}; "
      f"resumed {list(np.round(log.learning_rate, 6))}")
print(f"TensorBoard: {len(list((work / 'interrupted' / 'tensorboard').rglob('*tfevents*')))} event files "
      f"(view with: tensorboard --logdir <folder>/tensorboard)")

# %% [markdown]
# ## The figure
#
# The CSV logs of the uninterrupted run and of the interrupted and resumed one.

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
ax1.plot(ref_log.epoch + 1, ref_log.val_loss, marker="o", ms=3, color="gray", label="uninterrupted: validation loss")
ax1.plot(log.epoch + 1, log.loss, marker="o", ms=3, label="interrupted and resumed: training loss")
ax1.plot(log.epoch + 1, log.val_loss, marker="o", ms=3, label="interrupted and resumed: validation loss")
ax1.axvline(CRASH_AFTER + 0.5, color="red", ls="--", label=f"interrupted after epoch {CRASH_AFTER}, resumed")
ax1.set_xlabel("epoch")
ax1.set_ylabel("binary cross-entropy")
ax1.legend(fontsize=8)
ax2.semilogy(ref_log.epoch + 1, ref_log.learning_rate, marker="o", ms=3, color="gray", label="uninterrupted")
ax2.semilogy(log.epoch + 1, log.learning_rate, marker="o", ms=3, color="tab:purple", label="interrupted and resumed")
ax2.axvline(CRASH_AFTER + 0.5, color="red", ls="--")
ax2.set_xlabel("epoch")
ax2.set_ylabel("learning rate")
ax2.set_title("ReduceLROnPlateau", fontsize=10)
ax2.legend(fontsize=8)
for ax in (ax1, ax2):
    ax.grid(alpha=0.3, which="both")
fig.suptitle(f"CSVLogger logs: an uninterrupted run, and one interrupted after epoch {CRASH_AFTER} and resumed", fontsize=10)
fig.tight_layout()
coursekit.save_figure(fig, "callbacks_resume")
shutil.rmtree(work, ignore_errors=True)  # the checkpoints and logs were only for this demo
