"""Hostile submissions: no file or process of a student's changes a grade, the course, or what the
instructor reads. Each student copy is graded by `course grade --root` in a process of its own, as an
instructor runs it, and the tests read its grades.json and its output."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from coursekit import catalog
from coursekit.grading import coursefiles, processes, sandbox

REPO = catalog.REPO
LINUX = sys.platform.startswith("linux")
RUN = str(os.getpid())  # in the sleeps' arguments: this run's processes, not another's
FAKE = "5.4.9    correct   10/10   -- every exercise correct, 276/276 points"


def solution(ex_id: str) -> str:
    return catalog.exercise_file(ex_id, "solution").read_text()


# The in-process rules refuse a submission's subprocesses, forks and frame walks before the sandbox sees them
# (tests/graders/test_ex_5_4_2.py); here they are off, so that what the process sandbox contains on its own shows.
SANDBOX_ONLY = {**os.environ, "COURSE_GUARD_REACH": "0"}


def student_copy(root: Path, files: dict[str, str], extra: dict[str, str] | None = None) -> Path:
    """A student's copy: the stubs, ``files`` (id -> text) as exercise files, ``extra`` (path -> text)."""
    for ex_id in catalog.exercises():
        target = catalog.exercise_file(ex_id, "exercise", root)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(files.get(ex_id, catalog.exercise_file(ex_id).read_text()))
    for rel, text in (extra or {}).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def course_grade(root: Path, out: Path, *args: str, timeout: float = 600, install: Path | None = None,
                 sandbox_only: bool = True) -> tuple[subprocess.CompletedProcess, dict]:
    """`course grade` in a fresh process, with this course or with the copy of it at ``install``."""
    proc = subprocess.run([sys.executable, "-m", "coursekit.cli", "grade", "--root", str(root), "--out", str(out),
                           *args], cwd=install or out.parent, capture_output=True, text=True, timeout=timeout,
                          env=SANDBOX_ONLY if sandbox_only else None)
    grades = json.loads((out / "grades.json").read_text()) if (out / "grades.json").exists() else {}
    return proc, {v["id"]: v for v in grades.get("exercises", [])}


def installation(folder: Path) -> Path:
    """A copy of the course's code, data, tests and lessons: graded with (``python -m`` from there imports
    it first), a hostile submission's writes into the course, put back at once, still reach no other
    grading that runs at the same time (a test of another pytest worker)."""
    folder.mkdir(parents=True)
    for name in ("coursekit", "data", "tests", *(lesson.folder for lesson in catalog.LESSONS.values())):
        shutil.copytree(REPO / name, folder / name, ignore=shutil.ignore_patterns("__pycache__", "outputs"))
    shutil.copy2(REPO / "pyproject.toml", folder / "pyproject.toml")
    return folder


def course_digest(install: Path | None = None) -> str:
    """A hash of the files the grading relies on (what the sandbox watches, bytecode aside), of this
    course or of the copy at ``install``."""
    if install is not None:  # the same function, in a process that imports the copy
        code = "import sys; sys.path.insert(0, 'tests'); import test_sandbox as t; print(t.course_digest())"
        return subprocess.run([sys.executable, "-c", code], cwd=install, capture_output=True, text=True,
                              check=True).stdout.strip()
    digest = hashlib.sha256()
    files = coursefiles.CourseFiles().files
    for path in sorted(files):
        if path.suffix != ".pyc":
            digest.update(str(path).encode() + b"\0" + files[path])
    return digest.hexdigest()


def processes_with(text: str) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if text.encode() in Path(f"/proc/{name}/cmdline").read_bytes():
                    found.append(int(name))
            except OSError:
                continue
    return found


MARK = '''
def _mark(name):
    open({marks!r} + "/" + name, "w").close()
_mark({name!r})
'''

SHADOWS = ("optuna.py", "data.py", "numpy_financial.py", "sitecustomize.py", "usercustomize.py", "conftest.py")


