"""Bulk captioning throughput on CPU: a naive loop against the local and Ray runners.

    python benchmarks/caption_throughput.py [--clips 50] [--frames 2] [--tokens 8]
        [--workers N] [--batch-size 8] [--skip-ray]

Builds a random-weight model with the layer counts and widths of
SmolVLM2-256M-Video-Instruct (`autodescribe.testing.tiny_models`, size "256m"), writes
`--clips` short silent videos (3 s, 320x180, one cut at 1.5 s, so two scenes
each with --min-scene 1) and captions them three ways with the same
`CaptionWorker` and settings:

- naive: one process, for each video prepare then describe, one at a time;
- local: the local runner (decode processes ahead of one model worker, batches);
- ray: the Ray runner on a local Ray with every core.

Random weights stop at EOS whenever they like, so generation is pinned: the
model's saved generation config gets `min_new_tokens` equal to `--tokens`, and
every clip costs the same number of decode steps in every run. Prints videos/s
and scene clips/s for each way, and the share of time the model was busy.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from autodescribe.bulk.manifest import read_items
from autodescribe.bulk.output import read_rows
from autodescribe.bulk.run import caption
from autodescribe.bulk.settings import CaptionSettings
from autodescribe.bulk.worker import CaptionWorker
from autodescribe.testing.samples import make_sample_video
from autodescribe.testing.tiny_models import build_model


def pin_tokens(model: Path, tokens: int) -> None:
    """Make every answer exactly `tokens` long (random weights would stop anywhere)."""
    path = model / "generation_config.json"
    config = json.loads(path.read_text()) if path.exists() else {}
    config.update(min_new_tokens=tokens, max_new_tokens=tokens)
    path.write_text(json.dumps(config, indent=1))


def make_clips(folder: Path, count: int) -> None:
    first = folder / "clip000.mp4"
    make_sample_video(
        first, duration=3.0, size=(320, 180), cuts=(1.5,), speech=(), texts=(), audio=False
    )
    for number in range(1, count):
        shutil.copy(first, folder / f"clip{number:03d}.mp4")


def naive(folder: Path, settings: CaptionSettings, out: Path) -> None:
    """The loop a first script would write: prepare, describe, write, next."""
    worker = CaptionWorker(settings)
    with out.open("w") as fh:
        for item in read_items(folder):
            for row in worker.describe([worker.prepare(item)]):
                fh.write(json.dumps(row.to_dict()) + "\n")
    worker.close()


def measure(name: str, run: Callable[[Path], None], out: Path) -> tuple[str, float, Path]:
    started = time.perf_counter()
    run(out)
    return name, time.perf_counter() - started, out


def report(name: str, seconds: float, out: Path) -> None:
    rows = list(read_rows(out).values())
    ok = [r for r in rows if r["status"] == "ok"]
    scenes = sum(len(r["scenes"]) for r in ok)
    model = sum(r["timings"].get("describe", 0) + r["timings"].get("summary", 0) for r in ok)
    print(
        f"{name:<6} {len(ok):>4} videos {scenes:>5} scenes {seconds:>8.1f} s "
        f"{len(ok) / seconds:>7.2f} videos/s {scenes / seconds:>7.2f} clips/s "
        f"model busy {min(1.0, model / seconds):>4.0%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=50, help="number of videos")
    parser.add_argument("--frames", type=int, default=2, help="keyframes per scene clip")
    parser.add_argument("--tokens", type=int, default=8, help="tokens generated per answer")
    parser.add_argument("--workers", type=int, default=None, help="decode workers (runners)")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--skip-ray", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="caption-bench-") as scratch:
        root = Path(scratch)
        started = time.perf_counter()
        model = build_model("smolvlm", root / "model", size="256m")
        pin_tokens(model, args.tokens)
        videos = root / "videos"
        videos.mkdir()
        make_clips(videos, args.clips)
        print(f"setup (model + {args.clips} clips): {time.perf_counter() - started:.1f} s")
        settings = CaptionSettings(
            describer="transformers",
            model=str(model),
            frames=args.frames,
            min_scene_seconds=1.0,
            batch_size=args.batch_size,
        )
        print(f"cores: {os.cpu_count()}, frames/clip: {args.frames}, tokens: {args.tokens}")
        results = [measure("naive", lambda out: naive(videos, settings, out), root / "naive.jsonl")]
        results.append(
            measure(
                "local",
                lambda out: caption(videos, out, settings, "local", workers=args.workers),
                root / "local.jsonl",
            )
        )
        if not args.skip_ray:
            import ray

            ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False)
            try:
                results.append(
                    measure(
                        "ray",
                        lambda out: caption(videos, out, settings, "ray", workers=args.workers),
                        root / "ray.jsonl",
                    )
                )
            finally:
                ray.shutdown()
        for result in results:
            report(*result)


if __name__ == "__main__":
    main()
