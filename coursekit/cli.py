"""The ``course`` command: one command away from "what do I do next, and am I done?".

    course list                 lessons, demos, exercises and where each exercise stands
    course next                 the first exercise not yet passed: its goal and what to read first
    course run 5.2 [demo]       run a lesson's demos (figures into the lesson's figures/latest/)
    course check 5.1.1          grade your exercise: each check measured vs target, with a hint
    course hint 5.1.1           the next hint for an exercise (idea, then API, then near-code)
    course solution 5.1.1       where the reference solution is (and a note that you opened it)
    course notebook 5.2         the lesson's demos and exercises as notebooks (notebooks/5.2/, git-ignored)
    course watch 5.1.1          re-check the exercise file each time it is saved (TensorFlow stays loaded)
    course grade                instructors: every exercise, scores, JUnit XML and JSON (coursekit.grader)
    course grade --class DIR    instructors: a whole class, gradebook and feedback (coursekit.classroom)
    course edition DIR          instructors: the student edition, without solutions (coursekit.edition)
    course gradescope B.zip     instructors: the course as a Gradescope autograder (coursekit.platforms)

Grading: every exercise is graded by its grader (``coursekit/graders/``) through
``coursekit.grading.grade_file``, in the sandbox (``coursekit.grading.sandbox``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from . import catalog, edition, grader, notebooks, platforms, state
from .grading.sandbox import grade_submission
from .grading.report import print_checks

REPO = catalog.REPO


STUDENT_COMMANDS = ("list", "next", "run", "check", "hint", "solution", "notebook", "watch")


class CourseError(catalog.CatalogError):
    """A user error: printed as one line, exit code 2."""


def course_root_of(folder: Path) -> Path | None:
    """The copy of the course that ``folder`` is in (a folder with ``coursekit/catalog.py`` and the
    lesson folders), or None."""
    folder = Path(folder).resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / "coursekit" / "catalog.py").is_file() and (candidate / catalog.LESSONS["5.1"].folder).is_dir():
            return candidate
    return None


def _check_where(cwd: Path | None = None) -> None:
    """A student in another copy of the course than the one this ``course`` command is installed from
    would grade files they are not editing: say so in one line, with what to do."""
    here = course_root_of(cwd or Path.cwd())
    if here is not None and here != REPO:
        raise CourseError(f"you are in the course copy {here}, but this `course` command grades {REPO}: activate the "
                          f"environment of {here} (e.g. source {here / '.venv' / 'bin' / 'activate'}) or install it "
                          f"there with: pip install -e \".[test]\" -c constraints.txt")


NEEDED = ("tensorflow", "keras", "sklearn", "scikeras", "pytest", "matplotlib")


def _require_packages() -> None:
    """Commands that train need the course's packages in *this* Python: say in one line which are missing
    and what to activate or install, instead of a traceback from deep inside a demo or the rubric."""
    import importlib.util

    missing = [name for name in NEEDED if importlib.util.find_spec(name) is None]
    if missing:
        raise CourseError(f"this Python ({sys.executable}) lacks {', '.join(missing)}: activate the course's environment "
                          f"(source {REPO / '.venv' / 'bin' / 'activate'}) or, in {REPO}, "
                          "pip install -e \".[test]\" -c constraints.txt")


def _require_rubric() -> None:
    if not catalog.GRADERS.is_dir():
        raise CourseError(f"the graders (coursekit/graders/) are not in this install ({REPO}); reinstall the course "
                          "with pip install -e .")


def _status_of(ex_id: str, recorded: dict) -> str:
    last = recorded.get(ex_id)
    if last:
        return f"{last['status']} ({last['when']})"
    state = catalog.progress(catalog.exercise_file(ex_id), ex_id)
    if state is None:
        return "started (does not parse)"
    if all(s == "todo" for s in state.values()):
        return "to do"
    written = sum(s == "written" for s in state.values())
    return f"started, {written} of {len(state)} written, not checked yet"


# --------------------------------------------------------------------------- commands


def cmd_list(args) -> int:
    recorded = state.verdicts()
    print(f"Course folder: {REPO}")
    for lesson in catalog.LESSONS.values():
        print(f"\n{lesson.id}  {lesson.title}\n     {lesson.folder}/")
        for demo in catalog.demos(lesson.id):
            print(f"     demo      {demo.name:<34} course run {lesson.id} {demo.stem.removeprefix('demo_')}")
        for ex_id in catalog.exercises(lesson.id):
            path = catalog.exercise_file(ex_id)
            print(f"     exercise  {path.name:<34} {_status_of(ex_id, recorded):<34} course check {ex_id}")
    print("\nWhat next? `course next`")
    return 0


def next_exercise() -> str | None:
    recorded = state.verdicts()
    for ex_id in catalog.exercises():
        if recorded.get(ex_id, {}).get("status") != "correct":
            return ex_id
    return None


def print_next() -> None:
    ex_id = next_exercise()
    if ex_id is None:
        print("Next: nothing -- every exercise of the course is correct. Well done.")
        return
    info = catalog.info(ex_id)
    path = catalog.exercise_file(ex_id).relative_to(REPO)
    print(f"Next: {ex_id} -- {info.title}")
    if info.goal:
        print(f"  goal:       {info.goal}")
    print(f"  read first: {info.read_first}")
    print(f"  then:       write the TODOs of {path}, run it with python, and `course check {ex_id}`")


def cmd_next(args) -> int:
    print_next()
    return 0


def cmd_run(args) -> int:
    scripts = catalog.demos(args.lesson)
    if args.demo:
        matching = [d for d in scripts if args.demo in d.stem]
        if not matching:
            names = ", ".join(d.stem.removeprefix("demo_") for d in scripts) or "none"
            raise CourseError(f"no demo matching {args.demo!r} in lesson {args.lesson}; demos: {names}")
        scripts = matching
    if not scripts:
        raise CourseError(f"lesson {args.lesson} has no demos yet")
    failed = []
    for script in scripts:
        print(f"\n=== {args.lesson} {script.name} ===", flush=True)
        cmd = [sys.executable, str(script), "--seed", str(args.seed)]
        if args.update_figures:  # a maintainer regenerates the figures the README embeds (committed)
            cmd += ["--figures", str(script.parent / "figures")]
        elif args.figures:
            cmd += ["--figures", str(Path(args.figures).resolve())]
        start = time.perf_counter()
        code = subprocess.call(cmd, cwd=script.parent)
        print(f"--- {script.name}: {'ok' if code == 0 else f'FAILED (exit {code})'} in {time.perf_counter() - start:.1f} s")
        if code != 0:
            failed.append(script.name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


def _conclude(ex_id: str, verdict: dict, path: Path, seed: int, solution: bool, again: str, show_next: bool = True) -> int:
    """The verdict's last lines (what it means, what to do) and the exit status of a check."""
    status = verdict["status"]
    points = f" ({verdict['points']:g}/{verdict['max_points']:g} points)" if verdict.get("max_points") else ""
    if status == "correct":
        print(f"\n{ex_id} CORRECT{points} in {verdict.get('wall_seconds', 0):.0f} s. {catalog.seeds_note(seed)}")
        if not solution and show_next:
            print_next()
        return 0
    if status == grader.NOT_ATTEMPTED:
        print(f"\n{ex_id} NOT ATTEMPTED: write the TODOs of {path.name}; `course hint {ex_id}` helps.")
    elif status in ("crashed", "error", "timeout", "tampered") and not verdict.get("checks") or status == "tampered":
        print(f"\n{ex_id} {status.upper()}: {verdict.get('message', '')}")
    else:
        message = f" -- {verdict['message']}" if verdict.get("message") else ""
        print(f"\n{ex_id} {status.upper()}{points}{message}: fix the FAIL lines above and {again} "
              f"(`course hint {ex_id}` for a hint).")
    return 1