def _hostile_files(marks: Path) -> dict[str, str]:
    late = marks / "late.txt"
    return {
        # writes into the graders, the tests and the toolkit of the course it is graded with
        "5.4.1": solution("5.4.1") + '''
import pathlib as _pl, subprocess as _sp, coursekit as _ck
_root = _pl.Path(_ck.__file__).resolve().parents[1]
with open(_root / "coursekit" / "training.py", "a") as _f:
    _f.write("\\n# written by a submission\\n")
(_root / "coursekit" / "owned_by_a_submission.py").write_text("x = 1\\n")
# a shell is not under the rules of this Python process: it reaches the graders and the tests
_g = "gra" + "ders"
_sp.run(["sh", "-c", f"echo '# written' >> {_root}/coursekit/{_g}/__init__.py; "
         f"touch {_root}/tests/written_by_a_submission.txt {_root}/coursekit/{_g}/ex_5_4_99.py"])
''',
        # a process left running, and one that detaches itself and writes later
        "5.4.2": solution("5.4.2") + f'''
import os as _os, subprocess as _sp, time as _t
_sp.Popen(["sleep", "301.{RUN}"])
_exercise = _os.getpid()
if _os.fork() == 0:
    _os.setsid()
    if _os.fork() == 0:
        while True:  # until the exercise process is gone (its grading over), then a moment more
            try:
                _os.kill(_exercise, 0)
            except ProcessLookupError:
                break
            _t.sleep(0.05)
        _t.sleep(0.5)
        open({str(late)!r}, "w").write("rewritten")
    _os._exit(0)
''',
        # a scoreboard of its own, printed as if the grader wrote it
        "5.4.3": solution("5.4.3") + f'''
print({FAKE!r})
print("6/6 exercises correct, 60/60 points")
''',
        # ends its process before the rubric is done
        "5.4.4": solution("5.4.4") + "\nimport os as _os\n_os._exit(0)\n",
        # asks for far more memory than an exercise may use
        "5.4.5": solution("5.4.5") + "\nimport numpy as _np\n_hog = _np.ones(450_000_000)\n",
    }


FORK_BOMB = '''
import os as _os
for _ in range(100_000):
    try:
        _os.fork()
    except OSError:
        pass
'''


@pytest.fixture(scope="module")
def hostile(once):
    return once("hostile", _grade_a_hostile_copy)


def _grade_a_hostile_copy(tmp: Path) -> dict:
    """One student copy with an attack in each cheap exercise, shadowing modules and a conftest.py,
    graded once per test run, one exercise at a time."""
    marks = tmp / "marks"
    marks.mkdir()
    lesson = catalog.LESSONS["5.4"].folder
    extra = {}
    for shadow in SHADOWS:
        for folder in ("", lesson + "/", "tests/"):
            extra[folder + shadow] = MARK.format(marks=str(marks), name=folder.replace("/", "_") + shadow)
    extra["coursekit/__init__.py"] = MARK.format(marks=str(marks), name="coursekit")
    extra[lesson + "/course.pth"] = f"import os; open({str(marks)!r} + '/pth', 'w')\n"
    files = _hostile_files(marks)
    bounded = processes.pids_cgroup() is not None or (LINUX and os.geteuid() != 0)
    if bounded:
        files["5.4.6"] = solution("5.4.6") + FORK_BOMB
    root = student_copy(tmp / "alice", files, extra)
    install = installation(tmp / "course")
    before = course_digest(install)
    proc, grades = course_grade(root, tmp / "out", "--only", "5.4", "--jobs", "1", install=install)
    time.sleep(2)  # longer than the detached process waits, after its exercise, before it writes
    return {"proc": proc, "grades": grades, "marks": marks, "before": before, "after": course_digest(install),
            "bounded": bounded, "tmp": tmp, "install": install}


# every test here starts the grader as its users do (course grade, in processes of its own): pytest -m platforms
pytestmark = [pytest.mark.platforms,
              pytest.mark.skipif(not LINUX, reason="the sandbox's process limits are Linux's (docs/lesson-contract.md)")]


def test_nothing_a_student_ships_is_imported(hostile):
    assert not list(hostile["marks"].iterdir()), hostile["proc"].stdout


def test_writing_into_the_course_voids_that_grading_and_is_put_back(hostile):
    v = hostile["grades"]["5.4.1"]
    assert v["status"] == "tampered" and v["points"] == 0, v
    for name in ("coursekit/training.py", "coursekit/owned_by_a_submission.py", "coursekit/graders/__init__.py",
                 "tests/written_by_a_submission.txt", "coursekit/graders/ex_5_4_99.py"):
        assert name in v["message"], (name, v["message"])
    assert hostile["after"] == hostile["before"], "the course's files differ after the grading"
    assert not (hostile["install"] / "coursekit" / "graders" / "ex_5_4_99.py").exists()
    assert "5.4.1: tampered" in hostile["proc"].stdout


