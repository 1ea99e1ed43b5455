"""``course grade``: the instructor's grading of a course copy (a student's, or this one).

Every exercise file of the copy is graded in the sandbox (:mod:`coursekit.grading.sandbox`): the
files are copied out of the copy and nothing else of it is read; each exercise runs in a process of
its own, with limits, and nothing it starts outlives it. Untouched stubs are decided from their
source without starting anything. ``--jobs`` exercises run at once (default: 2).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from pathlib import Path

from . import catalog, state
from .classroom import grade_class, lay_out, meta_of, write_student
from .grading.report import print_scoreboard
from .grading.sandbox import NOT_ATTEMPTED, Limits, grade_submission

DEFAULT_TIMEOUT = 120.0  # seconds per exercise; a solution's budget is 15 s

__all__ = ["DEFAULT_TIMEOUT", "NOT_ATTEMPTED", "add_parser", "cmd_grade"]


def _ids(only) -> list[str]:
    ids = catalog.exercises()
    if only:
        for item in only:
            if item not in catalog.LESSONS:
                catalog.parse_id(item)
        ids = [i for i in ids if any(i == o or i.startswith(o + ".") for o in only)]
        if not ids:
            raise catalog.CatalogError(f"no exercise matches {' '.join(only)}")
    return ids


def cmd_grade(args) -> int:
    """Exit status: 0 every exercise correct (a class: every student graded), 1 graded but not all
    correct, 2 a usage error, 3 the grading itself failed (a class: a submission could not be read)."""
    ids = _ids(args.only)
    out = Path(args.out).resolve()
    limits = Limits(memory_mb=args.memory_mb)
    if args.class_dir:
        class_dir = Path(args.class_dir).resolve()
        if not class_dir.is_dir():
            raise catalog.CatalogError(f"no such folder: {class_dir}")
        if args.root or args.solutions:
            raise catalog.CatalogError("--class grades a folder of submissions: it goes without --root and --solutions")
        return grade_class(class_dir, out, ids=ids, seed=args.seed, timeout=args.timeout, jobs=args.jobs,
                           limits=limits, regrade=args.regrade)
    root = Path(args.root).resolve() if args.root else catalog.REPO
    if not root.is_dir():
        raise catalog.CatalogError(f"no such folder: {root}")
    kind = "solutions" if args.solutions else "exercise files"
    print(f"Grading {len(ids)} exercises ({kind} in {root}), seed {args.seed}, "
          f"limit {args.timeout:.0f} s each, {args.jobs} at a time", flush=True)
    start = time.perf_counter()

    def progress(v):
        why = f": {v['message']}" if v["status"] in ("tampered", "error", "crashed", "timeout") else ""
        killed = f"; {v['processes_killed']} processes it left running were killed" if v.get("processes_killed") else ""
        print(f"  {v['id']}: {v['status']} ({v.get('wall_seconds', 0):.0f} s){why}{killed}", flush=True)

    with tempfile.TemporaryDirectory(prefix=f"course-grade-{os.getpid()}-submission-") as tmp:
        # a student's copy may be a clone or loose exercise files (an upload to Gradescope): laid out as a course
        graded_root = root if root == catalog.REPO or args.solutions else lay_out(root, Path(tmp) / root.name)
        verdicts = grade_submission(ids, solutions=args.solutions, root=graded_root, seed=args.seed,
                                    timeout=args.timeout, jobs=args.jobs, limits=limits, progress=progress)
        kind_files = "solution" if args.solutions else "exercise"
        hashes = {i: hashlib.sha256(catalog.exercise_file(i, kind_files, graded_root).read_bytes()).hexdigest()
                  for i in ids if catalog.exercise_file(i, kind_files, graded_root).is_file()}
    for v in verdicts:
        v["file"] = str(root / Path(v["file"]).relative_to(graded_root)) if graded_root != root else v["file"]
    usage = state.usage(root)
    for v in verdicts:
        v["hints_used"] = usage["hints"].get(v["id"], 0)  # as the student's copy records them (not proof)
        v["solution_opened"] = v["id"] in usage["solutions"]
    elapsed = time.perf_counter() - start
    write_student(out, root.name, verdicts, {**meta_of(args.seed, elapsed, hashes, kind), "root": str(root)})
    print_scoreboard(verdicts)
    print(f"graded in {elapsed:.0f} s\nJUnit XML: {out / 'junit.xml'}\nJSON:      {out / 'grades.json'}\n"
          f"Feedback:  {out / 'feedback.md'}\nGradescope results: {out / 'results.json'}")
    if not args.solutions and root == catalog.REPO:
        state.record_verdicts(verdicts, root)
    return 0 if all(v["status"] == "correct" for v in verdicts) else 1


def add_parser(sub) -> None:
    grade = sub.add_parser("grade", help="instructors: grade every exercise (scoreboard, points, JUnit XML, JSON)")
    grade.add_argument("--solutions", action="store_true", help="grade the reference solutions")
    grade.add_argument("--root", metavar="DIR", help="a course copy to grade (a student's), default: this one")
    grade.add_argument("--class", dest="class_dir", metavar="DIR",
                       help="a folder of submissions, one per student (course copies, folders of exercise files, zips)")
    grade.add_argument("--regrade", action="store_true",
                       help="with --class: grade again students already graded with this course version and seed")
    grade.add_argument("--only", nargs="+", metavar="ID", help="lessons or exercises, e.g. 5.1 5.2.3")
    grade.add_argument("--out", default="grades", metavar="DIR", help="where junit.xml and grades.json go")
    grade.add_argument("--seed", type=int, default=0)
    grade.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per exercise")
    grade.add_argument("--jobs", type=int, default=2, help="exercises graded at once (default 2)")
    grade.add_argument("--memory-mb", type=int, default=Limits.memory_mb,
                       help=f"memory of one exercise's processes together (default {Limits.memory_mb})")
    grade.set_defaults(handler=cmd_grade)
