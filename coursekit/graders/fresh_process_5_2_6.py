"""The rubric's fresh process for exercise 5.2.6: the restart of an interrupted job, as a new process.

    python coursekit/graders/fresh_process_5_2_6.py      (started by coursekit/graders/ex_5_2_6.py)

It shares nothing with the grading process but files: whatever the student's code kept in memory during
the interrupted run (a module-level dict, a class attribute) is gone here, as it is when a killed job is
started again. It imports TensorFlow at once, then waits for one JSON request line on stdin (so that its
start-up overlaps the grading's first run), and exits quietly when stdin closes without one. The request
names the student's file (or a top-level function of the rubric's tests), the backup folder (moved by the
rubric to a new place after the interruption), the seed, the epochs and the patience, a working folder and
where to write the results. It builds a new model (another seed), new callbacks (the rubric's watch and an
``EarlyStopping``), calls ``fit_resumable`` once under the rubric's rules, and writes what the watch saw to
``out.json`` and the weights the restart began with to ``out.npz``.
"""

from __future__ import annotations

import json
import os
import sys
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]  # started by its path: imports start at the repository, not at the graders' folder
sys.path[:] = [str(REPO)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

from coursekit.grading import load_module, prepared, Student, StudentFailure  # noqa: E402  (first: quiet TensorFlow)
import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.get_logger().setLevel("ERROR")

from coursekit.graders.ex_5_2_6 import _resumable_net, _Watch  # noqa: E402


def _short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:400]}"


def _student(spec: dict | None) -> Student:
    """The student's fit_resumable as a Student (the exercise file, loaded under the rubric's rules), or a
    top-level function of the rubric's own tests (a deliberately wrong answer, trusted)."""
    if spec is None:
        raise RuntimeError("a fit_resumable replaced by a function that is not a top-level function of the "
                           "rubric's tests cannot be imported in a new process")
    if spec["trusted"]:
        fn = getattr(load_module(Path(spec["file"])), spec["name"])
        return Student("5.2.6", types.SimpleNamespace(fit_resumable=fn), None, trusted=("fit_resumable",))
    student = Student.load("5.2.6", Path(spec["file"]))
    if student.uses_solution or student.tampered:
        raise RuntimeError(student.uses_solution or student.tampered)
    return student


def main() -> int:
    churn = prepared("churn")  # the rubric's data, prepared while the grading's first run trains
    line = sys.stdin.readline()
    if not line.strip():
        return 0  # the grading ended before it needed this process
    request = json.loads(line)
    os.chdir(request["cwd"])  # a working folder of its own: files the first run left in its folder are not here
    out, weights = {"error": None, "epochs": [], "val_losses": [], "iterations": None}, {}
    try:
        student = _student(request["student"])
        watch = _Watch()
        model = _resumable_net(request["seed"] + 1000)  # a restarted job initialises a new model
        stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=request["patience"])
        student.call("fit_resumable", model, churn.train_val(), request["epochs"], request["backup"], [watch, stop])
        out.update(epochs=watch.epochs, val_losses=watch.val_losses, iterations=int(model.optimizer.iterations.numpy()))
        if watch.start_weights:
            first = min(watch.start_weights)
            out["first_epoch"] = first
            weights = {f"w{i}": w for i, w in enumerate(watch.start_weights[first])}
    except StudentFailure as exc:
        out["error"] = f"fit_resumable in the new process: {exc.measured}"
    except Exception as exc:  # noqa: BLE001 -- reported to the rubric, which turns it into a failed check
        out["error"] = f"fit_resumable in the new process: {_short(exc)}"
    np.savez(request["out"] + ".npz", **weights)
    Path(request["out"] + ".json").write_text(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
