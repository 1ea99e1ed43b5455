"""An instructor's class: one command grades a folder of submissions (course copies, loose files,
zips; solved, half done, broken, untouched, hostile) into a gradebook, feedback, Gradescope results
and JUnit XML; a second run resumes. And the student edition, without solutions, works for a student."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from coursekit import catalog

LESSON = catalog.LESSONS["5.4"].folder
IDS = catalog.exercises("5.4")


def solution(ex_id: str) -> str:
    return catalog.exercise_file(ex_id, "solution").read_text()


def stub(ex_id: str) -> str:
    return catalog.exercise_file(ex_id).read_text()


def _grade_class(class_dir: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "coursekit.cli", "grade", "--class", str(class_dir), "--only", "5.4",
                           "--timeout", "10", "--out", str(out)], cwd=class_dir.parent, capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def graded(once):
    return once("classroom", _grade_a_class)


def _grade_a_class(tmp: Path) -> dict:
    """A class of five, graded twice into one folder (the second run resumes): once per test run."""
    klass = tmp / "class"
    ann = klass / "ann" / LESSON  # a course copy, every 5.4 exercise solved
    ann.mkdir(parents=True)
    for ex_id in IDS:
        (ann / catalog.exercise_file(ex_id).name).write_text(solution(ex_id))
    ben = klass / "ben"  # loose files, half done
    ben.mkdir()
    for ex_id in IDS:
        (ben / catalog.exercise_file(ex_id).name).write_text(solution(ex_id) if ex_id in ("5.4.1", "5.4.6") else stub(ex_id))
    dan = klass / "dan" / "work"  # untouched stubs, one folder down
    dan.mkdir(parents=True)
    for ex_id in IDS:
        (dan / catalog.exercise_file(ex_id).name).write_text(stub(ex_id))
    broken = {"5.4.2": "def oops(:\n", "5.4.3": solution("5.4.3") + "\nraise RuntimeError('at import')\n",
              "5.4.4": solution("5.4.4") + "\nwhile True:\n    pass\n"}
    with zipfile.ZipFile(klass / "cat.zip", "w") as zf:  # a zip of a folder: syntax error, exception, endless loop
        for ex_id, text in broken.items():
            zf.writestr(f"cat/{catalog.exercise_file(ex_id).name}", text)
    with zipfile.ZipFile(klass / "eve.zip", "w") as zf:  # a zip that writes outside its folder
        zf.writestr("../../escaped.py", "x = 1\n")
    first = _grade_class(klass, tmp / "out")
    second = _grade_class(klass, tmp / "out")
    return {"first": first, "second": second, "out": tmp / "out", "tmp": tmp}


def _book(out: Path) -> dict[str, dict]:
    with open(out / "gradebook.csv") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


@pytest.mark.platforms
def test_a_class_grades_in_one_command_with_the_same_maximum_for_everyone(graded):
    proc = graded["first"]
    assert proc.returncode == 3, proc.stdout + proc.stderr  # eve's zip could not be read; the others are graded
    assert "eve: NOT GRADED" in proc.stdout and not (graded["tmp"] / "escaped.py").exists()
    book = _book(graded["out"])
    assert set(book) == {"ann", "ben", "cat", "dan"}
    assert {row["max"] for row in book.values()} == {"60"}
    assert book["ann"]["total"] == "60" and book["ann"]["correct"] == "6"
    assert book["ben"]["total"] == "20" and book["ben"]["5.4.1"] == "10" and book["ben"]["5.4.2"] == "0"
    assert book["dan"]["total"] == "0" and book["cat"]["total"] == "0"


@pytest.mark.platforms
def test_each_student_gets_grades_feedback_and_gradescope_results(graded):
    folder = graded["out"] / "students"
    grades = json.loads((folder / "ben" / "grades.json").read_text())
    assert grades["student"] == "ben" and grades["seed"] == 0 and grades["course_version"] and grades["graded_at"]
    assert grades["files"]["5.4.1"] == hashlib.sha256(solution("5.4.1").encode()).hexdigest()
    statuses = {v["id"]: v["status"] for v in grades["exercises"]}
    assert statuses["5.4.1"] == "correct" and statuses["5.4.2"] == "not attempted"
    cat = {v["id"]: v for v in json.loads((folder / "cat" / "grades.json").read_text())["exercises"]}
    assert cat["5.4.4"]["status"] == "timeout" and cat["5.4.1"]["status"] == "missing"
    assert cat["5.4.3"]["status"] == "incorrect" and "at import" in json.dumps(cat["5.4.3"]["checks"])
    results = json.loads((folder / "ben" / "results.json").read_text())
    assert results["score"] == 20 and len(results["tests"]) == len(IDS)
    for test in results["tests"]:
        assert set(test) >= {"name", "score", "max_score", "status", "output"} and test["max_score"] == 10
    feedback = (folder / "ben" / "feedback.md").read_text()
    assert "20 / 60 points" in feedback and "not attempted" in feedback and "Hint:" in feedback
    assert "20 / 60" in (folder / "ben" / "feedback.md").read_text()


@pytest.mark.platforms
def test_junit_counts_one_case_per_student_and_exercise(graded):
    root = ET.parse(graded["out"] / "junit.xml").getroot()
    cases = list(root.iter("testcase"))
    failures = sum(1 for c in cases if c.find("failure") is not None)
    errors = sum(1 for c in cases if c.find("error") is not None)
    assert int(root.get("tests")) == len(cases) == 4 * len(IDS) + 1
    assert int(root.get("failures")) == failures == 4 * len(IDS) - 6 - 2 and int(root.get("errors")) == errors == 1


@pytest.mark.platforms
def test_an_interrupted_class_run_resumes_without_regrading(graded):
    proc = graded["second"]
    assert proc.stdout.count("already graded with this course version and seed") == 4, proc.stdout
    assert _book(graded["out"])["ann"]["total"] == "60"


def _course(edition: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "coursekit.cli", *args], cwd=edition,
                          env={**os.environ, "PYTHONPATH": str(edition)}, capture_output=True, text=True, timeout=300)


@pytest.mark.platforms
def test_the_student_edition_works_without_solutions(tmp_path):
    edition = tmp_path / "module5-student"
    made = subprocess.run([sys.executable, "-m", "coursekit.cli", "edition", str(edition)], capture_output=True,
                          text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    assert not list(edition.rglob("_5_*_solution.py")) and not (edition / "tests").exists()
    catalog.exercise_file("5.4.6", "exercise", edition).write_text(solution("5.4.6"))
    listed = _course(edition, "list")
    assert listed.stdout.count("course check 5.") == len(catalog.exercises()), listed.stdout
    assert "Next: 5.1.1" in _course(edition, "next").stdout
    solved = _course(edition, "check", "5.4.6")
    assert "5.4.6 CORRECT" in solved.stdout, solved.stdout + solved.stderr
    untouched = _course(edition, "check", "5.4.1")
    assert "NOT ATTEMPTED" in untouched.stdout, untouched.stdout + untouched.stderr
    assert "hint 1 of" in _course(edition, "hint", "5.4.1").stdout
    assert "with your instructor" in _course(edition, "solution", "5.4.1").stdout


@pytest.mark.platforms
def test_the_gradescope_bundle_runs_as_gradescope_runs_it(tmp_path):
    """Unpacked into <root>/source as Gradescope does, run_autograder on a submission of loose files
    writes <root>/results/results.json (setup.sh needs the network: the course is already installed here)."""
    bundle = tmp_path / "autograder.zip"
    made = subprocess.run([sys.executable, "-m", "coursekit.cli", "gradescope", str(bundle)], capture_output=True,
                          text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as zf:
        names = zf.namelist()
        assert "setup.sh" in names and "run_autograder" in names and not [n for n in names if "_solution" in n]
        zf.extractall(root / "source")
    (root / "submission").mkdir()
    for ex_id in ("5.4.1", "5.4.6"):
        (root / "submission" / catalog.exercise_file(ex_id).name).write_text(solution(ex_id))
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "COURSE_PYTHON": sys.executable,
           "PYTHONPATH": str(root / "source")}
    run = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 20 and len(results["tests"]) == len(catalog.exercises())
    assert sum(t["max_score"] for t in results["tests"]) == 274
    assert {t["name"].split()[0]: t["status"] for t in results["tests"]}["5.4.6"] == "passed"


@pytest.mark.platforms
def test_the_github_classroom_grading_step_runs_as_a_command(tmp_path):
    """The workflow's "Grade" step, run as the runner runs it (bash -e) in a student's repository."""
    workflow = (catalog.REPO / "docs" / "platforms" / "classroom.yml").read_text()
    step = workflow.split("- name: Grade", 1)[1].split("run:", 1)[1].splitlines()[0].strip()
    repo = tmp_path / "student-repo"
    for ex_id in catalog.exercises():
        target = catalog.exercise_file(ex_id, "exercise", repo)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(solution(ex_id) if ex_id == "5.4.6" else stub(ex_id))
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "course").write_text(f"#!/bin/sh\nexec {sys.executable} -m coursekit.cli \"$@\" --root {repo}\n")
    (shim / "course").chmod(0o755)
    summary = tmp_path / "summary.md"
    env = {**os.environ, "PATH": f"{shim}:{os.environ['PATH']}", "GITHUB_STEP_SUMMARY": str(summary)}
    run = subprocess.run(["bash", "-e", "-c", step], cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr  # graded, not all correct: the step passes
    assert "1 of 27 exercises correct" in summary.read_text()
    assert json.loads((repo / "grades" / "results.json").read_text())["score"] == 10


@pytest.mark.platforms
def test_pytest_grades_the_class_with_the_same_verdicts(graded, tmp_path):
    """An instructor whose CI runs pytest: `pytest --class DIR` gives one JUnit case per student and
    exercise, with the status and points of `course grade --class`."""
    junit = tmp_path / "class.xml"
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", str(catalog.REPO / "tests" / "test_exercises.py"),
                    "--class", str(graded["tmp"] / "class"), "--exercise", "5.4.1", "--exercise", "5.4.6",
                    "--exercise-timeout", "10", f"--junitxml={junit}"], cwd=catalog.REPO, capture_output=True,
                   text=True, timeout=600)
    seen = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        if "status" in props:
            student, ex_id = case.get("name").split("[", 1)[1].rstrip("]").split("-", 1)
            seen[(student, ex_id)] = (props["status"], float(props["points"]))
    expected = {}
    for student in ("ann", "ben", "cat", "dan"):
        for v in json.loads((graded["out"] / "students" / student / "grades.json").read_text())["exercises"]:
            if v["id"] in ("5.4.1", "5.4.6"):
                expected[(student, v["id"])] = (v["status"], float(v["points"]))
    assert seen == expected
