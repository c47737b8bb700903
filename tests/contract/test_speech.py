"""Every speech detector must find real speech where it is, and nothing in silence.

The programme is built here with known truth: 12 s of faint noise with two
piper sentences placed at 2.0 s and 7.0 s.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from autodescribe.backends.speech import (
    SpeechDetector,
    detect_blocks,
    pad_and_merge,
    speech_detectors,
)
from autodescribe.backends.voice import voices
from autodescribe.errors import ConfigError
from autodescribe.media.audio import read_audio, write_wav
from autodescribe.types import SpeechSpan

RATE = 16000
DURATION = 12.0
LINES = ((2.0, "A woman opens the door."), (7.0, "She walks to the window and looks outside."))
TOLERANCE = 0.25


@dataclass(frozen=True)
class Programme:
    audio: np.ndarray
    truth: tuple[tuple[float, float], ...]  # first and last audible sample of each line


def _resample(audio: np.ndarray, rate: int, target: int) -> np.ndarray:
    count = int(len(audio) * target / rate)
    return np.interp(np.arange(count) * (rate / target), np.arange(len(audio)), audio)


def _audible(speech: np.ndarray, offset: float) -> tuple[float, float]:
    loud = np.flatnonzero(np.abs(speech) > 0.005)
    return offset + loud[0] / RATE, offset + (loud[-1] + 1) / RATE


@pytest.fixture(scope="module")
def programme() -> Programme:
    piper = voices.load("piper")()
    audio = np.random.default_rng(7).normal(0.0, 0.002, int(DURATION * RATE))
    truth = []
    for start, text in LINES:
        speech = 0.5 * _resample(piper.synthesize(text), piper.sample_rate, RATE)
        at = int(start * RATE)
        audio[at : at + len(speech)] += speech
        truth.append(_audible(speech, start))
    piper.close()
    return Programme(audio.astype(np.float32), tuple(truth))


@pytest.fixture(scope="module", params=speech_detectors.names())
def detector(request: pytest.FixtureRequest) -> Iterator[SpeechDetector]:
    made = speech_detectors.create(request.param)
    yield made
    made.close()


def _assert_matches_truth(spans: list[SpeechSpan], truth: tuple[tuple[float, float], ...]) -> None:
    assert len(spans) == len(truth), spans
    for span, (start, end) in zip(spans, truth, strict=True):
        assert span.start == pytest.approx(start, abs=TOLERANCE), (span, start)
        assert span.end == pytest.approx(end, abs=TOLERANCE), (span, end)


def test_is_a_speech_detector(detector: SpeechDetector) -> None:
    assert isinstance(detector, SpeechDetector)
    assert RATE in detector.sample_rates


def test_finds_each_line_and_nothing_in_the_silence(
    detector: SpeechDetector, programme: Programme
) -> None:
    spans = detector.detect(programme.audio, RATE)
    _assert_matches_truth(spans, programme.truth)
    assert all(0.0 <= s.start < s.end <= DURATION for s in spans)


def test_streaming_gives_the_same_spans(detector: SpeechDetector, programme: Programme) -> None:
    # Uneven (n, 1) blocks, as media.audio.iter_audio yields them.
    column = programme.audio[:, None]
    blocks = (column[i : i + 7777] for i in range(0, len(column), 7777))
    assert detect_blocks(detector, blocks, RATE) == detector.detect(programme.audio, RATE)


def test_silence_and_noise_have_no_speech(detector: SpeechDetector) -> None:
    noise = np.random.default_rng(3).normal(0.0, 0.002, 5 * RATE).astype(np.float32)
    assert detector.detect(noise, RATE) == []
    assert detector.detect(np.zeros(0, np.float32), RATE) == []


def test_speech_decoded_from_a_file(
    detector: SpeechDetector, programme: Programme, tmp_path: Path
) -> None:
    """The real caller path: a 44.1 kHz file resampled to 16 kHz by PyAV."""
    path = tmp_path / "programme.wav"
    write_wav(path, _resample(programme.audio, RATE, 44100).astype(np.float32), 44100)
    spans = detector.detect(read_audio(path, RATE), RATE)
    _assert_matches_truth(spans, programme.truth)


def test_unusable_input_is_a_config_error(detector: SpeechDetector) -> None:
    with pytest.raises(ConfigError, match="44100 Hz"):
        detector.detect(np.zeros(44100, np.float32), 44100)
    with pytest.raises(ConfigError, match="mono"):
        detector.detect(np.zeros((RATE, 2), np.float32), RATE)


# --- silero ------------------------------------------------------------------


def test_silero_matches_its_reference_implementation(programme: Programme) -> None:
    torch = pytest.importorskip("torch")
    from silero_vad import get_speech_timestamps

    detector = speech_detectors.create("silero", min_silence_ms=100, speech_pad_ms=30)
    reference = get_speech_timestamps(
        torch.from_numpy(programme.audio),
        detector._model,  # the same loaded model: compare the span logic, not the weights
        sampling_rate=RATE,
        min_silence_duration_ms=100,
    )
    ours = [(s.start, s.end) for s in detector.detect(programme.audio, RATE)]
    assert ours == [(r["start"] / RATE, r["end"] / RATE) for r in reference]


def test_silero_rejects_a_bad_threshold() -> None:
    with pytest.raises(ConfigError, match="threshold"):
        speech_detectors.create("silero", threshold=1.5)


# --- pad_and_merge -------------------------------------------------------------


def _spans(*pairs: tuple[float, float]) -> list[SpeechSpan]:
    return [SpeechSpan(a, b) for a, b in pairs]


def _pairs(spans: list[SpeechSpan]) -> list[tuple[float, float]]:
    return [(round(s.start, 9), round(s.end, 9)) for s in spans]


@pytest.mark.parametrize(
    ("spans", "padding", "expected"),
    [
        ([], 0.15, []),
        ([(1.0, 2.0)], 0.15, [(0.85, 2.15)]),
        ([(0.05, 0.5), (9.9, 10.0)], 0.15, [(0.0, 0.65), (9.75, 10.0)]),  # clipped
        ([(1.0, 2.0), (2.2, 3.0)], 0.15, [(0.85, 3.15)]),  # overlap once padded
        ([(1.0, 2.0), (2.4, 3.0)], 0.15, [(0.85, 2.15), (2.25, 3.15)]),  # still apart
        ([(1.0, 2.0), (2.0, 3.0)], 0.0, [(1.0, 3.0)]),  # touching
        ([(5.0, 6.0), (1.0, 4.0), (2.0, 3.0)], 0.0, [(1.0, 4.0), (5.0, 6.0)]),  # unsorted, nested
        ([(11.0, 12.0), (3.0, 4.0)], 0.15, [(2.85, 4.15)]),  # past the end: dropped
    ],
)
def test_pad_and_merge(
    spans: list[tuple[float, float]], padding: float, expected: list[tuple[float, float]]
) -> None:
    assert _pairs(pad_and_merge(_spans(*spans), padding, 10.0)) == expected


def test_pad_and_merge_joins_transcripts_in_order() -> None:
    spans = [SpeechSpan(2.1, 3.0, "Hi."), SpeechSpan(1.0, 2.0, "Hello."), SpeechSpan(5.0, 6.0)]
    merged = pad_and_merge(spans, 0.1, 10.0)
    assert [s.text for s in merged] == ["Hello. Hi.", None]


def test_pad_and_merge_rejects_negative_padding() -> None:
    with pytest.raises(ConfigError, match="negative"):
        pad_and_merge(_spans((1.0, 2.0)), -0.1, 10.0)
