"""The course as a newcomer meets it: a half-written exercise in their own copy of the course, a
`course` command that says which copy it grades and what to activate, a checkout that running the
course leaves as it was, and the grader on systems without `resource`, `fork` or `SIGKILL`."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import types
from pathlib import Path

import pytest

from coursekit import catalog, cli, system

REPO = catalog.REPO
COUNT_WRITTEN = '''    sizes = [n_inputs, *hidden, n_outputs]
    return sum(a * b + b for a, b in zip(sizes, sizes[1:]))'''
COUNT_TODO = '''    raise NotImplementedError("count_params: return how many weights and biases this stack of Dense layers has")'''


def _course_copy(tmp_path: Path) -> Path:
    """A copy of the course as a student has it: every file of the course, nothing of this run's."""
    copy = tmp_path / "module5"
    shutil.copytree(REPO, copy, ignore=shutil.ignore_patterns(
        ".git", ".venv*", "__pycache__", "*.egg-info", ".course", "grades", "latest", "artifacts", "*.db"))
    return copy


def _course(copy: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`course ...` of that copy, as its own environment runs it (its coursekit first on the path)."""
    env = {**os.environ, "PYTHONPATH": str(copy)}
    return subprocess.run([sys.executable, "-m", "coursekit.cli", *args], cwd=cwd or copy, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.platforms
def test_a_half_written_exercise_in_the_students_own_copy_is_graded(tmp_path):
    """The student edits the course's own exercise file, in place, and grades it with the course's own
    `course` command: a whole copy of the course whose coursekit is the one that runs, so that its
    catalog.REPO is the copy and the only 5.1.1 stub there is the student's file -- the situation in
    which the stub used to be compared with itself and every half-written file was "not attempted".
    (The copy keeps this checkout's own files out of reach of the edit, which other tests read at the
    same time.) With count_params written and the two builders still TODO, count_params is checked,
    the others fail "X is written", the points are partial, and `course list` says "started"."""
    copy = _course_copy(tmp_path)
    exercise = catalog.exercise_file("5.1.1", "exercise", copy)
    source = exercise.read_text()
    assert COUNT_TODO in source
    exercise.write_text(source.replace(COUNT_TODO, COUNT_WRITTEN))

    listed = _course(copy, "list")
    assert f"Course folder: {copy}" in listed.stdout, listed.stdout + listed.stderr
    line = next(row for row in listed.stdout.splitlines() if "_5_1_1_exercise.py" in row)
    assert "started, 1 of 3 written" in line, line

    checked = _course(copy, "check", "5.1.1", cwd=exercise.parent)
    out = checked.stdout
    assert checked.returncode == 1, out + checked.stderr
    assert f"in {copy}" in out.splitlines()[0]
    assert "ok   count_params matches Keras" in out
    assert "FAIL build_deep is written" in out and "FAIL build_shallow is written" in out
    assert "INCORRECT (3/10 points)" in out, out


def test_an_untouched_exercise_is_not_attempted_and_a_deleted_function_is_graded(tmp_path):
    stub = catalog.exercise_file("5.1.1")
    assert catalog.untouched(stub, "5.1.1")
    assert catalog.progress(stub, "5.1.1") == {"count_params": "todo", "build_deep": "todo", "build_shallow": "todo"}
    mine = tmp_path / stub.name
    mine.write_text(stub.read_text().replace(COUNT_TODO, COUNT_WRITTEN))
    assert not catalog.untouched(mine, "5.1.1")
    mine.write_text(stub.read_text().replace("def build_shallow", "def build_wide"))
    assert catalog.progress(mine, "5.1.1")["build_shallow"] == "missing" and not catalog.untouched(mine, "5.1.1")
    mine.write_text("def count_params(:\n")
    assert catalog.progress(mine, "5.1.1") is None and not catalog.untouched(mine, "5.1.1")


def test_course_in_another_copy_of_the_course_says_which_copy_it_grades(tmp_path, monkeypatch, capsys):
    other = tmp_path / "other-copy"
    (other / "coursekit").mkdir(parents=True)
    (other / "coursekit" / "catalog.py").write_text("")
    (other / catalog.LESSONS["5.1"].folder).mkdir()
    monkeypatch.chdir(other / catalog.LESSONS["5.1"].folder)
    assert cli.main(["check", "5.1.1"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(other) in err and str(REPO) in err and "activate" in err
    monkeypatch.chdir(tmp_path)  # outside any copy: this install's course, named
    assert cli.main(["list"]) == 0
    assert f"Course folder: {REPO}" in capsys.readouterr().out


def test_course_without_the_packages_says_what_to_install(monkeypatch, capsys):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "tensorflow" else real(name, *a))
    assert cli.main(["run", "5.1", "activations"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "lacks tensorflow" in err and "pip install" in err


@pytest.mark.parametrize("ex_id", ["5.1.1", "5.2.5", "5.5.4"])
def test_an_exercise_file_run_by_a_python_without_the_course_says_so_in_one_line(ex_id, tmp_path):
    path = catalog.exercise_file(ex_id)
    # -I -S: no site-packages and no user paths, as a Python without the course's environment
    proc = subprocess.run([sys.executable, "-I", "-S", str(path)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 1
    assert proc.stdout == "" and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "activate" in proc.stderr and "pip install" in proc.stderr


def _tracked_changes() -> str | None:
    if not (REPO / ".git").exists() or shutil.which("git") is None:
        return None
    return subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True).stdout


@pytest.mark.platforms
def test_running_a_demo_leaves_the_checkout_as_it_was():
    """`course run` writes its figures into the git-ignored figures/latest/, never over the committed ones."""
    before = _tracked_changes()
    if before is None:
        pytest.skip("not a git checkout")
    env = {k: v for k, v in os.environ.items() if k != "COURSE_FIGURES_DIR"}  # the default, as a student runs it
    proc = subprocess.run([sys.executable, "-m", "coursekit.cli", "run", "5.1", "activations"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    written = [line.split("figure: ", 1)[1] for line in proc.stdout.splitlines() if line.startswith("figure: ")]
    assert written and all(Path(p).parent.name == "latest" for p in written), written
    assert _tracked_changes() == before


# --------------------------------------------------------------------------- other operating systems


def test_peak_memory_is_in_mib_on_linux_and_macos(monkeypatch):
    fake = types.SimpleNamespace(RUSAGE_SELF=0, getrusage=None)
    monkeypatch.setitem(sys.modules, "resource", fake)
    monkeypatch.setattr(sys, "platform", "linux")
    fake.getrusage = lambda who: types.SimpleNamespace(ru_maxrss=512 * 1024)  # KiB on Linux
    assert system.peak_rss_mb() == 512.0
    monkeypatch.setattr(sys, "platform", "darwin")
    fake.getrusage = lambda who: types.SimpleNamespace(ru_maxrss=512 * 1024 * 1024)  # bytes on macOS
    assert system.peak_rss_mb() == 512.0


def test_the_grader_works_without_resource_fork_and_sigkill(monkeypatch, tmp_path):
    """As on Windows: no `resource` module, no fork, no process groups, no SIGKILL."""
    from coursekit.grading import sandbox

    monkeypatch.setitem(sys.modules, "resource", None)  # `import resource` raises ImportError
    for owner, name in [(signal, "SIGKILL"), (os, "killpg"), (os, "fork"), (os, "setsid")]:
        monkeypatch.delattr(owner, name, raising=False)
    assert system.peak_rss_mb() is None  # not Windows either: unknown, never a wrong number
    assert not sandbox.can_fork()
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    system.kill_tree(proc.pid)
    assert proc.wait(timeout=20) != 0
    stub = sandbox.grade_submission(["5.2.1"], root=REPO, seed=0, timeout=10)[0]
    assert stub["status"] == "not attempted"


def test_the_rubric_starts_without_resource_fork_and_sigkill():
    """conftest.py and the rubric import nothing that Windows lacks: pytest runs with those names hidden."""
    code = ("import os, signal, sys\n"
            "sys.modules['resource'] = None\n"
            "for owner, name in [(signal, 'SIGKILL'), (os, 'killpg'), (os, 'fork'), (os, 'setsid')]:\n"
            "    if hasattr(owner, name): delattr(owner, name)\n"
            "import pytest\n"
            "sys.exit(pytest.main(['-q', '-p', 'no:xdist', 'tests/test_quoted_numbers.py']))\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout


def test_only_update_figures_writes_the_committed_figures(monkeypatch, capsys):
    """`course run` passes no figures folder (the demo then writes figures/latest/); `--update-figures`
    points each demo at the figures/ its README embeds from; the two cannot be combined with --figures."""
    calls = []
    monkeypatch.setattr(subprocess, "call", lambda cmd, cwd=None: calls.append(cmd) or 0)
    assert cli.main(["run", "5.1", "activations"]) == 0
    assert "--figures" not in calls[-1]
    assert cli.main(["run", "5.1", "activations", "--update-figures"]) == 0
    demo = catalog.demos("5.1")[0]
    assert calls[-1][calls[-1].index("--figures") + 1] == str(demo.parent / "figures")
    with pytest.raises(SystemExit):
        cli.main(["run", "5.1", "--figures", "x", "--update-figures"])
    capsys.readouterr()
