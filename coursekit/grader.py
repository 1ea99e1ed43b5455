"""Grading exercises in isolation: the instructor's ``course grade`` and the student's ``course check``.

Each exercise is graded by the pytest rubric (``tests/test_lesson_5_N.py``) in a process of its own
with a time limit, so a crash, a hang or an exception in one exercise never touches the others.
On Linux the grading processes are forked from one that has already imported TensorFlow, Keras,
scikit-learn and pytest (nothing else runs in it, so no TensorFlow thread exists to be forked): a
process then costs a fraction of a second instead of a TensorFlow start-up of several seconds.
Elsewhere each exercise runs as ``python -m pytest``. Untouched stubs are decided from their
source without starting anything. ``--jobs`` processes run at once (default: 2).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from . import catalog, state
from .system import kill_tree

DEFAULT_TIMEOUT = 120.0  # seconds per exercise; a solution's budget is 15 s
NOT_ATTEMPTED = "not attempted"


_PRELOADED = False  # True once preload() has imported TensorFlow in this process (and no op has run)


def _can_fork() -> bool:
    """Fork only from a process whose TensorFlow was imported by preload() and never used: a process
    that has run TensorFlow ops holds thread pools a forked child cannot use (pytest, a notebook)."""
    if not (sys.platform.startswith("linux") and hasattr(os, "fork")):
        return False
    return _PRELOADED or "tensorflow" not in sys.modules


def preload() -> None:
    """Import what every grading process needs, once, before forking (imports only: no TF op runs)."""
    global _PRELOADED
    if "tensorflow" in sys.modules and not _PRELOADED:
        return  # imported (and maybe used) by someone else: grading processes are started fresh instead
    import coursekit  # noqa: F401  (sets TensorFlow's quiet environment first)
    import keras  # noqa: F401
    import pytest  # noqa: F401
    import sklearn.linear_model  # noqa: F401
    import sklearn.metrics  # noqa: F401
    import tensorflow  # noqa: F401

    import data  # noqa: F401

    _PRELOADED = True


def _pytest_args(ex_id: str, *, solutions: bool, root: Path, seed: int, timeout: float, workdir: Path) -> list[str]:
    args = [str(catalog.rubric_module(ex_id)), "-q", "-p", "no:cacheprovider", "--no-header", "-p", "no:xdist",
            "--rootdir", str(catalog.REPO), "-c", str(catalog.REPO / "pyproject.toml"),
            "--exercise", ex_id, "--seed", str(seed), "--exercise-timeout", str(timeout),
            "--results-json", str(workdir / f"{ex_id}.json"), f"--junitxml={workdir / f'{ex_id}.xml'}"]
    if not solutions:
        args.append("--grade")
    if Path(root).resolve() != catalog.REPO:
        args += ["--exercises-root", str(root)]
    return args


def _child(args: list[str], log: str) -> None:
    """In the forked process: pytest on one exercise, output into ``log``; never returns."""
    code = 3
    try:
        os.setsid()
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
        sys.stderr = sys.stdout
        os.chdir(catalog.REPO)
        import pytest

        code = int(pytest.main(args))
    except BaseException:  # noqa: BLE001 -- whatever happens, the parent reads the exit code
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
        finally:
            os._exit(code)


class _Job:
    """One grading process: forked (Linux) or ``python -m pytest`` (elsewhere)."""

    def __init__(self, args: list[str], log: Path, limit: float):
        self.deadline = time.monotonic() + limit
        self.start = time.perf_counter()
        self.proc = None
        if _can_fork():
            self.pid = os.fork()
            if self.pid == 0:
                _child(args, str(log))
        else:
            with open(log, "w") as out:
                self.proc = subprocess.Popen([sys.executable, "-m", "pytest", *args], cwd=catalog.REPO, stdout=out,
                                             stderr=subprocess.STDOUT, start_new_session=True)
            self.pid = self.proc.pid

    def poll(self):
        """None while running; then (exit code or -signal, timed out?)."""
        if self.proc is not None:
            code = self.proc.poll()
        else:
            done, status = os.waitpid(self.pid, os.WNOHANG)
            code = os.waitstatus_to_exitcode(status) if done else None
        if code is not None:
            return code, False
        if time.monotonic() > self.deadline:
            kill_tree(self.pid)
            if self.proc is not None:
                self.proc.wait()
            else:
                os.waitpid(self.pid, 0)
            return None, True
        return None


def _start(ex_id: str, *, solutions: bool, root: Path, seed: int, timeout: float, workdir: Path):
    """Decide what needs no process (a missing file, an untouched stub), or start the grading process.
    Returns (the verdict so far, the job or None)."""
    path = catalog.exercise_file(ex_id, "solution" if solutions else "exercise", root)
    verdict = {"id": ex_id, "file": str(path), "status": "error", "points": 0.0, "max_points": None,
               "metrics": {}, "checks": [], "message": "", "wall_seconds": 0.0}
    if not path.exists():
        verdict.update(status="missing", message=f"no file {path}")
        return verdict, None
    if not solutions and catalog.untouched(path, ex_id):
        verdict.update(status=NOT_ATTEMPTED, message="every function of the exercise is still a TODO")
        return verdict, None
    workdir.mkdir(parents=True, exist_ok=True)
    args = _pytest_args(ex_id, solutions=solutions, root=root, seed=seed, timeout=timeout, workdir=workdir)
    return verdict, _Job(args, workdir / f"{ex_id}.log", timeout + 30)  # pytest-timeout fires first


def _finish(verdict: dict, job: _Job, code, timed_out: bool, timeout: float, workdir: Path) -> dict:
    ex_id = verdict["id"]
    verdict["wall_seconds"] = round(time.perf_counter() - job.start, 1)
    log = workdir / f"{ex_id}.log"
    output = log.read_text(errors="replace") if log.exists() else ""
    verdict["output_tail"] = "\n".join(output.strip().splitlines()[-15:])
    result = None
    json_path = workdir / f"{ex_id}.json"
    if json_path.exists():
        try:
            result = json.loads(json_path.read_text())["exercises"].get(ex_id)
        except (ValueError, KeyError):
            result = None
    if result:
        for key in ("metrics", "checks", "run_seconds", "peak_rss_mb", "status", "points", "max_points", "message"):
            if key in result:
                verdict[key] = result[key]
    if timed_out:
        verdict.update(status="timeout", message=f"stopped after {timeout + 30:.0f} s (time limit)")
    elif "Timeout" in output and verdict["status"] in ("error", "incorrect"):
        verdict.update(status="timeout", message=f"the exercise took longer than the {timeout:.0f} s limit")
    elif result is None or "status" not in result:
        why = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        verdict.update(status="crashed", message=f"the exercise process crashed ({why})")
    elif verdict["status"] in ("error", "incorrect") and not verdict.get("checks") and not verdict.get("message"):
        verdict["message"] = _failure_line(output, ex_id)
    junit = workdir / f"{ex_id}.xml"
    if junit.exists():
        verdict["junit"] = str(junit)
    return verdict


def _failure_line(output: str, ex_id: str) -> str:
    for line in (output or "").splitlines():
        if ex_id in line and ("raised" in line or NOT_ATTEMPTED in line):
            return line.split("Failed: ", 1)[-1].strip()
    return ""


def grade_many(ids: list[str], *, solutions: bool, root: Path, seed: int, timeout: float, workdir: Path,
               jobs: int = 2, progress=None) -> list[dict]:
    """Grade several exercises, at most ``jobs`` processes at once; results in ``ids`` order. One
    thread only: processes are forked from it, and a forked child inherits no other thread's locks."""
    root = Path(root).resolve()
    pending, running, done = list(ids), [], {}
    preloaded = False
    while pending or running:
        while pending and len(running) < max(1, jobs):
            ex_id = pending.pop(0)
            if _can_fork() and not preloaded and (solutions or not catalog.untouched(
                    catalog.exercise_file(ex_id, "exercise", root), ex_id)):
                preload()
                preloaded = True
            verdict, job = _start(ex_id, solutions=solutions, root=root, seed=seed, timeout=timeout, workdir=workdir)
            if job is None:
                done[ex_id] = verdict
                if progress:
                    progress(verdict)
            else:
                running.append((verdict, job))
        still = []
        for verdict, job in running:
            polled = job.poll()
            if polled is None:
                still.append((verdict, job))
                continue
            done[verdict["id"]] = _finish(verdict, job, *polled, timeout, workdir)
            if progress:
                progress(done[verdict["id"]])
        running = still
        if running:
            time.sleep(0.05)
    return [done[i] for i in ids]


