"""pytest configuration of the test suite.

    pytest                         the reference solutions, the graders' wrong answers, stubs, data, toolkit
    pytest -m demos                every demo run in full, and the numbers the lessons quote from it
    pytest --grade                 this copy's exercise files (the student's work) instead, each in the sandbox
    pytest --seed 3                every exercise graded with seed 3 (targets hold for seeds 0-9, docs/seeds.md)
    pytest --exercise 5.1.2        only that exercise's grading and wrong answers (repeatable)
    pytest --class DIR             a class folder (as `course grade --class`): one test per student and exercise

The graders are the package ``coursekit.graders``; the suite proves them (``tests/graders/``) and
grades through the same ``coursekit.grading.grade_file`` as every other door.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("MPLBACKEND", "Agg")
if os.environ.get("PYTEST_XDIST_WORKER"):  # -n 2: one TensorFlow thread per worker (and its sandboxes), not two
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")  # workers on two cores, each asking for both, would
    os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")  # only take turns

import pytest  # noqa: E402

from coursekit import catalog  # noqa: E402
from coursekit.grading import Student  # noqa: E402

_CONFIG = []  # the session's config, for hooks that receive only a report
DEFAULT_EXERCISE_TIMEOUT = 180  # seconds for one exercise's grading; a solution's budget is 15 s


def pytest_addoption(parser):
    group = parser.getgroup("course", "Module 5 course")
    group.addoption("--grade", action="store_true", help="grade this copy's exercise files instead of the solutions")
    group.addoption("--seed", type=int, default=0, help="seed of every grading (default 0)")
    group.addoption("--exercise", action="append", default=[], metavar="ID", help="only this exercise, e.g. 5.1.2")
    group.addoption("--class", dest="class_dir", default=None, metavar="DIR",
                    help="grade a class folder: one test per student and exercise, as `course grade --class`")
    group.addoption(
        "--exercise-timeout", type=float, default=DEFAULT_EXERCISE_TIMEOUT, metavar="S",
        help=f"time limit for one exercise's grading (default {DEFAULT_EXERCISE_TIMEOUT} s)",
    )


def pytest_configure(config):
    if getattr(config.option, "dist", None) == "load":  # -n 2: an idle worker takes tests from the busy one
        config.option.dist = "worksteal"
    config.course_results = {}  # ex_id -> verdict dict
    config.course_demo_seconds = {}
    _CONFIG[:] = [config]


def pytest_collection_modifyitems(config, items):
    wanted = set(config.getoption("--exercise"))
    for ex_id in wanted:
        catalog.parse_id(ex_id)  # a clear error for a malformed id
    grade = config.getoption("--grade")
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("exercise")
        ex_id = marker.args[0] if marker else None
        if marker:
            item.add_marker(pytest.mark.timeout(config.getoption("--exercise-timeout") + 30))
        if grade and "graded_file" not in getattr(item, "fixturenames", ()):
            drop.append(item)  # grading runs the grading of each exercise file only
        elif config.getoption("class_dir"):
            # a class: its students' gradings only (--exercise chose their exercises when they were made)
            (keep if "class_verdict" in getattr(item, "fixturenames", ()) else drop).append(item)
        elif wanted and ex_id not in wanted:
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_itemcollected(item):
    """Every test of ``tests/graders/test_ex_5_N_K.py`` is exercise 5.N.K's (for --exercise)."""
    name = item.path.stem
    if name.startswith("test_ex_5_") and item.get_closest_marker("exercise") is None:
        item.add_marker(pytest.mark.exercise(name[len("test_ex_"):].replace("_", ".")))


@pytest.fixture
def reference():
    """``reference(id)`` -> the reference solution as a Student (wrong answers replace its functions)."""

    def load(ex_id: str) -> Student:
        return Student.load(ex_id, catalog.exercise_file(ex_id, "solution"))

    return load


def once_per_run(tmp_path_factory, name: str, make):
    """``make(folder)`` once per pytest run, also under ``-n``: the first worker that needs it computes it
    (the others wait for it) and leaves its pickled result in the run's shared temporary folder; a module
    fixture of an expensive grading is then paid once, not by every worker that runs one of its tests."""
    import pickle

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # popen-gwN's parent: one folder for every worker of this run
    folder, lock_path = base / f"once-{name}", base / f"once-{name}.lock"
    try:
        import fcntl
    except ImportError:  # no advisory locks here: each worker makes its own
        folder = Path(tempfile.mkdtemp(dir=tmp_path_factory.getbasetemp(), prefix=name))
        return make(folder)
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = folder / "result.pickle"
        if result.is_file():
            return pickle.loads(result.read_bytes())
        shutil.rmtree(folder, ignore_errors=True)  # what a failed attempt left
        folder.mkdir()
        value = make(folder)
        result.write_bytes(pickle.dumps(value))
        return value


