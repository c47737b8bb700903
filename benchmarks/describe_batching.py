"""Describe throughput on CPU: one `describe()` per scene against `describe_many()` batches.

    python benchmarks/describe_batching.py [--scenes 20] [--frames 3] [--tokens N]
        [--batches 4 8] [--threads 2] [--dtype auto|float32|bfloat16] [--no-context]

Builds a random-weight model with the layer counts and widths of
SmolVLM2-256M-Video-Instruct (`autodescribe.testing.tiny_models`, size "256m") in a
temporary folder, loads it with `TransformersDescriber` and describes the same
scenes (JPEG frames of distinct colours, 12-word budget) one at a time and then
in batches. Random weights stop at EOS whenever they like, so generation is
pinned: the model's generation config gets `min_new_tokens` equal to the
describer's `max_new_tokens`, and a forward hook counts every token generated
and splits model time into vision encoder, prefill and decode. The rest of the
wall time is the processor (resizing and normalising frames, tokenising) and
the describer's own work. Columns: generated tokens, forward passes, prompt
tokens (real and with padding), then seconds in each phase. The last lines give
naive and batched scenes per second and their ratio.

By default scenes carry context of varying length (earlier descriptions, dialogue),
as in a real film, so prompts differ and batching has padding to avoid. "auto"
dtype is bfloat16 on CPUs with bf16 units (AVX512-BF16, AMX), else float32.
On 2 busy cores the default (20 scenes x 3 frames) takes several minutes; use
`--scenes 8` for a quicker look.
"""

from __future__ import annotations

import argparse
import colorsys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from autodescribe.backends.describe.base import DescribeContext, DescribeRequest
from autodescribe.backends.describe.transformers import TransformersDescriber
from autodescribe.testing.tiny_models import build_model
from autodescribe.types import Description, Scene

WORD_BUDGET = 12


@dataclass
class Meter:
    """What the model did during one measured run: passes, tokens and seconds by phase."""

    passes: int = 0
    generated: int = 0
    prompt_tokens: int = 0  # real tokens in the prompts
    padded_tokens: int = 0  # tokens the prefill computed, padding included
    vision_s: float = 0.0
    prefill_s: float = 0.0
    decode_s: float = 0.0
    _started: dict[str, float] = field(default_factory=dict)


def attach(model: Any, meter: list[Meter]) -> None:
    """Hooks on the model and its vision tower that fill `meter[0]` (swap it between runs)."""

    def model_pre(module: Any, args: Any, kwargs: dict[str, Any]) -> None:
        meter[0]._started["model"] = time.perf_counter()
        meter[0]._started["vision before"] = meter[0].vision_s

    def model_post(module: Any, args: Any, kwargs: dict[str, Any], output: Any) -> None:
        m = meter[0]
        spent = time.perf_counter() - m._started.pop("model")
        spent -= m.vision_s - m._started.pop("vision before")  # frames encoded inside the pass
        ids, mask = kwargs["input_ids"], kwargs.get("attention_mask")
        rows, length = ids.shape
        m.passes += 1
        m.generated += rows  # every pass, prefill included, yields one new token per row
        if length > 1:  # the prefill of one generate() call; the frames are encoded before it
            m.padded_tokens += rows * length
            m.prompt_tokens += int(mask.sum()) if mask is not None else rows * length
            m.prefill_s += spent
        else:
            m.decode_s += spent

    def vision_pre(module: Any, args: Any, kwargs: dict[str, Any]) -> None:
        meter[0]._started["vision"] = time.perf_counter()

    def vision_post(module: Any, args: Any, kwargs: dict[str, Any], output: Any) -> None:
        meter[0].vision_s += time.perf_counter() - meter[0]._started.pop("vision")

    model.register_forward_pre_hook(model_pre, with_kwargs=True)
    model.register_forward_hook(model_post, with_kwargs=True)
    vision = model.model.vision_model
    vision.register_forward_pre_hook(vision_pre, with_kwargs=True)
    vision.register_forward_hook(vision_post, with_kwargs=True)


def make_requests(
    folder: Path, scenes: int, frames: int, context: bool = False
) -> list[DescribeRequest]:
    """`scenes` scenes of `frames` 640x360 JPEG frames, every frame its own colour."""
    requests = []
    total = scenes * frames
    for i in range(scenes):
        paths = []
        for j in range(frames):
            k = i * frames + j
            r, g, b = colorsys.hsv_to_rgb(k / total, 0.8, 0.4 + 0.5 * (k % 2))
            image = Image.new("RGB", (640, 360), (int(255 * r), int(255 * g), int(255 * b)))
            ImageDraw.Draw(image).ellipse((40 + 9 * k, 80, 200 + 9 * k, 240), fill="white")
            path = folder / f"scene{i:03d}_frame{j}.jpg"
            image.save(path, quality=90)
            paths.append(path)
        start = 4.0 * i
        times = tuple(start + 4.0 * (j + 0.5) / frames for j in range(frames))
        requests.append(
            DescribeRequest(
                scene=Scene(index=i, start=start, end=start + 4.0),
                images=tuple(paths),
                image_times=times,
                word_budget=WORD_BUDGET,
                context=scene_context(i) if context else DescribeContext(),
            )
        )
    return requests


