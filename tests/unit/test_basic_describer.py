"""The offline describer keeps whole sentences, reads only real text, and captions read text too."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from autodescribe.analysis.onscreen_text import is_readable
from autodescribe.backends.describe.base import DescribeContext, DescribeRequest
from autodescribe.backends.describe.basic import BasicDescriber, fit_sentences
from autodescribe.bulk.manifest import VideoItem
from autodescribe.bulk.settings import CaptionSettings
from autodescribe.bulk.worker import CaptionWorker
from autodescribe.testing.samples import make_sample_video
from autodescribe.types import Gap, OnScreenText, Scene
from autodescribe.util.cache import WorkDir
from autodescribe.util.lazy import Lazy
from autodescribe.writing.clean import is_fragment, split_sentences
from autodescribe.writing.describe import SceneInput, describe_scenes
from autodescribe.writing.rules import check_text


@pytest.fixture
def still(tmp_path: Path) -> Path:
    path = tmp_path / "still.jpg"
    Image.new("RGB", (64, 36), (20, 30, 160)).save(path)
    return path


def _request(still: Path, budget: int, *texts: str) -> DescribeRequest:
    scene = Scene(index=0, start=0.0, end=4.0, keyframe_times=(0.0,))
    context = DescribeContext(on_screen_text=texts)
    return DescribeRequest(
        scene=scene, images=(still,), image_times=(0.0,), word_budget=budget, context=context
    )


@pytest.mark.parametrize(
    ("budget", "expected"),
    [
        (12, "A blue picture. Text on screen: EXIT 12; PLATFORM 9."),
        (9, "Text on screen: EXIT 12; PLATFORM 9."),
        (6, "Text on screen: EXIT 12."),
        (5, "Text on screen: EXIT 12."),
        (4, "On screen: EXIT 12."),
        (3, "A blue picture."),
        (2, ""),
    ],
)
def test_within_a_budget_whole_sentences_only(still: Path, budget: int, expected: str) -> None:
    description = BasicDescriber().describe(_request(still, budget, "EXIT 12", "PLATFORM 9"))
    assert description.text == expected
    assert description.skip is (expected == "")


@pytest.mark.parametrize("budget", range(0, 12))
def test_shortening_never_leaves_a_fragment(budget: int) -> None:
    text = "A dark blue picture. Text on screen: EXIT 12; PLATFORM 9."
    short = BasicDescriber().shorten(text, budget, "en")
    assert len(short.split()) <= budget
    assert not any(is_fragment(s) for s in split_sentences(short))
    assert check_text(short) == []
    assert all(s in text or s.endswith("EXIT 12.") for s in split_sentences(short))


def test_symbols_read_as_text_are_not_said(still: Path) -> None:
    description = BasicDescriber().describe(_request(still, 20, "■", "| —", "EXIT 12.", "a"))
    assert description.text == "A blue picture. Text on screen: EXIT 12."


@pytest.mark.parametrize(
    ("text", "readable"),
    [
        ("EXIT 12", True),
        ("No 5", True),
        ("■", False),
        ("■ ▲ ●", False),
        ("| —", False),
        ("a", False),
        ("$$$ 5", False),
        ("Café", True),
    ],
)
def test_readable_text(text: str, readable: bool) -> None:
    assert is_readable(text) is readable


def test_the_describe_stage_never_cuts_the_offline_describers_text(tmp_path: Path) -> None:
    still = tmp_path / "0.jpg"
    Image.new("RGB", (64, 36), (200, 30, 30)).save(still)
    scene = Scene(index=0, start=0.0, end=2.0, keyframe_times=(0.0,))
    item = SceneInput(
        scene=scene,
        slot=Gap(0.0, 1.2, 3),
        stills=(still,),
        text=(OnScreenText(time=0.0, text="PLATFORM NINE NORTH BOUND"),),
    )
    (result,) = describe_scenes([item], Lazy(BasicDescriber), WorkDir(tmp_path / "w"), "k", "en", 1)
    assert result.text == "" and result.skip


def test_captions_keep_on_screen_text_as_narrate_does(tmp_path: Path) -> None:
    video = make_sample_video(
        tmp_path / "sign.mp4",
        duration=4.0,
        size=(640, 360),
        cuts=(2.0,),
        speech=(),
        texts=((2.0, 4.0, "EXIT 12"),),
        audio=False,
    )
    worker = CaptionWorker(CaptionSettings(frames=2, frame_width=640))
    prepared = worker.prepare(VideoItem(id="sign", path=video.path))
    (row,) = worker.describe([prepared])
    worker.close()
    assert row.status == "ok", row.error
    first, second = (s.caption for s in row.scenes)
    assert "EXIT 12" not in first
    assert "Text on screen: EXIT 12." in second
    for caption in (first, second):
        assert check_text(caption) == []
        assert not any(is_fragment(s) for s in split_sentences(caption))


def test_fit_sentences_keeps_order_and_gives_text_room_first() -> None:
    sentences = ["A bright red picture.", "Text on screen: OPEN."]
    assert fit_sentences(sentences, 8) == "A bright red picture. Text on screen: OPEN."
    assert fit_sentences(sentences, 5) == "Text on screen: OPEN."
