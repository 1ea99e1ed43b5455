"""Grader of exercise 5.2.6 (lesson 5.2, training networks): checkpoint and resume.

The student writes ``fit_resumable``. The grader owns the harness: it calls the student's functions with
training and validation data only, trains every graded network itself (``coursekit.training.fast_fit``:
``tf.data`` pipelines, validation every epoch) with the settings or the optimizer the student chose, and
computes every graded number itself.

The grader's callback (``_Watch``) interrupts the first run at the start of epoch 4 and records the weights
and validation losses; a new model (another seed) then restarts the job with the same ``backup_dir``.

- "resume after an interruption": the restart runs only the remaining epochs, from the interrupted run's
  weights, the optimizer's step count continues, and nothing is left in ``backup_dir`` at the end.
- "early stopping survives the restart": with ``EarlyStopping(patience=3)`` among the callbacks, the
  interrupted and restarted job stops where an uninterrupted one would have (``_stop_epoch``).

Each target comes from the reference solution's spread over seeds 0-4 (the comment above it gives the
numbers) with a margin; the wrong answers in ``tests/graders/test_ex_5_2_6.py`` show that the check aimed at
each mistake fails and that its hint names the mistake.
"""

from __future__ import annotations

import math

import keras
import numpy as np

import coursekit
from coursekit.graders.lesson_5_2 import churn_net
from coursekit.grading import Exercise, prepared


EX = Exercise("5.2.6", ("fit_resumable",), targets={"interrupted at epoch": 4, "epochs": 8, "patience": 3,
                                                     "weights equal to": 1e-6})
_BATCH_5_2_6, _ES_EPOCHS = 128, 12


class Interrupted(Exception):
    """Raised by the rubric's callback: the job was killed."""


class _Watch(keras.callbacks.Callback):
    """The rubric's callback: records the validation loss of every epoch, the weights when an epoch
    begins, and raises Interrupted at the start of epoch ``stop_at`` (after every callback has
    finished the previous epoch, so a backup of it exists)."""

    def __init__(self, stop_at=None):
        super().__init__()
        self.stop_at, self.val_losses, self.epochs, self.start_weights = stop_at, [], [], {}

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.stop_at:
            self.start_weights[epoch] = [w.copy() for w in self.model.get_weights()]
            raise Interrupted(f"interrupted at the start of epoch {epoch}")
        self.start_weights.setdefault(epoch, [w.copy() for w in self.model.get_weights()])

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append(epoch)
        self.val_losses.append(float((logs or {}).get("val_loss", float("nan"))))


def _resumable_net(seed: int) -> keras.Model:
    coursekit.set_seed(seed)
    model = churn_net(prepared("churn").n_features)
    model.compile(keras.optimizers.Adam(3e-3), "binary_crossentropy")
    return model


def _run_interrupted(student, seed, backup, epochs, extra=lambda: []):
    """The first attempt (interrupted) and the restart; the two watches and the restart's model."""
    churn = prepared("churn")
    first = _Watch(stop_at=EX.target("interrupted at epoch"))
    try:
        student.call("fit_resumable", _resumable_net(seed), churn.train_val(), epochs, str(backup), [first, *extra()])
        interrupted = False
    except Exception as exc:  # noqa: BLE001 -- the rubric's Interrupted comes back wrapped as a student failure
        if "interrupted at the start of epoch" not in str(getattr(exc, "measured", exc)):
            raise
        interrupted = True
    second, restart_callbacks = _Watch(), extra()
    model = _resumable_net(seed + 1000)  # a restarted job initialises a new model
    student.call("fit_resumable", model, churn.train_val(), epochs, str(backup), [second, *restart_callbacks])
    return interrupted, first, second, model, restart_callbacks


def _stop_epoch(val_losses, patience, limit) -> int:
    """The last epoch an uninterrupted run with EarlyStopping(patience) would train (Keras's rule)."""
    best, wait = None, 0
    for epoch, loss in enumerate(val_losses):
        wait += 1
        if best is None or loss < best:
            best, wait = loss, 0
            continue
        if wait >= patience and epoch > 0:
            return epoch
    return limit - 1


