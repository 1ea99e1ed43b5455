"""The ``course`` command: one command away from "what do I do next, and am I done?".

    course list                         lessons, demos, exercises and where each exercise stands
    course run 5.2 [demo]               run a lesson's demos (figures into the lesson's figures/)
    course check 5.1.1                  grade your exercise file: metric vs target, with a hint
    course grade [--solutions]          every exercise: scoreboard, JUnit XML and JSON for an instructor

Grading delegates to the pytest rubric in tests/ (the targets exist once, there). Each exercise is
graded in its own process with a time limit, so a crash, a hang or an exception in one exercise
never stops the grading of the others; the verdict names what happened.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TESTS = REPO / "tests"
STATE = REPO / ".course"  # git-ignored: the latest verdict of each exercise, for `course list`

LESSONS = {
    "5.1": ("_05_1_MLPs_for_Complex_Classification_and_Regression", "MLPs for classification and regression"),
    "5.2": ("_05_2_Train_Network_Optimizers", "Training: epochs, batches, optimizers, gradients, callbacks"),
    "5.3": ("_05_3_Prevent_Overfitting_Regularization", "Regularization: L1, L2, dropout, early stopping, batch norm"),
    "5.4": ("_05_4_Advanced_Model_Evaluation", "Evaluation: confusion matrix, precision/recall, ROC, PR, thresholds"),
    "5.5": ("_05_5_Hyperparameter_Tuning_Persistence", "Tuning (grid, random, Bayesian, Hyperband) and saving models"),
}
DEFAULT_TIMEOUT = 180.0  # seconds per exercise; the budget of a solution is 30 s


class CourseError(Exception):
    """A user error: printed as one line, exit code 2."""


# --------------------------------------------------------------------------- discovery


def lesson_dir(lesson: str, root: Path = REPO) -> Path:
    if lesson not in LESSONS:
        raise CourseError(f"no lesson {lesson!r}; lessons are {', '.join(LESSONS)}")
    return root / LESSONS[lesson][0]


def demos(lesson: str) -> list[Path]:
    return sorted(lesson_dir(lesson).glob("demo_*.py"))


def exercises(lesson: str) -> list[str]:
    """Exercise ids of a lesson, from its solution files (the rubric grades what has a solution)."""
    found = []
    for path in lesson_dir(lesson).glob("_5_*_solution.py"):
        match = re.match(r"_5_(\d)_(\d+)_solution\.py$", path.name)
        if match:
            found.append(f"5.{match.group(1)}.{match.group(2)}")
    return sorted(found, key=_id_key)


def all_exercises() -> list[str]:
    return [ex for lesson in LESSONS for ex in exercises(lesson)]


def _id_key(ex_id: str):
    return tuple(int(p) for p in ex_id.split("."))


def exercise_path(ex_id: str, kind: str = "exercise", root: Path = REPO) -> Path:
    match = re.fullmatch(r"5\.([1-5])\.(\d+)", ex_id)
    if not match:
        raise CourseError(f"not an exercise id: {ex_id!r} (write it like 5.1.2)")
    lesson = f"5.{match.group(1)}"
    return lesson_dir(lesson, root) / f"_5_{match.group(1)}_{match.group(2)}_{kind}.py"


def _require_rubric() -> None:
    if not (TESTS / "conftest.py").is_file():
        raise CourseError(f"the rubric (tests/) is not beside this install ({REPO}); install the course with pip install -e .")


# --------------------------------------------------------------------------- state for `course list`


def _load_state() -> dict:
    try:
        return json.loads((STATE / "status.json").read_text())
    except (OSError, ValueError):
        return {}


def _save_state(verdicts: list[dict], solutions: bool, root: Path) -> None:
    if solutions or root != REPO:
        return  # `course list` shows the student's own exercise files only
    state = _load_state()
    for v in verdicts:
        state[v["id"]] = {"status": v["status"], "when": time.strftime("%Y-%m-%d %H:%M")}
    STATE.mkdir(exist_ok=True)
    (STATE / "status.json").write_text(json.dumps(state, indent=2))


def _still_stub(path: Path) -> bool:
    return path.exists() and "raise NotImplementedError" in path.read_text()


# --------------------------------------------------------------------------- grading one exercise


def grade_one(ex_id: str, *, solutions: bool, root: Path, seed: int, timeout: float, workdir: Path) -> dict:
    """Grade one exercise in its own pytest process; never raises for anything the student's code does."""
    _require_rubric()
    path = exercise_path(ex_id, "solution" if solutions else "exercise", root)
    verdict = {"id": ex_id, "file": str(path), "status": "error", "metrics": {}, "checks": [], "message": ""}
    if not path.exists():
        verdict.update(status="missing", message=f"no file {path}")
        return verdict
    json_path = workdir / f"{ex_id}.json"
    junit_path = workdir / f"{ex_id}.xml"
    cmd = [
        sys.executable, "-m", "pytest", str(TESTS), "-q", "-p", "no:cacheprovider", "--no-header",
        "--exercise", ex_id, "--seed", str(seed), "--exercise-timeout", str(timeout),
        "--results-json", str(json_path), f"--junitxml={junit_path}", "--rootdir", str(REPO),
    ]
    if not solutions:
        cmd.append("--grade")
    if root != REPO:
        cmd += ["--exercises-root", str(root)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=timeout + 60)  # the in-process limit fires first; this is the backstop
        timed_out = False
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        output, _ = proc.communicate()
        timed_out = True
    verdict["wall_seconds"] = round(time.perf_counter() - start, 1)
    verdict["output_tail"] = "\n".join((output or "").strip().splitlines()[-15:])

    result = None
    if json_path.exists():
        try:
            result = json.loads(json_path.read_text())["exercises"].get(ex_id)
        except (ValueError, KeyError):
            result = None
    if result:
        verdict["metrics"] = result.get("metrics", {})
        verdict["checks"] = result.get("checks", [])
        verdict["run_seconds"] = result.get("run_seconds")
        verdict["peak_rss_mb"] = result.get("peak_rss_mb")
        verdict["status"] = result.get("status", "error")
    if timed_out:
        verdict.update(status="timeout", message=f"stopped after {timeout + 60:.0f} s (time limit)")
    elif "Timeout" in (output or "") and verdict["status"] in ("error", "failed"):
        verdict.update(status="timeout", message=f"run() took longer than the {timeout:.0f} s limit")
    elif result is None:
        code = proc.returncode
        why = f"killed by signal {-code}" if code and code < 0 else f"pytest exited with code {code}"
        verdict.update(status="crashed", message=f"the exercise process crashed ({why})")
    elif verdict["status"] in ("error", "not done"):
        verdict["message"] = _failure_line(output, ex_id)
    if junit_path.exists():
        verdict["junit"] = str(junit_path)
    return verdict


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, AttributeError):
        proc.kill()


