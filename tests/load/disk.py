"""Small file systems for the disk-fault tests: a tmpfs of a few MiB that a test fills up or remounts
read-only. Needs mount(2) (root or CAP_SYS_ADMIN); `unavailable_reason` says when it is not there, and
the tests then use the launcher's SQLite hooks instead (tests/load/simserver.py, SIM_SQLITE_CONTROL)."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import tempfile
from pathlib import Path


def _mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True, timeout=30, check=False)


def unavailable_reason() -> str | None:
    if shutil.which("mount") is None or shutil.which("umount") is None:
        return "mount/umount not found"
    try:
        fs = Tmpfs(1)
    except OSError as exc:
        return str(exc)
    try:
        fs.remount(read_only=True)
        fs.remount(read_only=False)
    except OSError as exc:
        return str(exc)
    finally:
        fs.destroy()
    return None


class Tmpfs:
    def __init__(self, size_mib: int) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="cg-load-disk-"))
        done = _mount("-t", "tmpfs", "-o", f"size={size_mib}m,mode=0755", "tmpfs", str(self.dir))
        if done.returncode != 0:
            self.dir.rmdir()
            raise OSError(f"cannot mount a tmpfs: {done.stderr.strip() or done.returncode}")
        self.mounted = True
        self.filler = self.dir / "filler.bin"

    def fill(self) -> int:
        """Write a filler file until the file system is full; the bytes written."""
        written = 0
        with self.filler.open("ab", buffering=0) as f:
            for chunk in (1 << 20, 1 << 12, 1 << 9):
                block = b"\0" * chunk
                while True:
                    try:
                        written += f.write(block)
                    except OSError as exc:
                        if exc.errno != errno.ENOSPC:
                            raise
                        break
        st = os.statvfs(self.dir)
        assert st.f_bavail * st.f_frsize < (1 << 12), "the file system is not full"
        return written

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def remount(self, *, read_only: bool) -> None:
        done = _mount("-o", f"remount,{'ro' if read_only else 'rw'}", str(self.dir))
        if done.returncode != 0:
            raise OSError(f"cannot remount {'ro' if read_only else 'rw'}: {done.stderr.strip() or done.returncode}")

    def destroy(self) -> None:
        if self.mounted:
            done = subprocess.run(["umount", str(self.dir)], capture_output=True, text=True, timeout=30, check=False)
            if done.returncode != 0:  # still busy (a server that did not die yet): detach it lazily
                subprocess.run(["umount", "-l", str(self.dir)], capture_output=True, timeout=30, check=False)
            self.mounted = False
        shutil.rmtree(self.dir, ignore_errors=True)
