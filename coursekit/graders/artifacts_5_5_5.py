"""Helpers of the grader of exercise 5.5.5 (persistence): the records, the fresh process and the artifacts.

- the churn records the grader hands out (the training records' raw columns, without labels) and
  scores on, also in other units;
- the grading's temporary folder and the rubric's own new Python process
  (``fresh_process_5_5_5.py``, started early so that its TensorFlow import overlaps the training),
  which reloads the artifacts with the rubric's calls;
- the student's model, built right after the grading's seed;
- what a ``.keras`` file and a ``.weights.h5`` file must be;
- sound artifacts of the rubric's own model (kept in memory, made once per process) and the 14
  missing, truncated and wrong files ``load_artifact`` is tried on, and that attempt itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import weakref
import zipfile
from pathlib import Path

import keras
import numpy as np
import pandas as pd

import coursekit
import data
from coursekit import catalog
from coursekit.grading import Missing, rubric_cache, Student, StudentFailure
from data import churn as schema
from data import guard

LESSON = catalog.lesson_dir("5.5")
if str(LESSON) not in sys.path:
    sys.path.insert(0, str(LESSON))
import _lesson55  # noqa: E402  (the lesson's shared code: raw records as model inputs)

FRESH_PROCESS = Path(__file__).with_name("fresh_process_5_5_5.py")
NESTED = "RUBRIC_5_5_5_FRESH_PROCESS"  # set in the fresh process's environment

KINDS = ("keras", "savedmodel", "weights")
KIND_NAMES = {"keras": ".keras", "savedmodel": "SavedModel", "weights": ".weights.h5"}
# The numeric columns in other units (tenure in weeks, charges in cents): a scaling learnt from the
# records follows them; a constant typed into the code does not.
OTHER_UNITS = {"tenure": 4.0, "monthly_charges": 100.0, "total_charges": 100.0}


@rubric_cache
def split() -> data.Split:
    return data.split_churn()


def records_of(kind: str) -> pd.DataFrame:
    """A copy of the raw records of one split (features and target)."""
    return getattr(split(), kind).copy()


def train_features() -> pd.DataFrame:
    """What build_raw_model receives: a copy of the training records' 19 raw columns (no labels)."""
    return records_of("train")[schema.FEATURES]


def labels(kind: str) -> np.ndarray:
    return getattr(split(), kind)[schema.TARGET].to_numpy(np.float32)


