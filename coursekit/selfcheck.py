"""``python _5_N_K_exercise.py``: grade this file with its grader and print what it measures.

The exercise file holds only the student's functions; the harness that trains and scores them is
the grader's (``coursekit/graders/ex_5_N_K.py``). This door calls the same
:func:`coursekit.grading.grade_file` as ``course check`` and the instructor's grading, in this
process (so what the file prints appears as it runs); ``course check`` grades it in the sandbox
and records the verdict.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import catalog
from .grading.report import check_lines


def main(path: str, argv=None) -> int:
    match = catalog.FILE_NAME.match(Path(path).name)
    if not match:
        raise SystemExit(f"course: {path} is not an exercise file")
    ex_id = f"5.{match.group(1)}.{match.group(2)}"
    parser = argparse.ArgumentParser(description=f"Exercise {ex_id}: grade this file with its grader")
    parser.add_argument("--seed", type=int, default=0, help="seed of the grader's training (default 0)")
    args = parser.parse_args(argv)
    from .grading import grade_file

    print(f"Exercise {ex_id}: the grader's harness on {Path(path).name} (seed {args.seed})\n", flush=True)
    verdict = grade_file(ex_id, Path(path), args.seed)
    for line in check_lines(verdict):
        print(line)
    status = verdict["status"]
    message = f" -- {verdict['message']}" if verdict.get("message") else ""
    print(f"\n{ex_id}: {status.upper()} ({verdict['points']:g}/{verdict['max_points']:g} points){message}")
    if status == "correct":
        print(f"{catalog.seeds_note(args.seed)} Record it with `course check {ex_id}`; then `course next`.")
    elif status == "not attempted":
        print(f"Open {Path(path).name} and write the functions marked TODO; `course hint {ex_id}` helps.")
    return 0 if status == "correct" else 1


def selfcheck(path: str) -> None:
    sys.exit(main(path))
