"""A private, throwaway PostgreSQL cluster (initdb + pg_ctl) on a free port, that a test may stop,
start and restart at will. The shared server on 127.0.0.1:5432 is never touched: other tests use it.

initdb refuses to run as root, so as root the cluster belongs to the `postgres` user (runuser).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.load.harness import free_port


def find_bindir() -> Path | None:
    """The directory of initdb and pg_ctl: on PATH, /usr/local/bin, or the newest /usr/lib/postgresql/*/bin."""
    candidates = [shutil.which("initdb"), "/usr/local/bin/initdb",
                  *sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version, reverse=True)]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            bindir = Path(os.path.realpath(candidate)).parent
            if (bindir / "pg_ctl").exists():
                return bindir
    return None


def _version(path: str) -> int:
    try:
        return int(Path(path).parts[-3])
    except (ValueError, IndexError):
        return 0


def unavailable_reason() -> str | None:
    if find_bindir() is None:
        return "initdb/pg_ctl not found (PATH, /usr/local/bin, /usr/lib/postgresql/*/bin)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no `postgres` user to own a private cluster (initdb refuses root)"
        if shutil.which("runuser") is None:
            return "running as root and `runuser` is missing"
    return None


class PrivateCluster:
    def __init__(self) -> None:
        bindir = find_bindir()
        assert bindir is not None
        self.bindir = bindir
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="cg-load-pg-"))  # not under pytest's 0700 tmp: postgres must enter
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
        os.chmod(self.dir, 0o755)

    def _run(self, *args: str, timeout: float = 120) -> str:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=self.dir, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}\n{self.log_tail()}")
        return done.stdout

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync",
                  "--no-instructions")
        # Only for this throwaway cluster: fsync off (a restart is a clean shutdown, no OS crash).
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.dir}'\n"
                       "fsync = off\nmax_connections = 200\nshared_buffers = 64MB\n")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def restart(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-m", mode, "-w", "-t", "60", "restart")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(self.url(), autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f'CREATE DATABASE "{name}"')
                return self.url(name)
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no postgres log)"

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "-t", "30", "stop", timeout=60)
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
        shutil.rmtree(self.dir, ignore_errors=True)