def in_other_units(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col, factor in OTHER_UNITS.items():
        out[col] = out[col].astype(np.float64) * factor
    return out


def via_csv(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Raw records as a client sends them: written to a CSV file and read back (numbers and strings)."""
    frame[schema.FEATURES].to_csv(path, index=False)
    return pd.read_csv(path)


def short(text, limit: int = 220) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------- the grading's folder and fresh process


class FreshProcess:
    """The rubric's own new Python process (``fresh_process_5_5_5.py``). It is started early, so that
    its TensorFlow import overlaps the grading's training, and then waits for one request."""

    def __init__(self, folder: Path):
        if os.environ.get(NESTED):  # code imported in the fresh process started a grading: no process chains
            raise RuntimeError("a grading inside the rubric's fresh process cannot start another one")
        env = dict(os.environ, PYTHONHASHSEED="random")  # a new process has its own hash seed
        env[NESTED] = "1"
        self.folder = folder
        self.log = open(folder / "fresh_process.log", "w")
        self.proc = subprocess.Popen([sys.executable, str(FRESH_PROCESS)], stdin=subprocess.PIPE,
                                     stdout=subprocess.DEVNULL, stderr=self.log, env=env, text=True)
        self.sent = False

    def send(self, request: dict) -> None:
        self.sent = True
        try:
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.close()
        except OSError:  # it died at start-up: result() reports its exit status and its last words
            pass

    def result(self, out: Path, timeout: float = 120) -> tuple[dict, dict]:
        """(predictions per kind, report: errors per kind and the reloaded model's inputs)."""
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise RuntimeError(f"the fresh process did not finish in {timeout:.0f} s") from None
        report = Path(f"{out}.json")
        if code != 0 or not report.exists():
            self.log.flush()
            tail = (self.folder / "fresh_process.log").read_text(errors="replace").strip().splitlines()[-3:]
            raise RuntimeError(f"the fresh process failed (exit {code}): {' | '.join(tail)}")
        with np.load(f"{out}.npz") as saved:
            predictions = {k: saved[k] for k in saved.files}
        return predictions, json.loads(report.read_text())

    def stop(self) -> None:
        if self.proc.poll() is None:
            if not self.sent and self.proc.stdin and not self.proc.stdin.closed:
                try:
                    self.proc.stdin.close()  # no request: it exits by itself; killing is faster
                except OSError:
                    pass
            self.proc.kill()
        self.proc.wait()
        self.log.close()


def _cleanup(folder: Path, holder: dict) -> None:
    fresh = holder.get("fresh")
    if fresh is not None:
        fresh.stop()
    shutil.rmtree(folder, ignore_errors=True)


def grading_folder(ctx) -> Path:
    """This grading's temporary folder; it (and the fresh process) go when the grading's context does."""
    if "folder" not in ctx:
        folder = Path(tempfile.mkdtemp(prefix="rubric_5_5_5_"))
        ctx["folder"], ctx["holder"] = folder, {}
        weakref.finalize(ctx, _cleanup, folder, ctx["holder"])
    return ctx["folder"]


def fresh_process(ctx) -> FreshProcess:
    folder = grading_folder(ctx)
    if "fresh" not in ctx["holder"]:
        ctx["holder"]["fresh"] = FreshProcess(folder)
    return ctx["holder"]["fresh"]


# --------------------------------------------------------------------------- the student's model


def build_model(student: Student, ctx, frame: pd.DataFrame):
    """``build_raw_model(frame)`` right after the grading's seed, so two builds start from the same weights."""
    coursekit.set_seed(ctx.seed)
    return student.call("build_raw_model", frame)


def student_model(student: Student, ctx):
    """The student's model: the one the first part built (and the second trained), or, when a part is
    graded alone, one built now (untrained: every comparison below holds for any weights)."""
    if ctx.get("no model"):
        raise Missing("model")  # the first part found no model of raw records: nothing below can use it
    if "model" not in ctx:
        model = build_model(student, ctx, train_features())
        if not isinstance(model, keras.Model):
            raise StudentFailure("build_raw_model", f"returned {type(model).__name__}", "return a keras.Model")
        ctx["model"], ctx["initial_weights"] = model, [np.array(w) for w in model.get_weights()]
    return ctx["model"]


# --------------------------------------------------------------------------- what an artifact must be


def keras_problem(path: Path) -> str | None:
    if not path.exists():
        return f"{path.name}: does not exist"
    if not path.name.endswith(".keras"):
        return f"{path.name}: not named *.keras"
    if not zipfile.is_zipfile(path):
        return f"{path.name}: not a zip archive"
    with zipfile.ZipFile(path) as archive:
        return None if "config.json" in archive.namelist() else f"{path.name}: no config.json in the archive"


def weights_problem(path: Path) -> str | None:
    import h5py

    if not path.exists():
        return f"{path.name}: does not exist"
    if not path.name.endswith(".weights.h5"):
        return f"{path.name}: not named *.weights.h5"
    return None if path.is_file() and h5py.is_hdf5(path) else f"{path.name}: not an HDF5 file"


# --------------------------------------------------------------------------- load_artifact on the rubric's files


def rubric_model() -> keras.Model:
    """The rubric's own raw-record model (the lesson's), untrained: the loader is tried on its artifacts
    when the student's own are not sound."""
    coursekit.set_seed(5505)
    return _lesson55.build_raw_churn_model(records_of("train"))


SOUND = {"keras": "customer_churn.keras", "savedmodel": "customer_churn_export", "weights": "customer_churn.weights.h5"}


@rubric_cache
def rubric_artifacts() -> tuple[dict, np.ndarray]:
    """Sound artifacts of the rubric's model, made once per process and kept in memory ({relative
    path: bytes}: nothing is left on disk however the process ends), and the model's probabilities on
    the validation records."""
    folder = Path(tempfile.mkdtemp(prefix="rubric_5_5_5_sound_"))
    try:
        model = rubric_model()
        model.save(folder / SOUND["keras"])
        model.export(str(folder / SOUND["savedmodel"]), verbose=False)
        model.save_weights(folder / SOUND["weights"])
        files = {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return files, _lesson55.predict_records(model, records_of("val"))


@rubric_cache
def other_net_weights() -> bytes:
    """The weights of a network of another architecture, as a .weights.h5 file's bytes."""
    folder = Path(tempfile.mkdtemp(prefix="rubric_5_5_5_other_"))
    other = keras.Sequential([keras.Input(shape=(12,)), keras.layers.Dense(5), keras.layers.Dense(1)])
    other.save_weights(folder / "other.weights.h5")
    blob = (folder / "other.weights.h5").read_bytes()
    shutil.rmtree(folder, ignore_errors=True)
    return blob


def sound_set(student: Student, ctx, folder: Path):
    """Sound artifacts under the rubric's names in ``folder``, the probabilities they must give on the
    validation records, and a maker of the model a weights file belongs to. The student's own artifacts
    when they were saved and reload safely (they are checked again in the fresh process); otherwise the
    rubric's, so that a broken build or save does not hide what the loader does."""
    if "paths" in ctx and ctx.get("safe reload"):
        folder.mkdir(parents=True)
        for kind, path in ctx["paths"].items():
            (shutil.copytree if path.is_dir() else shutil.copy)(path, folder / SOUND[kind])
        model = ctx["model"]
        return _lesson55.predict_records(model, records_of("val")), lambda: build_model(student, ctx, train_features())
    files, expected = rubric_artifacts()
    for name, blob in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(blob)
    return expected, rubric_model


@rubric_cache
def code_bytes() -> bytes:
    """A .keras file whose model holds a Lambda layer: Python bytecode that runs if the file is loaded with
    ``safe_mode=False`` (``safe_mode=True``, load_model's default, refuses it)."""
    folder = Path(tempfile.mkdtemp(prefix="rubric_5_5_5_code_"))
    try:
        model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Lambda(lambda t: t * 2.0), keras.layers.Dense(1)])
        model.save(folder / "code.keras")
        return (folder / "code.keras").read_bytes()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def left_outside(base: Path, folder: Path):
    """Run the block with the working folder and the temporary folder (``TMPDIR``, ``tempfile``) in ``base``;
    the list it yields is filled afterwards with what was left outside ``folder``: in either of them, or
    beside ``folder`` in ``base``."""
    work, tmp = base / "working_folder", base / "temporary_folder"
    work.mkdir(exist_ok=True)
    tmp.mkdir(exist_ok=True)
    before, found = {p.name for p in base.iterdir()}, []
    cwd, tempdir, env = os.getcwd(), tempfile.tempdir, os.environ.get("TMPDIR")
    os.chdir(work)
    tempfile.tempdir = os.environ["TMPDIR"] = str(tmp)
    try:
        yield found
    finally:
        os.chdir(cwd)
        tempfile.tempdir = tempdir
        if env is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = env
        found += [f"{p.name} in the working folder" for p in sorted(work.iterdir())]
        found += [f"{p.name} in the temporary folder" for p in sorted(tmp.iterdir())
                  if not p.name.startswith("__autograph_generated_file")]  # TensorFlow's own, for model.export
        found += [f"{name} beside {folder.name}" for name in sorted({p.name for p in base.iterdir()} - before - {folder.name})]
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


def _cut(path: Path, share: float) -> bytes:
    blob = path.read_bytes()
    return blob[: int(len(blob) * share)]


def damaged(folder: Path, seed: int) -> list[tuple[str, str, Path, bool]]:
    """The rubric's bad files, made in ``folder`` from the sound artifacts there: (group, what it is,
    path, whether a model is passed)."""
    rng = np.random.default_rng(5550 + seed)
    keras_file, export, weights = (folder / SOUND[kind] for kind in KINDS)
    (folder / "churn_v2.keras").write_bytes(_cut(keras_file, rng.uniform(0.2, 0.9)))
    (folder / "notes.keras").write_text("model: churn\nthreshold: 0.5\n")
    with zipfile.ZipFile(folder / "archive.keras", "w") as archive:
        archive.writestr("report.csv", "customer_id,churn_probability\n7590-VHVEG,0.62\n")
    with zipfile.ZipFile(keras_file) as src, zipfile.ZipFile(folder / "half_weights.keras", "w") as dst:
        for name in src.namelist():
            blob = src.read(name)
            dst.writestr(name, blob[: len(blob) // 3] if name.endswith(".h5") else blob)
    (folder / "churn_v2.weights.h5").write_bytes(_cut(weights, rng.uniform(0.1, 0.9)))
    (folder / "other_net.weights.h5").write_bytes(other_net_weights())
    shutil.copy(weights, folder / "loose.weights.h5")
    for name in ("export_no_graph", "export_cut_graph", "export_no_variables"):
        shutil.copytree(export, folder / name)
    (folder / "export_no_graph" / "saved_model.pb").unlink()
    (folder / "export_cut_graph" / "saved_model.pb").write_bytes(_cut(export / "saved_model.pb", 0.5))
    shutil.rmtree(folder / "export_no_variables" / "variables")
    (folder / "churn_model.pkl").write_bytes(b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01a\x94K\x01s.")
    return [
        (".keras", "a truncated .keras file", folder / "churn_v2.keras", False),
        (".keras", "a text file named .keras", folder / "notes.keras", False),
        (".keras", "a zip archive that is not a Keras model", folder / "archive.keras", False),
        (".keras", "a .keras file whose weights are cut short", folder / "half_weights.keras", False),
        (".weights.h5", "a truncated .weights.h5 file", folder / "churn_v2.weights.h5", True),
        (".weights.h5", "the weights of another architecture", folder / "other_net.weights.h5", True),
        (".weights.h5", "a .weights.h5 file without a model to load it into", folder / "loose.weights.h5", False),
        ("SavedModel", "a folder without saved_model.pb", folder / "export_no_graph", False),
        ("SavedModel", "a SavedModel whose saved_model.pb is cut short", folder / "export_cut_graph", False),
        ("SavedModel", "a SavedModel without its variables", folder / "export_no_variables", False),
        ("missing or unknown", "a missing .keras file", folder / "gone.keras", False),
        ("missing or unknown", "a missing .weights.h5 file", folder / "gone.weights.h5", True),
        ("missing or unknown", "a missing SavedModel folder", folder / "gone_export", False),
        ("missing or unknown", "a pickle file (an unknown kind)", folder / "churn_model.pkl", False),
    ]


def attempt_load(student: Student, *args):
    """("returned", value) or ("raised", the exception) of load_artifact(*args), under the rubric's rules."""
    fn = student.module.load_artifact

    def attempt():
        try:
            return "returned", fn(*args)
        except (NotImplementedError, guard.TestSplitAccess, guard.UsesSolution):
            raise
        except Exception as exc:  # noqa: BLE001 -- what the student's loader raises is what is graded
            return "raised", exc

    return student.invoke("load_artifact", attempt)
