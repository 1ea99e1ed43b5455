"""The sandbox a submission is graded in: ``course check``, ``course grade`` and ``pytest --grade``.

A submission is data. :func:`collect` copies the exercise files of a course copy (nothing else)
into a fresh folder; every exercise is then graded in a process of its own by
:func:`coursekit.grading.grade_file`, with the graders, the toolkit, the data and the libraries of
this installation. On Linux each exercise process

- is forked from this process after it imported TensorFlow, Keras, scikit-learn, the data and the
  exercise's grader (imports only, no TensorFlow op has run: a fork then costs a fraction of a second
  instead of a TensorFlow start-up), or started as ``python -I -m coursekit.grading.sandbox`` from a
  process that has used TensorFlow;
- runs in a session of its own (``setsid``), in an empty working folder, with limits: CPU seconds,
  file size and, for a user other than root, processes (``setrlimit``); it dies with the grader
  (parent-death signal);
- where this process may make cgroups (Linux, v1 pids and cpu controllers), runs in two of its own:
  one bounds its processes and threads, the other makes all its processes together one scheduling
  entity, so that a fork bomb neither starves the watch below nor the rest of the machine;
- is watched: its memory (all its processes together) and its number of processes are read from
  ``/proc`` and its cgroup every 0.1 s, and it is stopped at the first limit, at its time limit, or when it ends;
  then every process it started is killed, including ones that left its session (the grader is a
  child subreaper, so they become its children);
- prints into a log of its own, shown to the instructor only marked as the student's output;
- hands back its verdict on a pipe, with a token the grader chose for it, read only after the
  process and everything it started are gone.

The course files the grading relies on are hashed before the first exercise and after each one;
a change is put back at once, voids the exercises that were running, and is reported as tampering.
What a submission can still do, and what holds on macOS and Windows, is in
``docs/lesson-contract.md`` ("The sandbox and its threat model").
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .. import catalog
from ..system import kill_tree
from ..graders import max_points
from .coursefiles import CourseFiles
from .engine import NOT_ATTEMPTED
from .processes import (cgroup_members, cpu_cgroup, exercise_processes, libc, memory_mb, pids_cgroup, processes, reap,
                        set_subreaper)

LINUX = sys.platform.startswith("linux")
TAMPERED = "tampered"
POLL = 0.1  # seconds between two looks at a running exercise's processes


@dataclass(frozen=True)
class Limits:
    """What one exercise's processes may use together."""

    memory_mb: int = 1536
    processes: int = 64  # processes (the watch stops the exercise above it)
    tasks: int = 512  # processes and threads (a hard bound: pids cgroup, or RLIMIT_NPROC for a user but root)
    file_mb: int = 256


# --------------------------------------------------------------------------- a submission is data


def collect(root: Path, ids: list[str], kind: str, dest: Path) -> dict[str, Path]:
    """Copy the ``kind`` ("exercise" or "solution") files of ``ids`` from the course copy ``root``
    into ``dest`` (same lesson folders); nothing else of ``root`` is read. Returns id -> copy for the
    files that exist. A file that is not a regular file (a link, a folder) is not collected."""
    found = {}
    for ex_id in ids:
        src = catalog.exercise_file(ex_id, kind, root)
        if src.is_symlink() or not src.is_file():
            continue
        target = dest / src.parent.name / src.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
        found[ex_id] = target
    return found


# --------------------------------------------------------------------------- one exercise process


_RUNNING: set[int] = set()  # pids of the exercise processes running now


def _sub_group(parent: Path | None, name: str, setting: str, value: str) -> Path | None:
    """A cgroup of the exercise under ``parent`` with one setting written, or None where that fails."""
    if parent is None:
        return None
    group = parent / name
    try:
        group.mkdir()
        (group / setting).write_text(value)
        return group
    except OSError:
        try:
            group.rmdir()
        except OSError:
            pass
        return None


