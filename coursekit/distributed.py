"""Tuning on more than one process: a throwaway PostgreSQL server, and worker processes to watch.

Lesson 5.5 runs Optuna studies on a real database server, several worker processes on one study,
and Keras Tuner's chief and workers. Two pieces are shared by its demos, its tests and its benchmark:

- :func:`postgres_server` starts a PostgreSQL server of its own: ``initdb`` into a new temporary
  folder, ``postgres`` listening on 127.0.0.1 at a free port (no Unix socket), one database, trust
  authentication for that loopback address only. Stopping it (leaving the ``with`` block, or at the
  interpreter's exit) ends the server and removes the folder. As root, PostgreSQL refuses to run, so
  the server runs as the unprivileged ``nobody`` user, who then owns the folder.
- :func:`start_worker` starts one worker process (its own Python, its own TensorFlow, no shared
  memory: as on another machine) and collects what it prints, line by line, in a thread;
  ``on_line`` may react to a line (the crash demo kills a worker when it starts a trial).

The server's programs come from the operating system, not from pip: ``apt-get install postgresql``
on Debian and Ubuntu (which puts them in ``/usr/lib/postgresql/<version>/bin``, not on ``PATH``),
``brew install postgresql`` on macOS. :func:`postgres_bin` finds them; ``$COURSE_PG_BIN`` names their
folder when they are elsewhere. The Python driver is ``psycopg`` (a dependency of the course).
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

PG_BIN_ENV = "COURSE_PG_BIN"
INSTALL = "apt-get install postgresql (Debian, Ubuntu; as root) or brew install postgresql (macOS)"
PG_USER = "course"  # the server's superuser, and the user of the URL
DEBIAN_ROOT = Path("/usr/lib/postgresql")  # Debian and Ubuntu: <version>/bin, not on PATH
UNPRIVILEGED = "nobody"  # who runs the server when we are root


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server programs here, or the server did not start; the message says what to do."""


def postgres_bin() -> Path | None:
    """The folder that holds ``initdb``, ``pg_ctl`` and ``postgres``: ``$COURSE_PG_BIN``, then ``PATH``, then
    Debian's ``/usr/lib/postgresql/<version>/bin`` (the newest version); None when there is none."""
    candidates = [os.environ.get(PG_BIN_ENV)] if os.environ.get(PG_BIN_ENV) else []
    found = shutil.which("initdb")
    if found:
        candidates.append(str(Path(found).resolve().parent))
    debian = sorted(DEBIAN_ROOT.glob("*/bin"), key=lambda p: _version(p.parent.name), reverse=True)
    candidates += [str(p) for p in debian]
    for folder in candidates:
        if all((Path(folder) / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return Path(folder)
    return None


def _version(name: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in name.split("."))


def why_no_postgres() -> str | None:
    """One line saying why no server can be started here (and the command that fixes it), or None."""
    if postgres_bin() is None:
        return f"no PostgreSQL server programs (initdb, postgres) found; install them: {INSTALL}"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "the PostgreSQL driver is missing: pip install 'psycopg[binary]' -c constraints.txt"
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PostgresServer:
    """A running throwaway server: ``url`` is what Optuna's storage takes (SQLAlchemy with psycopg 3)."""

    folder: Path
    port: int
    database: str
    process: subprocess.Popen
    seconds_to_start: float = 0.0

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{PG_USER}@127.0.0.1:{self.port}/{self.database}"

    def stop(self) -> None:
        """Fast shutdown (SIGINT: roll back open transactions, close connections), then remove the folder."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def _as_server_user() -> dict:
    """subprocess arguments that run a program as the unprivileged user when we are root."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        import pwd

        entry = pwd.getpwnam(UNPRIVILEGED)
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
    return {}


def start_postgres(database: str = "tuning", attempts: int = 3) -> PostgresServer:
    """Start a new server in a new temporary folder and create ``database``; stopped at exit at the latest.

    Raises :class:`PostgresUnavailable` with one line to act on when the programs are missing or the server
    does not come up (its log's last lines are in the message)."""
    reason = why_no_postgres()
    if reason:
        raise PostgresUnavailable(reason)
    bindir, start = postgres_bin(), time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="course-postgres-"))
    user = _as_server_user()
    if user:
        os.chown(folder, user["user"], user["group"])
    env = {**os.environ, "LC_ALL": "C", "TZ": "UTC"}
    data = folder / "data"
    try:
        # --no-sync: a throwaway cluster need not wait for the disk; trust, for 127.0.0.1 only (pg_hba.conf)
        subprocess.run([str(bindir / "initdb"), "-D", str(data), "-U", PG_USER, "--auth=trust", "--no-sync",
                        "-E", "UTF8", "--locale=C"], check=True, capture_output=True, env=env, cwd=folder, **user)
        for attempt in range(attempts):
            port = free_port()
            log = open(folder / "server.log", "ab")  # noqa: SIM115 -- closed when the server ends
            process = subprocess.Popen(
                [str(bindir / "postgres"), "-D", str(data), "-p", str(port), "-c", "listen_addresses=127.0.0.1",
                 "-c", "unix_socket_directories=", "-c", "max_connections=50"],
                stdout=log, stderr=subprocess.STDOUT, env=env, cwd=folder, start_new_session=True, **user)
            log.close()
            server = PostgresServer(folder, port, database, process)
            if _ready(server, timeout=30):
                break
            server.process.kill()
            server.process.wait()
        else:
            raise PostgresUnavailable(f"the PostgreSQL server did not start: {_tail(folder / 'server.log')}")
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=port, user=PG_USER, dbname="postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
    except BaseException as exc:
        if "server" in locals():
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)
        if isinstance(exc, subprocess.CalledProcessError):
            raise PostgresUnavailable(f"initdb failed: {exc.stderr.decode(errors='replace').strip()[-300:]}") from exc
        raise
    server.seconds_to_start = time.perf_counter() - start
    atexit.register(server.stop)
    return server