def cmd_check(args) -> int:
    _require_rubric()
    ex_id = catalog.require(args.exercise)
    path = catalog.exercise_file(ex_id, "solution" if args.solution else "exercise")
    print(f"Checking {path.relative_to(REPO)} in {REPO} (seed {args.seed}) ...", flush=True)
    verdict = grade_submission([ex_id], solutions=args.solution, root=REPO, seed=args.seed, timeout=args.timeout)[0]
    print_checks(verdict, test_numbers=args.solution)
    if not args.solution:
        state.record_verdicts([verdict])
    return _conclude(ex_id, verdict, path, args.seed, args.solution, f"run `course check {ex_id}` again")


def _fingerprint(path: Path):
    """What a save changes: the file's content (a save that changes nothing is not checked again)."""
    import hashlib

    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def cmd_watch(args) -> int:
    """Check the exercise file now and after every save, until Ctrl-C. TensorFlow and the grader are
    imported once, here; each check runs in the sandbox, as `course check`, in a process forked from
    this one, so a check pays no start-up."""
    from .grading.sandbox import preload

    _require_rubric()
    ex_id = catalog.require(args.exercise)
    root = Path(args.root).resolve() if args.root else REPO
    path = catalog.exercise_file(ex_id, "exercise", root)
    if not path.is_file():
        raise CourseError(f"no exercise file {path}")
    print(f"Watching {path} (seed {args.seed}): every save is checked. Ctrl-C stops.", flush=True)
    start = time.perf_counter()
    preload([ex_id])
    print(f"(TensorFlow and the grader loaded in {time.perf_counter() - start:.1f} s; they stay loaded)", flush=True)
    seen, checks, status = None, 0, 1
    while args.checks is None or checks < args.checks:
        now = _fingerprint(path)
        if now is None or now == seen:
            time.sleep(WATCH_POLL)
            continue
        saved = path.stat().st_mtime
        if seen is not None:
            print(f"\n=== {path.name} saved at {time.strftime('%H:%M:%S', time.localtime(saved))}: checking ...", flush=True)
        seen = now
        verdict = grade_submission([ex_id], root=root, seed=args.seed, timeout=args.timeout)[0]
        print_checks(verdict)
        if root == REPO:
            state.record_verdicts([verdict])
        status = _conclude(ex_id, verdict, path, args.seed, False, "save the file again", show_next=root == REPO)
        if checks:  # the first check follows the start, not a save
            print(f"(from save to verdict: {time.time() - saved:.1f} s; the grading itself "
                  f"{verdict.get('wall_seconds', 0):.1f} s)", flush=True)
        checks += 1
        print(f"\nWatching {path.name} for the next save ... (Ctrl-C stops)", flush=True)
    return status


