"""Render: the narration stem, the ducked mix and the muxed deliverable, checked with PyAV.

The programme is a 440 Hz tone and the narration a 1 kHz tone, so the
programme's level can be read in its own frequency band while both play.
"""

from __future__ import annotations

import math
import wave
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import pytest

from autodescribe.config import RenderSettings
from autodescribe.errors import MediaError
from autodescribe.media.audio import read_audio, write_wav
from autodescribe.media.ffmpeg import run_ffmpeg
from autodescribe.media.probe import probe
from autodescribe.render.mix import RenderReport, build_narration, render_described
from autodescribe.types import Cue, VideoInfo

SR = 48000
DURATION = 6.0
TONE_AMPLITUDE = 0.3
NARRATION_WINDOWS = [(1.2, 1.8), (3.7, 4.3)]  # well inside the cues, past the ramps
CLEAR_WINDOWS = [(0.2, 0.6), (2.5, 3.0), (5.0, 5.6)]  # farther than a ramp from any cue


@dataclass(frozen=True)
class Rendered:
    source: VideoInfo
    out: Path
    stem: Path
    report: RenderReport


def _make_video(path: Path, with_audio: bool) -> VideoInfo:
    args = ["-f", "lavfi", "-i", f"testsrc2=size=640x360:rate=25:duration={DURATION}"]
    if with_audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={DURATION}"]
        args += ["-c:a", "aac", "-b:a", "128k"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)]
    run_ffmpeg(args, "making test media")
    return probe(path)


def _tone(path: Path, rate: int, seconds: float, amplitude: float, freq: float = 1000.0) -> str:
    t = np.arange(round(rate * seconds)) / rate
    write_wav(path, amplitude * np.sin(2 * np.pi * freq * t), rate)
    return str(path)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("render")
    # Two rates, neither 48 kHz, so placement goes through resampling.
    first = _tone(root / "cue1.wav", 22050, 1.0, TONE_AMPLITUDE)
    second = _tone(root / "cue2.wav", 24000, 1.0, TONE_AMPLITUDE)
    return {
        "root": root,
        "video": _make_video(root / "prog.mp4", with_audio=True),
        "silent_video": _make_video(root / "mute.mp4", with_audio=False),
        "cues": [Cue(1.0, 2.0, "A door opens.", audio=first), Cue(3.5, 4.5, "Rain.", audio=second)],
    }


def _render(media: dict[str, object], video: VideoInfo, name: str, **settings: object) -> Rendered:
    root: Path = media["root"]  # type: ignore[assignment]
    cues: list[Cue] = media["cues"]  # type: ignore[assignment]
    stem = build_narration(cues, video.duration, root / f"{name}.ad.wav")
    out = root / f"{name}.described{settings.pop('suffix', '.mp4')}"
    report = render_described(video, stem, cues, out, RenderSettings(**settings), "en")
    return Rendered(video, out, stem, report)


@pytest.fixture(scope="module")
def described(media: dict[str, object]) -> Rendered:
    return _render(media, media["video"], "prog")  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def described_mute(media: dict[str, object]) -> Rendered:
    return _render(media, media["silent_video"], "mute")  # type: ignore[arg-type]


def _band_db(samples: np.ndarray, freq: float, window: tuple[float, float]) -> float:
    """Level (dBFS of the amplitude) of one frequency inside a time window."""
    part = samples[round(window[0] * SR) : round(window[1] * SR)]
    t = np.arange(len(part)) / SR
    amplitude = 2 * abs(np.mean(part * np.exp(-2j * np.pi * freq * t)))
    return 20 * math.log10(amplitude + 1e-12)


def _track(path: Path, audio_index: int) -> np.ndarray:
    return read_audio(path, SR, channels=2, stream_index=audio_index)[:, 0]


def _packets(path: Path, kind: str, index: int = 0) -> list[bytes]:
    with av.open(str(path)) as container:
        stream = getattr(container.streams, kind)[index]
        return [bytes(p) for p in container.demux(stream) if p.size]


