"""The Ray runner: the same worker on Ray Data, for one machine or a cluster.

items -> `map_batches(prepare)` on an autoscaling pool of CPU actors ->
`map_batches(describe)` on a pool of model actors (one GPU each when the
cluster has GPUs, else one CPU actor) -> the driver iterates the finished
rows and writes them with the same writer as the local runner, so resuming
works identically. Rows stream back as they finish, in no fixed order.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from autodescribe.bulk.manifest import VideoItem
from autodescribe.bulk.runners import Emit, quiet_progress
from autodescribe.bulk.settings import CaptionSettings
from autodescribe.bulk.worker import CaptionWorker
from autodescribe.errors import AutodescribeError, BackendUnavailable, install_hint

log = logging.getLogger(__name__)

_MAX_BLOCKS = 10_000


class PrepareActor:
    """A CPU actor: decodes one video per call."""

    def __init__(self, settings: CaptionSettings) -> None:
        quiet_progress()
        self.worker = CaptionWorker(settings)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        import numpy as np

        prepared = np.empty(len(batch["id"]), dtype=object)
        for i, (ident, path) in enumerate(zip(batch["id"], batch["path"], strict=True)):
            prepared[i] = self.worker.prepare(VideoItem(id=str(ident), path=str(path)))
        return {"id": batch["id"], "prepared": prepared}


class DescribeActor:
    """A model actor: loads the describer once, captions batches of prepared videos."""

    def __init__(self, settings: CaptionSettings, device: str | None = None) -> None:
        quiet_progress()
        self.worker = CaptionWorker(settings, device)
        self.worker.open()

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        import numpy as np

        rows = self.worker.describe(list(batch["prepared"]))
        text = [json.dumps(row.to_dict(), ensure_ascii=False) for row in rows]
        return {"id": np.array([r.id for r in rows]), "row": np.array(text, dtype=object)}


def run_ray(
    items: Sequence[VideoItem],
    settings: CaptionSettings,
    emit: Emit,
    workers: int | None = None,
    address: str | None = None,
) -> None:
    """Caption `items` on Ray (the running one, or `address`, or a new local one)."""
    ray = _import_ray()
    started_here = not ray.is_initialized()
    chatty = log.isEnabledFor(logging.INFO)  # --verbose: let Ray say what it does
    if not chatty:
        logging.getLogger("ray.data").setLevel(logging.WARNING)
    if started_here:
        ray.init(
            address=address,
            include_dashboard=False,
            log_to_driver=chatty,
            logging_level=logging.INFO if chatty else logging.WARNING,
        )
    try:
        rows = _dataset(ray, items, settings, workers)
        for batch in rows.iter_batches(batch_size=1, batch_format="numpy", prefetch_batches=0):
            for text in batch["row"]:
                emit(json.loads(text))
    except ray.exceptions.RayError as exc:
        raise _unwrap(exc) from exc
    finally:
        if started_here:
            ray.shutdown()


def _dataset(
    ray: Any, items: Sequence[VideoItem], settings: CaptionSettings, workers: int | None
) -> Any:
    """The lazy Ray Data plan: read -> prepare (CPU actors) -> describe (model actors)."""
    from ray.data import ActorPoolStrategy, DataContext

    context = DataContext.get_current()
    context.enable_progress_bars = False  # the driver shows one bar of its own
    resources = ray.cluster_resources()
    gpus = int(resources.get("GPU", 0))
    cpus = max(1, int(resources.get("CPU", 1)))
    models = max(1, gpus)
    preparers = workers or max(1, cpus - (0 if gpus else models))
    records = [{"id": item.id, "path": item.path} for item in items]
    data = ray.data.from_items(records, override_num_blocks=min(len(records), _MAX_BLOCKS))
    prepared = data.map_batches(
        PrepareActor,
        fn_constructor_kwargs={"settings": settings},
        batch_size=1,
        compute=ActorPoolStrategy(min_size=1, max_size=preparers),
        num_cpus=1,
        batch_format="numpy",
    )
    return prepared.map_batches(
        DescribeActor,
        fn_constructor_kwargs={"settings": settings},
        batch_size=settings.batch_size,
        compute=ActorPoolStrategy(size=models),
        num_gpus=1 if gpus else 0,
        num_cpus=0 if gpus else 1,
        batch_format="numpy",
    )


def _import_ray() -> Any:
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as exc:
        raise BackendUnavailable(
            f"the ray runner needs Ray Data ({exc})", install_hint("ray")
        ) from exc
    return ray


def _unwrap(exc: Exception) -> Exception:
    """Our own error from inside an actor (a missing model), else Ray's first line."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, AutodescribeError):
            return cause
        cause = getattr(cause, "cause", None) or cause.__cause__
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return AutodescribeError(f"the Ray run failed ({first})", "rerun with --verbose for details")
