"""Threads that allocate at once share two malloc arenas once the cap is set (glibc)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CHURN = """
import ctypes, sys, threading
from autodescribe.util.memory import tune_malloc
capped = tune_malloc() if sys.argv[1] == "cap" else False
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
start = threading.Barrier(16)
def churn():
    start.wait()
    for _ in range(20000):
        libc.free(libc.malloc(1000))
threads = [threading.Thread(target=churn) for _ in range(16)]
for t in threads: t.start()
for t in threads: t.join()
print(capped, flush=True)
libc.malloc_stats()
"""


def _arenas(mode: str) -> tuple[bool, int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    done = subprocess.run(
        [sys.executable, "-c", CHURN, mode], capture_output=True, text=True, check=True, env=env
    )
    return done.stdout.strip() == "True", done.stderr.count("Arena ")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_the_cap_keeps_threads_to_two_arenas() -> None:
    capped, arenas = _arenas("cap")
    assert capped and 1 <= arenas <= 2, arenas
    free, many = _arenas("free")
    assert not free and many > 2, "without the cap the same threads take more arenas"