def grade_one(ex_id: str, *, solutions: bool, root: Path, seed: int, timeout: float, workdir: Path) -> dict:
    """Grade one exercise in its own process; never raises for anything the student's code does."""
    return grade_many([ex_id], solutions=solutions, root=root, seed=seed, timeout=timeout, workdir=workdir)[0]


# --------------------------------------------------------------------------- reports


def print_scoreboard(verdicts: list[dict]) -> None:
    print(f"\n{'exercise':<9} {'verdict':<17} {'points':>9} {'wall s':>7} {'run s':>6} {'peak MB':>8}  metrics / reason")
    scored = possible = 0.0
    for v in verdicts:
        metrics = ", ".join(f"{k}={val:.4g}" for k, val in list(v.get("metrics", {}).items())[:4])
        detail = metrics if v["status"] in ("correct", "incorrect") and metrics else v.get("message", "")
        run_s, peak = v.get("run_seconds"), v.get("peak_rss_mb")
        pts = f"{v.get('points') or 0:g}/{v['max_points']:g}" if v.get("max_points") else "-"
        scored += v.get("points") or 0
        possible += v.get("max_points") or 0
        print(f"{v['id']:<9} {v['status']:<17} {pts:>9} {v.get('wall_seconds', 0):>7.1f} "
              f"{(f'{run_s:.1f}' if run_s is not None else '-'):>6} {(f'{peak:.0f}' if peak else '-'):>8}  {detail}")
    correct = sum(v["status"] == "correct" for v in verdicts)
    scored_on = sum(bool(v.get("max_points")) for v in verdicts)
    points = f", {scored:g}/{possible:g} points on the {scored_on} exercises that were graded" if possible else ""
    untried = sum(v["status"] == NOT_ATTEMPTED for v in verdicts)
    print(f"\n{correct}/{len(verdicts)} exercises correct{points}" + (f"; {untried} not attempted" if untried else ""))