def _ready(server: PostgresServer, timeout: float) -> bool:
    """Wait until the server accepts a connection; False if it exited or ``timeout`` seconds passed."""
    import psycopg

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            psycopg.connect(host="127.0.0.1", port=server.port, user=PG_USER, dbname="postgres", connect_timeout=2).close()
            return True
        except psycopg.OperationalError:
            time.sleep(0.1)
    return False


def _tail(path: Path, lines: int = 3) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextmanager
def postgres_server(database: str = "tuning"):
    """``with postgres_server() as server:`` a server for the block; stopped and its folder removed after."""
    server = start_postgres(database)
    try:
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------- worker processes


@dataclass
class Worker:
    """A worker process and the lines it printed (stdout and stderr together), collected by a thread."""

    name: str
    process: subprocess.Popen
    lines: list[str] = field(default_factory=list)
    times: list[float] = field(default_factory=list)  # when each line arrived (time.time())
    killed_at: float | None = None
    _reader: threading.Thread | None = None

    def kill(self) -> None:
        """SIGKILL: the process ends at once, without telling anyone (as a machine that loses power)."""
        if self.process.poll() is None:
            self.killed_at = time.time()
            self.process.kill()

    def wait(self, timeout: float | None = None) -> int:
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
        finally:
            if self._reader is not None:
                self._reader.join(timeout=10)
        return code

    @property
    def output(self) -> str:
        return "\n".join(self.lines)


def worker_env(extra: dict | None = None) -> dict:
    """The environment of a worker: this one, the course importable, one TensorFlow thread per worker (several
    workers share this machine's cores; on machines of their own they would not need that), and ``extra``."""
    from . import catalog

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(catalog.REPO), os.environ.get("PYTHONPATH", "")] if p)
    env.setdefault("TF_NUM_INTRAOP_THREADS", "1")
    env.setdefault("TF_NUM_INTEROP_THREADS", "1")
    env.update(extra or {})
    return env


def start_worker(name: str, args: list[str], env: dict | None = None, on_line=None, cwd=None) -> Worker:
    """Start ``python ARGS`` (this interpreter) as a worker named ``name``; ``on_line(worker, line)`` is called
    from the reader thread for every line it prints."""
    process = subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, text=True, bufsize=1, env=env or worker_env(), cwd=cwd)
    worker = Worker(name, process)

    def read():
        for raw in process.stdout:
            line = raw.rstrip("\n")
            worker.times.append(time.time())
            worker.lines.append(line)
            if on_line is not None:
                on_line(worker, line)
        process.stdout.close()

    worker._reader = threading.Thread(target=read, name=f"read-{name}", daemon=True)
    worker._reader.start()
    atexit.register(worker.kill)
    return worker


def wait_all(workers: list[Worker], timeout: float = 300) -> list[int]:
    """Wait for every worker; their exit codes (-9 for one killed). If they overrun ``timeout`` seconds in all,
    the rest are killed and ``subprocess.TimeoutExpired`` is raised."""
    deadline = time.monotonic() + timeout
    try:
        return [worker.wait(timeout=max(0.1, deadline - time.monotonic())) for worker in workers]
    finally:
        for worker in workers:
            if worker.process.poll() is None:
                worker.process.kill()
                worker.process.wait()
