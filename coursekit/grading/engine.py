"""The grading engine: loading a student's exercise file, calling its functions under the rules,
and verdicts made of checks with points and hints.

The rubric owns the harness (``docs/lesson-contract.md``): each exercise's grader module
(``coursekit/graders/ex_5_N_K.py``) declares an :class:`Exercise`: the names of the functions the
student writes, and *parts* that call them through a :class:`Student`, train and score with the
rubric's own code, and record checks. No number the student reports is graded; the student's functions receive training and
validation data only (``data.TrainVal``), and while they run every way into the raw tables is
closed (``data.guard``). Every door (``python _5_N_K_exercise.py``, ``course check``,
``course grade``, pytest) reaches a verdict through :func:`coursekit.grading.grade_file`.

Verdicts: ``correct``, ``incorrect``, ``not attempted`` (the stub is untouched), ``uses the solution``.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import inspect
import itertools
import math
import numbers
import re
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from coursekit import catalog

CORRECT, INCORRECT, NOT_ATTEMPTED, USES_SOLUTION = "correct", "incorrect", "not attempted", "uses the solution"

_counter = itertools.count()
GRADERS = Path(__file__).resolve().parents[1] / "graders"


def load_module(path: Path, helpers: Path | None = None):
    """Import a file as a fresh module (a new copy each call; no sys.modules clash between lessons).

    ``helpers``: the folder its lesson-local imports (``_lesson_5_5.py``, ...) come from, by default
    the file's own. A submission is graded with the course's lesson folder here, so no file shipped
    beside a student's exercise file is ever importable."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such exercise file: {path}")
    folder = str(Path(helpers or path.resolve().parent).resolve())
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
        if not math.isfinite(value):
            return str(value)
        if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
            return f"{value:.3g}"
        return f"{value:.4f}".rstrip("0").rstrip(".") if not value.is_integer() else str(int(value))
    return str(value)


# --------------------------------------------------------------------------- checks and verdicts


@dataclass
class Check:
    name: str
    ok: bool
    measured: str
    expected: str
    hint: str
    part: str = ""

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
    outcome: str | None = None  # set for "not attempted" and "uses the solution"
    message: str = ""
    part_points: dict = field(default_factory=dict)  # part name -> points it is worth
    _part: str = ""

    # -- recording -------------------------------------------------------------------------
    def check(self, name: str, ok: bool, measured, expected: str, hint: str) -> bool:
        ok = bool(ok)
        self.checks.append(Check(name, ok, _fmt(measured), expected, hint, self._part))
        return ok

    def _number(self, name, value, hint) -> float | None:
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
            self.checks.append(Check(name, False, repr(value), "a finite number", hint, self._part))
            return None
        self.metrics[name] = float(value)
        return float(value)

    def metric(self, name: str, value) -> None:
        """Record a measured number that no check grades (shown in reports, e.g. a baseline)."""
        if isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(float(value)):
            self.metrics[name] = float(value)

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

    # -- reading ---------------------------------------------------------------------------
    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    @property
    def status(self) -> str:
        if self.outcome:
            return self.outcome
        return CORRECT if self.checks and not self.failures else INCORRECT

    @property
    def passed(self) -> bool:
        return self.status == CORRECT

    def failed_names(self) -> list[str]:
        return [c.name for c in self.failures]

    def points(self) -> tuple[float, float]:
        """(scored, possible). A part's points are shared by its checks; a verdict without parts scores one
        point per check. Not attempted or using the solution scores 0."""
        if self.part_points:
            possible = float(sum(self.part_points.values()))
            if self.outcome:
                return 0.0, possible
            scored = 0.0
            for part, pts in self.part_points.items():
                mine = [c for c in self.checks if c.part == part]
                if mine:
                    scored += pts * sum(c.ok for c in mine) / len(mine)
            return round(scored, 2), possible
        possible = float(len(self.checks))
        return (0.0 if self.outcome else float(sum(c.ok for c in self.checks))), possible

    def report(self) -> str:
        lines = [c.line(self.ex_id) for c in self.checks]
        if self.outcome:
            lines.append(f"{self.ex_id}: {self.outcome}" + (f" -- {self.message}" if self.message else ""))
        return "\n".join(lines)

    def assert_passed(self) -> None:
        """For the test suite: an AssertionError with the report unless every check passed."""
        assert not self.outcome, f"{self.ex_id} {self.outcome}: {self.message}"
        assert self.checks, f"{self.ex_id}: the rubric made no checks"
        assert not self.failures, self.report()

    def as_dict(self) -> dict:
        scored, possible = self.points()
        return {
            "id": self.ex_id,
            "status": self.status,
            "points": scored,
            "max_points": possible,
            "message": self.message,
            "metrics": {k: float(f"{v:.6g}") for k, v in self.metrics.items()},  # 5e-10 stays visible
            "checks": [vars(c) for c in self.checks],
        }


