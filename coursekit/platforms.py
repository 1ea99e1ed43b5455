"""``course gradescope BUNDLE.zip``: the course as a Gradescope autograder, and the GitHub Classroom
workflow (``docs/platforms/classroom.yml``). Both run the one per-submission command,
``course grade --root SUBMISSION --out DIR``, whose ``results.json`` is in Gradescope's format.

Gradescope unpacks the bundle into ``/autograder/source``, runs ``setup.sh`` once when the image is
built, then ``run_autograder`` for each submission (the student's files in ``/autograder/submission``)
and reads ``/autograder/results/results.json``. The bundle holds the student edition of the course (no
solutions, no tests: grading needs neither) and those two scripts.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from . import catalog
from .edition import LEFT_OUT, course_files

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu).
set -euo pipefail
apt-get update
apt-get install -y --no-install-recommends python3 python3-venv python3-pip git
cd /autograder/source
python3 -m venv .venv
.venv/bin/pip install --upgrade pip
.venv/bin/pip install -e ".[test]" -c constraints.txt
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for each submission: the student's files in $ROOT/submission (a clone of the
# course, or loose _5_N_K_exercise.py files), Gradescope's results in $ROOT/results/results.json.
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PYTHON="${COURSE_PYTHON:-$ROOT/source/.venv/bin/python}"
mkdir -p "$ROOT/results"
cd "$ROOT/source"
"$PYTHON" -m coursekit.cli grade --root "$ROOT/submission" --out "$ROOT/results/grading" --jobs 2
status=$?
if [ -f "$ROOT/results/grading/results.json" ] && [ "$status" -le 1 ]; then
    cp "$ROOT/results/grading/results.json" "$ROOT/results/results.json"
else
    printf '{"score": 0, "output": "The grader failed (exit status %s): tell your instructor.", "tests": []}\\n' \\
        "$status" > "$ROOT/results/results.json"
fi
exit 0
"""


def write_bundle(dest: Path) -> int:
    """The autograder zip: the course without solutions and tests, ``setup.sh`` and ``run_autograder``."""
    dest = Path(dest).resolve()
    if dest.suffix != ".zip":
        raise catalog.CatalogError(f"{dest.name}: the Gradescope bundle is a .zip file")
    count = 0
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel in course_files():
            match = catalog.FILE_NAME.match(rel.name)
            if rel.as_posix().startswith(LEFT_OUT) or (match and match.group(3) == "solution"):
                continue
            zf.write(catalog.REPO / rel, rel.as_posix())
            count += 1
        for name, text in (("setup.sh", SETUP), ("run_autograder", RUN_AUTOGRADER)):
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o100755 << 16  # executable, as Gradescope expects
            zf.writestr(info, text)
    return count


def cmd_gradescope(args) -> int:
    count = write_bundle(Path(args.bundle))
    print(f"Gradescope autograder: {Path(args.bundle).resolve()} ({count} course files, setup.sh, run_autograder).\n"
          "Upload it as a zip autograder; each submission is graded with `course grade` in the sandbox.")
    return 0


def add_parser(sub) -> None:
    bundle = sub.add_parser("gradescope", help="instructors: the course as a Gradescope autograder zip")
    bundle.add_argument("bundle", metavar="BUNDLE.zip")
    bundle.set_defaults(handler=cmd_gradescope)