@pytest.fixture(scope="session")
def once(tmp_path_factory):
    """``once(name, make)``: :func:`once_per_run` for a module fixture."""
    return lambda name, make: once_per_run(tmp_path_factory, name, make)


@pytest.fixture(scope="module")
def bench():
    """Lesson 5.5's ``benchmark_tuning.py`` as a module, its folder on ``sys.path`` as when it runs."""
    from coursekit.grading import load_module

    folder = catalog.REPO / catalog.LESSONS["5.5"].folder
    sys.path.insert(0, str(folder))
    try:
        yield load_module(folder / "benchmark_tuning.py")
    finally:
        sys.path.remove(str(folder))


@pytest.fixture(scope="session")
def seed(request) -> int:
    return request.config.getoption("--seed")


@pytest.fixture
def record_result(request):
    """``record_result(verdict_dict)``: into the session's scoreboard, also from xdist workers."""

    def record(result: dict) -> dict:
        request.node.user_properties.append(("course_result", json.dumps(result, default=str)))
        return result

    return record


def pytest_runtest_logreport(report):
    """Collect what tests recorded (also from xdist workers: user_properties travel with reports)."""
    config = _CONFIG[0] if _CONFIG else None
    if config is None or report.when != "call":
        return
    for name, value in report.user_properties:
        if name == "course_result":
            value = json.loads(value)
            config.course_results[value["id"]] = value
        elif name == "course_demo":
            value = json.loads(value)
            config.course_demo_seconds[value["name"]] = value["seconds"]


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    from coursekit.grading.report import scoreboard_lines, student_view

    results = config.course_results
    if results:
        kind = "exercise files" if config.getoption("--grade") else "solutions"
        terminalreporter.section(f"Module 5 grading: {kind}, seed {config.getoption('--seed')}")
        shown = [results[i] for i in sorted(results, key=catalog.id_key)]
        if config.getoption("--grade"):  # a student's own files: test-split checks as met or missed, no number
            shown = [student_view(v) for v in shown]
        for line in scoreboard_lines(shown):
            terminalreporter.write_line(line)
    if config.course_demo_seconds:
        terminalreporter.section("Module 5 demos: wall seconds")
        for name, secs in config.course_demo_seconds.items():
            terminalreporter.write_line(f"{secs:6.1f}  {name}")


@pytest.fixture
def graded_file(request, seed):
    """``graded_file(id)`` -> the verdict dict on the reference solution, graded in this process; with
    ``--grade``, on this copy's exercise file, graded in the sandbox as ``course grade`` does."""

    def grade(ex_id: str) -> dict:
        if request.config.getoption("--grade"):
            from coursekit.grading.sandbox import grade_submission

            return grade_submission([ex_id], root=catalog.REPO, seed=seed,
                                    timeout=request.config.getoption("--exercise-timeout"))[0]
        from coursekit.grading import grade_file
        from coursekit.system import peak_rss_mb

        result = grade_file(ex_id, catalog.exercise_file(ex_id, "solution"), seed)
        result["peak_rss_mb"] = peak_rss_mb()  # of this worker so far (the exercise's own with --grade)
        return result

    return grade


def pytest_generate_tests(metafunc):
    """With --class: ``class_verdict`` is parametrized over (student, exercise) of the class folder."""
    if "class_verdict" not in metafunc.fixturenames:
        return
    folder = metafunc.config.getoption("class_dir")
    if not folder:
        metafunc.parametrize("class_verdict", [pytest.param(None, marks=pytest.mark.skip(reason="no --class"))],
                             ids=["no-class"])
        return
    from coursekit.classroom import submissions

    ids = metafunc.config.getoption("--exercise") or catalog.exercises()
    cases = [(student, str(source), ex_id) for student, source in submissions(folder) for ex_id in ids]
    metafunc.parametrize("class_verdict", cases, ids=[f"{s}-{e}" for s, _, e in cases], indirect=True)


_CLASS: dict = {}  # student -> verdicts by id, graded once per session


@pytest.fixture
def class_verdict(request, seed):
    """The verdict of one student's exercise, the student graded (all their exercises) the first time."""
    from coursekit.classroom import lay_out
    from coursekit.grading.sandbox import grade_submission
    import tempfile

    student, source, ex_id = request.param
    if student not in _CLASS:
        ids = request.config.getoption("--exercise") or catalog.exercises()
        with tempfile.TemporaryDirectory(prefix=f"course-grade-{os.getpid()}-class-") as tmp:
            root = lay_out(Path(source), Path(tmp) / "submission")
            verdicts = grade_submission(ids, root=root, seed=seed, timeout=request.config.getoption("--exercise-timeout"))
        _CLASS[student] = {v["id"]: v for v in verdicts}
    verdict = _CLASS[student][ex_id]
    for key in ("status", "points", "max_points"):
        request.node.user_properties.append((key, verdict[key]))  # in the JUnit XML of this test case
    return verdict