# --------------------------------------------------------------------------- the student's code, under the rules


class StudentFailure(Exception):
    """Student code did not do its job; the rubric turns it into one failed check."""

    def __init__(self, function: str, measured: str, hint: str):
        super().__init__(f"{function}: {measured}")
        self.function, self.measured, self.hint = function, measured, hint


class Todo(StudentFailure):
    """The function still raises NotImplementedError."""


class RuleBroken(StudentFailure):
    """The function reached for data it may not see (the test split)."""


class SolutionUsed(StudentFailure):
    """The file imports or reads the reference solution or the rubric."""


FORBIDDEN_IMPORT = re.compile(r"(^|\.)(_5_\d_\d+_solution|rubric|conftest|test_lesson_\d_\d|tests|graders)(\.|$)")
FORBIDDEN_TEXT = re.compile(r"_5_\d_\d+_solution|test_lesson_\d|conftest|coursekit[./]graders")


def solution_references(source: str) -> list[str]:
    """Imports of, and strings naming, a solution module or the rubric in a file's code
    (docstrings and comments are not code)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if FORBIDDEN_IMPORT.search(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.module and FORBIDDEN_IMPORT.search(node.module):
            found.append(f"from {node.module} import ...")
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
              and FORBIDDEN_TEXT.search(node.value)):
            found.append(f"the string {node.value[:40]!r}")
    return found


class Tampered(StudentFailure):
    """Student code changed a library function the rubric measures with."""


TAMPER_RULE = ("the rubric measures with numpy, scikit-learn, Keras and the course's own code: an exercise may "
               "use them but not replace their functions")


# Modules (and the classes in them) whose functions the rubric measures with: student code that
# replaces one (``np.mean = ...``, ``keras.Model.predict = ...``, a swapped ``__code__``) would change
# the grade without changing the work.
WATCHED_MODULES = ("builtins", "math", "numpy", "numpy.linalg", "sklearn.metrics", "sklearn.metrics._ranking",
                   "sklearn.metrics._regression", "sklearn.metrics._classification", "sklearn.linear_model",
                   "keras", "keras.layers", "keras.losses", "keras.src.models.model", "keras.src.models.sequential",
                   "keras.src.trainers.trainer", "keras.src.backend.tensorflow.trainer", "keras.src.layers.core.dense",
                   "coursekit", "coursekit.training", "coursekit.seeding", "data", "data.prepare", "data.guard",
                   "coursekit.grading.engine", "coursekit.grading.checks")


def _watchable(name: str, obj) -> bool:
    """Functions, classes and methods; not data (flags and caches change legitimately)."""
    if name.startswith("__") or isinstance(obj, type(sys)):
        return False
    return callable(obj) or isinstance(obj, (staticmethod, classmethod, property))


class _Integrity:
    """A snapshot of the watched modules and classes; ``changed()`` names what differs and puts it back."""

    def __init__(self):
        self.entries = []  # (owner name, attribute, owner, object, its __code__ or None)
        self.classes = []  # (name, class, its own attribute names): a method added later shadows an inherited one
        for name in WATCHED_MODULES:
            module = sys.modules.get(name)
            if module is None:
                continue
            for attr, obj in list(vars(module).items()):
                if not _watchable(attr, obj):
                    continue
                self.entries.append((name, attr, module, obj, getattr(obj, "__code__", None)))
                if inspect.isclass(obj) and getattr(obj, "__module__", "").startswith(name.split(".")[0]):
                    self.classes.append((f"{name}.{attr}", obj, set(vars(obj))))
                    for key, member in list(vars(obj).items()):
                        if _watchable(key, member):
                            self.entries.append((f"{name}.{attr}", key, obj, member, getattr(member, "__code__", None)))

    def changed(self) -> list[str]:
        found = []
        for owner_name, attr, owner, obj, code in self.entries:
            now = owner.__dict__.get(attr, _MISSING)
            swapped = code is not None and getattr(obj, "__code__", None) is not code
            if now is obj and not swapped:
                continue
            found.append(f"{owner_name}.{attr}")
            try:  # put it back, so nothing graded after this student is affected
                if swapped:
                    obj.__code__ = code
                if now is not obj:
                    setattr(owner, attr, obj)
            except (AttributeError, TypeError):
                pass
        for name, cls, keys in self.classes:
            for key in set(vars(cls)) - keys:
                if _watchable(key, vars(cls)[key]):
                    found.append(f"{name}.{key}")
                    try:
                        delattr(cls, key)
                    except (AttributeError, TypeError):
                        pass
        return found


_MISSING = object()
_BASELINE: list[_Integrity] = []


def rebaseline() -> None:
    """Take the libraries as they are now as the baseline of the next grading in this process. For a
    notebook kernel, which changes ``builtins.input`` for every cell it runs; a grader's process keeps
    the baseline of its start."""
    _BASELINE.clear()


def _integrity() -> _Integrity:
    if not _BASELINE:
        _BASELINE.append(_Integrity())
    return _BASELINE[0]


class Student:
    """One exercise file's functions, called by the rubric under the rules.

    ``call(name, *args)`` runs the student's function with the data package's loaders closed and
    the solution out of reach, and turns what can go wrong into a :class:`StudentFailure`.
    """

    def __init__(self, ex_id: str, module, path: Path | None = None, *, untouched: bool = False,
                 uses_solution: str = "", tampered: str = "", trusted: tuple[str, ...] = ()):
        self.ex_id, self.module, self.path = ex_id, module, path
        self.untouched, self.uses_solution, self.trusted = untouched, uses_solution, set(trusted)
        self.tampered = tampered

    @classmethod
    def load(cls, ex_id: str, path: Path, *, graded: bool = False) -> "Student":
        """Load a student's (or the reference) file. Never raises for what the file does: a file that
        cannot be imported becomes a Student whose every call fails with the import error. ``graded``:
        a file whose TODOs (``catalog.TODOS``) are all still TODOs is "not attempted"."""
        from data import guard

        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"no such exercise file: {path}")
        untouched = graded and catalog.untouched(path, ex_id)
        baseline = _integrity()  # the libraries as they are before any student code runs
        refs = solution_references(path.read_text(errors="replace"))
        if refs:
            return cls(ex_id, None, path, uses_solution=f"{path.name} refers to {refs[0]}")
        if untouched:
            return cls(ex_id, None, path, untouched=True)
        threads = set(threading.enumerate())
        try:
            with guard.student_code(path) as log:
                module = load_module(path, catalog.lesson_folder(ex_id))
        except Exception as exc:  # noqa: BLE001 -- a student's file may fail in any way
            if any(kind == "UsesSolution" for kind, _ in guard.violations()):
                return cls(ex_id, None, path, uses_solution=f"{path.name} {guard.violations()[0][1]}")
            return cls(ex_id, _Broken(exc), path)
        used = [what for kind, what in log if kind == "UsesSolution"]
        if used:
            return cls(ex_id, None, path, uses_solution=f"importing {path.name} {used[0]}")
        changed = baseline.changed()
        if changed:
            return cls(ex_id, None, path, tampered=f"importing {path.name} replaced {', '.join(changed[:3])}")
        student = cls(ex_id, module, path)
        left = [t for t in threading.enumerate() if t not in threads and t.is_alive() and student._started(t)]
        if left:  # a timer or a thread that could change things while the rubric measures
            _cancel(left)
            return cls(ex_id, None, path, tampered=f"importing {path.name} left a thread running ({left[0].name}), "
                                                   "where a graded file only defines its functions")
        return student

    def replaced(self, **functions) -> "Student":
        """A copy with some functions replaced (the rubric's deliberately wrong answers)."""
        import types

        module = types.SimpleNamespace(**{k: v for k, v in vars(self.module).items()})
        for name, fn in functions.items():
            if not hasattr(self.module, name):
                raise AttributeError(f"{self.ex_id} has no {name} to replace")
            setattr(module, name, fn)
        return Student(self.ex_id, module, self.path, trusted=tuple(self.trusted | set(functions)))

    def call(self, name: str, *args, **kwargs):
        if isinstance(self.module, _Broken):
            exc = self.module.exc
            raise StudentFailure(name, f"the file does not import: {type(exc).__name__}: {exc}",
                                 "run the exercise file with python to see the error")
        fn = getattr(self.module, name, None)
        if not callable(fn):
            raise StudentFailure(name, "missing", f"keep the function {name}() the exercise file defines")
        if self.path is not None and name not in self.trusted:
            code = getattr(fn, "__code__", None) or getattr(getattr(fn, "__init__", None), "__code__", None)
            where = getattr(code, "co_filename", None)
            if where is not None and Path(where).resolve() != self.path.resolve() and _is_reference(Path(where)):
                raise SolutionUsed(name, f"defined in {Path(where).name}, not in {self.path.name}",
                                   "write the function in the exercise file itself")
        return self.invoke(name, fn, *args, **kwargs)

    def attempt(self, name: str, *args, **kwargs):
        """``(True, result)``, or ``(False, "raised ...")`` for an ordinary exception of the student's
        function, for checks of what it does on bad input (a TODO, a broken rule or tampering still
        ends the part, as :meth:`call` does)."""
        try:
            return True, self.call(name, *args, **kwargs)
        except (Todo, RuleBroken, SolutionUsed, Tampered):
            raise
        except StudentFailure as exc:
            return False, exc.measured

    def _started(self, thread) -> bool:
        """Whether a thread runs the graded file's code (its target, or a run method defined there)."""
        if self.path is None:
            return False
        if isinstance(thread, threading.Timer):  # libraries do not start timers in the code a student calls
            return True
        own = {str(self.path), str(Path(self.path).resolve())}
        for fn in (getattr(thread, "_target", None), getattr(type(thread), "run", None)):
            while isinstance(fn, functools.partial):
                fn = fn.func
            code = getattr(fn, "__code__", None)
            if fn is not None and code is None and fn is not getattr(type(thread), "run", None):
                return True  # a built-in run in a thread (setattr, exec): no library's doing
            if code is not None and code.co_filename in own:
                return True
        return False

    def invoke(self, name: str, fn, *args, **kwargs):
        """Run a callable the student's code returned (a function, a callback's method) under the same
        rules as ``call``; ``name`` is how failures refer to it."""
        from data import guard

        before = _snapshot_arguments(fn, args, kwargs)
        threads = set(threading.enumerate())
        with guard.student_code(self.path) as log:
            try:
                result = fn(*args, **kwargs)
            except NotImplementedError as exc:
                raise Todo(name, "still raises NotImplementedError", f"write {name}(): {exc}") from None
            except guard.TestSplitAccess as exc:
                raise RuleBroken(name, str(exc), guard.RULE) from None
            except guard.UsesSolution as exc:
                raise SolutionUsed(name, str(exc), guard.SOLUTION_RULE) from None
            except Exception as exc:  # noqa: BLE001
                for kind, what in log:  # it failed after a door refused it (in a thread, or caught and lost)
                    if kind == "UsesSolution":
                        raise SolutionUsed(name, what, guard.SOLUTION_RULE) from None
                    raise RuleBroken(name, f"it called {what}", guard.RULE) from None
                raise StudentFailure(name, f"raised {type(exc).__name__}: {_short(exc)}",
                                     f"{name}() must run without errors on the arguments the exercise describes") from None
        changed = _integrity().changed()
        if changed:
            raise Tampered(name, f"replaced {', '.join(changed[:3])}", TAMPER_RULE)
        left = [t for t in threading.enumerate() if t not in threads and t.is_alive() and self._started(t)]
        if left:
            _cancel(left)
            raise RuleBroken(name, f"it left a thread running ({left[0].name}), outside the rules of student code",
                             guard.RULE + ": a student function returns its answer and leaves nothing running")
        for kind, what in log:
            if kind == "UsesSolution":
                raise SolutionUsed(name, what, guard.SOLUTION_RULE)
            raise RuleBroken(name, f"it called {what}", guard.RULE)
        for argument, value in before:
            if not _same_value(_values(value[0]), value[1]):
                raise StudentFailure(name, f"changed its argument {argument} in place",
                                     f"{name}() must not change an argument in place: the caller uses it "
                                     "again (work on a copy: np.array(x, dtype=float), dict(state), list(widths))")
        sly = self._own_comparison(result)
        if sly:
            raise StudentFailure(name, f"returned a {sly} whose comparisons are defined in {self.path.name}",
                                 f"{name}() must return plain values (numbers, strings, arrays, lists and dicts of "
                                 "them): the rubric compares what it returns, so that comparison may not be the "
                                 "exercise's own")
        return result

    _COMPARING = ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__", "__float__", "__int__",
                  "__index__", "__array__", "__abs__", "__sub__", "__rsub__", "__hash__", "__contains__")

    def _own_comparison(self, value, depth: int = 0) -> str:
        """The name of a class in ``value`` (or in the lists, tuples and dicts it holds) whose comparisons
        or conversions to a number are methods written in the graded file (an object equal to everything)."""
        if self.path is None or depth > 2:
            return ""
        if isinstance(value, (list, tuple)):
            return next((n for n in (self._own_comparison(x, depth + 1) for x in value[:50]) if n), "")
        if isinstance(value, dict):
            return next((n for n in (self._own_comparison(x, depth + 1) for x in list(value.values())[:50]) if n), "")
        own = {str(self.path), str(Path(self.path).resolve())}
        for klass in type(value).__mro__[:-1]:
            for attr in self._COMPARING:
                fn = vars(klass).get(attr)
                code = getattr(fn, "__code__", None)
                if code is not None and code.co_filename in own:
                    return type(value).__name__
        return ""


