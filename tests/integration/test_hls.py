"""HLS delivery: a master playlist that signals the described rendition, and segments that play.

The playlists are also read with the `m3u8` package, and the bit rates checked
against RFC 8216's definitions, computed here from the segment files.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from typer.testing import CliRunner

from autodescribe.cli import app
from autodescribe.errors import MediaError
from autodescribe.media.ffmpeg import run_ffmpeg
from autodescribe.render.hls import DESCRIBES_VIDEO, write_hls
from autodescribe.testing.truth import SampleTruth

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
    # A keyframe every 1.2 s: the picture cannot be cut at multiples of the 2 s target.
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-pix_fmt", "yuv420p"]
    args += ["-c:a", "aac", "-b:a", "96k"]
    args += ["-disposition:a:0", "0", "-disposition:a:1", "default+visual_impaired"]
    args += ["-metadata:s:a:1", "title=English Audio Description", str(path)]
    run_ffmpeg(args, "making test media")
    return path


@pytest.fixture(scope="module")
def master(described: Path) -> Path:
    return write_hls(described, described.parent / "hls", "en", segment_seconds=2)


@pytest.fixture(scope="module")
def package(described: Path) -> Path:
    """The same package in a folder of its own, which no other test rewrites."""
    return write_hls(described, described.parent / "package", "en", segment_seconds=2)


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


def _m3u8() -> Any:
    return pytest.importorskip("m3u8", reason="the HLS playlist reader: pip install m3u8")


def _parsed(master: Path) -> tuple[Any, dict[str, Any]]:
    """The master playlist and each media playlist (video, described, original) via `m3u8`."""
    m3u8 = _m3u8()
    variant = m3u8.load(str(master))
    (stream,) = variant.playlists
    media = {"video": m3u8.load(str(master.parent / stream.uri))}
    for rendition in variant.media:
        media[rendition.uri.removesuffix(".m3u8")] = m3u8.load(str(master.parent / rendition.uri))
    return variant, media


def test_m3u8_reads_the_renditions_and_their_characteristics(package: Path) -> None:
    variant, media = _parsed(package)
    assert variant.is_variant
    described, original = variant.media
    assert (described.characteristics, described.default, described.language) == (
        DESCRIBES_VIDEO,
        "YES",
        "en",
    )
    assert original.characteristics is None and original.default == "NO"
    stream = variant.playlists[0].stream_info
    assert stream.audio == described.group_id == original.group_id
    assert stream.codecs.startswith("avc1.") and "mp4a.40.2" in stream.codecs.split(",")
    assert stream.resolution == (320, 180)
    for playlist in media.values():
        assert playlist.playlist_type == "vod" and playlist.is_endlist
        assert all(round(s.duration) <= playlist.target_duration for s in playlist.segments)


def _rates(playlist: Any, folder: Path) -> tuple[float, float]:
    """RFC 8216 peak and average segment bit rates of one media playlist, from its files."""
    sizes = [((folder / s.uri).stat().st_size, s.duration) for s in playlist.segments]
    target = playlist.target_duration
    peak = 0.0
    for first in range(len(sizes)):
        for last in range(first, len(sizes)):
            seconds = sum(d for _, d in sizes[first : last + 1])
            if 0.5 * target <= seconds <= 1.5 * target:
                peak = max(peak, 8 * sum(b for b, _ in sizes[first : last + 1]) / seconds)
    average = 8 * sum(b for b, _ in sizes) / sum(d for _, d in sizes)
    return (peak or average), average


def test_bandwidth_counts_the_picture_and_the_largest_audio_rendition(package: Path) -> None:
    """BANDWIDTH is the largest sum of peak rates over any playable combination of renditions."""
    variant, media = _parsed(package)
    rates = {name: _rates(playlist, package.parent) for name, playlist in media.items()}
    audio = [rate for name, rate in rates.items() if name != "video"]
    stream = variant.playlists[0].stream_info
    assert stream.bandwidth == math.ceil(rates["video"][0] + max(p for p, _ in audio))
    assert stream.average_bandwidth == math.ceil(rates["video"][1] + max(a for _, a in audio))
    assert stream.bandwidth > rates["video"][0] * 1.05  # the audio is counted, not the video alone


def _first_time(segment: Path, kind: str) -> float:
    with av.open(str(segment)) as container:
        stream = getattr(container.streams, kind)[0]
        packet = next(p for p in container.demux(stream) if p.pts is not None)
        return float(packet.pts * packet.time_base)


def test_audio_segments_end_where_the_picture_segments_end(package: Path) -> None:
    """Cut at the picture's keyframes (1.2 s apart here), to the nearest audio frame; no sliver."""
    _, media = _parsed(package)
    video = media.pop("video")
    frame = 1024 / 48000
    video_starts = [_first_time(package.parent / s.uri, "video") for s in video.segments]
    assert len(video.segments) >= 2
    for name, playlist in media.items():
        assert len(playlist.segments) == len(video.segments), name
        ends = np.cumsum([s.duration for s in playlist.segments])
        video_ends = np.cumsum([s.duration for s in video.segments])
        assert np.abs(ends - video_ends).max() <= frame + 0.001, name
        assert min(s.duration for s in playlist.segments) > 1.0  # no 0.021 s tail
        starts = [_first_time(package.parent / s.uri, "audio") for s in playlist.segments]
        # the same clock in every rendition: each audio segment starts with its picture's
        assert np.abs(np.subtract(starts, video_starts)).max() <= frame / 2 + 0.001, name


def test_narrate_with_hls_signals_the_description_and_passes_check(
    sample: SampleTruth,
    tmp_path: Path,
    passes_check,  # noqa: ANN001
) -> None:
    result = CliRunner().invoke(app, ["narrate", sample.path, "-o", str(tmp_path), "--hls"])
    assert result.exit_code == 0, result.output + str(result.exception)
    master = tmp_path / "sample.hls" / "master.m3u8"
    assert str(master) in result.stdout.splitlines()
    described, _ = _renditions(master)
    assert described["CHARACTERISTICS"] == DESCRIBES_VIDEO
    seconds, _ = _decode(_media_segments(master.parent / described["URI"]), "audio")
    assert seconds == pytest.approx(sample.duration, abs=0.1)
    passes_check(tmp_path, "sample", sample.path)
