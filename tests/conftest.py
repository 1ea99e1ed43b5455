"""pytest configuration of the rubric.

    pytest                         checks the solutions, demos, stubs, data and toolkit
    pytest --grade                 checks the exercise files (the student's work) with the same rubric
    pytest --seed 3                every exercise run with seed 3 (targets hold for seeds 0-9, docs/seeds.md)
    pytest --exercise 5.1.2        only that exercise's checks (repeatable)
    pytest --exercises-root DIR    exercise files from another copy of the course (a student's)
    pytest --results-json F        per-exercise verdicts, metrics and seconds as JSON
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rubric  # noqa: E402

_CONFIG = []  # the session's config, for hooks that receive only a report
DEFAULT_EXERCISE_TIMEOUT = 180  # seconds for one exercise's grading; a solution's budget is 15 s


def pytest_addoption(parser):
    group = parser.getgroup("course", "Module 5 rubric")
    group.addoption("--grade", action="store_true", help="check the exercise files instead of the solutions")
    group.addoption("--seed", type=int, default=0, help="seed passed to every run() (default 0)")
    group.addoption("--exercise", action="append", default=[], metavar="ID", help="only this exercise, e.g. 5.1.2")
    group.addoption("--exercises-root", default=None, metavar="DIR", help="course copy whose exercise files are graded")
    group.addoption("--results-json", default=None, metavar="FILE", help="write per-exercise results as JSON")
    group.addoption(
        "--exercise-timeout", type=float, default=DEFAULT_EXERCISE_TIMEOUT, metavar="S",
        help=f"time limit for one exercise's checks (default {DEFAULT_EXERCISE_TIMEOUT} s)",
    )


def pytest_configure(config):
    config.course_results = {}  # ex_id -> dict
    config.course_demo_seconds = {}
    _CONFIG[:] = [config]


def pytest_collection_modifyitems(config, items):
    wanted = set(config.getoption("--exercise"))
    for ex_id in wanted:
        rubric.parse_id(ex_id)  # a clear error for a malformed id
    grade = config.getoption("--grade")
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("exercise")
        ex_id = marker.args[0] if marker else None
        if marker:
            item.add_marker(pytest.mark.timeout(config.getoption("--exercise-timeout")))
        if (wanted or grade) and ex_id is None:
            drop.append(item)  # grading runs the exercise checks only
        elif wanted and ex_id not in wanted:
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


class RunCache:
    """Where the graded files are (the reference solutions, or with --grade the student's exercise files) and the seed."""

    def __init__(self, config):
        self.config = config
        self.grade = config.getoption("--grade")
        self.seed = config.getoption("--seed")
        root = config.getoption("--exercises-root")
        self.root = Path(root).resolve() if root else rubric.REPO
        self._cache = {}

    def kind(self) -> str:
        return "exercise" if self.grade else "solution"

    def path(self, ex_id: str) -> Path:
        return rubric.exercise_file(ex_id, self.kind(), self.root)


def _peak_mb() -> float | None:
    """Peak resident memory of this process so far, in MiB on every OS (per exercise when graded alone,
    as `course grade` does)."""
    from coursekit.system import peak_rss_mb

    return peak_rss_mb()


@pytest.fixture(scope="session")
def run_cache(request) -> RunCache:
    return RunCache(request.config)


@pytest.fixture
def record_verdict(request):
    """Store a Verdict's checks, points and metrics for the timing report, the JSON and the JUnit XML."""

    def record(verdict: rubric.Verdict) -> rubric.Verdict:
        info = verdict.as_dict()
        request.node.user_properties.append(("course_result", json.dumps(info, default=str)))
        for prop in ("status", "points", "max_points"):
            request.node.user_properties.append((prop, info[prop]))  # also in JUnit XML
        return verdict

    return record


@pytest.fixture
def graded(run_cache, request, record_verdict):
    """``graded(exercise)`` grades the student's (or, without --grade, the reference) file
    with the rubric's harness, records the verdict with seconds and memory, and returns it."""

    def grade(exercise: rubric.Exercise) -> rubric.Verdict:
        path = run_cache.path(exercise.ex_id)
        start = time.perf_counter()
        verdict = exercise.grade(exercise.load(path), run_cache.seed)
        request.node.user_properties.append(("course_result", json.dumps({
            "id": exercise.ex_id, "file": str(path), "run_seconds": round(time.perf_counter() - start, 2),
            "peak_rss_mb": _peak_mb()})))
        return record_verdict(verdict)

    return grade


@pytest.fixture
def reference():
    """``reference(id)`` -> the reference solution as a Student (wrong answers replace its functions)."""

    def load(ex_id: str) -> rubric.Student:
        return rubric.Student.load(ex_id, rubric.exercise_file(ex_id, "solution"))

    return load


@pytest.fixture(scope="session")
def seed(request) -> int:
    return request.config.getoption("--seed")


def pytest_runtest_logreport(report):
    """Collect what tests recorded (also from xdist workers: user_properties travel with reports)."""
    config = _CONFIG[0] if _CONFIG else None
    if config is None or report.when != "call":
        return
    for name, value in report.user_properties:
        if name in ("course_result", "course_demo") and isinstance(value, str):
            value = json.loads(value)  # JSON in the report (and in JUnit XML), a dict here
        if name == "course_result":
            config.course_results.setdefault(value["id"], {"id": value["id"]}).update(value)
        elif name == "course_demo":
            config.course_demo_seconds[value["name"]] = value["seconds"]


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    results = config.course_results
    if results:
        tr = terminalreporter
        kind = "exercise files" if config.getoption("--grade") else "solutions"
        tr.section(f"Module 5 rubric: {kind}, seed {config.getoption('--seed')}")
        tr.write_line(f"{'exercise':<9} {'verdict':<17} {'points':>9} {'run s':>6} {'peak MB':>8}  metrics")
        total = [0.0, 0.0]
        for ex_id in sorted(results, key=lambda i: tuple(int(p) for p in i.split("."))):
            r = results[ex_id]
            metrics = ", ".join(f"{k}={v:.4g}" for k, v in list(r.get("metrics", {}).items())[:6])
            pts = f"{r['points']:g}/{r['max_points']:g}" if "points" in r else "-"
            if "points" in r:
                total[0] += r["points"]
                total[1] += r["max_points"]
            tr.write_line(
                f"{ex_id:<9} {r.get('status', '?'):<17} {pts:>9} {r.get('run_seconds', float('nan')):>6.1f} "
                f"{r.get('peak_rss_mb') or float('nan'):>8.0f}  {metrics}"
            )
        if total[1]:
            tr.write_line(f"{'total':<27} {total[0]:g}/{total[1]:g}")
    if config.course_demo_seconds:
        terminalreporter.section("Module 5 demos: wall seconds")
        for name, secs in config.course_demo_seconds.items():
            terminalreporter.write_line(f"{secs:6.1f}  {name}")
    path = config.getoption("--results-json")
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "seed": config.getoption("--seed"),
            "kind": "exercise" if config.getoption("--grade") else "solution",
            "exercises": results,
            "demos": config.course_demo_seconds,
        }
        Path(path).write_text(json.dumps(payload, indent=2, default=str))
