"""Caption a manifest: skip what is done, run the chosen runner, write rows as they land."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autodescribe.bulk.manifest import VideoItem, read_items
from autodescribe.bulk.output import open_writer
from autodescribe.bulk.runners import runners
from autodescribe.bulk.settings import CaptionSettings
from autodescribe.util.progress import progress

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CaptionReport:
    """What one run did: rows written by status, videos skipped as already done."""

    ok: int
    failed: int
    skipped: int
    seconds: float
    output: Path


def pending(
    items: Sequence[VideoItem], status: dict[str, str], retry_failed: bool
) -> list[VideoItem]:
    """Videos without a row yet, plus the failed ones when asked to retry them."""
    wanted = {"failed"} if retry_failed else set()
    return [item for item in items if item.id not in status or status[item.id] in wanted]


def caption(
    source: str | Path,
    out: Path,
    settings: CaptionSettings,
    runner: str = "local",
    workers: int | None = None,
    retry_failed: bool = False,
    address: str | None = None,
) -> CaptionReport:
    """Caption every video named by `source` into `out` (.jsonl or .parquet); resumable."""
    from autodescribe.backends.describe import describer_options, resolve_describer

    items = read_items(source)
    run = runners.load(runner)
    settings = resolve_describer(settings)  # `auto` picks once, here, for every worker
    describer_options(settings)  # a describer that cannot work fails before any video
    started = time.perf_counter()
    counts = {"ok": 0, "failed": 0}
    with open_writer(out) as writer:
        todo = pending(items, writer.status, retry_failed)
        log.info(
            "%d videos, %d to caption, %d already done",
            len(items),
            len(todo),
            len(items) - len(todo),
        )
        if todo:
            with progress("caption", len(todo), unit="videos") as bar:

                def emit(row: dict[str, Any]) -> None:
                    writer.write(row)
                    counts[row["status"]] += 1
                    bar.set_postfix(ok=counts["ok"], failed=counts["failed"], refresh=False)
                    bar.update(1)

                run(todo, settings, emit, workers=workers, address=address)
    return CaptionReport(
        ok=counts["ok"],
        failed=counts["failed"],
        skipped=len(items) - len(todo),
        seconds=time.perf_counter() - started,
        output=out,
    )