def _cancel(threads) -> None:
    """Stop what can be stopped of the threads a graded file left running (a ``threading.Timer`` that
    has not fired); the sandbox's process ends with the rest."""
    for thread in threads:
        cancel = getattr(thread, "cancel", None)
        if isinstance(thread, threading.Timer) and callable(cancel):
            cancel()


def _values(obj, depth: int = 0):
    """What an argument holds, as plain data that a later call can compare: arrays, numbers, strings and
    the lists, tuples, dicts and dataclasses of them (a table as its values); None for anything else (a
    model, a callback, a trial: objects a function may change by design)."""
    import numpy as np

    if depth > 4:
        return None
    if isinstance(obj, np.ndarray):
        return obj.copy() if obj.dtype != object else None
    if isinstance(obj, (bool, int, float, complex, str, bytes, type(None), np.generic)):
        return obj
    if isinstance(obj, (list, tuple)):
        return (type(obj), [_values(x, depth + 1) for x in obj])
    if isinstance(obj, dict):
        return (dict, {k: _values(x, depth + 1) for k, x in obj.items()})
    if hasattr(obj, "__dataclass_fields__"):
        return (type(obj), {k: _values(getattr(obj, k, None), depth + 1) for k in obj.__dataclass_fields__})
    if type(obj).__module__.startswith("pandas") and hasattr(obj, "to_numpy"):
        return (type(obj), obj.copy(deep=True))
    return None


