"""A corpus of realistic model answers, served by the test chat server, through every path.

tests/data/answers/corpus.jsonl holds answers in the styles of SmolVLM2,
Qwen2.5-VL, LLaVA-OneVision, Gemma 3 and hosted GPT-class models (chatter,
labels, markdown, lists, quotes, the medium, feelings, past tense, cut-offs,
refusals), each with what must hold after cleaning. Each is first asked for by
name through the openai describer; then the server hands all of them out in
turn to `narrate` and to `caption`, whose scripts and rows must be clean (no
writing-rule violation, markdown, chatter, label, fragment or first person) and
within budget.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from typer.testing import CliRunner

from autodescribe.backends.describe import DescribeRequest
from autodescribe.backends.describe.openai import OpenAIDescriber
from autodescribe.bulk.output import read_rows
from autodescribe.bulk.run import caption
from autodescribe.bulk.settings import CaptionSettings
from autodescribe.cli import app
from autodescribe.testing.samples import make_sample_video
from autodescribe.types import Scene
from autodescribe.writing.clean import CHATTER, is_first_person, is_fragment, split_sentences
from autodescribe.writing.prompts import load_template
from autodescribe.writing.rules import check_text

CORPUS = Path(__file__).resolve().parents[1] / "data" / "answers" / "corpus.jsonl"
ENTRIES: list[dict[str, Any]] = [
    json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()
]
SCENES = [e for e in ENTRIES if e["kind"] == "scene"]
SUMMARIES = [e for e in ENTRIES if e["kind"] == "summary"]
STYLES = {"smolvlm2", "qwen2.5-vl", "llava-onevision", "gemma-3", "gpt"}
MARKUP = re.compile(r"[*#`_~|<>\[\]]|^\s*(?:[-•]|\d+[.)])\s")
LABEL = re.compile(
    r"\b(?:description|caption|summary|title|note|option\s*\d|scene\s*\d|setting|mood|"
    r"assistant)\s*:",
    re.I,
)
PROMPT_AT = re.compile(r"scene at (\d+):(\d\d) in the video")
PROMPT_BUDGET = re.compile(r"at most (\d+) words")


def assert_clean(text: str) -> None:
    """Deliverable text: one line, no rule broken, nothing a model wraps around an answer."""
    assert "\n" not in text, text
    assert check_text(text) == [], (text, check_text(text))
    assert not MARKUP.search(text), text
    assert not CHATTER.search(text), text
    assert not LABEL.search(text), text
    for sentence in split_sentences(text):
        assert not is_fragment(sentence), (sentence, text)
        assert not is_first_person(sentence), (sentence, text)
        assert sentence[:1].isupper() or sentence[:1] in "\"“'", (sentence, text)


@pytest.fixture(scope="module")
def frame(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("corpus-frame") / "frame.jpg"
    Image.new("RGB", (64, 36), (30, 120, 200)).save(path)
    return path


def _request(frame: Path, budget: int = 60) -> DescribeRequest:
    scene = Scene(index=0, start=0.0, end=4.0, keyframe_times=(0.0,))
    return DescribeRequest(scene=scene, images=(frame,), image_times=(0.0,), word_budget=budget)


def test_the_corpus_is_big_and_covers_five_model_families() -> None:
    assert len(SCENES) >= 60
    assert {e["style"] for e in SCENES} == STYLES
    assert all(sum(e["style"] == s for e in SCENES) >= 10 for s in STYLES)
    assert len({e["id"] for e in ENTRIES}) == len(ENTRIES)
    assert any(e.get("finish_reason") == "length" for e in SCENES)
    assert any(e["expect"]["empty"] for e in SCENES) and SUMMARIES


@pytest.mark.parametrize("entry", SCENES, ids=[e["id"] for e in SCENES])
def test_each_answer_cleans_as_recorded(
    entry: dict[str, Any],
    frame: Path,
    start_server,  # noqa: ANN001
) -> None:
    server = start_server("--answers", str(CORPUS))
    describer = OpenAIDescriber(base_url=server.url, model=f"corpus/{entry['id']}")
    description = describer.describe(_request(frame))
    describer.close()
    text, expect = description.text, entry["expect"]
    assert (text == "") is expect["empty"], text
    assert description.skip is expect["empty"]
    for wanted in expect["contains"]:
        assert wanted in text, (wanted, text)
    for unwanted in expect["excludes"]:
        assert unwanted not in text, (unwanted, text)
    assert_clean(text)


@pytest.mark.parametrize("entry", SUMMARIES, ids=[e["id"] for e in SUMMARIES])
def test_each_title_and_summary_is_read_and_cleaned(
    entry: dict[str, Any],
    start_server,  # noqa: ANN001
) -> None:
    server = start_server("--answers", str(CORPUS))
    describer = OpenAIDescriber(base_url=server.url, model=f"corpus/{entry['id']}")
    title, summary = describer.summarize("A story of a few scenes.", [], "en")
    describer.close()
    expect = entry["expect"]
    assert title == expect["title"]
    assert not MARKUP.search(title) and not title.endswith(".")
    for wanted in expect["contains"]:
        assert wanted in summary, (wanted, summary)
    for unwanted in expect["excludes"]:
        assert unwanted not in summary, (unwanted, summary)
    assert_clean(summary)


@pytest.mark.parametrize(
    ("name", "requests"),
    [
        ("gpt-clean", 1),  # nothing to fix
        ("smol-image-shows", 1),  # repaired in place
        ("llava-red-room", 1),  # "The camera pans across a red room." cleaned in place
        ("llava-camera-pans-right", 2),  # one rewrite, accepted
        ("llava-seem-happy", 2),  # one rewrite, still breaking the rule: that sentence goes
        ("smol-nothing-whole", 2),  # cut off before a whole sentence: asked again
        ("gpt-cut-off", 1),  # cut off after whole sentences: trimmed, not asked again
        ("gemma-refusal", 1),  # a refusal is no description, and no reason to ask again
    ],
)
def test_what_each_policy_costs_in_requests(
    name: str,
    requests: int,
    frame: Path,
    start_server,  # noqa: ANN001
) -> None:
    server = start_server("--answers", str(CORPUS))
    describer = OpenAIDescriber(base_url=server.url, model=f"corpus/{name}")
    describer.describe(_request(frame, budget=20))
    describer.close()
    sent = server.stats()["requests"]
    assert len(sent) == requests
    if name == "llava-camera-pans-right":
        assert "not the camera" in sent[1]["prompt"] and sent[1]["images"] == 0
    if name == "smol-nothing-whole":
        assert sent[1]["prompt"] == sent[0]["prompt"] and sent[1]["images"] == 1
        assert sent[1]["max_tokens"] == 2 * sent[0]["max_tokens"]


def _budgets(requests: list[dict[str, Any]]) -> dict[int, int]:
    """Word budget of each describe request, by its scene's start second."""
    budgets = {}
    for request in requests:
        at, budget = PROMPT_AT.search(request["prompt"]), PROMPT_BUDGET.search(request["prompt"])
        if request["images"] and at and budget:
            budgets[int(at.group(1)) * 60 + int(at.group(2))] = int(budget.group(1))
    return budgets