def scene_context(i: int) -> DescribeContext:
    """Up to three earlier descriptions and 0-3 lines of dialogue: prompts differ in length."""
    previous = tuple(
        f"A figure in a coat crosses room {k} and stops by the window."
        for k in range(max(0, i - 3), i)
    )
    return DescribeContext(previous=previous, dialogue=("Where were you last night?",) * (i % 4))


def pin_generation(folder: Path, tokens: int) -> None:
    """Random weights may emit EOS at any step: forbid it until `tokens` are out."""
    from transformers import GenerationConfig

    settings = GenerationConfig.from_pretrained(folder)
    settings.min_new_tokens = tokens
    settings.save_pretrained(folder)


def run(label: str, action: Callable[[], list[Description]], meter: list[Meter]) -> float:
    """Time one way of describing all scenes and print its line of the table."""
    meter[0] = Meter()
    started = time.perf_counter()
    descriptions = action()
    wall = time.perf_counter() - started
    m = meter[0]
    scenes = len(descriptions)
    if [d.scene for d in descriptions] != list(range(scenes)):
        raise SystemExit(f"{label}: descriptions came back out of order")
    other = wall - m.vision_s - m.prefill_s - m.decode_s
    print(
        f"{label:<14} {wall:>7.1f} {scenes / wall:>9.3f} {m.generated:>7} {m.passes:>7}"
        f" {m.prompt_tokens:>7} {m.padded_tokens:>7}"
        f" {m.vision_s:>7.1f} {m.prefill_s:>8.1f} {m.decode_s:>7.1f} {other:>6.1f}"
    )
    return wall


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=20, help="--scenes 8 for a quick run")
    parser.add_argument("--frames", type=int, default=3, help="frames per scene")
    parser.add_argument("--tokens", type=int, default=0, help="new tokens per scene")
    parser.add_argument("--batches", type=int, nargs="+", default=[4, 8])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dtype", default="auto", help="auto (bf16 where the CPU has it), ...")
    parser.add_argument(
        "--context",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="scene context of varying length, so prompts differ (default: on)",
    )
    return parser.parse_args()


def main() -> None:
    args = options()
    import torch

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="describe-batching-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        folder = build_model("smolvlm", root / "smolvlm-256m", size="256m")
        print(f"build random 256M-architecture model: {time.perf_counter() - started:.1f} s")
        # Default: what the describer itself allots to a 12-word budget.
        tokens = args.tokens or TransformersDescriber(model=str(folder)).max_new_tokens(WORD_BUDGET)
        pin_generation(folder, tokens)
        (root / "frames").mkdir()
        requests = make_requests(root / "frames", args.scenes, args.frames, args.context)
        describer = TransformersDescriber(
            model=str(folder), device="cpu", dtype=args.dtype, max_new_tokens=tokens
        )
        started = time.perf_counter()
        describer.load()
        print(f"model load: {time.perf_counter() - started:.1f} s")
        meter = [Meter()]
        model = describer._model  # measurement only: the hooks change no result
        attach(model, meter)
        started = time.perf_counter()
        describer.describe(requests[0])
        print(f"warm-up describe (1 scene, not counted): {time.perf_counter() - started:.1f} s")
        print(
            f"{args.scenes} scenes x {args.frames} frames, word budget {WORD_BUDGET}, "
            f"{tokens} new tokens per scene (min = max), {args.threads} torch threads, "
            f"{str(model.dtype).removeprefix('torch.')}, attention "
            f"'{model.config._attn_implementation}', "
            f"{'context of varying length' if args.context else 'no scene context'}"
        )
        print(
            f"{'run':<14} {'wall s':>7} {'scenes/s':>9} {'gen tok':>7} {'passes':>7}"
            f" {'prompt':>7} {'padded':>7} {'vision':>7} {'prefill':>8} {'decode':>7} {'other':>6}"
        )
        naive = run("naive x1", lambda: [describer.describe(r) for r in requests], meter)
        results = []
        for size in args.batches:
            describer.batch_size = size
            results.append(
                (size, run(f"batched x{size}", lambda: describer.describe_many(requests), meter))
            )
        describer.close()
        print(f"naive: {args.scenes / naive:.3f} scenes/s")
        for size, wall in results:
            print(
                f"batched x{size}: {args.scenes / wall:.3f} scenes/s, "
                f"ratio batched / naive {naive / wall:.2f}"
            )


if __name__ == "__main__":
    main()
