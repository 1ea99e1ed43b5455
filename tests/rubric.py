"""The rubric's machinery: where exercises live, loading them, and verdicts with one-line messages.

A lesson's test module defines one ``grade_5_N_K(result) -> Verdict`` function per exercise, with
the targets inside it (targets live in tests/, never in the exercise file), and parametrizes
``test_exercise`` over them with :func:`exercise_params`. The same grading function is applied to
deliberately wrong answers to show the rubric rejects them.
"""

from __future__ import annotations

import importlib.util
import inspect
import itertools
import math
import numbers
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

LESSONS = {
    "5.1": "_05_1_MLPs_for_Complex_Classification_and_Regression",
    "5.2": "_05_2_Train_Network_Optimizers",
    "5.3": "_05_3_Prevent_Overfitting_Regularization",
    "5.4": "_05_4_Advanced_Model_Evaluation",
    "5.5": "_05_5_Hyperparameter_Tuning_Persistence",
}

EXERCISE_ID = re.compile(r"^5\.([1-5])\.(\d+)$")


def parse_id(ex_id: str) -> tuple[str, int]:
    match = EXERCISE_ID.match(ex_id)
    if not match:
        raise ValueError(f"not an exercise id: {ex_id!r} (expected like 5.1.2)")
    return f"5.{match.group(1)}", int(match.group(2))


def exercise_file(ex_id: str, kind: str, root: Path = REPO) -> Path:
    """Path of exercise ``5.N.K``'s ``exercise`` or ``solution`` file under ``root``."""
    lesson, k = parse_id(ex_id)
    return Path(root) / LESSONS[lesson] / f"_{lesson.replace('.', '_')}_{k}_{kind}.py"


def exercise_ids(root: Path = REPO) -> list[str]:
    """All exercises that have a solution file, in lesson order."""
    ids = []
    for lesson, folder in LESSONS.items():
        for path in (Path(root) / folder).glob("_5_*_solution.py"):
            ids.append(f"{lesson}.{path.name.split('_')[3]}")
    return sorted(ids, key=lambda i: tuple(int(p) for p in i.split(".")))


_counter = itertools.count()


def load_module(path: Path):
    """Import a file as a fresh module (a new copy each call; no sys.modules clash between lessons)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such exercise file: {path}")
    folder = str(path.resolve().parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)  # as when the file runs as a script: lesson-local helpers import
    name = f"course_{path.stem}_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look modules up by name
    spec.loader.exec_module(module)
    return module


def public_api(module) -> dict[str, inspect.Signature]:
    """Public functions and classes defined in the module itself, with their signatures."""
    api = {}
    for name, obj in vars(module).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(obj) or inspect.isclass(obj):
            try:
                api[name] = inspect.signature(obj)
            except (TypeError, ValueError):
                api[name] = None
    return api


def _fmt(value) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
            return f"{value:.3g}"
        return f"{value:.4f}".rstrip("0").rstrip(".") if not value.is_integer() else str(int(value))
    return str(value)


@dataclass
class Check:
    name: str
    ok: bool
    measured: str
    expected: str
    hint: str

    def line(self, ex_id: str) -> str:
        mark = "ok  " if self.ok else "FAIL"
        text = f"{mark} {ex_id} {self.name}: measured {self.measured}, expected {self.expected}"
        return text if self.ok else f"{text}. Hint: {self.hint}"


@dataclass
class Verdict:
    """The checks of one exercise. Each check is one line: what was measured, what was expected, a hint."""

    ex_id: str
    checks: list[Check] = field(default_factory=list)
    metrics: dict = field(default_factory=dict)

    # -- recording -------------------------------------------------------------------------
    def check(self, name: str, ok: bool, measured, expected: str, hint: str) -> bool:
        ok = bool(ok)
        self.checks.append(Check(name, ok, _fmt(measured), expected, hint))
        return ok

    def _number(self, name, value, hint) -> float | None:
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
            self.checks.append(Check(name, False, repr(value), "a finite number", hint))
            return None
        self.metrics[name] = float(value)
        return float(value)

    def at_least(self, name: str, value, target: float, hint: str) -> bool:
        v = self._number(name, value, hint)
        return v is not None and self.check(name, v >= target, v, f">= {_fmt(target)}", hint)

    def at_most(self, name: str, value, target: float, hint: str) -> bool:
        v = self._number(name, value, hint)
        return v is not None and self.check(name, v <= target, v, f"<= {_fmt(target)}", hint)

    def between(self, name: str, value, low: float, high: float, hint: str) -> bool:
        v = self._number(name, value, hint)
        return v is not None and self.check(name, low <= v <= high, v, f"in [{_fmt(low)}, {_fmt(high)}]", hint)

    def equal(self, name: str, value, expected, hint: str) -> bool:
        return self.check(name, value == expected, value, f"== {_fmt(expected)}", hint)

    def close(self, name: str, value, expected: float, tol: float, hint: str) -> bool:
        v = self._number(name, value, hint)
        ok = v is not None and abs(v - float(expected)) <= tol
        return v is not None and self.check(name, ok, v, f"{_fmt(expected)} +- {_fmt(tol)}", hint)

    def has_keys(self, result, keys: list[str]) -> bool:
        if not isinstance(result, dict):
            return self.check("run() returns a dict", False, type(result).__name__, "dict", "return a dict of metrics")
        missing = [k for k in keys if k not in result]
        return self.check(
            "run() result keys", not missing, f"missing {missing}" if missing else "all present",
            f"keys {keys}", "return every key the docstring lists"
        )

    # -- reading ---------------------------------------------------------------------------
    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    @property
    def passed(self) -> bool:
        return bool(self.checks) and not self.failures

    def failed_names(self) -> list[str]:
        return [c.name for c in self.failures]

    def report(self) -> str:
        return "\n".join(c.line(self.ex_id) for c in self.checks)

    def assert_passed(self) -> None:
        if not self.checks:
            pytest.fail(f"{self.ex_id}: the rubric made no checks", pytrace=False)
        if self.failures:
            pytest.fail(self.report(), pytrace=False)


def exercise_params(graders: dict) -> list:
    """Parameters for ``test_exercise``: one per exercise id, marked with ``exercise(id)``."""
    return [pytest.param(ex_id, marks=pytest.mark.exercise(ex_id), id=ex_id) for ex_id in graders]


def model_layers(model) -> list:
    """Layers of a Keras model that hold computation (no InputLayer)."""
    import keras

    return [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]


def activation_name(layer) -> str | None:
    act = getattr(layer, "activation", None)
    if act is None:
        return None
    return getattr(act, "__name__", type(act).__name__).lower()
