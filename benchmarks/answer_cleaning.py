"""What cleaning and rewriting cost the describe stage, on the corpus of realistic answers.

    python benchmarks/answer_cleaning.py [--budgets 8 14 25] [--repeat 20]

Starts tests/servers/chat_server.py with tests/data/answers/corpus.jsonl (answers
in the styles of SmolVLM2, Qwen2.5-VL, LLaVA-OneVision, Gemma 3 and hosted
GPT-class models) and runs the real describe stage (`describe_scenes` with the
openai describer, batches of 8, four requests in flight) over one scene per
answer, once per word budget. The server hands the answers out in turn; rewrite
requests are answered alternately as a compliant model (the named sentences
removed) and a stubborn one (the text unchanged), shorten requests with the
leading sentences that fit. Printed per budget: the requests the stage sent
beyond one per scene, by cause (rewrite, asked again after a cut-off, shortening
over budget), per scene; the scenes left with nothing to say; and the stage's
wall time per scene on loopback.

Then the CPU cost of the cleaning path alone: every raw answer through
`finish_answers` without a model (cleaning, cut-offs, the writing rules,
dropping), `--repeat` times, in milliseconds per answer, against
`clean_answer` alone. Progress bars and log lines go to stderr; `2>/dev/null` leaves the table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from PIL import Image

from autodescribe.backends.describe.base import Draft, finish_answers
from autodescribe.backends.describe.openai import OpenAIDescriber
from autodescribe.types import Gap, Scene
from autodescribe.util.cache import WorkDir
from autodescribe.util.lazy import Lazy
from autodescribe.writing.clean import Answer, clean_answer
from autodescribe.writing.describe import SceneInput, describe_scenes

ROOT = Path(__file__).resolve().parents[1]
SERVER = ROOT / "tests" / "servers" / "chat_server.py"
CORPUS = ROOT / "tests" / "data" / "answers" / "corpus.jsonl"
RATE = 2.7  # words per second of gap, the default


def scene_answers() -> list[dict[str, Any]]:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    return [e for e in map(json.loads, filter(None, lines)) if e["kind"] == "scene"]


class Server:
    def __init__(self) -> None:
        command = [sys.executable, str(SERVER), "--answers", str(CORPUS)]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.root = f"http://127.0.0.1:{int(self.process.stdout.readline())}"

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.root + "/stats", timeout=5) as response:
            return dict(json.load(response))

    def reset(self) -> None:
        request = urllib.request.Request(self.root + "/stats/reset", data=b"", method="POST")
        urllib.request.urlopen(request, timeout=5).close()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def inputs(folder: Path, count: int, budget: int) -> list[SceneInput]:
    still = folder / "still.jpg"
    Image.new("RGB", (96, 54), (40, 90, 160)).save(still)
    seconds = budget / RATE
    out = []
    for i in range(count):
        start = 10.0 * i
        scene = Scene(index=i, start=start, end=start + 8.0, keyframe_times=(start,))
        slot = Gap(start, start + seconds, budget)
        out.append(SceneInput(scene=scene, slot=slot, stills=(still,), text=()))
    return out


def causes(requests: list[dict[str, Any]]) -> dict[str, int]:
    """Requests by what sent them: the first describe of a scene, or one of the extras."""
    counts = {"describe": 0, "rewrite": 0, "asked again": 0, "shorten": 0, "summary": 0}
    seen: set[str] = set()
    for request in requests:
        prompt = request["prompt"]
        if prompt.startswith("This audio description breaks"):
            counts["rewrite"] += 1
        elif prompt.startswith("Rewrite this audio description in at most"):
            counts["shorten"] += 1
        elif request["images"] and prompt in seen:
            counts["asked again"] += 1
        elif request["images"]:
            counts["describe"] += 1
            seen.add(prompt)
        else:
            counts["summary"] += 1
    return counts


def stage_overhead(server: Server, count: int, budget: int) -> None:
    server.reset()
    describer = Lazy(lambda: OpenAIDescriber(base_url=server.root + "/v1", model="test-vlm"))
    with tempfile.TemporaryDirectory(prefix="answer-cleaning-") as scratch:
        folder = Path(scratch)
        items = inputs(folder, count, budget)
        started = time.perf_counter()
        results = describe_scenes(items, describer, WorkDir(folder / "work"), "k", "en", 8)
        seconds = time.perf_counter() - started
    describer.close()
    counts = causes(server.stats()["requests"])
    silent = sum(1 for r in results if not r.text)
    extra = counts["rewrite"] + counts["asked again"] + counts["shorten"]
    print(
        f"{budget:>6}  {counts['describe']:>6}  {extra / count:>11.2f}  "
        f"{counts['rewrite'] / count:>7.2f}  {counts['asked again'] / count:>11.2f}  "
        f"{counts['shorten'] / count:>7.2f}  {silent:>6}  {1000 * seconds / count:>9.1f}"
    )


def cleaning_cost(entries: list[dict[str, Any]], repeat: int) -> None:
    answers = [Answer(e["answer"], e.get("finish_reason", "stop") == "length") for e in entries]
    drafts = [Draft(a, 25) for a in answers]
    finish_answers(drafts)  # warm the regex caches
    started = time.perf_counter()
    for _ in range(repeat):
        finish_answers(drafts)
    full = (time.perf_counter() - started) / (repeat * len(drafts))
    started = time.perf_counter()
    for _ in range(repeat):
        for answer in answers:
            clean_answer(answer)
    cleaning = (time.perf_counter() - started) / (repeat * len(answers))
    print(
        f"\nCPU per answer ({len(answers)} answers x {repeat}): clean_answer "
        f"{1000 * cleaning:.2f} ms; the whole path without a model (clean, cut-offs, rules, "
        f"drop) {1000 * full:.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budgets", type=int, nargs="+", default=[8, 14, 25])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    entries = scene_answers()
    print(f"{len(entries)} scene answers; one scene per answer; extra requests per scene:")
    print("budget  scenes  extra/scene  rewrite  asked again  shorten  silent  ms/scene")
    server = Server()
    try:
        for budget in args.budgets:
            stage_overhead(server, len(entries), budget)
    finally:
        server.stop()
    cleaning_cost(entries, args.repeat)


if __name__ == "__main__":
    main()
