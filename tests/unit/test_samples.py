"""Generated samples contain exactly the truth they report.

Everything else in the suite trusts these files, so each claim is checked by
reading the file back the way a user's tools would: PyAV for streams and
pixels, the decoded audio for levels, OCR for the caption.
"""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from autodescribe.errors import ConfigError
from autodescribe.media.audio import read_audio
from autodescribe.testing.samples import (
    CorruptKind,
    make_audio_only,
    make_corrupt,
    make_sample_video,
)
from autodescribe.testing.truth import SampleTruth, spread_plan

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SampleTruth:
    """The default sample, as `autodescribe sample` writes it."""
    return make_sample_video(tmp_path_factory.mktemp("samples") / "sample.mp4")


def _jumps(path: str) -> np.ndarray:
    """Mean absolute luma change between consecutive frames: jumps[i] is frame i -> i + 1."""
    out, previous = [], None
    with av.open(path) as container:
        for frame in container.decode(video=0):
            luma = frame.to_ndarray(format="gray").astype(np.float32)
            if previous is not None:
                out.append(float(np.abs(luma - previous).mean()))
            previous = luma
    return np.array(out)


@pytest.fixture(scope="module")
def ocr() -> object:
    from rapidocr import RapidOCR

    return RapidOCR()


def _rgb_frame(path: str, index: int) -> np.ndarray:
    with av.open(path) as container:
        for number, frame in enumerate(container.decode(video=0)):
            if number == index:
                return frame.to_ndarray(format="rgb24")
    raise AssertionError(f"{path} has no frame {index}")


def _read_text(ocr: object, rgb: np.ndarray) -> str:
    result = ocr(np.ascontiguousarray(rgb[:, :, ::-1]))  # type: ignore[operator]
    return " ".join(result.txts or ())


def _rms_db(samples: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(np.square(samples, dtype=np.float64))) + 1e-12))


def test_sample_probes_with_the_requested_format(sample: SampleTruth) -> None:
    with av.open(sample.path) as container:
        video, audio = container.streams.video, container.streams.audio
        assert (len(video), len(audio)) == (1, 1)
        assert video[0].average_rate == 25
        assert (video[0].codec_context.width, video[0].codec_context.height) == (640, 360)
        assert video[0].codec_context.name == "h264"
        assert abs(container.duration / av.time_base - 12.0) <= 1 / 25
        assert (audio[0].codec_context.name, audio[0].rate, audio[0].channels) == ("aac", 48000, 2)
    assert sample.duration == 12.0 and sample.fps == 25.0 and sample.size == (640, 360)


def test_biggest_picture_changes_are_exactly_the_cuts(sample: SampleTruth) -> None:
    jumps = _jumps(sample.path)
    assert len(jumps) + 1 == sample.frame_count == 300
    order = np.argsort(jumps)[::-1] + 1
    assert sorted(order[:2].tolist()) == list(sample.cut_frames) == [100, 200]
    assert sample.cut_times == (4.0, 8.0)
    # A cut is unmistakable, yet the picture moves between cuts.
    assert jumps[order[1] - 1] > 10 * jumps[order[2] - 1]
    assert np.median(jumps) > 0.1
    assert [(s.start, s.end) for s in sample.shots] == [(0.0, 4.0), (4.0, 8.0), (8.0, 12.0)]


def test_speech_spans_are_loud_and_the_rest_is_a_quiet_bed(sample: SampleTruth) -> None:
    audio = read_audio(Path(sample.path), 48000)
    assert abs(len(audio) / 48000 - sample.duration) < 0.05
    spans = sample.speech_spans
    assert [s.text for s in spans] == ["Where did you put the keys?", "They are on the table."]
    for span, requested in zip(spans, (1.0, 8.6), strict=True):
        assert requested <= span.start < requested + 0.3
        assert 0.5 < span.end - span.start < 3.0 and span.end < sample.duration
    inside = np.zeros(len(audio), dtype=bool)
    for span in spans:
        inside[round(span.start * 48000) : round(span.end * 48000)] = True
    outside = ~np.convolve(inside, np.ones(4800), mode="same").astype(bool)  # 50 ms margins
    bed = _rms_db(audio[outside])
    assert -75 < bed < -45, "the bed should be quiet but not digital silence"
    # No 10 ms stretch more than 10 ms from a span rises above the bed: spans hold all the speech.
    near = np.convolve(inside, np.ones(961), mode="same").astype(bool)
    usable = len(audio) // 480 * 480
    clear = ~near[:usable].reshape(-1, 480).any(axis=1)
    windows = audio[:usable].reshape(-1, 480)[clear].astype(np.float64)
    assert 20 * np.log10(np.sqrt(np.mean(windows**2, axis=1)).max()) < -47
    for span in spans:
        speech = audio[round(span.start * 48000) : round(span.end * 48000)]
        assert _rms_db(speech) > bed + 10
        assert -23 < 20 * np.log10(np.abs(speech).max()) < -17


def test_caption_is_readable_only_while_shown(sample: SampleTruth, ocr: object) -> None:
    (caption,) = sample.texts
    assert (caption.start, caption.end, caption.text) == (4.0, 8.0, "EXIT 12")
    assert "EXIT 12" in _read_text(ocr, _rgb_frame(sample.path, 150))
    assert "EXIT" not in _read_text(ocr, _rgb_frame(sample.path, 50))


