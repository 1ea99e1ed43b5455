# %% [markdown]
# # Batch size: seconds per epoch, samples per second and the validation metric
#
# Trains the same churn network for the same number of epochs with batch sizes from 8 to 2048
# and measures, with a timing callback, the wall seconds of each epoch (the first one excluded:
# it also traces the graph). Small batches make many noisy updates per epoch and are slow per
# sample on a CPU; large batches make few, smooth updates and are fast per sample -- but with the
# same epoch budget they have made far fewer steps.
#
# Run it as a script, `python demo_batch_size.py` (or `course run 5.2 batch_size`), or as a
# notebook: `course notebook 5.2`.

# %%
import coursekit  # first: quiet TensorFlow, headless figures

args = coursekit.demo("5.2")  # --seed and --figures from a shell; the defaults in a notebook

import math
import time

import keras
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import roc_auc_score

import data
from coursekit.training import predict

# %% [markdown]
# ## Set-up
#
# The churn data, prepared once, and a callback that only reads the clock.

# %%
coursekit.set_seed(args.seed)
churn = data.prepare_churn()
EPOCHS = 6
BATCH_SIZES = [8, 32, 128, 512, 2048]
print(f"{len(churn.X_train):,} training rows, {EPOCHS} epochs per batch size")


class EpochTimer(keras.callbacks.Callback):
    """Wall seconds of every epoch: a callback that only reads the clock."""

    def on_train_begin(self, logs=None):
        self.epoch_seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_seconds.append(time.perf_counter() - self._start)


# %% [markdown]
# ## The sweep
#
# Validation is scored once at the end (not every epoch), so the timer measures training only.
# `steps_per_execution=32` runs 32 batches per call into TensorFlow.

# %%
rows = []
for batch_size in BATCH_SIZES:
    coursekit.set_seed(args.seed)
    model = keras.Sequential(
        [
            keras.Input(shape=(churn.n_features,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy", steps_per_execution=32)
    timer = EpochTimer()
    model.fit(churn.X_train, churn.y_train, epochs=EPOCHS, batch_size=batch_size, callbacks=[timer], verbose=0)
    seconds = float(np.median(timer.epoch_seconds[1:]))
    auc = roc_auc_score(churn.y_val, predict(model, churn.X_val))
    updates = EPOCHS * math.ceil(len(churn.X_train) / batch_size)
    rows.append((batch_size, seconds, len(churn.X_train) / seconds, auc, updates))
    print(f"batch {batch_size:>5}: {seconds * 1000:7.1f} ms/epoch, {len(churn.X_train) / seconds:9.0f} samples/s, "
          f"{updates:>5} updates in {EPOCHS} epochs, val AUC {auc:.3f}")

# %% [markdown]
# ## The figure
#
# Time per epoch, samples per second and validation AUC against the batch size.

# %%
sizes, secs, sps, aucs, updates = (np.array(c) for c in zip(*rows))
fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(13, 3.8))
ax1.loglog(sizes, secs * 1000, "o-")
ax1.set_ylabel("ms per epoch (median, first excluded)")
ax1.set_title("Time per epoch", fontsize=10)
ax2.semilogx(sizes, sps, "s-", color="tab:orange")
ax2.set_ylabel("training samples per second")
ax2.set_title("Throughput", fontsize=10)
ax3.semilogx(sizes, aucs, "o-", color="tab:green")
for s, a, u in zip(sizes, aucs, updates):
    ax3.annotate(f"{u}", (s, a), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
ax3.set_ylim(aucs.min() - 0.01, aucs.max() + 0.01)
ax3.set_ylabel("validation ROC AUC")
ax3.set_title(f"After {EPOCHS} epochs (labels: optimizer updates)", fontsize=10)
for ax in (ax1, ax2, ax3):
    ax.set_xlabel("batch size")
    ax.grid(alpha=0.3, which="both")
fig.tight_layout()
coursekit.save_figure(fig, "batch_size_sweep")
