"""Transcription must put each spoken line's words into the speech span it was said in.

The clip is generated with known lines (piper, noise off) at known times:
three lines close together, which whisper hears in one window, and one line
after a long pause, which gets a window of its own. Spans come from silero,
as in the narrate pipeline; text from the bundled whisper tiny.en.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from autodescribe.backends.speech.whisper import (
    BUNDLED_MODEL,
    WhisperTranscriber,
    bundled_model_path,
    group_spans,
)
from autodescribe.config import SpeechSettings
from autodescribe.errors import ConfigError
from autodescribe.media.audio import read_audio
from autodescribe.media.probe import probe
from autodescribe.samples import SampleTruth, make_sample_video
from autodescribe.stages.speech import detect_speech
from autodescribe.stages.transcribe import (
    TranscribeSettings,
    dialogue_around,
    stream_language,
    transcribe_speech,
)
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


@pytest.fixture(scope="module")
def transcribed(info: VideoInfo, spans: list[SpeechSpan]) -> list[SpeechSpan]:
    return transcribe_speech(info, spans, TranscribeSettings())


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


def test_nearby_lines_share_a_window_and_the_pause_is_skipped(
    clip: SampleTruth, spans: list[SpeechSpan]
) -> None:
    groups = group_spans(spans, clip.duration)
    assert [g.members for g in groups] == [(0, 1, 2), (3,)]
    assert all(g.end - g.start <= 30.0 for g in groups)
    decoded = sum(g.end - g.start for g in groups)
    assert decoded < clip.duration - 3.0  # the silence between lines 3 and 4 is not decoded


def test_spans_in_any_order_come_back_in_that_order(
    audio: np.ndarray, spans: list[SpeechSpan]
) -> None:
    transcriber = WhisperTranscriber(device="cpu")
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
    with caplog.at_level("WARNING", logger="autodescribe.backends.speech.whisper"):
        result = transcriber.transcribe(audio, spans[:1])
    transcriber.close()
    assert "no-such-whisper-model" in caplog.text and "bundled tiny.en" in caplog.text
    assert transcriber.model_name == BUNDLED_MODEL
    assert KEY_WORDS[0] <= _words(result[0].text)


def test_an_english_only_model_warns_when_another_language_is_asked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    transcriber = WhisperTranscriber(str(bundled_model_path()), device="cpu", language="fr")
    with caplog.at_level("WARNING", logger="autodescribe.backends.speech.whisper"):
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


# dialogue_around, on hand-made spans: a gap from 7.5 to 11.8 s.
AROUND = [
    SpeechSpan(0.0, 2.0, "One two three."),
    SpeechSpan(5.0, 7.0, "Four  five. "),
    SpeechSpan(9.0, 9.5, None),  # detected, not transcribed
    SpeechSpan(10.0, 10.5, ""),  # transcribed, nothing heard
    SpeechSpan(12.0, 14.0, "Six seven eight nine."),
    SpeechSpan(30.0, 31.0, "Far away line."),
    SpeechSpan(40.0, 41.0, "Too far."),
]


def test_dialogue_around_gives_the_lines_either_side_in_time_order() -> None:
    assert dialogue_around(AROUND, 7.5, 11.8) == (
        "One two three.",
        "Four five.",
        "Six seven eight nine.",
        "Far away line.",
    )


def test_dialogue_around_keeps_to_the_window() -> None:
    assert dialogue_around(AROUND, 7.5, 11.8, window=10.0) == (
        "One two three.",
        "Four five.",
        "Six seven eight nine.",
    )
    assert dialogue_around(AROUND, 7.5, 11.8, window=0.3) == ("Six seven eight nine.",)


def test_dialogue_around_takes_the_nearest_lines_within_the_word_limit() -> None:
    assert dialogue_around(AROUND, 7.5, 11.8, max_words=6) == (
        "Four five.",
        "Six seven eight nine.",
    )
    # The line that overflows keeps the words nearest the gap.
    assert dialogue_around(AROUND, 7.5, 11.8, max_words=5) == ("…five.", "Six seven eight nine.")
    assert dialogue_around(AROUND, 7.5, 11.8, max_words=2) == ("Six seven…",)
    assert dialogue_around(AROUND, 2.5, 4.8, max_words=4) == ("…two three.", "Four five.")
    assert dialogue_around(AROUND, 7.5, 11.8, max_words=0) == ()


def test_dialogue_around_prefers_what_was_just_said_on_a_tie() -> None:
    spans = [SpeechSpan(2.0, 4.0, "Before line."), SpeechSpan(6.0, 8.0, "After line.")]
    assert dialogue_around(spans, 4.0, 6.0, max_words=2) == ("Before line.",)
    assert dialogue_around(spans, 4.0, 6.0, max_words=3) == ("Before line.", "After…")


def test_dialogue_around_includes_speech_overlapping_the_range() -> None:
    assert dialogue_around(AROUND, 4.0, 6.0, window=0.0) == ("Four five.",)
    assert dialogue_around([], 0.0, 1.0) == ()


def test_dialogue_around_rejects_a_backwards_range() -> None:
    with pytest.raises(ConfigError):
        dialogue_around(AROUND, 5.0, 4.0)
