"""Runners: how prepared videos flow from CPU workers to the model and back to the writer.

A runner is a function `run(items, settings, emit, workers=..., address=...)`
that calls `emit(row_dict)` once per video, in the driver process, as rows finish.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autodescribe.registry import Registry

runners: Registry[None] = Registry(
    "caption runner",
    {
        "local": "autodescribe.bulk.runners.local:run_local",
        "ray": "autodescribe.bulk.runners.ray:run_ray",
    },
)

Emit = Callable[[dict[str, Any]], None]


def quiet_progress() -> None:
    """Silence stage progress bars in worker processes: only the driver's bar is shown."""
    import os
    from functools import partialmethod

    os.environ["TQDM_DISABLE"] = "1"
    from tqdm import tqdm

    tqdm.__init__ = partialmethod(tqdm.__init__, disable=True)