def _title(stream: av.stream.Stream) -> str | None:
    # MP4 and QuickTime keep a track's title in its handler name (Matroska: "title").
    return stream.metadata.get("title") or stream.metadata.get("handler_name")


def test_narration_stem_places_each_cue_at_its_start(described: Rendered) -> None:
    with wave.open(str(described.stem), "rb") as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (SR, 2, 2)
        assert wav.getnframes() == round(DURATION * SR)
    stem = read_audio(described.stem, SR, channels=2)
    assert np.array_equal(stem[:, 0], stem[:, 1])
    loud = np.flatnonzero(np.abs(stem[:, 0]) > 0.02)
    onsets = [loud[0], loud[np.argmax(np.diff(loud) > SR // 10) + 1]]
    assert [abs(o / SR - t) < 0.001 for o, t in zip(onsets, [1.0, 3.5], strict=True)] == [True] * 2
    assert abs(loud[-1] / SR - 4.5) < 0.002
    assert _band_db(stem[:, 0], 1000, (1.2, 1.8)) == pytest.approx(20 * math.log10(0.3), abs=0.2)
    assert np.abs(stem[: SR - 10]).max() == 0


def test_described_mp4_tracks_dispositions_titles_languages(described: Rendered) -> None:
    with av.open(str(described.out)) as container:
        audio = list(container.streams.audio)
        assert len(audio) == 2
        mix, original = audio
        assert mix.disposition & av.stream.Disposition.visual_impaired
        assert mix.disposition & av.stream.Disposition.default
        assert not original.disposition & av.stream.Disposition.visual_impaired
        assert not original.disposition & av.stream.Disposition.default
        assert _title(mix) == "English - Audio Description"
        assert _title(original) == "Original"
        assert mix.metadata.get("language") == "eng"
        assert (mix.codec_context.name, mix.codec_context.sample_rate) == ("aac", SR)
        assert 150_000 < (mix.bit_rate or 0) < 230_000


def test_video_is_stream_copied_and_duration_kept(described: Rendered) -> None:
    source = Path(described.source.path)
    assert _packets(described.out, "video") == _packets(source, "video")
    info = probe(described.out)
    assert info.codec == described.source.codec
    assert info.frame_count == described.source.frame_count == 150
    frame = 1 / described.source.fps
    assert abs(info.duration - described.source.duration) <= frame
    assert abs(described.report.duration - described.source.duration) <= frame
    with av.open(str(described.out)) as container:
        for stream in container.streams.audio:
            assert abs(float(stream.duration * stream.time_base) - DURATION) <= frame
    assert sorted(p.name for p in described.out.parent.glob(".*")) == []


def test_programme_ducked_only_under_narration_and_original_untouched(described: Rendered) -> None:
    mix, original = _track(described.out, 0), _track(described.out, 1)
    clear = [_band_db(mix, 440, w) for w in CLEAR_WINDOWS]
    ducked = [_band_db(mix, 440, w) for w in NARRATION_WINDOWS]
    source_level = _band_db(_track(Path(described.source.path), 0), 440, (0.2, 5.6))
    gain = described.report.gain_db  # one constant gain brings the mix to the preset
    assert clear == pytest.approx([source_level + gain] * 3, abs=0.3)
    assert ducked == pytest.approx([source_level + gain - 10.0] * 2, abs=0.5)
    assert [_band_db(mix, 1000, w) for w in NARRATION_WINDOWS] == pytest.approx(
        [20 * math.log10(TONE_AMPLITUDE) + gain] * 2, abs=0.5
    )
    assert max(_band_db(mix, 1000, w) for w in CLEAR_WINDOWS) < -60
    assert [_band_db(original, 440, w) for w in NARRATION_WINDOWS + CLEAR_WINDOWS] == (
        pytest.approx([source_level] * 5, abs=0.1)
    )
    source = Path(described.source.path)
    with av.open(str(described.out)) as container:
        copied = [bytes(p) for p in container.demux(container.streams.audio[1]) if p.size]
    assert copied == _packets(source, "audio")


def test_ramps_follow_the_cue_edges(described: Rendered) -> None:
    """The gain moves over 0.25 s before the cue, in dB steps of about 1 dB per 25 ms."""
    mix = _track(described.out, 0)
    starts = np.arange(0.65, 1.05, 0.025)
    levels = np.array([_band_db(mix, 440, (t, t + 0.025)) for t in starts])
    steps = np.diff(levels)
    assert levels[0] - levels[-1] == pytest.approx(10.0, abs=0.6)
    assert steps.max() < 0.3 and steps.min() > -1.5
    assert np.abs(levels[:3] - levels[0]).max() < 0.3  # nothing moves before 0.75 s


def test_gain_changes_make_no_clicks(media: dict[str, object]) -> None:
    """Silent narration placed off a zero crossing: the mix shows no burst of high frequencies."""
    root: Path = media["root"]  # type: ignore[assignment]
    silent = _tone(root / "silent.wav", 22050, 0.8, 0.0)
    quarter_period = 1 / (4 * 440)
    cues = [
        Cue(1.3 + quarter_period, 2.1, "x", audio=silent),
        Cue(3.9 + quarter_period, 4.7, "y", audio=silent),
    ]
    video: VideoInfo = media["video"]  # type: ignore[assignment]
    stem = build_narration(cues, video.duration, root / "silent.ad.wav")
    out = root / "silent.described.mp4"
    render_described(video, stem, cues, out, RenderSettings(), "en")
    mix = _track(out, 0)
    window = round(0.02 * SR)
    freqs = np.fft.rfftfreq(window, 1 / SR)
    highs = [
        10
        * math.log10(
            np.sum(np.abs(np.fft.rfft(mix[i : i + window] * np.hanning(window)))[freqs > 2000] ** 2)
            + 1e-12
        )
        for i in range(2 * window, len(mix) - 3 * window, window)
    ]
    assert max(highs) < float(np.median(highs)) + 3.0
    assert _band_db(mix, 440, (1.5, 2.0)) < _band_db(mix, 440, (0.3, 0.8)) - 9.5


def test_video_without_audio_gets_the_narration_as_its_only_track(described_mute: Rendered) -> None:
    with av.open(str(described_mute.out)) as container:
        (track,) = container.streams.audio
        assert track.disposition & av.stream.Disposition.visual_impaired
        assert track.disposition & av.stream.Disposition.default
        assert _title(track) == "English - Audio Description"
        assert track.metadata.get("language") == "eng"
    mix = _track(described_mute.out, 0)
    assert _band_db(mix, 1000, (1.2, 1.8)) == pytest.approx(
        20 * math.log10(TONE_AMPLITUDE) + described_mute.report.gain_db, abs=0.5
    )
    assert _band_db(mix, 1000, (2.5, 3.0)) < -60
    assert abs(described_mute.report.duration - DURATION) <= 1 / 25
    # Narration alone is still brought to the EBU R128 target, under its true-peak limit.
    assert described_mute.report.integrated_lufs == pytest.approx(-23.0, abs=1.0)
    assert described_mute.report.true_peak_dbtp is not None
    assert described_mute.report.true_peak_dbtp <= -1.0


def test_mkv_with_the_original_as_default(media: dict[str, object]) -> None:
    rendered = _render(media, media["video"], "alt", suffix=".mkv", described_default=False)  # type: ignore[arg-type]
    with av.open(str(rendered.out)) as container:
        assert container.format.name.startswith("matroska")
        mix, original = container.streams.audio
        assert mix.disposition & av.stream.Disposition.visual_impaired
        assert not mix.disposition & av.stream.Disposition.default
        assert original.disposition & av.stream.Disposition.default
        assert mix.metadata.get("title") == "English - Audio Description"
        assert mix.metadata.get("language") == "eng"


def test_mov_is_quicktime_and_keeps_the_mark(media: dict[str, object]) -> None:
    rendered = _render(media, media["video"], "qt", suffix=".mov")  # type: ignore[arg-type]
    assert rendered.out.read_bytes()[4:12] == b"ftypqt  "  # QuickTime, not an ISO brand
    with av.open(str(rendered.out)) as container:
        mix = container.streams.audio[0]
        assert mix.disposition & av.stream.Disposition.visual_impaired
        assert _title(mix) == "English - Audio Description"


def test_webm_gets_opus_and_keeps_the_audio_description_mark(
    media: dict[str, object], caplog: pytest.LogCaptureFixture
) -> None:
    root: Path = media["root"]  # type: ignore[assignment]
    source = root / "vp9.webm"
    args = ["-f", "lavfi", "-i", f"testsrc2=size=160x90:rate=25:duration={DURATION}"]
    args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={DURATION}"]
    args += ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-c:a", "libopus", str(source)]
    run_ffmpeg(args, "making test media")
    with caplog.at_level("WARNING", logger="autodescribe.render.mix"):
        rendered = _render(media, probe(source), "vp9", suffix=".webm")
    assert "cannot mark the described track" not in caplog.text
    with av.open(str(rendered.out)) as container:
        mix, original = container.streams.audio
        assert (mix.codec_context.name, original.codec_context.name) == ("opus", "opus")
        assert mix.metadata.get("title") == "English - Audio Description"
        assert mix.disposition & av.stream.Disposition.visual_impaired
    assert rendered.out.read_bytes()[:64].find(b"\x42\x82\x84webm") > 0  # DocType "webm"
    assert _packets(rendered.out, "video") == _packets(source, "video")
    assert rendered.report.video == "stream-copied"


def test_h264_into_webm_is_re_encoded_and_says_so(media: dict[str, object]) -> None:
    rendered = _render(media, media["video"], "h264", suffix=".webm")  # type: ignore[arg-type]
    with av.open(str(rendered.out)) as container:
        assert container.streams.video[0].codec_context.name == "vp9"
        assert container.streams.audio[0].disposition & av.stream.Disposition.visual_impaired
    assert rendered.report.video.startswith("re-encoded (libvpx-vp9")


def test_late_audio_stays_in_sync_and_uncopyable_audio_is_encoded(
    media: dict[str, object],
) -> None:
    """PCM audio starting 0.5 s after the picture, in MKV: MP4 cannot copy PCM."""
    root: Path = media["root"]  # type: ignore[assignment]
    source = root / "late.mkv"
    args = ["-f", "lavfi", "-i", f"testsrc2=size=320x180:rate=25:duration={DURATION}"]
    args += ["-itsoffset", "0.5", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"]
    args += ["-map", "0:v", "-map", "1:a", "-t", str(DURATION), "-c:v", "libx264"]
    args += ["-preset", "ultrafast", "-c:a", "pcm_s16le", str(source)]
    run_ffmpeg(args, "making test media")
    rendered = _render(media, probe(source), "late")
    mix, original = _track(rendered.out, 0), _track(rendered.out, 1)
    assert abs(np.flatnonzero(np.abs(mix) > 0.01)[0] / SR - 0.5) < 0.002
    assert _band_db(mix, 440, (0.6, 0.74)) - _band_db(mix, 440, (1.2, 1.8)) == pytest.approx(
        10.0, abs=0.5
    )
    with av.open(str(rendered.out)) as container:
        stream = container.streams.audio[1]
        assert stream.codec_context.name == "aac"
        start = float(stream.start_time * stream.time_base)
    # The re-encoded original keeps its place: its first sound is still at 0.5 s.
    assert abs(start + np.flatnonzero(np.abs(original) > 0.01)[0] / SR - 0.5) < 0.002


def test_a_failed_render_leaves_no_file_behind(
    media: dict[str, object], described: Rendered
) -> None:
    root: Path = media["root"]  # type: ignore[assignment]
    out = root / "broken.mp4"  # a frozen picture needs x264, which refuses this preset
    frozen = [Cue(1.0, 2.0, "A door opens.", audio=media["cues"][0].audio, extension=0.4)]  # type: ignore[index]
    settings = RenderSettings(video_preset="no-such-preset")
    with pytest.raises(MediaError, match="ffmpeg failed while rendering") as caught:
        render_described(described.source, described.stem, frozen, out, settings, "en")
    assert "preset" in str(caught.value).lower()
    assert not out.exists()
    assert not list(root.glob(".broken*"))
