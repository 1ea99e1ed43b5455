"""``course edition DIR``: the student edition, a copy of the course without the reference solutions.

It holds the lessons, demos, exercise stubs, graders, hints, data package and toolkit, so that
``course list``, ``next``, ``check`` and ``hint`` work as in the full course; ``course solution``
says the solutions are with the instructor. Left out: every ``_5_N_K_solution.py``, ``tests/`` (its
wrong answers are built from the solutions) and ``.ci/``. The copy is made from the files git tracks
(or, outside a checkout, from every file but what runs generate).

The hint levels a student opens and the solutions a student asks for are recorded in that student's
own ``.course/`` folder: records of the student's copy, which the student can edit, not proof.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from . import catalog

LEFT_OUT = ("tests/", ".ci/")


def course_files() -> list[Path]:
    """The course's files, relative to its root: those git tracks, else every file but generated ones."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=catalog.REPO, capture_output=True, timeout=30)
        if listed.returncode == 0 and listed.stdout:
            return [Path(p) for p in listed.stdout.decode().split("\0") if p]
    except (OSError, subprocess.SubprocessError):
        pass
    from .grading.coursefiles import _skip

    skip_parts = {".git", "__pycache__", ".venv"}
    return [p.relative_to(catalog.REPO) for p in catalog.REPO.rglob("*")
            if p.is_file() and not (set(p.relative_to(catalog.REPO).parts) & skip_parts) and not _skip(p)]


def write_edition(dest: Path) -> int:
    """Copy the course without its solutions into ``dest`` (which must not exist); the number of files."""
    dest = Path(dest).resolve()
    if dest.exists():
        raise catalog.CatalogError(f"{dest} exists: the student edition is written into a new folder")
    if catalog.REPO in dest.parents or dest == catalog.REPO:
        raise catalog.CatalogError("write the student edition outside the course's own folder")
    count = 0
    for rel in course_files():
        name = rel.as_posix()
        match = catalog.FILE_NAME.match(rel.name)
        if name.startswith(LEFT_OUT) or (match and match.group(3) == "solution"):
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(catalog.REPO / rel, target)
        count += 1
    return count


def cmd_edition(args) -> int:
    count = write_edition(Path(args.dest))
    print(f"Student edition: {count} files in {Path(args.dest).resolve()} (no solutions, no tests/).\n"
          "Students install it as the README says (pip install -e \".[test]\" -c constraints.txt); course list, next, "
          "check and hint work there.")
    return 0


def add_parser(sub) -> None:
    edition = sub.add_parser("edition", help="instructors: write the student edition (the course without solutions)")
    edition.add_argument("dest", metavar="DIR", help="a new folder")
    edition.set_defaults(handler=cmd_edition)
