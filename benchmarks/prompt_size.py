"""Prompt size per scene over a long synthetic script: it must stop growing.

    python benchmarks/prompt_size.py [--scenes 500] [--image-tokens 0] [--show]

Runs the scene context builder over generated descriptions (four recurring
people, changing places and details, a name said now and then) and prints the
estimated prompt tokens (words and punctuation of the text parts, plus
`--image-tokens` per frame) at scenes 1, 50 and 500, with the synopsis and
character-sheet sizes and the builder's time per scene. `--show` prints the
last prompt.
"""

from __future__ import annotations

import argparse
import time

from autodescribe.backends.describe import DescribeRequest
from autodescribe.backends.describe.base import build_conversation
from autodescribe.types import Description, Scene
from autodescribe.writing.context import SceneContextBuilder, prompt_tokens_estimate

CAST = (
    "a tall woman in a red coat",
    "a bearded man in a grey suit",
    "a girl with a yellow backpack",
    "an old man with a cane",
)
ACTIONS = ("crosses", "walks along", "waits at", "runs through", "looks around", "sits in")
PLACES = (
    "a busy street",
    "a bus stop",
    "a covered market",
    "a train station",
    "a quiet park",
    "a small cafe",
    "an office lobby",
    "a rainy square",
    "a stone bridge",
)
DETAILS = (
    "Pigeons scatter across the pavement.",
    "Neon signs flicker above the doors.",
    "A delivery van pulls up and stops.",
    "Rain drips from a striped awning.",
    "A dog sniffs at an overturned bin.",
    "A street clock shows a quarter past nine.",
    "Two cyclists weave between parked cars.",
)
LINES = {0: "Maya, wait for me!", 1: "Thanks, Tom.", 2: "Lily! Over here!", 3: "Good morning."}


def scene_text(i: int) -> str:
    who = CAST[i % len(CAST)]
    return f"{who[0].upper()}{who[1:]} {ACTIONS[i % 6]} {PLACES[i % 9]}. {DETAILS[i % 7]}"


def dialogue(i: int) -> tuple[str, ...]:
    return (LINES[i % 4],) if i % 20 < 4 else ("Are you coming or not?",)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=500)
    parser.add_argument("--image-tokens", type=int, default=0, help="tokens per frame, if known")
    parser.add_argument("--images", type=int, default=4, help="frames per scene")
    parser.add_argument("--show", action="store_true", help="print the last user prompt")
    args = parser.parse_args()

    checkpoints = {1, 50, args.scenes}
    builder = SceneContextBuilder()
    spent = 0.0
    print(f"{'scene':>6} {'prompt tokens':>14} {'synopsis words':>15} {'characters':>11}")
    for i in range(args.scenes):
        started = time.perf_counter()
        context = builder.request_context(i, ("EXIT 12",), dialogue(i))
        spent += time.perf_counter() - started
        if i + 1 in checkpoints:
            request = DescribeRequest(Scene(i, 4.0 * i, 4.0 * i + 4), (), (), 12, context=context)
            conversation = build_conversation(request, max_images=8)
            tokens = prompt_tokens_estimate(conversation) + args.images * args.image_tokens
            words = len(context.synopsis.split())
            print(f"{i + 1:>6} {tokens:>14} {words:>15} {len(context.characters):>11}")
        started = time.perf_counter()
        builder.add(Description(scene=i, text=scene_text(i)))
        spent += time.perf_counter() - started
    print(f"builder time: {1000 * spent / args.scenes:.3f} ms per scene")
    print("characters:", builder.sheet.entries())
    if args.show:
        print(conversation[0]["content"][0]["text"])
        print(conversation[1]["content"][-1]["text"])


if __name__ == "__main__":
    main()
