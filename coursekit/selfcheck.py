"""``python _5_N_K_exercise.py``: run the rubric's harness on this file and print what it measures.

The exercise file holds only the student's functions; the harness that trains and scores them is
the rubric's (``tests/test_lesson_5_N.py``), so what a student sees here is exactly what
``course check`` and the instructor's grading measure (``course check`` also records the verdict).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from . import catalog


def load_rubric(lesson_id: str):
    """The lesson's rubric module from this install's tests/ folder."""
    tests = str(catalog.TESTS)
    if tests not in sys.path:
        sys.path.insert(0, tests)
    path = catalog.TESTS / f"test_lesson_{lesson_id.replace('.', '_')}.py"
    if not path.is_file():
        raise SystemExit(f"course: the rubric {path} is not beside this install; reinstall with pip install -e .")
    name = path.stem
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def print_checks(verdict: dict) -> None:
    """Each check (measured vs expected, a hint for what failed) and the other measured numbers, from
    a verdict as a dict (``Verdict.as_dict()``, or what ``course check`` reads back from the grader)."""
    checks = verdict.get("checks", [])
    for check in checks:
        mark = "  ok  " if check["ok"] else "  FAIL"
        print(f"{mark} {check['name']}: measured {check['measured']}, expected {check['expected']}")
        if not check["ok"]:
            print(f"         hint: {check['hint']}")
    graded = {c["name"] for c in checks}
    extra = {k: v for k, v in verdict.get("metrics", {}).items() if k not in graded}
    if extra:
        print("  also measured: " + ", ".join(f"{k} {_num(v)}" for k, v in extra.items()))


def _num(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def main(path: str, argv=None) -> int:
    match = catalog.FILE_NAME.match(Path(path).name)
    if not match:
        raise SystemExit(f"course: {path} is not an exercise file")
    ex_id = f"5.{match.group(1)}.{match.group(2)}"
    parser = argparse.ArgumentParser(description=f"Exercise {ex_id}: run the rubric's harness on this file")
    parser.add_argument("--seed", type=int, default=0, help="seed of the rubric's training (default 0)")
    args = parser.parse_args(argv)
    rubric_module = load_rubric(f"5.{match.group(1)}")
    exercise = rubric_module.EXERCISES[ex_id]
    print(f"Exercise {ex_id}: the rubric's harness on {Path(path).name} (seed {args.seed})\n", flush=True)
    verdict = exercise.grade(exercise.load(Path(path)), args.seed)
    print_checks(verdict.as_dict())
    scored, possible = verdict.points()
    print(f"\n{ex_id}: {verdict.status.upper()} ({scored:g}/{possible:g} points)"
          + (f" -- {verdict.message}" if verdict.message else ""))
    if verdict.status == "correct":
        print(f"{catalog.seeds_note(args.seed)} Record it with `course check {ex_id}`; then `course next`.")
    elif verdict.status == "not attempted":
        print(f"Open {Path(path).name} and write the functions marked TODO; `course hint {ex_id}` helps.")
    return 0 if verdict.status == "correct" else 1


def selfcheck(path: str) -> None:
    sys.exit(main(path))