@EX.part("resume after an interruption", points=6)
def _resume(student, ctx, v):
    import tempfile
    from pathlib import Path

    churn = prepared("churn")
    epochs, k = EX.target("epochs"), EX.target("interrupted at epoch")
    with tempfile.TemporaryDirectory() as tmp:
        backup = Path(tmp) / "backup"
        interrupted, first, second, model, _ = _run_interrupted(student, ctx.seed, backup, epochs)
        if not v.check("the rubric's callbacks are used", interrupted and first.epochs == list(range(k)),
                       f"epochs seen {first.epochs}", f"0..{k - 1}, then interrupted",
                       "pass the callbacks you are given to fit(), so the rubric can watch (and interrupt) training"):
            return
        v.check("the restart runs only the remaining epochs", second.epochs == list(range(k, epochs)),
                f"epochs {second.epochs[:1]}..{second.epochs[-1:]} ({len(second.epochs)})", f"{k}..{epochs - 1} ({epochs - k})",
                "a restart that starts again at epoch 0 throws the finished epochs away: back up the training state "
                "to backup_dir as it goes (keras.callbacks.BackupAndRestore) and resume from it")
        saved, resumed = first.start_weights.get(k), second.start_weights.get(k)
        same = saved is not None and resumed is not None and len(saved) == len(resumed) and all(
            a.shape == b.shape and np.allclose(a, b, atol=EX.target("weights equal to"), rtol=0) for a, b in zip(saved, resumed))
        v.check("the restart begins with the interrupted run's weights", same, "equal" if same else "different",
                "equal", "the new model must be given the weights the interrupted run had reached before it trains on")
        steps = epochs * math.ceil(len(churn.X_train) / _BATCH_5_2_6)
        iterations = int(model.optimizer.iterations.numpy())
        v.check("the optimizer's step count continues", iterations == steps, iterations, f"{steps} ({epochs} epochs of "
                f"{math.ceil(len(churn.X_train) / _BATCH_5_2_6)} batches)",
                "the optimizer's state (its step count, Adam's moment estimates) is part of what a restart needs; train "
                f"in batches of {_BATCH_5_2_6}")
        left = sorted(p.name for p in backup.rglob("*")) if backup.exists() else []
        v.check("nothing left in backup_dir after a finished run", not left, left[:3] or "empty", "empty or removed",
                "a finished run must not leave a backup behind: the next job would resume it instead of training")
        if second.val_losses:
            v.metric("final val_loss after the restart", second.val_losses[-1])


@EX.part("early stopping survives the restart", points=4)
def _resume_early_stopping(student, ctx, v):
    import tempfile
    from pathlib import Path

    patience = EX.target("patience")
    with tempfile.TemporaryDirectory() as tmp:
        make = lambda: [keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience)]  # noqa: E731
        interrupted, first, second, _, stops = _run_interrupted(student, ctx.seed, Path(tmp) / "backup", _ES_EPOCHS, make)
        losses = first.val_losses + second.val_losses
        want = _stop_epoch(losses, patience, _ES_EPOCHS)
        last = (second.epochs or first.epochs or [-1])[-1]
        v.metric("best epoch", int(np.argmin(losses)) if losses else -1)
        v.metric("last epoch", last)
        v.metric("an uninterrupted run's last epoch", want)
        # Measured over seeds 0-4: best epochs 2-6. On seeds 0, 3 and 4 the best epoch comes before the interruption,
        # and a restart whose EarlyStopping forgets its state trains on past the epoch where it should stop.
        v.check("EarlyStopping stops where it would have without the interruption", interrupted and last == want,
                f"last epoch {last}", f"{want} (best {min(losses) if losses else float('nan'):.4f} at epoch "
                f"{int(np.argmin(losses)) if losses else -1}, patience {patience})",
                "BackupAndRestore restores the weights, the optimizer and the epoch, but a new EarlyStopping starts with "
                "no best value and a wait of 0: save its state (best, wait, best_epoch) in backup_dir after every epoch "
                "and put it back when a run starts, after EarlyStopping's own on_train_begin has reset it")
