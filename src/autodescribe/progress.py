"""Progress bars on stderr for long stages."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from tqdm import tqdm

_SECONDS_FORMAT = (
    "{desc} {percentage:3.0f}%|{bar}| {n:.1f}/{total:.1f} {unit} [{elapsed}<{remaining}]"
)


@contextmanager
def progress(label: str, total: float | None, unit: str = "s") -> Iterator[tqdm]:
    """A bar on stderr; `total` in `unit` (seconds of media by default)."""
    bar = tqdm(
        total=total,
        desc=f"{label:<10}",
        unit=unit,
        file=sys.stderr,
        mininterval=0.5,
        leave=False,
        dynamic_ncols=True,
        bar_format=_SECONDS_FORMAT if unit == "s" else None,
    )
    try:
        yield bar
    finally:
        bar.close()