def _failure_line(output: str, ex_id: str) -> str:
    for line in (output or "").splitlines():
        if f"{ex_id} is not done yet" in line or f"{ex_id} run() raised" in line:
            return line.split("Failed: ", 1)[-1].strip()
    return ""


# --------------------------------------------------------------------------- printing


def _print_checks(verdict: dict) -> None:
    for check in verdict.get("checks", []):
        mark = "  ok  " if check["ok"] else "  FAIL"
        line = f"{mark} {check['name']}: measured {check['measured']}, expected {check['expected']}"
        print(line if check["ok"] else f"{line}\n         hint: {check['hint']}")
    if verdict.get("message"):
        print(f"  {verdict['message']}")


def _print_scoreboard(verdicts: list[dict]) -> None:
    print(f"\n{'exercise':<9} {'verdict':<9} {'wall s':>7} {'run s':>6} {'peak MB':>8}  metrics / reason")
    for v in verdicts:
        metrics = ", ".join(f"{k}={val:.4g}" for k, val in list(v.get("metrics", {}).items())[:4])
        detail = metrics if v["status"] in ("passed", "failed") else v.get("message", "")
        run_s = v.get("run_seconds")
        peak = v.get("peak_rss_mb")
        print(
            f"{v['id']:<9} {v['status']:<9} {v.get('wall_seconds', 0):>7.1f} "
            f"{(f'{run_s:.1f}' if run_s is not None else '-'):>6} {(f'{peak:.0f}' if peak else '-'):>8}  {detail}"
        )
    passed = sum(v["status"] == "passed" for v in verdicts)
    print(f"\n{passed}/{len(verdicts)} exercises pass")