WATCH_POLL = 0.2  # seconds between two looks at the file


def cmd_notebook(args) -> int:
    import importlib.util

    target = args.target
    if target not in catalog.LESSONS:
        if target.count(".") < 2:
            raise CourseError(f"no lesson {target!r}: write a lesson ({', '.join(catalog.LESSONS)}) or an exercise (5.2.3)")
        catalog.require(target)
    if any(importlib.util.find_spec(name) is None for name in ("jupytext", "nbformat", "ipykernel")):
        raise CourseError("the notebook tools are not installed in this Python: in the course folder, "
                          "pip install -e \".[test]\" -c constraints.txt")
    done = notebooks.write_notebooks(target, REPO, force=args.force)
    for path, what in done:
        note = " (it exists: kept as it is; --force writes it again)" if what == "kept" else ""
        print(f"  {what.split(':')[0]:<8} {path.relative_to(REPO)}{note}{what.partition(':')[2]}")
    folder = done[0][0].parent.relative_to(REPO) if done else notebooks.notebooks_dir(target)
    print(f"""
Notebooks are in {folder}/ (git ignores that folder). Open them with the course's Python as the kernel:
  JupyterLab:  pip install -e ".[lab]" -c constraints.txt   (once), then: jupyter lab {folder}
  VS Code:     open {folder}/ and choose the kernel of {Path(sys.executable).parent.parent} (Python and Jupyter extensions)
  Colab:       upload a notebook; its kernel must have the course installed: upload the course folder and
               run `!pip install -e <folder> -c <folder>/constraints.txt` in a first cell
In an exercise notebook the last cells check it: `check("5.N.K")` and `hint("5.N.K")`.""")
    return 0


def cmd_hint(args) -> int:
    ex_id = catalog.require(args.exercise)
    print(notebooks.hint_text(ex_id, args.level, command="course"))
    return 0