class _Job:
    def __init__(self, ex_id: str, path: Path, seed: int, timeout: float, limits: Limits, folder: Path, fork: bool,
                 known: set[int]):
        self.ex_id, self.path, self.limits, self.known = ex_id, path, limits, known
        self.folder = folder
        folder.mkdir(parents=True)
        (folder / "work").mkdir()
        self.log = folder / "output.log"
        self.token = secrets.token_hex(16)
        self.deadline = time.monotonic() + timeout
        self.start = time.perf_counter()
        self.peak_mb, self.stopped, self.received = 0.0, "", b""
        self.suspect: list[str] = []
        self.timeout = timeout
        name = f"{folder.parent.name}-{folder.name}"
        self.group = _sub_group(pids_cgroup(), name, "pids.max", str(limits.tasks))
        self.cpu_group = _sub_group(cpu_cgroup(), name, "cpu.shares", "1024")
        spec = {"id": ex_id, "path": str(path), "seed": seed, "token": self.token, "log": str(self.log),
                "work": str(folder / "work"), "cpu": int(2 * timeout + 30), "file_mb": limits.file_mb,
                "tasks": limits.tasks, "groups": [str(g) for g in (self.group, self.cpu_group) if g is not None]}
        read, write = os.pipe()
        self.proc = None
        if fork:
            self.pid = os.fork()
            if self.pid == 0:
                os.close(read)
                _child(spec, write)  # never returns
        else:
            self.proc = subprocess.Popen([sys.executable, "-I", "-m", "coursekit.grading.sandbox", str(write)],
                                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         pass_fds=(write,), start_new_session=True, cwd=folder / "work")
            self.proc.stdin.write(json.dumps(spec).encode())
            self.proc.stdin.close()
            self.pid = self.proc.pid
        _RUNNING.add(self.pid)
        os.close(write)
        os.set_blocking(read, False)
        self.read_fd = read

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.read_fd, 65536)
            except BlockingIOError:
                return
            if not chunk:
                return
            self.received += chunk

    def poll(self):
        """None while running, else (exit code or -signal, rusage or None)."""
        self._drain()
        if LINUX:
            done, status, usage = os.wait4(self.pid, os.WNOHANG)
            if done:
                if self.proc is not None:
                    self.proc.returncode = os.waitstatus_to_exitcode(status)
                return os.waitstatus_to_exitcode(status), usage
        else:
            code = self.proc.poll()
            if code is not None:
                return code, None
        if self.too_many_in_group():  # small files, read first: a fork bomb starves this loop of CPU
            self.stopped = self.TOO_MANY.format(self.limits.processes)
        elif time.monotonic() > self.deadline:
            self.stopped = f"stopped after {self.timeout:.0f} s (the time limit)"
        elif LINUX:
            table = processes()
            tree = exercise_processes(table, self.pid, self.others()) | (cgroup_members(self.group) & set(table))
            if len(tree) > self.limits.processes:
                self.stopped = self.TOO_MANY.format(self.limits.processes)
            else:
                memory = 0.0
                for pid in tree:  # reading the memory of a process that forks waits for its fork: look again
                    if self.too_many_in_group():
                        self.stopped = self.TOO_MANY.format(self.limits.processes)
                        break
                    memory += memory_mb(pid, table)
                self.peak_mb = max(self.peak_mb, memory)
                if memory > self.limits.memory_mb and not self.stopped:
                    self.stopped = f"used more than {self.limits.memory_mb} MB of memory (the limit of one exercise)"
        if self.stopped:
            self.kill()
            return self.poll_after_kill()
        return None

    def poll_after_kill(self):
        if LINUX:
            _, status, usage = os.wait4(self.pid, 0)
            if self.proc is not None:
                self.proc.returncode = os.waitstatus_to_exitcode(status)
            return os.waitstatus_to_exitcode(status), usage
        return self.proc.wait(), None

    def others(self) -> set[int]:
        return self.known | {pid for pid in _RUNNING if pid != self.pid}

    def kill(self) -> int:
        """Kill the exercise process and everything it started; returns how many others were killed.
        (Its own exit status stays for wait4; a fork bomb is killed faster than it can fork.)"""
        if not LINUX:
            kill_tree(self.pid)
            return 0
        killed = self.empty_group()
        for _ in range(500):
            table = processes()
            tree = exercise_processes(table, self.pid, self.others()) | (cgroup_members(self.group) & set(table))
            if not tree:
                break
            for pid in tree:
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed.add(pid)
                except ProcessLookupError:
                    pass
            time.sleep(0.005)
            reap(self.others() | {self.pid})
        return len(killed - {self.pid})

    TOO_MANY = "started more than {} processes (the limit of one exercise)"

    def too_many_in_group(self) -> bool:
        """Whether the exercise's pids cgroup holds more processes than it may, or has refused one a task
        (a few small files: cheap while hundreds of processes compete for the CPU)."""
        if self.group is None:
            return False
        try:
            if len(cgroup_members(self.group)) > self.limits.processes:
                return True
            events = (self.group / "pids.events").read_text().split()
            return "max" in events and int(events[events.index("max") + 1]) > 0
        except (OSError, ValueError, IndexError):
            return False

    def empty_group(self) -> set[int]:
        """Kill every process of the exercise's cgroup, over and over, reaping none until no live one is
        left: a killed process keeps its slot until it is reaped, so a fork bomb cannot refill freed slots.
        Reading one file per pass keeps this fast while hundreds of processes compete for the CPU."""
        killed: set[int] = set()
        for _ in range(2000):
            alive = cgroup_members(self.group) - killed
            if not alive:
                break
            for pid in alive:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            killed |= alive
        return killed

    def verdict(self, code, usage) -> dict:
        _RUNNING.discard(self.pid)
        leftovers = self.kill() if LINUX else 0
        for group in (self.group, self.cpu_group):
            if group is not None:
                try:
                    group.rmdir()
                except OSError:
                    pass
        self._drain()
        os.close(self.read_fd)
        wall = round(time.perf_counter() - self.start, 1)
        result = {"id": self.ex_id, "status": "crashed", "points": 0.0, "max_points": None, "metrics": {},
                  "checks": [], "message": "", "wall_seconds": wall}
        messages = []
        for line in self.received.decode(errors="replace").splitlines():
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if isinstance(message, dict) and message.get("token") == self.token:
                messages.append(message.get("verdict"))
        if usage is not None:
            self.peak_mb = max(self.peak_mb, usage.ru_maxrss / (2**20 if sys.platform == "darwin" else 1024))
        if self.stopped:
            result.update(status="timeout" if "time limit" in self.stopped else "error", message=self.stopped)
        elif len(messages) == 1 and isinstance(messages[0], dict) and code == 0:
            for key in ("status", "points", "max_points", "metrics", "checks", "message", "run_seconds"):
                if key in messages[0]:
                    result[key] = messages[0][key]
        else:
            result["message"] = _crash_message(code, len(messages))
        result["peak_rss_mb"] = round(self.peak_mb) if self.peak_mb else None
        if leftovers:
            result["processes_killed"] = leftovers
        output = self.log.read_text(errors="replace") if self.log.exists() else ""
        result["student_output"] = "\n".join(output.splitlines()[-20:])
        return result


