"""Exercise 5.2.2 -- Small vs large batches: measured seconds per epoch and the metric.

Goal: train the same churn network with a small batch (32) and a large one (1024) for the same
number of epochs, time every epoch with a callback of your own, and compare speed and quality.
A small batch makes many noisy updates per epoch (slow on a CPU, often a good optimum); a large
batch makes few, smooth updates (fast per epoch, so it may need more epochs or a larger
learning rate).

Steps:
1. ``EpochTimer``: a ``keras.callbacks.Callback`` whose ``epoch_seconds`` list gets one entry per
   epoch -- the wall seconds (``time.perf_counter``) from ``on_epoch_begin`` to ``on_epoch_end``.
   Start a fresh list in ``on_train_begin``.
2. ``samples_per_second(n_samples, epoch_seconds)``: throughput of a typical epoch: ``n_samples``
   divided by the median of ``epoch_seconds`` without the first epoch (the first one also pays
   for tracing the graph).
3. ``run()`` (given) trains both models for ``EPOCHS`` epochs with your timer, measures the whole
   ``fit`` call's wall time too, and scores each model's ROC AUC on validation and test data.

Targets the grader checks (seeds 0-4):
- validation and test ROC AUC >= 0.82 for both batch sizes;
- the timing is real: one positive time per epoch run; the epoch times add up to no more than
  the whole fit and to at least half of it; the reported samples per second agree with the
  epoch times; the optimizer made epochs x ceil(4225 / batch) updates.
(No speed target: seconds depend on the machine. The grader prints them.)

Hints: ``time.perf_counter()`` is the clock for durations. ``np.median(seconds[1:])``.
Store the list on ``self`` so ``run()`` can read it after ``fit``.
"""

import math
import time

import coursekit  # noqa: F401  (first: quiet TensorFlow, headless figures)
import keras
import numpy as np
from sklearn.metrics import roc_auc_score

import data
from coursekit.training import predict

EPOCHS = 12
BATCH_SIZES = {"small": 32, "large": 1024}


def _build(n_features: int) -> keras.Model:
    model = keras.Sequential(
        [
            keras.Input(shape=(n_features,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy", steps_per_execution=32)
    return model


class EpochTimer(keras.callbacks.Callback):
    """Records the wall seconds of every epoch in ``self.epoch_seconds``."""

    def on_train_begin(self, logs=None):
        # TODO: start an empty list self.epoch_seconds.
        raise NotImplementedError("EpochTimer.on_train_begin: set self.epoch_seconds = [] (a fresh list for this fit)")

    def on_epoch_begin(self, epoch, logs=None):
        # TODO: remember the clock: self._start = time.perf_counter().
        raise NotImplementedError("EpochTimer.on_epoch_begin: store time.perf_counter() in self._start")

    def on_epoch_end(self, epoch, logs=None):
        # TODO: append the seconds since self._start to self.epoch_seconds.
        raise NotImplementedError("EpochTimer.on_epoch_end: append time.perf_counter() - self._start to self.epoch_seconds")


def samples_per_second(n_samples: int, epoch_seconds: list) -> float:
    """Training samples per second of a typical epoch (median, first epoch excluded)."""
    # TODO: drop the first epoch (tracing), take the median of the rest, divide n_samples by it.
    raise NotImplementedError("samples_per_second: return n_samples / np.median(epoch_seconds[1:]) (first epoch excluded)")


def run(seed: int = 0) -> dict:
    """Train with batch 32 and batch 1024 for EPOCHS epochs each; return timings and AUCs."""
    churn = data.prepare_churn()
    n_train = len(churn.X_train)
    result = {"n_train": n_train, "epochs": EPOCHS}
    for name, batch_size in BATCH_SIZES.items():
        coursekit.set_seed(seed)
        model = _build(churn.n_features)
        timer = EpochTimer()
        start = time.perf_counter()
        history = model.fit(
            churn.X_train, churn.y_train, validation_data=(churn.X_val, churn.y_val),
            epochs=EPOCHS, batch_size=batch_size, callbacks=[timer], verbose=0,
        )
        fit_seconds = time.perf_counter() - start
        result[f"batch_size_{name}"] = batch_size
        result[f"val_auc_{name}"] = roc_auc_score(churn.y_val, predict(model, churn.X_val))
        result[f"test_auc_{name}"] = roc_auc_score(churn.y_test, predict(model, churn.X_test))
        result[f"fit_seconds_{name}"] = fit_seconds
        result[f"epoch_seconds_{name}"] = list(timer.epoch_seconds)
        result[f"seconds_per_epoch_{name}"] = float(np.median(timer.epoch_seconds[1:]))
        result[f"samples_per_second_{name}"] = samples_per_second(n_train, timer.epoch_seconds)
        result[f"updates_{name}"] = int(model.optimizer.iterations.numpy())
        result[f"expected_updates_{name}"] = EPOCHS * math.ceil(n_train / batch_size)
        result[f"history_{name}"] = history
    return result


if __name__ == "__main__":
    args = coursekit.script_args(__doc__)
    coursekit.print_metrics("Small vs large batches on churn", run(args.seed), "5.2.2")