def test_the_next_exercise_and_the_next_student_are_graded_on_the_course_as_it_was(hostile, tmp_path):
    assert hostile["grades"]["5.4.3"]["status"] == "correct"  # graded after 5.4.1 and 5.4.2
    proc, grades = course_grade(student_copy(tmp_path / "bob", {"5.4.1": solution("5.4.1")}), tmp_path / "out",
                                "--only", "5.4.1", install=hostile["install"])
    assert grades["5.4.1"]["status"] == "correct", proc.stdout


def test_processes_left_running_are_killed_and_write_nothing_later(hostile):
    v = hostile["grades"]["5.4.2"]
    assert v["status"] == "correct" and v.get("processes_killed", 0) >= 1, v
    assert "left running were killed" in hostile["proc"].stdout
    assert not (hostile["marks"] / "late.txt").exists(), "a detached process wrote after the grading"
    assert not processes_with(f"301.{RUN}"), "a process the submission started outlived its grading"


def test_what_a_submission_prints_is_shown_as_the_students(hostile):
    assert FAKE not in hostile["proc"].stdout and "60/60" not in hostile["proc"].stdout
    assert FAKE in hostile["grades"]["5.4.3"]["student_output"]


def test_ending_the_process_early_is_a_crash_not_a_grade(hostile):
    v = hostile["grades"]["5.4.4"]
    assert v["status"] == "crashed" and "os._exit" in v["message"], v


def test_a_memory_hog_fails_its_exercise_with_a_clear_message(hostile):
    v = hostile["grades"]["5.4.5"]
    assert v["status"] == "error" and "MB of memory" in v["message"], v


def test_a_fork_bomb_is_bounded_and_leaves_nothing(hostile):
    if not hostile["bounded"]:
        pytest.skip("no hard bound on processes here: root without a writable pids cgroup")
    v = hostile["grades"]["5.4.6"]
    assert v["status"] == "error" and "processes" in v["message"], v
    assert not processes_with(str(hostile["tmp"])), "processes of the fork bomb survived"


def test_the_grader_cleans_up_when_it_is_stopped(tmp_path):
    """SIGTERM (Ctrl-C, a job scheduler): every process of the exercise is killed and the grading's
    temporary folder removed."""
    root = student_copy(tmp_path / "carol", {"5.4.1": solution("5.4.1") + (
        f"\nimport subprocess as _sp, time as _t\n_sp.Popen(['sleep', '302.{RUN}'])\n_t.sleep(120)\n")})
    grader = subprocess.Popen([sys.executable, "-m", "coursekit.cli", "grade", "--root", str(root), "--only", "5.4.1",
                               "--out", str(tmp_path / "out")], cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, env=SANDBOX_ONLY)
    deadline = time.monotonic() + 120
    while not processes_with(f"302.{RUN}") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_with(f"302.{RUN}"), "the exercise never started"
    grader.send_signal(signal.SIGTERM)
    grader.wait(timeout=60)
    time.sleep(0.5)
    assert not processes_with(f"302.{RUN}")
    assert not list(Path(tempfile.gettempdir()).glob(f"course-grade-{grader.pid}-*"))


def test_a_full_clone_grades_exactly_as_its_exercise_files_alone(tmp_path):
    """The student hands in the whole course: its own tests/, conftest.py and coursekit/ play no part."""
    if not (REPO / ".git").exists():
        pytest.skip("this copy of the course is not a git checkout")
    clone = tmp_path / "dave"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    done = {"5.4.1": solution("5.4.1"), "5.4.6": solution("5.4.6")}
    for ex_id, text in done.items():
        catalog.exercise_file(ex_id, "exercise", clone).write_text(text)
    (clone / "tests" / "conftest.py").write_text("import pytest\n@pytest.fixture\ndef graded():\n    pass\n")
    (clone / "coursekit" / "grading").mkdir(exist_ok=True)
    (clone / "coursekit" / "grading" / "__init__.py").write_text("def grade_file(*a):\n    return {'status': 'correct'}\n")
    _, from_clone = course_grade(clone, tmp_path / "clone-out", "--only", "5.4")
    _, alone = course_grade(student_copy(tmp_path / "files", done), tmp_path / "files-out", "--only", "5.4")
    keys = ("status", "points", "metrics", "checks")
    assert {i: [v[k] for k in keys] for i, v in from_clone.items()} == {i: [v[k] for k in keys] for i, v in alone.items()}
    assert from_clone["5.4.1"]["status"] == "correct" and from_clone["5.4.2"]["status"] == "not attempted"


