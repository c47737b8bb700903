"""Whether a process that left work behind is still running.

A killed process whose parent died too can linger as a zombie when nothing
reaps it (PID 1 in many containers does not), and `kill(pid, 0)` still finds
it; its work is abandoned all the same, so a zombie counts as gone.
"""

from __future__ import annotations

import os
from pathlib import Path


def process_alive(pid: int | None) -> bool:
    """True while `pid` runs (or sleeps); False when it is gone or a zombie."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (macOS): trust kill()
    state = stat.rsplit(")", 1)[-1].split()[0]
    return state not in ("Z", "X")
