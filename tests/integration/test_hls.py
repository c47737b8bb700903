"""HLS delivery: a master playlist that signals the described rendition, and segments that play."""

from __future__ import annotations

import re
from pathlib import Path

import av
import numpy as np
import pytest

from autodescribe.errors import MediaError
from autodescribe.media.ffmpeg import run_ffmpeg
from autodescribe.render.hls import DESCRIBES_VIDEO, write_hls

DURATION = 4.0
AD_TONE, ORIGINAL_TONE = 1000.0, 440.0


def _tone_input(freq: float) -> list[str]:
    return ["-f", "lavfi", "-i", f"sine=frequency={freq}:sample_rate=48000:duration={DURATION}"]


@pytest.fixture(scope="module")
def described(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two audio tracks laid out as the render writes them, the AD mix second in the file.

    The mix is a 1 kHz tone and the original a 440 Hz one, so each rendition can
    be told apart by ear (by FFT) after segmenting.
    """
    path = tmp_path_factory.mktemp("hls") / "film.described.mp4"
    video = ["-f", "lavfi", "-i", f"testsrc2=size=320x180:rate=25:duration={DURATION}"]
    args = [*video, *_tone_input(ORIGINAL_TONE), *_tone_input(AD_TONE)]
    args += ["-map", "0:v", "-map", "1:a", "-map", "2:a"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p"]
    args += ["-c:a", "aac", "-b:a", "96k"]
    args += ["-disposition:a:0", "0", "-disposition:a:1", "default+visual_impaired"]
    args += ["-metadata:s:a:1", "title=English Audio Description", str(path)]
    run_ffmpeg(args, "making test media")
    return path


@pytest.fixture(scope="module")
def master(described: Path) -> Path:
    return write_hls(described, described.parent / "hls", "en", segment_seconds=2)


def _attributes(line: str) -> dict[str, str]:
    return {k: v.strip('"') for k, v in re.findall(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)', line)}


def _renditions(master: Path) -> list[dict[str, str]]:
    lines = master.read_text(encoding="utf-8").splitlines()
    return [_attributes(line) for line in lines if line.startswith("#EXT-X-MEDIA:")]


def test_master_playlist_signals_the_described_rendition(master: Path) -> None:
    lines = master.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "#EXTM3U"
    described, original = _renditions(master)
    assert described["TYPE"] == original["TYPE"] == "AUDIO"
    assert described["CHARACTERISTICS"] == DESCRIBES_VIDEO
    assert (described["DEFAULT"], described["AUTOSELECT"]) == ("YES", "YES")
    assert described["LANGUAGE"] == original["LANGUAGE"] == "en"
    assert described["NAME"] == "English (Audio Description)"
    assert "CHARACTERISTICS" not in original and original["DEFAULT"] == "NO"
    assert described["GROUP-ID"] == original["GROUP-ID"]
    at = next(i for i, line in enumerate(lines) if line.startswith("#EXT-X-STREAM-INF:"))
    variant = _attributes(lines[at])
    assert variant["AUDIO"] == described["GROUP-ID"]
    assert (master.parent / lines[at + 1]).is_file()


def _media_segments(playlist: Path) -> list[Path]:
    lines = playlist.read_text(encoding="utf-8").splitlines()
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in lines and lines[-1] == "#EXT-X-ENDLIST"
    return [playlist.parent / line for line in lines if line and not line.startswith("#")]


def _decode(segments: list[Path], kind: str) -> tuple[float, np.ndarray | None]:
    """Seconds of decoded media over all segments, and the audio samples when audio."""
    seconds, chunks = 0.0, []
    for segment in segments:
        with av.open(str(segment)) as container:
            stream = container.streams.audio[0] if kind == "audio" else container.streams.video[0]
            for frame in container.decode(stream):
                if kind == "audio":
                    chunks.append(frame.to_ndarray()[0])
                    seconds += frame.samples / frame.sample_rate
                else:
                    seconds += 1 / float(stream.average_rate or 25)
    return seconds, np.concatenate(chunks) if chunks else None


def _main_frequency(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples[: 48000 * 2]))
    return float(np.argmax(spectrum) * 48000 / (2 * len(spectrum) - 2))


def test_segments_decode_to_the_full_duration(master: Path) -> None:
    described, original = _renditions(master)
    for rendition, tone in ((described, AD_TONE), (original, ORIGINAL_TONE)):
        seconds, samples = _decode(_media_segments(master.parent / rendition["URI"]), "audio")
        assert seconds == pytest.approx(DURATION, abs=0.1)
        assert samples is not None and _main_frequency(samples) == pytest.approx(tone, abs=5)
    lines = master.read_text(encoding="utf-8").splitlines()
    video_uri = lines[next(i for i, x in enumerate(lines) if x.startswith("#EXT-X-STREAM")) + 1]
    segments = _media_segments(master.parent / video_uri)
    assert len(segments) >= 2  # cut at the 2 s target, on keyframes
    seconds, _ = _decode(segments, "video")
    assert seconds == pytest.approx(DURATION, abs=0.05)


def test_rerun_leaves_only_listed_segments(described: Path, master: Path) -> None:
    again = write_hls(described, master.parent, "en", segment_seconds=4)
    names = {p.name for p in again.parent.iterdir()}
    assert not any(name.startswith(".hls-") for name in names)  # no temporary folder left
    playlists = [line for line in again.read_text().splitlines() if line.endswith(".m3u8")]
    playlists += [rendition["URI"] for rendition in _renditions(again)]
    listed = {p.name for uri in playlists for p in _media_segments(again.parent / uri)}
    assert {name for name in names if name.endswith(".ts")} == listed


def test_video_without_audio_is_refused(tmp_path: Path) -> None:
    silent = tmp_path / "silent.mp4"
    run_ffmpeg(
        ["-f", "lavfi", "-i", "testsrc2=size=160x90:rate=25:duration=1", "-c:v", "libx264",
         "-preset", "ultrafast", str(silent)],
        "making test media",
    )  # fmt: skip
    with pytest.raises(MediaError, match="has no audio track"):
        write_hls(silent, tmp_path / "hls", "en")
