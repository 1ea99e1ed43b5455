"""Every door gives the same verdict for the same file and seed: ``python _5_N_K_exercise.py``,
``course check``, ``course grade`` and pytest all reach it through ``coursekit.grading.grade_file``
(the exercise file and pytest in their own process, the others in the sandbox); each door but pytest's
in a process of its own, as a user starts it. Three exercises: one whose
grader trains Keras networks, one that differentiates with TensorFlow, one of NumPy alone (every grader
is graded in this process by ``tests/test_exercises.py`` and in the sandbox by the class and sandbox
tests; the doors around it are the same for all)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from coursekit import catalog
from coursekit.grading.report import check_lines

IDS = ["5.1.1", "5.2.7", "5.4.1"]
SEED = 1


def _checks(lines: list[str]) -> list[str]:
    """The lines that state a check or a measurement (not what the exercise's code printed)."""
    return [line for line in lines if line.startswith(("  ok", "  FAIL", "         hint", "  also measured"))]


def _run(args: list[str], cwd) -> str:
    proc = subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=900)
    assert proc.returncode in (0, 1), proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


@pytest.fixture
def seed():
    return SEED


@pytest.mark.platforms
def test_every_door_gives_the_same_verdict(tmp_path, graded_file):
    files = [str(catalog.exercise_file(i, "solution")) for i in IDS]
    # 1. python _5_N_K_exercise.py: the file's own selfcheck, in one process, file after file
    script = ("import importlib, sys\nmain = importlib.import_module('coursekit.selfcheck').main\n"
              "for path in sys.argv[2:]:\n    print('=== ' + path, flush=True)\n"
              "    main(path, ['--seed', sys.argv[1]])\n    sys.stdout.flush()\n")
    out = _run(["-c", script, str(SEED), *files], tmp_path)
    own = {}
    for block in out.split("=== ")[1:]:
        path, _, text = block.partition("\n")
        own[IDS[files.index(path)]] = _checks(text.splitlines())
    # 2. course grade: the sandbox, two at a time
    _run(["-m", "coursekit.cli", "grade", "--solutions", "--only", *IDS, "--seed", str(SEED), "--out",
          str(tmp_path / "grades")], tmp_path)
    graded = {v["id"]: v for v in json.loads((tmp_path / "grades" / "grades.json").read_text())["exercises"]}
    # 3. pytest: what tests/test_exercises.py calls, in this test process
    from_pytest = {ex_id: graded_file(ex_id) for ex_id in IDS}
    # 4. course check: the sandbox, one exercise
    checked = _checks(_run(["-m", "coursekit.cli", "check", "5.4.1", "--solution", "--seed", str(SEED)],
                           catalog.REPO).splitlines())
    for ex_id in IDS:
        assert graded[ex_id]["status"] == from_pytest[ex_id]["status"] == "correct", ex_id
        assert graded[ex_id]["points"] == from_pytest[ex_id]["points"]
        lines = own[ex_id]
        assert lines and _checks(check_lines(graded[ex_id])) == lines, ex_id
        assert _checks(check_lines(from_pytest[ex_id])) == lines, ex_id
    assert checked == own["5.4.1"]