def _same_value(a, b) -> bool:
    import numpy as np

    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.shape == b.shape and a.dtype == b.dtype and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, tuple) and len(a) == 2 and isinstance(a[0], type):
        if a[0] is not b[0]:
            return False
        if hasattr(a[1], "equals"):
            return bool(a[1].equals(b[1]))
        if isinstance(a[1], dict):
            return a[1].keys() == b[1].keys() and all(_same_value(a[1][k], b[1][k]) for k in a[1])
        return len(a[1]) == len(b[1]) and all(_same_value(x, y) for x, y in zip(a[1], b[1]))
    if isinstance(a, float) and a != a:
        return b != b
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001
        return False


def _snapshot_arguments(fn, args, kwargs) -> list[tuple[str, tuple]]:
    """(name, (the argument, its values now)) for every argument whose values can be compared later."""
    try:
        names = list(inspect.signature(fn).bind(*args, **kwargs).arguments)
    except (TypeError, ValueError):
        names = [f"#{i + 1}" for i in range(len(args))] + list(kwargs)
    found = []
    for argument, value in zip(names, [*args, *kwargs.values()]):
        held = _values(value)
        if held is not None and not isinstance(held, (bool, int, float, complex, str, bytes, type(None))):
            found.append((argument, (value, held)))
    return found