def _write_junit(verdicts: list[dict], path: Path) -> None:
    root = ET.Element("testsuites", name="module5")
    for v in verdicts:
        junit = v.get("junit")
        if junit and Path(junit).exists():
            tree = ET.parse(junit).getroot()
            suites = [tree] if tree.tag == "testsuite" else list(tree)
            for suite in suites:
                suite.set("name", f"exercise {v['id']}")
                root.append(suite)
        else:  # crashed or timed out before pytest wrote anything
            suite = ET.SubElement(root, "testsuite", name=f"exercise {v['id']}", tests="1", failures="0", errors="1")
            case = ET.SubElement(suite, "testcase", classname=f"exercise.{v['id']}", name=v["id"],
                                 time=str(v.get("wall_seconds", 0)))
            ET.SubElement(case, "error", message=v.get("message", v["status"])).text = v.get("output_tail", "")
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


# --------------------------------------------------------------------------- commands


def cmd_list(args) -> int:
    state = _load_state()
    for lesson, (folder, title) in LESSONS.items():
        print(f"\n{lesson}  {title}\n     {folder}/")
        for demo in demos(lesson):
            print(f"     demo      {demo.name:<34} course run {lesson} {demo.stem.removeprefix('demo_')}")
        for ex_id in exercises(lesson):
            path = exercise_path(ex_id)
            last = state.get(ex_id)
            if last:
                status = f"{last['status']} ({last['when']})"
            else:
                status = "to do" if _still_stub(path) else "not checked yet"
            print(f"     exercise  {path.name:<34} {status:<28} course check {ex_id}")
    return 0