def cmd_solution(args) -> int:
    ex_id = catalog.require(args.exercise)
    path = catalog.exercise_file(ex_id, "solution")
    if not path.is_file():
        print(f"This is the student edition of the course: the reference solution of {ex_id} is with your "
              f"instructor. `course hint {ex_id}` gives the next hint.")
        return 0
    state.record_solution_opened(ex_id)
    print(f"The reference solution of {ex_id}: {path}\n"
          "Read it after your own attempt; this is recorded, and an exercise file that imports it is "
          "graded \"uses the solution\".")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="course", description="Module 5: Developing and Optimizing Neural Networks")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("list", help="lessons, demos, exercises and where each exercise stands").set_defaults(handler=cmd_list)
    sub.add_parser("next", help="the first exercise not yet passed, its goal and what to read first").set_defaults(handler=cmd_next)

    run = sub.add_parser("run", help="run a lesson's demos")
    run.add_argument("lesson", help="e.g. 5.1")
    run.add_argument("demo", nargs="?", help="one demo (part of its name), e.g. churn")
    run.add_argument("--seed", type=int, default=0)
    where = run.add_mutually_exclusive_group()
    where.add_argument("--figures", metavar="DIR", help="write figures here (default: figures/latest/ of the lesson, "
                                                        "git-ignored)")
    where.add_argument("--update-figures", action="store_true",
                       help="maintainers: regenerate the committed figures/*.png that the lesson's README embeds")
    run.set_defaults(handler=cmd_run)

    check = sub.add_parser("check", help="grade one exercise file against the rubric")
    check.add_argument("exercise", help="e.g. 5.1.1")
    check.add_argument("--seed", type=int, default=0)
    check.add_argument("--timeout", type=float, default=grader.DEFAULT_TIMEOUT, help="seconds before the run is stopped")
    check.add_argument("--solution", action="store_true", help="check the reference solution instead")
    check.set_defaults(handler=cmd_check)

    hint = sub.add_parser("hint", help="the next hint level for an exercise")
    hint.add_argument("exercise", help="e.g. 5.1.1")
    hint.add_argument("--level", type=int, help="show this level (1 = the idea)")
    hint.set_defaults(handler=cmd_hint)

    solution = sub.add_parser("solution", help="where the reference solution of an exercise is")
    solution.add_argument("exercise", help="e.g. 5.1.1")
    solution.set_defaults(handler=cmd_solution)

    notebook = sub.add_parser("notebook", help="a lesson's demos and exercises (or one exercise) as notebooks")
    notebook.add_argument("target", help="a lesson (5.2) or an exercise (5.2.3)")
    notebook.add_argument("--force", action="store_true", help="write notebooks that exist again (their changes are lost)")
    notebook.set_defaults(handler=cmd_notebook)

    watch = sub.add_parser("watch", help="check an exercise file now and after each save")
    watch.add_argument("exercise", help="e.g. 5.2.1")
    watch.add_argument("--seed", type=int, default=0)
    watch.add_argument("--timeout", type=float, default=grader.DEFAULT_TIMEOUT, help="seconds before a check is stopped")
    watch.add_argument("--root", metavar="DIR", help="the course copy whose exercise file is watched (default: this one)")
    watch.add_argument("--checks", type=int, help=argparse.SUPPRESS)  # stop after this many verdicts (tests)
    watch.set_defaults(handler=cmd_watch)

    grader.add_parser(sub)
    edition.add_parser(sub)
    platforms.add_parser(sub)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command in STUDENT_COMMANDS or (args.command == "grade" and not args.root and not args.class_dir):
            _check_where()
        if args.command in ("run", "check", "grade"):
            _require_packages()
        return args.handler(args)
    except catalog.CatalogError as exc:
        print(f"course: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `course list | head`
        sys.stderr.close()
        return 0
    except Exception:  # noqa: BLE001 -- a fault of the course's own code: exit 3, never mistaken for a grade
        if args.command != "grade":
            raise
        import traceback

        traceback.print_exc()
        print("course: the grading itself failed (exit status 3); no grade was written", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