def test_after_the_grader_is_killed_the_next_grading_removes_what_it_left(tmp_path):
    """SIGKILL cannot be caught: the exercise process dies with the grader (parent-death signal), and
    the next grading kills what it started (its cgroup) and removes the temporary folder."""
    if processes.pids_cgroup() is None:
        pytest.skip("no pids cgroup here: a process the exercise started may outlive a SIGKILLed grader")
    root = student_copy(tmp_path / "erin", {"5.4.1": solution("5.4.1") + (
        f"\nimport subprocess as _sp, time as _t\n_sp.Popen(['sleep', '303.{RUN}'])\n_t.sleep(120)\n")})
    grader = subprocess.Popen([sys.executable, "-m", "coursekit.cli", "grade", "--root", str(root), "--only", "5.4.1",
                               "--out", str(tmp_path / "out")], cwd=tmp_path, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env=SANDBOX_ONLY)
    deadline = time.monotonic() + 120
    while not processes_with(f"303.{RUN}") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_with(f"303.{RUN}"), "the exercise never started"
    grader.kill()
    grader.wait(timeout=60)
    left = list(Path(tempfile.gettempdir()).glob(f"course-grade-{grader.pid}-*"))
    assert len(left) >= 2, left  # what SIGKILL leaves: the submission laid out, the grading's folder
    sandbox.grade_submission(["5.4.2"], root=root)  # the next grading (an untouched stub: no process)
    time.sleep(0.3)
    assert not processes_with(f"303.{RUN}")
    assert not list(Path(tempfile.gettempdir()).glob(f"course-grade-{grader.pid}-*"))


def test_os_exit_in_a_submission_ends_only_its_own_grading(tmp_path):
    """What `pytest --grade` does for each exercise file, here from a process that has used TensorFlow
    (so the exercise process is started fresh, the path every platform but Linux takes)."""
    root = student_copy(tmp_path / "frank", {"5.4.2": solution("5.4.2") + "\nimport os as _os\n_os._exit(0)\n",
                                             "5.4.6": solution("5.4.6")})
    import tensorflow as tf

    tf.constant(1.0) + 1.0  # this process has run TensorFlow: no fork
    assert not sandbox.can_fork()
    verdicts = sandbox.grade_submission(["5.4.2", "5.4.6"], root=root, timeout=120)
    assert verdicts[0]["status"] == "crashed" and "os._exit" in verdicts[0]["message"], verdicts[0]
    assert verdicts[1]["status"] == "correct", verdicts[1]


def test_with_the_rules_on_a_submission_cannot_start_a_process_at_all(tmp_path):
    """As an instructor grades (the in-process rules on): the subprocess is refused where the submission
    asks for it, the exercise fails on the rule, and nothing runs afterwards."""
    root = student_copy(tmp_path / "gina", {"5.4.2": solution("5.4.2") + (
        f"\nimport subprocess as _sp\n_sp.Popen(['sleep', '304.{RUN}'])\n")})
    proc, grades = course_grade(root, tmp_path / "out", "--only", "5.4.2", sandbox_only=False)
    v = grades["5.4.2"]
    assert v["status"] == "incorrect" and v["points"] == 0, v
    assert any("a subprocess" in c["measured"] for c in v["checks"]), v
    assert not processes_with(f"304.{RUN}")


def test_a_file_shipped_beside_the_exercise_is_not_there_when_it_is_graded(tmp_path):
    """A cache of answers handed in beside the exercise file (worked out at home, from the public data):
    the submission is laid out as its exercise files alone, so the file is not there to read."""
    cheat = solution("5.4.6").replace(
        '    val_loss = np.asarray(history["val_loss"], dtype=np.float64)\n',
        '    import json, pathlib\n'
        '    answers = json.loads(pathlib.Path(__file__).with_name("answers_cache.json").read_text())\n'
        '    return answers[str(len(history["val_loss"]))]\n', 1)
    assert cheat != solution("5.4.6")
    lesson = catalog.LESSONS["5.4"].folder
    root = student_copy(tmp_path / "hana", {"5.4.6": cheat}, {f"{lesson}/answers_cache.json": '{"1": 1}'})
    verdict = sandbox.grade_submission(["5.4.6"], root=root, timeout=120)[0]
    assert verdict["status"] == "incorrect", verdict
    assert any("answers_cache.json" in c["measured"] and not c["ok"] for c in verdict["checks"]), verdict