def _is_reference(path: Path) -> bool:
    """A reference solution or a file of the rubric."""
    from data import guard

    parents = Path(path).resolve().parents
    return bool(guard._SOLUTION_FILE.match(path.name)) or catalog.TESTS in parents or GRADERS in parents


@dataclass
class _Broken:
    exc: BaseException


def _short(exc: BaseException, limit: int = 160) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------- an exercise


class Missing(Exception):
    """A part needs what an earlier part did not produce (it failed); the part is shown failed."""


class Context(dict):
    """What the parts of one grading share: the seed, the names of the parts that run, and what
    earlier parts produced."""

    def __init__(self, seed: int, parts: tuple[str, ...] = ()):
        super().__init__()
        self.seed, self.parts = seed, tuple(parts)

    def need(self, key: str):
        if key not in self:
            raise Missing(key)
        return self[key]


@dataclass
class Part:
    name: str
    points: float
    run: Callable[[Student, Context, Verdict], None]


class Exercise:
    """An exercise: the functions the student writes and the rubric's parts that grade them."""

    def __init__(self, ex_id: str, functions: tuple[str, ...], parts: list[Part] | None = None, *,
                 targets: dict[str, float] | None = None):
        self.ex_id, self.functions, self.parts = ex_id, tuple(functions), list(parts or [])
        self.targets = dict(targets or {})  # what the docstring must state, as the rubric checks it

    def target(self, name: str) -> float:
        return self.targets[name]

    def part(self, name: str, points: float):
        """Decorator: add a part to this exercise."""
        def add(fn):
            self.parts.append(Part(name, points, fn))
            return fn
        return add

    def load(self, path: Path) -> Student:
        return Student.load(self.ex_id, path, graded=True)

    def grade(self, student: Student, seed: int = 0, only: list[str] | None = None) -> Verdict:
        v = Verdict(self.ex_id, part_points={p.name: p.points for p in self.parts if not only or p.name in only})
        if student.uses_solution:
            v.outcome, v.message = USES_SOLUTION, student.uses_solution
            return v
        if student.untouched:
            v.outcome, v.message = NOT_ATTEMPTED, "every function of the exercise is still a TODO"
            return v
        if student.tampered:
            v.outcome, v.message = INCORRECT, f"{student.tampered}: {TAMPER_RULE}"
            return v
        ctx = Context(seed, tuple(p.name for p in self.parts if not only or p.name in only))
        unknown = set(only or []) - {p.name for p in self.parts}
        if unknown:
            raise ValueError(f"{self.ex_id} has no parts {sorted(unknown)}")
        for part in self.parts:
            if only and part.name not in only:
                continue
            v._part = part.name
            try:
                part.run(student, ctx, v)
            except SolutionUsed as exc:
                v.outcome, v.message = USES_SOLUTION, f"{exc.function}: {exc.measured}"
                return v
            except Tampered as exc:
                v.outcome, v.message = INCORRECT, f"{exc.function} {exc.measured}: {TAMPER_RULE}"
                return v
            except Todo as exc:
                v.check(f"{exc.function} is written", False, exc.measured, "your code", exc.hint)
            except RuleBroken as exc:
                v.check(f"{exc.function} uses only train and validation data", False, exc.measured,
                        "no access to the test split", exc.hint)
            except StudentFailure as exc:
                v.check(f"{exc.function} runs", False, exc.measured, "a result", exc.hint)
            except Missing as exc:  # an earlier part failed to produce what this one grades: shown, not dropped
                v.check(f"{part.name}: measured", False, f"no {exc} from an earlier part",
                        "what an earlier part builds", "this part grades what an earlier part produces: make that "
                        "part pass first (its failed check is above)")
            except Exception as exc:  # noqa: BLE001 -- what the student returned could not be measured
                v.check(f"{part.name}: measurable", False, f"{type(exc).__name__}: {_short(exc)}",
                        "results the rubric can measure", "return what the function's docstring describes "
                        "(a compiled keras.Model, an array of the stated shape, a dict with the stated keys)")
        v._part = ""
        changed = _integrity().changed()  # after the last part: a change made behind the rubric's back (a timer)
        if changed:
            v.outcome, v.message = INCORRECT, f"while the rubric measured, {', '.join(changed[:3])} was replaced: {TAMPER_RULE}"
        return v
