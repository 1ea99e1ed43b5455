"""Grader of exercise 5.2.6 (lesson 5.2, training networks): checkpoint and resume.

The student writes ``fit_resumable``. The grader owns the harness: it calls the student's functions with
training and validation data only, trains every graded network itself (``coursekit.training.fast_fit``:
``tf.data`` pipelines, validation every epoch) with the settings or the optimizer the student chose, and
computes every graded number itself.

The grader's callback (``_Watch``) interrupts the first run at the start of epoch 4 and records the weights
and validation losses; a new model (another seed) then restarts the job with the same ``backup_dir``.

- "resume after an interruption": the restart runs only the remaining epochs, from the interrupted run's
  weights, the optimizer's step count continues, and nothing is left in ``backup_dir`` at the end.
- "early stopping survives the restart": with ``EarlyStopping(patience=3)`` among the callbacks, the job is
  interrupted, its backup folder moved to another place, and the restart runs in a new Python process
  (``fresh_process_5_2_6.py``, another working folder): it must resume from the moved backup (epoch and
  weights), stop where an uninterrupted job would have (``_stop_epoch``), and leave the folder empty.

Each target comes from the reference solution's spread over seeds 0-4 (the comment above it gives the
numbers) with a margin; the wrong answers in ``tests/graders/test_ex_5_2_6.py`` show that the check aimed at
each mistake fails and that its hint names the mistake.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import weakref
from pathlib import Path

import keras
import numpy as np

import coursekit
from coursekit import catalog
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


FRESH_PROCESS = Path(__file__).with_name("fresh_process_5_2_6.py")
NESTED = "RUBRIC_5_2_6_FRESH_PROCESS"  # set in the fresh process's environment


class _FreshProcess:
    """The rubric's own new Python process (``fresh_process_5_2_6.py``), started when the grading starts so
    that its TensorFlow import overlaps the first run; it waits for one request."""

    def __init__(self, folder: Path):
        if os.environ.get(NESTED):  # code imported in the fresh process started a grading: no process chains
            raise RuntimeError("a grading inside the rubric's fresh process cannot start another one")
        env = dict(os.environ, PYTHONHASHSEED="random")
        env[NESTED] = "1"
        self.folder, self.sent = folder, False
        self.log = open(folder / "fresh_process.log", "w")
        self.proc = subprocess.Popen([sys.executable, str(FRESH_PROCESS)], stdin=subprocess.PIPE,
                                     stdout=subprocess.DEVNULL, stderr=self.log, env=env, text=True)

    def ask(self, request: dict, timeout: float = 180) -> tuple[dict, list]:
        """Send the request; (what the restart's watch saw, the weights it began with)."""
        self.sent = True
        try:
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise RuntimeError(f"the restart in a new process did not finish in {timeout:.0f} s") from None
        report = Path(request["out"] + ".json")
        if code != 0 or not report.exists():
            self.log.flush()
            tail = (self.folder / "fresh_process.log").read_text(errors="replace").strip().splitlines()[-3:]
            raise RuntimeError(f"the rubric's new process failed (exit {code}): {' | '.join(tail)}")
        with np.load(request["out"] + ".npz") as saved:
            weights = [saved[f"w{i}"] for i in range(len(saved.files))]
        return json.loads(report.read_text()), weights

    def stop(self) -> None:
        if self.proc.poll() is None:
            if not self.sent:
                try:
                    self.proc.stdin.close()
                except OSError:
                    pass
            self.proc.kill()
        self.proc.wait()
        self.log.close()


def _cleanup(folder: str, holder: dict) -> None:
    if holder.get("fresh") is not None:
        holder["fresh"].stop()
    shutil.rmtree(folder, ignore_errors=True)


def _fresh_process(ctx) -> tuple[_FreshProcess, Path]:
    """This grading's new process and folder (they go when the grading's context does)."""
    if "fresh" not in ctx:
        folder = Path(tempfile.mkdtemp(prefix="rubric_5_2_6_"))
        holder = {"fresh": _FreshProcess(folder)}
        weakref.finalize(ctx, _cleanup, str(folder), holder)
        ctx["fresh"], ctx["folder"] = holder["fresh"], folder
    return ctx["fresh"], ctx["folder"]


def _spec(student) -> dict | None:
    """Where the new process finds fit_resumable: the student's file, or a top-level function of the rubric's
    tests (a deliberately wrong answer); None for a function it cannot import."""
    if "fit_resumable" not in student.trusted:
        return {"file": str(Path(student.path).resolve()), "name": "fit_resumable", "trusted": False}
    fn = student.module.fit_resumable
    where = Path(fn.__code__.co_filename).resolve()
    top_level = fn.__qualname__ == fn.__name__ and fn.__name__.isidentifier()
    return {"file": str(where), "name": fn.__name__, "trusted": True} if top_level and catalog.TESTS in where.parents else None


@EX.part("resume after an interruption", points=6)
def _resume(student, ctx, v):
    if "early stopping survives the restart" in ctx.parts:
        _fresh_process(ctx)  # started now, for the next part: its TensorFlow import runs while this part trains
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
    fresh, folder = _fresh_process(ctx)
    patience, k = EX.target("patience"), EX.target("interrupted at epoch")
    churn = prepared("churn")
    first = _Watch(stop_at=k)
    backup, moved = folder / "job" / "backup", folder / "restarted job" / "its backup"
    try:
        student.call("fit_resumable", _resumable_net(ctx.seed), churn.train_val(), _ES_EPOCHS, str(backup),
                     [first, keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience)])
        interrupted = False
    except Exception as exc:  # noqa: BLE001 -- the rubric's Interrupted comes back wrapped as a student failure
        if "interrupted at the start of epoch" not in str(getattr(exc, "measured", exc)):
            raise
        interrupted = True
    # The job restarts as a new process, its backup folder moved elsewhere, in another working folder: only
    # what the first run wrote into backup_dir survives.
    moved.parent.mkdir(parents=True)
    if backup.exists():
        shutil.move(str(backup), str(moved))
    (folder / "restart cwd").mkdir()
    out, start = fresh.ask({"student": _spec(student), "seed": ctx.seed, "backup": str(moved), "epochs": _ES_EPOCHS,
                            "patience": patience, "cwd": str(folder / "restart cwd"), "out": str(folder / "restart")})
    epochs, losses = out["epochs"], first.val_losses + out["val_losses"]
    saved = first.start_weights.get(k)
    same = (saved is not None and out.get("first_epoch") == k and len(start) == len(saved)
            and all(a.shape == b.shape and np.allclose(a, b, atol=EX.target("weights equal to"), rtol=0)
                    for a, b in zip(saved, start)))
    resumed = interrupted and out["error"] is None and bool(epochs) and epochs[0] == k and same
    v.check("a restart in a new process resumes from backup_dir", resumed,
            out["error"] or f"epochs {epochs[:1]}..{epochs[-1:]}, weights {'equal' if same else 'not the first run’s'}",
            f"from epoch {k}, with the weights the interrupted run had reached",
            "a restarted job is a new process: what the first run kept in memory (a module-level dict, a class "
            "attribute) is gone, and so is a file written outside backup_dir (the rubric moves the folder and "
            "restarts elsewhere). Keep every state file inside backup_dir and read it back from there")
    want = _stop_epoch(losses, patience, _ES_EPOCHS)
    last = (epochs or first.epochs or [-1])[-1]
    v.metric("best epoch", int(np.argmin(losses)) if losses else -1)
    v.metric("last epoch", last)
    v.metric("an uninterrupted run's last epoch", want)
    # Measured over seeds 0-4: best epochs 2-6. On seeds 0, 3 and 4 the best epoch comes before the interruption,
    # and a restart whose EarlyStopping forgets its state trains on past the epoch where it should stop.
    v.check("EarlyStopping stops where it would have without the interruption", resumed and last == want,
            f"last epoch {last}", f"{want} (best {min(losses) if losses else float('nan'):.4f} at epoch "
            f"{int(np.argmin(losses)) if losses else -1}, patience {patience})",
            "BackupAndRestore restores the weights, the optimizer and the epoch, but a new EarlyStopping starts with "
            "no best value and a wait of 0: save its state (best, wait, best_epoch) in a file inside backup_dir after "
            "every epoch and put it back when a run starts, after EarlyStopping's own on_train_begin has reset it. "
            "State kept in memory does not survive: the rubric restarts the job in a new process, elsewhere")
    left = sorted(p.name for p in moved.rglob("*")) if moved.exists() else []
    v.check("nothing left in backup_dir after the restarted run finished", not left, left[:3] or "empty",
            "empty or removed", "a finished run must not leave a backup behind (the state files of your own "
            "included): the next job would resume it instead of training")
