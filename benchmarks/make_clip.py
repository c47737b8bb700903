"""Generate a benchmark clip with known cuts, dialogue and captions, and time it.

    python benchmarks/make_clip.py OUT.mp4 --duration 60 --size 1280x720 [--truth OUT.json]

Cuts fall about every 5 s (jittered, so nothing can lock onto a period), a
line of dialogue about every 10 s and a caption about every 20 s
(`autodescribe.testing.truth.spread_plan`). The truth goes to `--truth` as JSON; the
generation speed is printed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from autodescribe.errors import AutodescribeError
from autodescribe.testing.samples import make_sample_video
from autodescribe.testing.truth import spread_plan


def parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"size {text!r} is not WIDTHxHEIGHT, e.g. 1280x720"
        ) from exc
    return width, height


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--size", type=parse_size, default=(1280, 720))
    parser.add_argument("--fps", type=float, default=25.0)
    parser.add_argument("--codec", default="h264")
    parser.add_argument("--no-audio", action="store_true")
    parser.add_argument("--truth", type=Path, help="write the truth here as JSON")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        plan = spread_plan(args.duration)
        truth = make_sample_video(
            args.output,
            fps=args.fps,
            size=args.size,
            codec=args.codec,
            audio=not args.no_audio,
            **plan,
        )
    except AutodescribeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - started
    if args.truth:
        args.truth.write_text(json.dumps(truth.to_jsonable(), indent=2))
    width, height = truth.size
    print(
        f"{args.output}: {truth.duration:.1f} s {width}x{height} @ {truth.fps:g} fps, "
        f"{len(truth.cut_frames)} cuts, {len(truth.speech_spans)} lines, "
        f"{len(truth.texts)} captions; "
        f"made in {seconds:.2f} s ({truth.duration / seconds:.1f}x real time, "
        f"{truth.frame_count / seconds:.0f} frames/s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
