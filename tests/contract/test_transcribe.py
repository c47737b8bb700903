"""Transcription must put each spoken line's words into the speech span it was said in.

The clip is generated with known lines (piper, noise off) at known times:
three lines close together, which whisper hears as one stretch of audio, and
one line after a long pause, packed into the same window after a short
silence. Spans come from silero, as in the narrate pipeline; text from every
registered transcriber (faster-whisper: the bundled tiny.en).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from autodescribe.analysis.speech import detect_speech, spooled_blocks
from autodescribe.analysis.transcript import (
    TranscribeSettings,
    speech_audio,
    stream_language,
    transcribe_speech,
)
from autodescribe.backends.transcribe import Transcriber, stretches_read, transcribers
from autodescribe.backends.transcribe.faster_whisper import (
    BUNDLED_MODEL,
    WhisperTranscriber,
    bundled_model_path,
    pack_spans,
)
from autodescribe.config import SpeechSettings
from autodescribe.errors import ConfigError
from autodescribe.media.audio import read_audio
from autodescribe.media.probe import probe
from autodescribe.testing.samples import make_sample_video
from autodescribe.testing.truth import SampleTruth
from autodescribe.types import AudioStreamInfo, SpeechSpan, VideoInfo

LINES = (
    (1.0, "Where did you put the keys?"),
    (3.6, "The train leaves at nine."),
    (6.5, "Did you hear that noise outside?"),
    (12.0, "Turn left at the next corner."),
)
# Words of each line that whisper tiny.en hears reliably.
KEY_WORDS = (
    {"where", "put", "keys"},
    {"train", "leaves", "nine"},
    {"hear", "noise", "outside"},
    {"turn", "left", "corner"},
)


def _words(text: str | None) -> set[str]:
    return set(re.findall(r"[a-z']+", (text or "").lower()))


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> SampleTruth:
    folder = tmp_path_factory.mktemp("transcribe")
    return make_sample_video(
        folder / "dialogue.mp4", duration=16.0, cuts=(8.0,), speech=LINES, texts=()
    )


@pytest.fixture(scope="module")
def info(clip: SampleTruth) -> VideoInfo:
    return probe(Path(clip.path))


@pytest.fixture(scope="module")
def spans(info: VideoInfo) -> list[SpeechSpan]:
    return detect_speech(info, SpeechSettings()).spans


@pytest.fixture(scope="module", params=transcribers.names())
def name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def transcribed(info: VideoInfo, spans: list[SpeechSpan], name: str) -> list[SpeechSpan]:
    return transcribe_speech(info, spans, TranscribeSettings(transcriber=name))


@pytest.fixture(scope="module")
def audio(clip: SampleTruth) -> np.ndarray:
    return read_audio(Path(clip.path), 16000)


def test_silero_finds_one_span_per_line(clip: SampleTruth, spans: list[SpeechSpan]) -> None:
    assert len(spans) == len(LINES), spans
    for span, truth in zip(spans, clip.speech_spans, strict=True):
        assert span.start <= truth.start and truth.end <= span.end, (span, truth)


def test_each_line_is_transcribed_into_its_own_span(transcribed: list[SpeechSpan]) -> None:
    assert len(transcribed) == len(LINES)
    for index, span in enumerate(transcribed):
        heard = _words(span.text)
        assert KEY_WORDS[index] <= heard, (index, span.text)
        others = set().union(*(k for i, k in enumerate(KEY_WORDS) if i != index))
        assert not heard & others, (index, span.text)


def test_span_times_and_order_are_kept(
    spans: list[SpeechSpan], transcribed: list[SpeechSpan]
) -> None:
    assert [(s.start, s.end) for s in transcribed] == [(s.start, s.end) for s in spans]
    assert all(s.text is None for s in spans)  # the input is not changed


def test_lines_are_packed_into_one_window_without_the_pause(
    clip: SampleTruth, spans: list[SpeechSpan]
) -> None:
    windows = pack_spans(spans, clip.duration)
    assert len(windows) == 1
    # The three close lines share a stretch of audio; the fourth is apart.
    assert [piece.members for piece in windows[0].pieces] == [(0, 1, 2), (3,)]
    assert windows[0].seconds < clip.duration - 3.0  # the pause before line 4 is not decoded


def test_windows_hold_at_most_30_seconds() -> None:
    lines = [SpeechSpan(10.0 * k, 10.0 * k + 4.0) for k in range(20)]
    windows = pack_spans(lines, 200.0)
    assert all(w.seconds <= 30.0 for w in windows)
    assert len(windows) == 4  # 20 stretches of 4.4 s, six to a window with the silences
    members = [i for w in windows for piece in w.pieces for i in piece.members]
    assert members == list(range(20))
    # Long dialogue with short pauses is cut between lines, not mid-word.
    talk = [SpeechSpan(2.0 * k, 2.0 * k + 1.5) for k in range(30)]
    windows = pack_spans(talk, 60.0)
    assert [[p.members for p in w.pieces] for w in windows] == [
        [tuple(range(15))],
        [tuple(range(15, 30))],
    ]
    assert all(w.seconds <= 30.0 for w in windows)
    # Only a single span longer than a window makes a longer one.
    assert [w.seconds for w in pack_spans([SpeechSpan(1.0, 50.0)], 60.0)] == pytest.approx([49.4])


def test_only_the_audio_whisper_reads_is_decoded(
    clip: SampleTruth, audio: np.ndarray, spans: list[SpeechSpan]
) -> None:
    transcriber = WhisperTranscriber(device="cpu")
    stretches = stretches_read(transcriber, spans, clip.duration)
    pieces = pack_spans(spans, clip.duration)[0].pieces
    assert stretches == [(piece.start, piece.end) for piece in pieces]
    kept = speech_audio(Path(clip.path), transcriber, spans, clip.duration)
    assert not transcriber.loaded
    assert kept.size == audio.size
    read = np.zeros(kept.size, dtype=bool)
    for start, end in stretches:
        read[round(start * 16000) : round(end * 16000)] = True
    assert np.array_equal(kept[read], audio[read])
    assert not kept[~read].any()


def test_every_transcriber_has_the_interface(name: str) -> None:
    transcriber = transcribers.create(name, device="cpu")
    assert isinstance(transcriber, Transcriber)
    assert transcriber.name == name
    transcriber.close()


def test_spans_in_any_order_come_back_in_that_order(
    audio: np.ndarray, spans: list[SpeechSpan], name: str
) -> None:
    transcriber = transcribers.create(name, device="cpu")
    reordered = [spans[3], spans[0]]
    done: list[float] = []
    result = transcriber.transcribe(audio, reordered, on_progress=done.append)
    transcriber.close()
    assert KEY_WORDS[3] <= _words(result[0].text)
    assert KEY_WORDS[0] <= _words(result[1].text)
    assert sum(done) == pytest.approx(sum(s.end - s.start for s in reordered))


def test_no_spans_loads_no_model(audio: np.ndarray) -> None:
    transcriber = WhisperTranscriber(device="cpu")
    assert transcriber.transcribe(audio, []) == []
    assert not transcriber.loaded


def test_a_video_without_audio_is_returned_unchanged() -> None:
    silent = VideoInfo("no-such-file.mp4", 10.0, 25.0, 640, 360, "h264", "mp4", 250)
    spans = [SpeechSpan(1.0, 2.0)]
    assert transcribe_speech(silent, spans, TranscribeSettings()) == spans
    disabled = TranscribeSettings(enabled=False)
    assert transcribe_speech(silent, spans, disabled) == spans


def test_a_model_that_cannot_be_had_falls_back_to_the_bundled_one(
    audio: np.ndarray, spans: list[SpeechSpan], caplog: pytest.LogCaptureFixture
) -> None:
    transcriber = WhisperTranscriber("autodescribe-tests/no-such-whisper-model", device="cpu")
    with caplog.at_level("WARNING", logger="autodescribe.backends.transcribe.faster_whisper"):
        result = transcriber.transcribe(audio, spans[:1])
    transcriber.close()
    assert "no-such-whisper-model" in caplog.text and "bundled tiny.en" in caplog.text
    assert transcriber.model_name == BUNDLED_MODEL
    assert KEY_WORDS[0] <= _words(result[0].text)


def test_an_english_only_model_warns_when_another_language_is_asked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    transcriber = WhisperTranscriber(str(bundled_model_path()), device="cpu", language="fr")
    with caplog.at_level("WARNING", logger="autodescribe.backends.transcribe.faster_whisper"):
        transcriber.load()
    transcriber.close()
    assert "English only" in caplog.text and "'fr'" in caplog.text


@pytest.mark.parametrize(
    "options",
    [
        {"model": "huge"},
        {"language": "klingon"},
        {"device": "tpu"},
        {"beam_size": 0},
    ],
)
def test_bad_options_are_config_errors(options: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        WhisperTranscriber(**options).load()  # type: ignore[arg-type]


def test_the_audio_stream_tag_names_the_language() -> None:
    def tagged(language: str | None) -> VideoInfo:
        stream = AudioStreamInfo(0, "aac", 48000, 2, language=language)
        return VideoInfo("x.mp4", 1.0, 25.0, 16, 16, "h264", "mp4", 25, audio=(stream,))

    assert stream_language(tagged("eng")) == "en"
    assert stream_language(tagged("fre")) == "fr"
    assert stream_language(tagged("de")) == "de"
    assert stream_language(tagged(None)) is None
    assert stream_language(tagged("qaa")) is None


def test_the_soundtrack_speech_detection_kept_gives_the_same_transcript(
    info: VideoInfo, spans: list[SpeechSpan], transcribed: list[SpeechSpan], name: str
) -> None:
    """The pipeline decodes the soundtrack once: the transcript reads what the speech stage
    left in its spool, and hears exactly what it hears decoding the file itself."""
    asked: list[int] = []
    with tempfile.TemporaryFile() as kept:
        found = detect_speech(info, SpeechSettings(), keep=kept)
        assert found.spans == spans
        assert kept.seek(0, os.SEEK_END) == 4 * len(read_audio(Path(info.path), 16000))

        def decoded(rate: int) -> Iterator[np.ndarray]:
            asked.append(rate)
            return spooled_blocks(kept)

        again = transcribe_speech(info, spans, TranscribeSettings(transcriber=name), decoded)
    assert asked == [16000]
    assert [s.text for s in again] == [s.text for s in transcribed]
