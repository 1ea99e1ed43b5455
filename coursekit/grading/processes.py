"""The processes of an exercise, as Linux shows them in ``/proc`` and in a pids cgroup: who belongs
to an exercise (its session, its descendants, orphans handed to the grader as child subreaper), how
much memory they hold, and how many there are (``sandbox``). Every function here is Linux's; the
sandbox does without them elsewhere."""

from __future__ import annotations

import os
import sys
from pathlib import Path

LINUX = sys.platform.startswith("linux")


def libc():
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


def set_subreaper(on: bool) -> None:
    """Orphaned descendants become this process's children (so a detached process cannot escape)."""
    if LINUX:
        try:
            libc().prctl(36, 1 if on else 0, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
        except (OSError, AttributeError):
            pass


def processes() -> dict[int, tuple[int, int, int, int]]:
    """pid -> (parent pid, session, resident pages, threads) of every process, from /proc."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                text = f.read().decode(errors="replace")
        except OSError:
            continue
        rest = text[text.rfind(")") + 2:].split()
        if rest and rest[0] != "Z":
            table[int(name)] = (int(rest[1]), int(rest[3]), int(rest[21]), int(rest[17]))
    return table


PAGE_MB = (os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096) / 2**20


def memory_mb(pid: int, table: dict) -> float:
    """A process's proportional share of memory (pages it shares with others counted in part: a forked
    process is not charged for the TensorFlow it shares with the grader), else its resident size."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return table.get(pid, (0, 0, 0, 0))[2] * PAGE_MB


def exercise_processes(table: dict, root_pid: int, protected: set[int]) -> set[int]:
    """The exercise's processes: its session, its descendants, and orphans left to us (``protected``:
    our processes that are not the exercise's: those we had before, the other exercises running)."""
    me = os.getpid()
    found = {pid for pid, (ppid, sid, _, _) in table.items()
             if pid not in protected and (sid == root_pid or ppid == me)}
    found.add(root_pid)
    grew = True
    while grew:
        more = {pid for pid, (ppid, _, _, _) in table.items() if ppid in found and pid not in found}
        found |= more
        grew = bool(more)
    return {pid for pid in found if pid in table}


def reap(protected: set[int]) -> None:
    """Collect the exit status of orphans handed to us that died (no zombies left behind)."""
    if not LINUX:
        return
    me = str(os.getpid())
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) in protected:
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                rest = f.read().decode(errors="replace").rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if rest[0] == "Z" and rest[1] == me:
            try:
                os.waitpid(int(name), os.WNOHANG)
            except ChildProcessError:
                pass


def own_cgroup(controller: str) -> Path | None:
    """This process's cgroup of a (v1) controller, if it can make sub-groups there."""
    if not LINUX:
        return None
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, where = line.split(":", 2)
            if controller in controllers.split(","):
                folder = Path("/sys/fs/cgroup") / controller / where.lstrip("/")
                return folder if os.access(folder, os.W_OK) and (folder / "cgroup.procs").exists() else None
    except (OSError, ValueError):
        pass
    return None


def pids_cgroup() -> Path | None:
    """The cgroup of the pids controller: a hard bound on the processes of an exercise that holds for
    root too (RLIMIT_NPROC does not bind root)."""
    return own_cgroup("pids")


def cpu_cgroup() -> Path | None:
    """The cgroup of the cpu controller: an exercise in a sub-group is one scheduling entity, so however
    many processes it starts, together they weigh no more on the CPU than the grader watching them."""
    return own_cgroup("cpu")


def cgroup_members(group: Path | None) -> set[int]:
    try:
        return {int(x) for x in (group / "cgroup.procs").read_text().split()} if group else set()
    except OSError:
        return set()