def _crash_message(code, n_messages: int) -> str:
    if n_messages > 1:
        return "the exercise process sent more than one verdict: its result channel was written by its code"
    if code is not None and code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        extra = {"SIGXCPU": ": it used up its CPU seconds", "SIGXFSZ": ": it wrote a file over the size limit"}
        return f"the exercise process was killed by {name}{extra.get(name, '')}"
    if code == 0:
        return "the exercise process ended before the rubric finished (os._exit or sys.exit in the exercise's code)"
    return f"the exercise process crashed (exit code {code})"


def _child(spec: dict, result_fd: int) -> None:
    """In the exercise process: isolate, grade, send the verdict, exit. Never returns."""
    code = 3
    try:
        _isolate(spec)
        from . import grade_file

        verdict = grade_file(spec["id"], Path(spec["path"]), spec["seed"])
        payload = (json.dumps({"token": spec["token"], "verdict": verdict}, default=str) + "\n").encode()
        while payload:
            payload = payload[os.write(result_fd, payload):]
        code = 0
    except BaseException:  # noqa: BLE001 -- whatever happens, the parent reads the exit code
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _isolate(spec: dict) -> None:
    """Session, parent-death signal, limits, empty working folder, output into the log."""
    for group in spec.get("groups", ()):
        with open(Path(group) / "cgroup.procs", "w") as f:  # before anything else: all it starts stays in
            f.write(str(os.getpid()))
    for name in ("SIGTERM", "SIGHUP", "SIGINT"):  # the grader's own handlers stay with the grader
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    if hasattr(os, "setsid"):
        try:
            os.setsid()
        except OSError:
            pass  # already a session leader (started with start_new_session)
    if LINUX:
        try:
            libc().prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG: die with the grader
        except (OSError, AttributeError):
            pass
    try:
        import resource
    except ImportError:
        resource = None
    if resource is not None:
        resource.setrlimit(resource.RLIMIT_CPU, (spec["cpu"], spec["cpu"] + 5))
        size = spec["file_mb"] * 2**20
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if LINUX and os.geteuid() != 0:  # root ignores RLIMIT_NPROC; the /proc watch bounds it there
            tasks = _user_tasks() + spec["tasks"]
            resource.setrlimit(resource.RLIMIT_NPROC, (tasks, tasks))
    fd = os.open(spec["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
    sys.stderr = sys.stdout
    os.chdir(spec["work"])
    os.environ["TMPDIR"] = spec["work"]
    tempfile.tempdir = spec["work"]


def _user_tasks() -> int:
    uid, count = os.getuid(), 0
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.stat(f"/proc/{name}").st_uid == uid:
                    count += len(os.listdir(f"/proc/{name}/task"))
            except OSError:
                continue
    return count


# --------------------------------------------------------------------------- grading a submission


def tensorflow_used() -> bool:
    """Whether this process has run TensorFlow (its eager context is made at the first op or variable):
    it then holds thread pools that a forked child cannot use (pytest, a notebook)."""
    if "tensorflow" not in sys.modules:
        return False
    try:
        from tensorflow.python.eager import context

        return bool(context.context()._initialized)
    except Exception:  # an internal that moved: do not fork
        return True


def can_fork() -> bool:
    """Fork only from a process that has not run TensorFlow (imports by preload() are fine)."""
    return LINUX and hasattr(os, "fork") and not tensorflow_used()


def preload(ids: list[str]) -> None:
    """Import what the exercise processes need, once, before forking (imports only: no TF op runs)."""
    if not can_fork():
        return
    import coursekit  # noqa: F401  (sets TensorFlow's quiet environment first)
    import keras  # noqa: F401
    import sklearn.linear_model  # noqa: F401
    import sklearn.metrics  # noqa: F401
    import tensorflow  # noqa: F401

    import data  # noqa: F401

    from ..graders import grader

    for ex_id in ids:
        grader(ex_id)  # a grader file changed later by a submission is never imported by a forked child


def _clean_stale_folders() -> None:
    """Remove what gradings whose process is gone (a grader killed with SIGKILL) left: their temporary
    folders, and their cgroups with any process still in them."""
    groups = [g for g in (pids_cgroup(), cpu_cgroup()) if g is not None]
    leftovers = list(Path(tempfile.gettempdir()).glob("course-grade-*-*"))
    leftovers += [folder for group in groups for folder in group.glob("course-grade-*-*")]
    for folder in leftovers:
        try:
            pid = int(folder.name.split("-")[2])
            os.kill(pid, 0)
            continue
        except (IndexError, ValueError, PermissionError):
            continue
        except ProcessLookupError:
            pass
        if folder.parent in groups:
            for member in cgroup_members(folder):
                try:
                    os.kill(member, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.05)
            try:
                folder.rmdir()
            except OSError:
                pass
        else:
            shutil.rmtree(folder, ignore_errors=True)


def grade_submission(ids: list[str], *, root: Path, seed: int = 0, timeout: float = 120.0, jobs: int = 2,
                     solutions: bool = False, limits: Limits = Limits(), progress=None) -> list[dict]:
    """Grade ``ids`` of the course copy ``root`` (its exercise files, or with ``solutions`` its
    reference solutions), each in the sandbox, at most ``jobs`` at once; verdict dicts in ``ids``
    order. Never raises for anything a submission does."""
    root = Path(root).resolve()
    kind = "solution" if solutions else "exercise"
    _clean_stale_folders()
    tmp = Path(tempfile.mkdtemp(prefix=f"course-grade-{os.getpid()}-"))
    previous = {}
    if sys.platform != "win32":
        def stop(signum, _frame):
            raise KeyboardInterrupt(f"signal {signum}")

        previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGHUP)}
    running: list[_Job] = []
    known: set[int] = set()
    try:
        files = collect(root, ids, kind, tmp / "submission")
        done: dict[str, dict] = {}
        pending = []
        for ex_id in ids:
            path = files.get(ex_id)
            base = {"id": ex_id, "file": str(catalog.exercise_file(ex_id, kind, root)), "points": 0.0,
                    "max_points": max_points(ex_id), "metrics": {}, "checks": [], "message": "", "wall_seconds": 0.0}
            if path is None:
                rel = catalog.exercise_file(ex_id, kind, root).relative_to(root)
                done[ex_id] = {**base, "status": "missing", "message": f"the submission has no {rel}"}
            elif not solutions and catalog.untouched(path, ex_id):
                done[ex_id] = {**base, "status": NOT_ATTEMPTED, "message": "every function of the exercise is still a TODO"}
            else:
                pending.append(ex_id)
        for ex_id in ids:
            if ex_id in done and progress:
                progress(done[ex_id])
        if not pending:
            return [done[i] for i in ids]
        fork = can_fork()
        if fork:
            preload(pending)
        course = CourseFiles()
        set_subreaper(True)
        me = os.getpid()
        known = {pid for pid, row in processes().items() if row[0] == me} if LINUX else set()  # our own
        while pending or running:
            while pending and len(running) < max(1, jobs):
                ex_id = pending.pop(0)
                running.append(_Job(ex_id, files[ex_id], seed, timeout, limits, tmp / f"job-{ex_id}", fork, known))
            still = []
            for job in running:
                polled = job.poll()
                if polled is None:
                    still.append(job)
                    continue
                result = job.verdict(*polled)
                result["file"] = str(catalog.exercise_file(job.ex_id, kind, root))
                result["max_points"] = result.get("max_points") or max_points(job.ex_id)  # also when not graded
                changes = course.restore()
                if changes:
                    for other in running:
                        other.suspect += changes
                if job.suspect:
                    result.update(status=TAMPERED, points=0.0, message=(
                        "the course's files changed while this exercise was graded, so its grading is void; "
                        "they were put back: " + "; ".join(dict.fromkeys(job.suspect))))
                done[job.ex_id] = result
                if progress:
                    progress(result)
            running = still
            if running:
                time.sleep(POLL)
        return [done[i] for i in ids]
    finally:
        for job in running:
            job.kill()
            try:
                job.poll_after_kill()
            except ChildProcessError:
                pass
            _RUNNING.discard(job.pid)
        set_subreaper(False)
        reap(known)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        shutil.rmtree(tmp, ignore_errors=True)


def _spawned_main() -> None:
    """``python -I -m coursekit.grading.sandbox FD`` with the job's spec on stdin (no fork available)."""
    result_fd = int(sys.argv[1])
    spec = json.loads(sys.stdin.read())
    _child(spec, result_fd)


if __name__ == "__main__":
    _spawned_main()