def write_junit(verdicts: list[dict], path: Path) -> None:
    root = ET.Element("testsuites", name="module5")
    for v in verdicts:
        junit = v.get("junit")
        if junit and Path(junit).exists():
            tree = ET.parse(junit).getroot()
            suites = [tree] if tree.tag == "testsuite" else list(tree)
            for suite in suites:
                suite.set("name", f"exercise {v['id']}")
                root.append(suite)
            continue
        suite = ET.SubElement(root, "testsuite", name=f"exercise {v['id']}", tests="1",
                              failures="0", errors="0" if v["status"] == NOT_ATTEMPTED else "1")
        case = ET.SubElement(suite, "testcase", classname=f"exercise.{v['id']}", name=v["id"],
                             time=str(v.get("wall_seconds", 0)))
        props = ET.SubElement(case, "properties")
        for key in ("status", "points", "max_points"):
            ET.SubElement(props, "property", name=key, value=str(v.get(key)))
        if v["status"] == NOT_ATTEMPTED:
            ET.SubElement(case, "failure", message=f"{v['id']} not attempted").text = v.get("message", "")
        else:
            ET.SubElement(case, "error", message=v.get("message", v["status"])).text = v.get("output_tail", "")
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def cmd_grade(args) -> int:
    root = Path(args.root).resolve() if args.root else catalog.REPO
    if not root.is_dir():
        raise catalog.CatalogError(f"no such folder: {root}")
    ids = catalog.exercises()
    if args.only:
        for item in args.only:
            if item not in catalog.LESSONS:
                catalog.parse_id(item)
        ids = [i for i in ids if any(i == o or i.startswith(o + ".") for o in args.only)]
        if not ids:
            raise catalog.CatalogError(f"no exercise matches {' '.join(args.only)}")
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    kind = "solutions" if args.solutions else "exercise files"
    print(f"Grading {len(ids)} exercises ({kind} in {root}), seed {args.seed}, "
          f"limit {args.timeout:.0f} s each, {args.jobs} at a time", flush=True)
    start = time.perf_counter()

    def progress(v):
        print(f"  {v['id']}: {v['status']} ({v.get('wall_seconds', 0):.0f} s)", flush=True)

    with tempfile.TemporaryDirectory(prefix="course-grade-") as tmp:
        verdicts = grade_many(ids, solutions=args.solutions, root=root, seed=args.seed, timeout=args.timeout,
                              workdir=Path(tmp), jobs=args.jobs, progress=progress)
        write_junit(verdicts, out / "junit.xml")
    usage = state.usage(root)
    for v in verdicts:
        v.pop("junit", None)
        v["hints_used"] = usage["hints"].get(v["id"], 0)
        v["solution_opened"] = v["id"] in usage["solutions"]
    elapsed = round(time.perf_counter() - start, 1)
    (out / "grades.json").write_text(json.dumps(
        {"root": str(root), "kind": kind, "seed": args.seed, "seconds": elapsed, "exercises": verdicts}, indent=2))
    print_scoreboard(verdicts)
    print(f"graded in {elapsed:.0f} s\nJUnit XML: {out / 'junit.xml'}\nJSON:      {out / 'grades.json'}")
    if not args.solutions and root == catalog.REPO:
        state.record_verdicts(verdicts, root)
    return 0 if all(v["status"] == "correct" for v in verdicts) else 1


def add_parser(sub) -> None:
    grade = sub.add_parser("grade", help="instructors: grade every exercise (scoreboard, points, JUnit XML, JSON)")
    grade.add_argument("--solutions", action="store_true", help="grade the reference solutions")
    grade.add_argument("--root", metavar="DIR", help="a course copy to grade (a student's), default: this one")
    grade.add_argument("--only", nargs="+", metavar="ID", help="lessons or exercises, e.g. 5.1 5.2.3")
    grade.add_argument("--out", default="grades", metavar="DIR", help="where junit.xml and grades.json go")
    grade.add_argument("--seed", type=int, default=0)
    grade.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per exercise")
    grade.add_argument("--jobs", type=int, default=2, help="exercises graded at once (default 2)")
    grade.set_defaults(handler=cmd_grade)
