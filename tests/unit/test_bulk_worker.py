"""The caption worker: clips and keyframes from one decode, rows from a describer, bad files."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
from PIL import Image
from pydantic import ValidationError

from autodescribe.backends.describe import describers
from autodescribe.backends.describe.base import Capabilities, ChatDescriber, Conversation
from autodescribe.bulk.clips import stride_edges
from autodescribe.bulk.manifest import VideoItem
from autodescribe.bulk.settings import CaptionSettings
from autodescribe.bulk.worker import CaptionWorker, parse_title_summary
from autodescribe.errors import DescriberError
from autodescribe.testing.samples import make_audio_only, make_corrupt, make_sample_video
from autodescribe.testing.truth import SampleTruth


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> SampleTruth:
    """4 s, 320x180, silent, one cut at 2 s between two differently coloured shots."""
    folder = tmp_path_factory.mktemp("bulk-worker")
    return make_sample_video(
        folder / "clip.mp4",
        duration=4.0,
        size=(320, 180),
        cuts=(2.0,),
        speech=(),
        texts=(),
        audio=False,
    )


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bulk-bad")
    audio = folder / "voice.m4a"
    make_audio_only(audio, duration=1.0, speech=())
    return {
        "missing": folder / "missing.mp4",
        "noise": make_corrupt(folder / "noise.mp4", "noise"),
        "audio": audio,
    }


def _item(path: str | Path) -> VideoItem:
    return VideoItem(id=Path(path).name, path=str(path))


def _width(jpeg: bytes) -> int:
    with Image.open(io.BytesIO(jpeg)) as image:
        assert image.format == "JPEG"
        return image.width


def test_scene_clips_follow_the_cut(clip: SampleTruth) -> None:
    worker = CaptionWorker(CaptionSettings(frames=2, frame_width=160))

    prepared = worker.prepare(_item(clip.path))

    assert prepared.error is None
    assert prepared.duration == pytest.approx(4.0)
    bounds = [(c.start, c.end) for c in prepared.clips]
    assert bounds == [(0.0, pytest.approx(2.0, abs=0.05)), (pytest.approx(2.0, abs=0.05), 4.0)]
    for c in prepared.clips:
        assert len(c.frames) == 2
        assert all(c.start <= t < c.end for t in c.frame_times)
        assert {_width(f) for f in c.frames} == {160}
    assert set(prepared.timings) == {"probe", "decode"}


def test_stride_clips_cover_the_video(clip: SampleTruth) -> None:
    worker = CaptionWorker(CaptionSettings(clips="stride:1.5", frames=1))

    prepared = worker.prepare(_item(clip.path))

    assert [(c.start, c.end) for c in prepared.clips] == [(0.0, 1.5), (1.5, 3.0), (3.0, 4.0)]
    assert all(len(c.frames) == 1 for c in prepared.clips)


def test_stride_edges_fold_a_short_tail() -> None:
    assert stride_edges(10.0, 4.0) == [(0.0, 4.0), (4.0, 8.0), (8.0, 10.0)]
    assert stride_edges(8.5, 4.0) == [(0.0, 4.0), (4.0, 8.5)]
    assert stride_edges(3.0, 5.0) == [(0.0, 3.0)]


@pytest.mark.parametrize("clips", ["stride:0", "stride:-1", "every:2", "stride:"])
def test_bad_clip_modes_are_refused(clips: str) -> None:
    with pytest.raises(ValidationError, match="scenes"):
        CaptionSettings(clips=clips)


@pytest.mark.parametrize(
    ("kind", "message"),
    [("missing", "no such file"), ("noise", "not a readable video"), ("audio", "audio-only")],
)
def test_bad_files_become_failed_rows(bad_files: dict[str, Path], kind: str, message: str) -> None:
    worker = CaptionWorker(CaptionSettings())
    prepared = worker.prepare(_item(bad_files[kind]))

    rows = worker.describe([prepared])

    assert prepared.error is not None and message in prepared.error
    assert len(rows) == 1 and rows[0].status == "failed"
    assert message in (rows[0].error or "") and "\n" not in (rows[0].error or "")
    assert rows[0].scenes == ()


def test_basic_rows_keep_order_and_statuses(clip: SampleTruth, bad_files: dict[str, Path]) -> None:
    worker = CaptionWorker(CaptionSettings())
    videos = [worker.prepare(_item(p)) for p in (bad_files["noise"], clip.path)]

    rows = worker.describe(videos)

    assert [(r.id, r.status) for r in rows] == [("noise.mp4", "failed"), ("clip.mp4", "ok")]
    good = rows[1]
    assert good.model == "basic-1" and good.duration == pytest.approx(4.0)
    captions = [s.caption for s in good.scenes]
    assert all("picture" in c for c in captions) and captions[0] != captions[1]
    assert good.summary.startswith(captions[0])
    assert good.timings["total"] == pytest.approx(
        sum(good.timings[k] for k in ("probe", "decode", "describe", "summary"))
    )


class _SquareShyDescriber(ChatDescriber):
    """A chat describer as a plugin might write one: it names the frames' mean brightness and
    refuses square frames, so one video of a batch fails while the others must not."""

    name: ClassVar[str] = "square-shy"
    capabilities: ClassVar[Capabilities] = Capabilities(max_images=4, batching=True)
    model_id = "square-shy-1"

    def __init__(self, **_: Any) -> None:
        self.calls = 0

    def generate(self, conversations: Sequence[Conversation], max_new_tokens: int) -> list[str]:
        self.calls += 1
        answers = []
        for conv in conversations:
            images = [p["image"] for p in conv[-1]["content"] if p["type"] == "image"]
            if any(im.width == im.height for im in images):
                raise DescriberError("the model refused a square frame")
            if not images:
                answers.append("Title: Coloured shots\nSummary: Two coloured shots.")
                continue
            level = int(np.asarray(images[0].convert("L")).mean())
            answers.append(f"Brightness {level}.")
        return answers


def test_a_failing_video_does_not_fail_its_batch(clip: SampleTruth, tmp_path: Path) -> None:
    square = make_sample_video(
        tmp_path / "square.mp4",
        duration=2.0,
        size=(96, 96),
        cuts=(),
        speech=(),
        texts=(),
        audio=False,
    )
    describers.register("square-shy", _SquareShyDescriber)
    worker = CaptionWorker(CaptionSettings(describer="square-shy", prompt="dataset"))
    videos = [worker.prepare(_item(p)) for p in (clip.path, square.path)]

    rows = worker.describe(videos)

    assert [(r.id, r.status) for r in rows] == [("clip.mp4", "ok"), ("square.mp4", "failed")]
    assert rows[1].error == "DescriberError: the model refused a square frame"
    assert rows[1].duration == pytest.approx(2.0)
    ok = rows[0]
    assert ok.model == "square-shy-1" and ok.prompt_version == "caption-dataset-2"
    assert len(ok.scenes) == 2 and all(s.caption.startswith("Brightness ") for s in ok.scenes)
    assert (ok.title, ok.summary) == ("Coloured shots", "Two coloured shots.")


def test_title_and_summary_are_parsed_with_or_without_labels() -> None:
    assert parse_title_summary("**Title:** A red door\nSummary: A man opens it.") == (
        "A red door",
        "A man opens it.",
    )
    assert parse_title_summary("A red door\nA man\nopens it.") == ("A red door", "A man opens it.")
    assert parse_title_summary("  ") == ("", "")