def test_no_audio_variant_has_no_audio_stream(tmp_path: Path) -> None:
    truth = make_sample_video(
        tmp_path / "silent.mp4", duration=2.0, cuts=(1.0,), texts=(), audio=False, speech=()
    )
    with av.open(truth.path) as container:
        assert len(container.streams.audio) == 0 and len(container.streams.video) == 1
    assert truth.speech_spans == () and not truth.has_audio


def test_odd_size_and_ntsc_rate_keep_their_truth(tmp_path: Path) -> None:
    truth = make_sample_video(
        tmp_path / "odd.mp4",
        duration=2.0,
        fps=29.97,
        size=(321, 241),
        cuts=(1.0,),
        speech=(),
        texts=((0.2, 1.5, "GO"),),
    )
    with av.open(truth.path) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (321, 241)
        assert stream.average_rate == Fraction(30000, 1001)
    jumps = _jumps(truth.path)
    assert truth.cut_frames == (30,) and int(np.argmax(jumps)) + 1 == 30
    assert len(jumps) + 1 == truth.frame_count == 60


def test_same_settings_give_the_same_file(tmp_path: Path) -> None:
    settings = dict(
        duration=2.0, cuts=(1.0,), speech=((0.3, "Hello there."),), texts=((0.5, 1.5, "HI"),)
    )
    first = make_sample_video(tmp_path / "a.mp4", **settings)
    second = make_sample_video(tmp_path / "b.mp4", **settings)
    assert first.speech_spans == second.speech_spans
    assert Path(first.path).read_bytes() == Path(second.path).read_bytes()


def test_truth_round_trips_through_json(sample: SampleTruth) -> None:
    data = json.loads(json.dumps(sample.to_jsonable()))
    assert SampleTruth.from_jsonable(data) == sample
    assert data["cut_frames"] == [100, 200] and data["texts"][0]["text"] == "EXIT 12"


def test_audio_only_file_has_one_audio_stream(tmp_path: Path) -> None:
    truth = make_audio_only(tmp_path / "speech.m4a", duration=4.0)
    with av.open(truth.path) as container:
        assert len(container.streams.video) == 0 and len(container.streams.audio) == 1
        assert abs(container.duration / av.time_base - 4.0) < 0.05
    (span,) = truth.speech_spans
    audio = read_audio(Path(truth.path), 48000)
    speech = audio[round(span.start * 48000) : round(span.end * 48000)]
    assert _rms_db(speech) > _rms_db(audio[: round(0.9 * 48000)]) + 10


@pytest.mark.parametrize(
    ("kind", "from_sample"), [("truncated", True), ("truncated", False), ("noise", False)]
)
def test_corrupt_files_do_not_open(
    tmp_path: Path, sample: SampleTruth, kind: CorruptKind, from_sample: bool
) -> None:
    source = sample.path if from_sample else None
    path = make_corrupt(tmp_path / f"{kind}.mp4", kind, source=source)
    assert path.stat().st_size > 1000
    if from_sample:
        whole = Path(sample.path).read_bytes()
        assert path.read_bytes() == whole[: len(whole) // 2]
    with pytest.raises(av.error.InvalidDataError):
        av.open(str(path)).close()


@pytest.mark.parametrize(
    "settings",
    [
        {"cuts": (4.0, 13.0)},
        {"cuts": (8.0, 4.0)},
        {"texts": ((10.0, 14.0, "LATE"),)},
        {"texts": ((1.0, 2.0, "  "),)},
        {"speech": ((11.5, "This sentence cannot finish before the end."),)},
        {"speech": ((1.0, "Where did you put the keys?"), (1.5, "They are on the table."))},
        {"codec": "prores"},
        {"codec": "mpeg4", "size": (321, 241)},
        {"fps": 0},
    ],
)
def test_impossible_requests_are_refused(tmp_path: Path, settings: dict[str, object]) -> None:
    target = tmp_path / "never.mp4"
    with pytest.raises(ConfigError):
        make_sample_video(target, **settings)  # type: ignore[arg-type]
    assert not target.exists()


def test_spread_plan_fits_any_length() -> None:
    for duration in (8.0, 12.0, 60.0, 600.0):
        plan = spread_plan(duration)
        assert all(0 < t < duration for t in plan["cuts"])
        assert all(start + 4.5 < duration for start, _ in plan["speech"])
        assert all(0 <= a < b <= duration for a, b, _ in plan["texts"])
    assert len(spread_plan(60.0)["cuts"]) == 12 and len(spread_plan(60.0)["speech"]) == 6


def test_benchmark_script_writes_clip_and_truth(tmp_path: Path) -> None:
    out, truth = tmp_path / "clip.mp4", tmp_path / "clip.json"
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "make_clip.py"),
            str(out),
            "--duration",
            "12",
            "--size",
            "320x180",
            "--truth",
            str(truth),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "real time" in result.stdout
    data = json.loads(truth.read_text())
    assert (
        data["size"] == [320, 180]
        and len(data["cut_frames"]) == 2
        and len(data["speech_spans"]) == 1
    )
    with av.open(str(out)) as container:
        assert container.streams.video[0].codec_context.width == 320