def cmd_run(args) -> int:
    scripts = demos(args.lesson)
    if args.demo:
        scripts = [d for d in scripts if args.demo in d.stem]
        if not scripts:
            names = ", ".join(d.stem.removeprefix("demo_") for d in demos(args.lesson)) or "none"
            raise CourseError(f"no demo matching {args.demo!r} in lesson {args.lesson}; demos: {names}")
    if not scripts:
        raise CourseError(f"lesson {args.lesson} has no demos yet")
    failed = []
    for script in scripts:
        print(f"\n=== {args.lesson} {script.name} ===", flush=True)
        cmd = [sys.executable, str(script), "--seed", str(args.seed)]
        if args.figures:
            cmd += ["--figures", str(Path(args.figures).resolve())]
        start = time.perf_counter()
        code = subprocess.call(cmd, cwd=script.parent)
        print(f"--- {script.name}: {'ok' if code == 0 else f'FAILED (exit {code})'} in {time.perf_counter() - start:.1f} s")
        if code != 0:
            failed.append(script.name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


def cmd_check(args) -> int:
    path = exercise_path(args.exercise, "solution" if args.solution else "exercise")
    if args.exercise not in all_exercises():
        raise CourseError(f"no exercise {args.exercise}; see `course list`")
    print(f"Checking {path.relative_to(REPO)} (seed {args.seed}) ...", flush=True)
    with tempfile.TemporaryDirectory(prefix="course-check-") as tmp:
        verdict = grade_one(args.exercise, solutions=args.solution, root=REPO, seed=args.seed,
                            timeout=args.timeout, workdir=Path(tmp))
    _print_checks(verdict)
    _save_state([verdict], args.solution, REPO)
    status = verdict["status"]
    if status == "passed":
        print(f"\n{args.exercise} PASSED in {verdict.get('wall_seconds', 0):.0f} s. Next: `course list`.")
        return 0
    if status == "not done":
        print(f"\n{args.exercise} is not done yet: open {path.name} and complete the TODOs.")
    elif status in ("crashed", "error", "timeout") and verdict.get("output_tail") and not verdict.get("checks"):
        print(f"\n{args.exercise} {status.upper()}. Last output:\n{verdict['output_tail']}")
    else:
        print(f"\n{args.exercise} {status.upper()}: fix the FAIL lines above and run `course check {args.exercise}` again.")
    return 1


def cmd_grade(args) -> int:
    root = Path(args.root).resolve() if args.root else REPO
    if not root.is_dir():
        raise CourseError(f"no such folder: {root}")
    ids = all_exercises()
    if args.only:
        ids = [i for i in ids if any(i == o or i.startswith(o + ".") for o in args.only)]
        if not ids:
            raise CourseError(f"no exercise matches {args.only}")
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    kind = "solutions" if args.solutions else "exercise files"
    print(f"Grading {len(ids)} exercises ({kind} in {root}), seed {args.seed}, limit {args.timeout:.0f} s each")
    verdicts = []
    with tempfile.TemporaryDirectory(prefix="course-grade-") as tmp:
        for ex_id in ids:
            print(f"  {ex_id} ...", end=" ", flush=True)
            verdict = grade_one(ex_id, solutions=args.solutions, root=root, seed=args.seed,
                                timeout=args.timeout, workdir=Path(tmp))
            print(f"{verdict['status']} ({verdict.get('wall_seconds', 0):.0f} s)", flush=True)
            verdicts.append(verdict)
        _write_junit(verdicts, out / "junit.xml")
    for v in verdicts:
        v.pop("junit", None)
    (out / "grades.json").write_text(json.dumps(
        {"root": str(root), "kind": kind, "seed": args.seed, "exercises": verdicts}, indent=2))
    _print_scoreboard(verdicts)
    print(f"JUnit XML: {out / 'junit.xml'}\nJSON:      {out / 'grades.json'}")
    _save_state(verdicts, args.solutions, root)
    return 0 if all(v["status"] == "passed" for v in verdicts) else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="course", description="Module 5: Developing and Optimizing Neural Networks")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("list", help="lessons, demos, exercises and where each exercise stands")

    run = sub.add_parser("run", help="run a lesson's demos")
    run.add_argument("lesson", help="e.g. 5.1")
    run.add_argument("demo", nargs="?", help="one demo (part of its name), e.g. churn")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--figures", metavar="DIR", help="write figures here instead of the lesson's figures/")

    check = sub.add_parser("check", help="grade one exercise file against the rubric")
    check.add_argument("exercise", help="e.g. 5.1.1")
    check.add_argument("--seed", type=int, default=0)
    check.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds before the run is stopped")
    check.add_argument("--solution", action="store_true", help="check the reference solution instead")

    grade = sub.add_parser("grade", help="grade every exercise: scoreboard, JUnit XML, JSON")
    grade.add_argument("--solutions", action="store_true", help="grade the reference solutions")
    grade.add_argument("--root", metavar="DIR", help="a course copy to grade (a student's), default: this one")
    grade.add_argument("--only", nargs="+", metavar="ID", help="lessons or exercises, e.g. 5.1 5.2.3")
    grade.add_argument("--out", default="grades", metavar="DIR", help="where junit.xml and grades.json go")
    grade.add_argument("--seed", type=int, default=0)
    grade.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per exercise")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    handlers = {"list": cmd_list, "run": cmd_run, "check": cmd_check, "grade": cmd_grade}
    try:
        return handlers[args.command](args)
    except CourseError as exc:
        print(f"course: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
