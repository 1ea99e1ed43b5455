"""The rubric's fresh process for exercise 5.5.5: reload three saved artifacts and predict raw records.

    python coursekit/graders/fresh_process_5_5_5.py      (started by coursekit/graders/artifacts_5_5_5.py)

It shares nothing with the grading process but files. It imports TensorFlow at once, then waits
for one JSON request line on stdin (so that its start-up overlaps the grading's training), and
exits quietly when stdin closes without one. The request names the three artifacts, a CSV of raw
records, where to write the results, and where the student's ``build_raw_model`` is:

1. the ``.keras`` file and the SavedModel folder are loaded with the rubric's own calls,
   ``keras.models.load_model(path, safe_mode=True)`` and ``keras.layers.TFSMLayer(path,
   call_endpoint="serve")``, before any of the student's code is imported: an artifact must not
   need the code that made it;
2. the ``.weights.h5`` file needs that code: the student's ``build_raw_model`` is called here
   (under the rubric's rules, with the training records the rubric loads itself) and the weights
   are loaded into what it builds with ``model.load_weights``.

The predictions go to ``out.npz``, errors and the reloaded model's inputs to ``out.json``.
Python's hash seed is the process's own (the parent starts it with ``PYTHONHASHSEED=random``).
"""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]  # started by its path: imports start at the repository, not at the graders' folder
sys.path[:] = [str(REPO)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

import coursekit  # noqa: E402  (first: quiet TensorFlow)
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import tensorflow  # noqa: E402, F401

from coursekit import catalog  # noqa: E402
from coursekit.grading import Student, StudentFailure, load_module  # noqa: E402

sys.path.insert(0, str(catalog.lesson_dir("5.5")))
import _lesson55  # noqa: E402

import data  # noqa: E402


def _short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:400]}"


def _builder(spec: dict | None):
    """The student's build_raw_model as a Student (the exercise file, loaded under the rubric's rules),
    or a top-level function of the rubric's own tests (a deliberately wrong answer, trusted)."""
    if spec is None:
        raise RuntimeError("a build_raw_model replaced by a function that is not a top-level function of the "
                           "rubric's tests cannot be imported in a new process")
    if spec["trusted"]:
        module = load_module(Path(spec["file"]))
        fn = getattr(module, spec["name"])
        return Student("5.5.5", types.SimpleNamespace(build_raw_model=fn), None, trusted=("build_raw_model",))
    student = Student.load("5.5.5", Path(spec["file"]))
    if student.uses_solution or student.tampered:
        raise RuntimeError(student.uses_solution or student.tampered)
    return student


def main() -> int:
    line = sys.stdin.readline()
    if not line.strip():
        return 0  # the grading ended before it needed this process
    request = json.loads(line)
    records = pd.read_csv(request["records"])
    out, predictions = {"inputs": None}, {}

    try:
        model = keras.models.load_model(request["keras"], safe_mode=True)
        out["inputs"] = {t.name: str(t.dtype) for t in model.inputs}
        predictions["keras"] = _lesson55.predict_records(model, records)
    except Exception as exc:  # noqa: BLE001 -- reported to the rubric, which turns it into a failed check
        out["keras"] = _short(exc)
    try:
        layer = keras.layers.TFSMLayer(request["savedmodel"], call_endpoint="serve")
        predictions["savedmodel"] = _lesson55.predict_records(layer, records)
    except Exception as exc:  # noqa: BLE001
        out["savedmodel"] = _short(exc)
    try:
        student = _builder(request["student"])
        coursekit.set_seed(request["seed"])
        train = data.split_churn().train[data.churn.FEATURES]  # the raw training records, as in the grading
        rebuilt = student.call("build_raw_model", train.copy())
    except StudentFailure as exc:
        out["weights"] = f"build_raw_model in the new process: {exc.measured}"
    except Exception as exc:  # noqa: BLE001
        out["weights"] = f"build_raw_model in the new process: {_short(exc)}"
    else:
        try:
            rebuilt.load_weights(request["weights"])
            predictions["weights"] = _lesson55.predict_records(rebuilt, records)
        except Exception as exc:  # noqa: BLE001
            out["weights"] = _short(exc)

    np.savez(request["out"] + ".npz", **predictions)
    Path(request["out"] + ".json").write_text(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
