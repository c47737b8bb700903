"""Fewer malloc arenas: memory that threads free goes back to a shared pool.

glibc gives each thread that meets contention its own arena, up to eight per
core, and memory freed into one arena is not reused by a thread of another.
Stages that run side by side (the soundtrack's beside the picture's, each
with its own worker threads) then raised the peak resident memory of a
10-minute 320x180 narrate from 510 MB to 607 MB, with the same wall time
(`benchmarks/long_video_memory.py --minutes 10`, with and without
`MALLOC_ARENA_MAX=2`). Two arenas are what that setting gives.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

_M_ARENA_MAX = -8  # from glibc's malloc.h
ARENAS = 2


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas for this process (a no-op elsewhere, or when the user set
    `MALLOC_ARENA_MAX`); whether the cap was set. Best called before threads start."""
    if not sys.platform.startswith("linux") or "MALLOC_ARENA_MAX" in os.environ:
        return False
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_ARENA_MAX, arenas))
