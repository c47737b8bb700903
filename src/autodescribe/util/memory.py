"""Malloc tuned for stages that run side by side: memory freed goes back where it is reused.

glibc gives each thread that meets contention its own arena, up to eight per
core, and memory freed into one arena is not reused by a thread of another;
and it raises its mmap threshold as large blocks are freed, after which the
buffers ONNX Runtime and CTranslate2 allocate for each inference come from
the heap and stay there, fragmented. With the soundtrack's stages beside the
picture's (each with its own worker threads), a 10-minute 320x180 narrate
peaked at 607 MB, at 510 MB with two arenas, and at 421 MB with blocks of
1 MB and more also always mapped (and unmapped when freed); the one-hour film
at 785 MB before and 521 MB after (`benchmarks/long_video_memory.py`). A
256 KB threshold went lower still (503 MB on the hour) but its page faults
cost 5% of the run (732 s against 698 s).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

_M_MMAP_THRESHOLD = -3  # from glibc's malloc.h
_M_ARENA_MAX = -8
ARENAS = 2
MMAP_THRESHOLD = 1024 * 1024


def tune_malloc(arenas: int = ARENAS, mmap_threshold: int = MMAP_THRESHOLD) -> bool:
    """Cap glibc's malloc arenas and fix its mmap threshold for this process (a no-op
    elsewhere, and for what the user set with `MALLOC_ARENA_MAX` or
    `MALLOC_MMAP_THRESHOLD_`); whether anything was set. Best called before threads start."""
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name or "libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    done = False
    if "MALLOC_ARENA_MAX" not in os.environ:
        done = bool(mallopt(_M_ARENA_MAX, arenas)) or done
    if "MALLOC_MMAP_THRESHOLD_" not in os.environ:
        done = bool(mallopt(_M_MMAP_THRESHOLD, mmap_threshold)) or done
    return done
