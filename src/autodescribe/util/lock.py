"""One run at a time per output: an exclusive lock on the work folder.

Two `narrate` runs on the same output (a double start, two terminals, a retry
by a script) would write the same work files. The lock is `flock` on
`WORK/lock`: the kernel drops it when its holder dies, even by SIGKILL, so a
stale lock left by a killed run is simply free again; the pid written inside
only names the holder in the message. A second run stops at once with one
line, or waits when asked to.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from autodescribe.errors import AutodescribeError

log = logging.getLogger(__name__)

LOCK_NAME = "lock"


class Busy(AutodescribeError):
    """Another run holds the work folder."""


@contextmanager
def work_lock(folder: Path, wait: bool = False, poll: float = 0.5) -> Iterator[None]:
    """Hold the work folder's lock for the block; `Busy` if another run holds it (unless `wait`)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        waited = False
        while not _try_lock(fd):
            if not wait:
                raise Busy(
                    f"another autodescribe run ({_holder(path)}) is working on {folder.parent}",
                    "wait for it to finish, stop it, or rerun with --wait",
                )
            if not waited:
                log.warning("waiting for %s to finish with %s", _holder(path), folder.parent)
                waited = True
            time.sleep(poll)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)  # closing drops the lock


def _try_lock(fd: int) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows: no flock; runs are not serialised there
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _holder(path: Path) -> str:
    try:
        pid = path.read_text().strip()
    except OSError:
        pid = ""
    return f"pid {pid}" if pid.isdigit() else "another process"