def test_narrate_delivers_every_answer_clean_and_within_budget(
    tmp_path: Path,
    start_server,  # noqa: ANN001
    passes_check,  # noqa: ANN001
) -> None:
    seconds = 3.0
    video = make_sample_video(
        tmp_path / "many.mp4",
        duration=seconds * len(SCENES),
        size=(320, 180),
        fps=10,
        cuts=tuple(seconds * i for i in range(1, len(SCENES))),
        speech=(),
        texts=((6.0, 12.0, "EXIT 12"),),
        audio=False,
    )
    server = start_server("--answers", str(CORPUS))
    args = ["narrate", video.path, "--describer", "openai", "--base-url", server.url]
    # faces play no part in what the answers become; the stage would only cost time here
    result = CliRunner().invoke(app, [*args, "--voice", "espeak-ng", "--characters", "off"])
    assert result.exit_code == 0, result.output + str(result.exception)

    stats = server.stats()
    assert {e["id"] for e in SCENES} <= set(stats["corpus_served"]), "every answer was served"
    script = json.loads((tmp_path / "many.script.json").read_text(encoding="utf-8"))
    cues = script["cues"]
    assert len(SCENES) // 2 < len(cues) < len(SCENES), "refusals and skips say nothing"
    budgets = _budgets(stats["requests"])
    for cue in cues:
        assert_clean(cue["text"])
        start = max(t for t in budgets if t <= cue["start"] + 0.5)
        assert len(cue["text"].split()) <= budgets[start], (cue, budgets[start])
    assert script["title"] and not MARKUP.search(script["title"])
    assert_clean(script["summary"])
    passes_check(tmp_path, "many", video.path)


def test_caption_writes_every_answer_clean_and_within_budget(
    tmp_path: Path,
    start_server,  # noqa: ANN001
) -> None:
    clip = make_sample_video(
        tmp_path / "clip.mp4",
        duration=4.0,
        size=(160, 90),
        cuts=(),
        speech=(),
        texts=(),
        audio=False,
    )
    folder = tmp_path / "videos"
    folder.mkdir()
    count = -(-len(SCENES) // 4)  # four one-second clips each
    for number in range(count):
        shutil.copy(clip.path, folder / f"v{number:02d}.mp4")
    server = start_server("--answers", str(CORPUS))
    settings = CaptionSettings(
        describer="openai", base_url=server.url, clips="stride:1", frames=1, frame_width=160
    )
    out = tmp_path / "captions.jsonl"
    report = caption(folder, out, settings, workers=0)

    assert (report.ok, report.failed) == (count, 0)
    served = set(server.stats()["corpus_served"])
    assert {e["id"] for e in SCENES} <= served and {e["id"] for e in SUMMARIES} <= served
    words = load_template(settings.template_name).fields("settings")
    rows = list(read_rows(out).values())
    captions = [s["caption"] for row in rows for s in row["scenes"]]
    assert len(captions) == 4 * count and sum(bool(c) for c in captions) > len(SCENES) // 2
    for text in captions:
        assert_clean(text)
        assert len(text.split()) <= int(words["words"]), text
    for row in rows:
        assert_clean(row["summary"])
        assert len(row["summary"].split()) <= int(words["summary_words"])
        assert not MARKUP.search(row["title"]) and not row["title"].endswith(".")
    assert sum(bool(row["title"]) for row in rows) > count // 2
