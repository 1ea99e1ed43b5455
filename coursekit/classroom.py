"""Grading a class: ``course grade --class DIR``, and what one student's grading writes.

A class folder holds one submission per student, the student id taken from its name:

- a copy of the course (a clone, as handed in), or any folder with ``_5_N_K_exercise.py`` files
  anywhere in it (loose files, a lesson folder);
- a ``.zip`` of either (members with absolute paths, ``..`` or links are refused).

Every submission is graded in the sandbox (:mod:`coursekit.grading.sandbox`), student after student,
``--jobs`` exercises at once. Each student's folder under ``--out`` gets ``grades.json`` (student id,
course version, seed, time, a hash of each graded file, every verdict), ``results.json`` in
Gradescope's format, ``feedback.md`` to hand back, and ``junit.xml``; the class gets
``gradebook.csv`` (one row per student, the same maximum for all) and one ``junit.xml`` with a test
case per student and exercise. A student already graded with the same course version and seed is
not graded again (an interrupted run resumes), unless ``--regrade``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

from . import catalog
from .graders import max_points
from .grading.report import student_view, write_junit

ZIP_LIMIT_MB = 200  # what a submission's zip may unpack to


class SubmissionError(ValueError):
    """A submission that cannot be read (a broken or hostile zip): that student is reported, not graded."""


def course_version() -> str:
    """The commit of this course (``+modified`` if tracked files differ from it), else the package's version."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=catalog.REPO, capture_output=True,
                              text=True, timeout=10)
        if head.returncode == 0:
            dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=catalog.REPO,
                                   capture_output=True, text=True, timeout=10).stdout.strip()
            return head.stdout.strip() + ("+modified" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        pass
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("module5-neural-networks")
    except PackageNotFoundError:
        return "unknown"


def submissions(class_dir: Path) -> list[tuple[str, Path]]:
    """(student id, folder or zip) for each submission in the class folder, sorted by id."""
    found = []
    for entry in sorted(Path(class_dir).iterdir()):
        if entry.name.startswith((".", "_")) or entry.is_symlink():
            continue
        if entry.is_dir():
            found.append((entry.name, entry))
        elif entry.suffix.lower() == ".zip":
            found.append((entry.stem, entry))
    return found


def _unzip(archive: Path, dest: Path) -> Path:
    try:
        with zipfile.ZipFile(archive) as zf:
            total = 0
            for info in zf.infolist():
                name = Path(info.filename)
                if name.is_absolute() or ".." in name.parts or (info.external_attr >> 16) & 0o170000 == 0o120000:
                    raise SubmissionError(f"{archive.name}: refused member {info.filename!r}")
                total += info.file_size
                if total > ZIP_LIMIT_MB * 2**20:
                    raise SubmissionError(f"{archive.name}: unpacks to more than {ZIP_LIMIT_MB} MB")
            zf.extractall(dest)
    except zipfile.BadZipFile as exc:
        raise SubmissionError(f"{archive.name}: not a zip file ({exc})") from None
    return dest


def lay_out(source: Path, dest: Path) -> Path:
    """A course-shaped folder (lesson folders) holding the submission's exercise files and nothing else.
    Where a file is at its place in a course copy it is taken from there, else the shallowest file of
    that name wins. An exercise done in a notebook (``_5_N_K_exercise.ipynb``, wherever it is; ``course
    notebook`` writes it to ``notebooks/5.N/``) is graded when the submission has no exercise file for
    it or only the untouched stub: its code cells become the exercise file
    (:func:`coursekit.notebooks.module_source`)."""
    from . import notebooks

    dest.mkdir(parents=True, exist_ok=True)
    if source.is_file():
        source = _unzip(source, dest.parent / f"{dest.name}-unzipped")
    loose = {}  # file name -> the shallowest regular file of that name (environments and .git not searched)
    for folder, dirs, names in os.walk(source):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")) and d not in ("site-packages", "node_modules"))
        for name in names:
            path = Path(folder) / name
            depth = len(path.relative_to(source).parts)
            wanted = catalog.FILE_NAME.match(name) or notebooks.NOTEBOOK_NAME.match(name)
            if wanted and path.is_file() and not path.is_symlink() and \
                    (name not in loose or depth < len(loose[name].relative_to(source).parts)):
                loose[name] = path
    for ex_id in catalog.exercises():
        name = catalog.exercise_file(ex_id).name
        placed = catalog.exercise_file(ex_id, "exercise", source)
        candidates = [placed] if placed.is_file() and not placed.is_symlink() else [loose[name]] if name in loose else []
        target = catalog.exercise_file(ex_id, "exercise", dest)
        notebook = loose.get(notebooks.notebook_name(target))
        if notebook is not None and (not candidates or catalog.untouched(candidates[0], ex_id)):
            try:
                notebooks.notebook_to_exercise(notebook, ex_id, target)
                continue
            except notebooks.NotebookError as exc:  # graded as a file that does not import, with the reason
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(f"raise SyntaxError({str(exc)!r})\n")
                continue
        if candidates:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(candidates[0], target)
    return dest


def file_hashes(root: Path) -> dict[str, str]:
    hashes = {}
    for ex_id in catalog.exercises():
        path = catalog.exercise_file(ex_id, "exercise", root)
        if path.is_file():
            hashes[ex_id] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


# --------------------------------------------------------------------------- what one student's grading writes


def _failed(v: dict) -> list[dict]:
    """The failed checks as the student sees them (a test-split check without its number)."""
    return [c for c in student_view(v).get("checks", []) if not c["ok"]]


def feedback(student: str, verdicts: list[dict], meta: dict) -> str:
    """Markdown to hand back: each exercise's verdict and points, the failed checks as ``course check``
    shows them, and the exercise's first hint."""
    scored = sum(v.get("points") or 0 for v in verdicts)
    possible = sum(v.get("max_points") or 0 for v in verdicts)
    correct = sum(v["status"] == "correct" for v in verdicts)
    lines = [f"# Module 5: feedback for {student}", "",
             f"{correct} of {len(verdicts)} exercises correct, **{scored:g} / {possible:g} points**. "
             f"Graded {meta['graded_at']} with course version {meta['course_version']}, seed {meta['seed']}.", ""]
    for v in verdicts:
        title = catalog.info(v["id"]).title if v["id"] in catalog.exercises() else ""
        lines += [f"## {v['id']} {title}: {v['status']} ({v.get('points') or 0:g} / {v.get('max_points') or 0:g})", ""]
        if v["status"] == "not attempted":
            lines.append("The exercise file is the untouched stub: write the functions marked TODO.")
        elif v["status"] not in ("correct", "incorrect"):
            lines += [v.get("message") or v["status"], ""]
        for check in _failed(v):
            lines.append(f"- **{check['name']}**: measured {check['measured']}, expected {check['expected']}. "
                         f"{check['hint']}")
        levels = catalog.hint_levels(v["id"])
        if levels and v["status"] not in ("correct", "uses the solution"):
            lines += ["", "Hint: " + (" ".join(levels[0].splitlines()[1:]).strip() or levels[0])]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def gradescope(verdicts: list[dict], seconds: float) -> dict:
    """Gradescope's autograder ``results.json``: one test per exercise."""
    tests = []
    for v in verdicts:
        output = [f"{v['status']}" + (f": {v['message']}" if v.get("message") else "")]
        output += [f"FAIL {c['name']}: measured {c['measured']}, expected {c['expected']}. Hint: {c['hint']}"
                   for c in _failed(v)]
        tests.append({"name": v["id"] + (f" {catalog.info(v['id']).title}" if v["id"] in catalog.exercises() else ""),
                      "score": v.get("points") or 0, "max_score": v.get("max_points") or 0,
                      "status": "passed" if v["status"] == "correct" else "failed", "output": "\n".join(output)})
    return {"score": round(sum(t["score"] for t in tests), 2), "execution_time": round(seconds, 1), "tests": tests}


def write_student(folder: Path, student: str, verdicts: list[dict], meta: dict) -> None:
    """``grades.json``, ``results.json``, ``feedback.md`` and ``junit.xml`` of one student; grades.json
    last, so that a run interrupted while writing grades this student again."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps(gradescope(verdicts, meta["seconds"]), indent=2))
    (folder / "feedback.md").write_text(feedback(student, verdicts, meta))
    write_junit(verdicts, folder / "junit.xml")
    (folder / "grades.json").write_text(json.dumps({**meta, "student": student, "exercises": verdicts}, indent=2))


def meta_of(seed: int, seconds: float, hashes: dict[str, str], kind: str = "exercise files") -> dict:
    return {"course_version": course_version(), "seed": seed, "kind": kind,
            "graded_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "seconds": round(seconds, 1), "files": hashes}


# --------------------------------------------------------------------------- a class


def gradebook(path: Path, graded: dict[str, list[dict]], ids: list[str]) -> None:
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["student", *ids, "total", "max", "correct"])
        for student, verdicts in graded.items():
            by_id = {v["id"]: v for v in verdicts}
            points = [by_id[i].get("points") or 0 if i in by_id else 0 for i in ids]
            out.writerow([student, *[f"{p:g}" for p in points], f"{sum(points):g}",
                          f"{sum(max_points(i) for i in ids):g}",
                          sum(by_id[i]["status"] == "correct" for i in ids if i in by_id)])


def class_junit(path: Path, graded: dict[str, list[dict]], failed: dict[str, str]) -> None:
    """One test suite per student, one test case per exercise (a failure unless correct)."""
    root = ET.Element("testsuites", name="module5-class")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for student, verdicts in graded.items():
        suite = ET.SubElement(root, "testsuite", name=student)
        n_fail = 0
        for v in verdicts:
            case = ET.SubElement(suite, "testcase", classname=student, name=v["id"], time=str(v.get("wall_seconds") or 0))
            ET.SubElement(case, "properties").extend([ET.Element("property", name=k, value=str(v.get(k)))
                                                      for k in ("status", "points", "max_points")])
            if v["status"] != "correct":
                n_fail += 1
                ET.SubElement(case, "failure", message=f"{v['status']}: {v.get('message', '')}")
        suite.set("tests", str(len(verdicts)))
        suite.set("failures", str(n_fail))
        suite.set("errors", "0")
        totals["tests"] += len(verdicts)
        totals["failures"] += n_fail
    for student, why in failed.items():
        suite = ET.SubElement(root, "testsuite", name=student, tests="1", failures="0", errors="1")
        ET.SubElement(ET.SubElement(suite, "testcase", classname=student, name="submission"), "error", message=why)
        totals["tests"] += 1
        totals["errors"] += 1
    for key, value in totals.items():
        root.set(key, str(value))
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def grade_class(class_dir: Path, out: Path, *, ids: list[str], seed: int, timeout: float, jobs: int, limits,
                regrade: bool = False) -> int:
    """Grade every submission of the class folder; 0 when every student was graded, 3 when a submission
    could not be read (the others are graded all the same)."""
    from .grading.sandbox import grade_submission

    subs = submissions(class_dir)
    if not subs:
        raise catalog.CatalogError(f"no submissions in {class_dir} (folders or .zip files, one per student)")
    version = course_version()
    print(f"Grading {len(subs)} students in {class_dir} (course {version}, seed {seed}, {len(ids)} exercises, "
          f"{jobs} at a time) into {out}", flush=True)
    graded, failed, spent = {}, {}, []
    for n, (student, source) in enumerate(subs, 1):
        folder = out / "students" / student
        previous = folder / "grades.json"
        if previous.exists() and not regrade:
            old = json.loads(previous.read_text())
            if old.get("course_version") == version and old.get("seed") == seed and \
                    {v["id"] for v in old["exercises"]} == set(ids):
                graded[student] = old["exercises"]
                print(f"[{n}/{len(subs)}] {student}: already graded with this course version and seed", flush=True)
                continue
        start = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix=f"course-grade-{os.getpid()}-class-") as tmp:
            try:
                root = lay_out(source, Path(tmp) / "submission")
            except (SubmissionError, OSError) as exc:
                failed[student] = str(exc)
                print(f"[{n}/{len(subs)}] {student}: NOT GRADED: {exc}", flush=True)
                continue
            verdicts = grade_submission(ids, root=root, seed=seed, timeout=timeout, jobs=jobs, limits=limits)
            hashes = file_hashes(root)
        seconds = time.perf_counter() - start
        spent.append(seconds)
        write_student(folder, student, verdicts, {**meta_of(seed, seconds, hashes), "course_version": version})
        graded[student] = verdicts
        left = (len(subs) - n) * sum(spent) / len(spent)
        scored = sum(v.get("points") or 0 for v in verdicts)
        print(f"[{n}/{len(subs)}] {student}: {sum(v['status'] == 'correct' for v in verdicts)}/{len(ids)} correct, "
              f"{scored:g}/{sum(max_points(i) for i in ids):g} points in {seconds:.0f} s; about {left / 60:.0f} min left",
              flush=True)
    gradebook(out / "gradebook.csv", graded, ids)
    class_junit(out / "junit.xml", graded, failed)
    print(f"\ngradebook: {out / 'gradebook.csv'}\nfeedback:  {out / 'students'}/<student>/feedback.md\n"
          f"JUnit XML: {out / 'junit.xml'}")
    if failed:
        print(f"not graded ({len(failed)}): " + "; ".join(f"{s}: {why}" for s, why in failed.items()))
    return 3 if failed else 0
