"""What cleaning and rewriting cost the describe stage, on the corpus of realistic answers.

    python benchmarks/answer_cleaning.py [--budgets 8 14 25] [--repeat 20] [--candidates 1 3]

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

Then the same scenes in two passes (`look_then_write`): a look request per scene
(notes, cleaned mechanically), then a write request per scene in film order, for
each `--candidates` count (the corpus server answers write prompts from the corpus
too, and with `n` hands out the next answers in turn); printed per budget and
count: look and write requests per scene, the extras, answers received per scene,
candidates kept per scene, silent scenes and wall time per scene.

Then the CPU cost of the cleaning path alone: every raw answer through
`finish_answers` without a model (cleaning, cut-offs, the writing rules,
dropping), `--repeat` times, in milliseconds per answer, against
`clean_answer` alone, and of cleaning and ranking candidates (per answer, with
the sentence-embedding model when installed). Progress bars and log lines go to
stderr; `2>/dev/null` leaves the table.
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
from autodescribe.config import DescribeSettings
from autodescribe.types import Gap, Scene
from autodescribe.util.cache import WorkDir
from autodescribe.util.lazy import Lazy
from autodescribe.writing.candidates import rank
from autodescribe.writing.clean import Answer, clean_answer
from autodescribe.writing.describe import SceneInput, describe_scenes
from autodescribe.writing.similarity import embedding_model
from autodescribe.writing.two_pass import look_then_write

ROOT = Path(__file__).resolve().parents[1]
SERVER = ROOT / "tests" / "servers" / "chat_server.py"
CORPUS = ROOT / "tests" / "data" / "answers" / "corpus.jsonl"
RATE = 2.7  # words per second of gap, the default
WRITE_PROMPT = "Notes on this scene ("


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
    """Requests by cause: the first describe (or look, or write) of a scene, or an extra."""
    counts = {"describe": 0, "write": 0, "rewrite": 0, "asked again": 0, "shorten": 0}
    counts["summary"] = counts["answers"] = 0
    seen: set[str] = set()
    for request in requests:
        prompt = request["prompt"]
        counts["answers"] += request.get("n", 1)
        if prompt.startswith("This audio description breaks"):
            counts["rewrite"] += 1
        elif prompt.startswith("Rewrite this audio description in at most"):
            counts["shorten"] += 1
        elif prompt in seen:
            counts["asked again"] += 1
        elif WRITE_PROMPT in prompt:
            counts["write"] += 1
            seen.add(prompt)
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


def two_pass_overhead(server: Server, count: int, budget: int, candidates: int) -> None:
    """The same scenes looked at (notes), then written in film order with `candidates` each."""
    server.reset()
    describer = Lazy(lambda: OpenAIDescriber(base_url=server.root + "/v1", model="test-vlm"))
    settings = DescribeSettings(describer="openai", look_first=True, candidates=candidates)
    with tempfile.TemporaryDirectory(prefix="answer-cleaning-") as scratch:
        folder = Path(scratch)
        items = inputs(folder, count, budget)
        started = time.perf_counter()
        results = look_then_write(
            items,
            describer,
            Lazy(lambda: None),
            settings,
            ("n", "l"),
            WorkDir(folder / "w"),
            "en",
            8,
        )
        seconds = time.perf_counter() - started
    describer.close()
    counts = causes(server.stats()["requests"])
    silent = sum(1 for r in results if not r.text)
    kept = sum(len(r.candidates) for r in results) / count
    extra = counts["rewrite"] + counts["asked again"] + counts["shorten"]
    print(
        f"{budget:>6}  {candidates:>10}  {counts['describe'] / count:>5.2f}  "
        f"{counts['write'] / count:>5.2f}  {extra / count:>11.2f}  "
        f"{counts['answers'] / count:>11.2f}  {kept:>6.2f}  {silent:>6}  "
        f"{1000 * seconds / count:>9.1f}"
    )


def ranking_cost(entries: list[dict[str, Any]], candidates: int, repeat: int) -> None:
    """CPU to clean and rank `candidates` answers per scene, per answer, without a model."""
    answers = [Answer(e["answer"], e.get("finish_reason", "stop") == "length") for e in entries]
    groups = [answers[i : i + candidates] for i in range(0, len(answers), candidates)]
    previous = [clean_answer(a) for a in answers[-3:]]
    rank(finish_answers([Draft(a, 25) for a in groups[0]]), 25, previous, ())  # load, warm
    started = time.perf_counter()
    for _ in range(repeat):
        for group in groups:
            rank(finish_answers([Draft(a, 25) for a in group]), 25, previous, ("EXIT 12",))
    per_answer = (time.perf_counter() - started) / (repeat * len(answers))
    print(
        f"CPU per answer, cleaned and ranked in groups of {candidates} "
        f"(repeats judged by {embedding_model()}): {1000 * per_answer:.2f} ms"
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
    parser.add_argument("--candidates", type=int, nargs="+", default=[1, 3])
    args = parser.parse_args()
    entries = scene_answers()
    print(f"{len(entries)} scene answers; one scene per answer; extra requests per scene:")
    print("budget  scenes  extra/scene  rewrite  asked again  shorten  silent  ms/scene")
    server = Server()
    try:
        for budget in args.budgets:
            stage_overhead(server, len(entries), budget)
        print(
            "\nLook, then write (--look-first / --candidates N): requests per scene, answers per"
            " scene, candidates kept per scene:"
        )
        print(
            "budget  candidates   look  write  extra/scene  answers/sc.    kept  silent  ms/scene"
        )
        for budget in args.budgets:
            for candidates in args.candidates:
                two_pass_overhead(server, len(entries), budget, candidates)
    finally:
        server.stop()
    cleaning_cost(entries, args.repeat)
    for candidates in args.candidates:
        if candidates > 1:
            ranking_cost(entries, candidates, max(1, args.repeat // 4))


if __name__ == "__main__":
    main()
