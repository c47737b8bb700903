"""Optional HLS delivery: the described video as a master playlist with two audio renditions.

Streaming players choose audio description from the master playlist, not from
the file's track flags: the described rendition carries
`CHARACTERISTICS="public.accessibility.describes-video"` so that a player
honouring the viewer's accessibility setting picks it (and labels it).

Segments are cut by FFmpeg's segment muxer at times chosen here: at the
picture's keyframes, `segment_seconds` or more apart, and the audio renditions
at the same times (to the nearest audio frame), so every rendition's segments
end where the picture's do and none is left with a sliver at the end. The
playlists are written here: `BANDWIDTH` is the peak segment bit rate of the
picture plus the largest of the audio renditions' (RFC 8216, 4.3.4.2), and
`AVERAGE-BANDWIDTH` the same sum of averages, measured on the segments written.

Streams are copied when MPEG-TS segments can carry them (H.264 video; AAC,
MP3, AC-3 audio); anything else is re-encoded. Files are written in a
temporary folder and moved into place with the master playlist last, so a
folder with `master.m3u8` in it is complete.
"""

from __future__ import annotations

import csv
import logging
import math
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import av

from autodescribe.errors import MediaError
from autodescribe.media.ffmpeg import run_ffmpeg
from autodescribe.media.mp4 import DESCRIBES_VIDEO
from autodescribe.media.probe import probe
from autodescribe.types import VideoInfo
from autodescribe.util.cache import move_atomic, write_atomic
from autodescribe.util.languages import LANGUAGES, TERMINOLOGY_CODES, check_language, language_name

__all__ = [
    "DESCRIBES_VIDEO",
    "MASTER_NAME",
    "AudioTrack",
    "average_bit_rate",
    "peak_bit_rate",
    "pick_tracks",
    "write_hls",
]

log = logging.getLogger(__name__)

MASTER_NAME = "master.m3u8"
DESCRIBED, ORIGINAL, VIDEO = "described", "original", "video"
_GROUP = "audio"
_TS_VIDEO = frozenset({"h264"})
_TS_AUDIO = frozenset({"aac", "mp3", "ac3", "eac3"})
_CUT_TOLERANCE = 0.010  # an audio cut lands on the frame nearest the picture's (about ±10 ms)
_AUDIO_CODECS = {"mp3": "mp4a.40.34", "ac3": "ac-3", "eac3": "ec-3"}
_AAC_PROFILES = {"HE-AAC": "mp4a.40.5", "HE-AACv2": "mp4a.40.29"}  # else AAC-LC, mp4a.40.2


@dataclass(frozen=True)
class AudioTrack:
    """One audio track of the described video: its index among the audio streams, and what it is."""

    index: int
    codec: str
    channels: int
    language: str | None  # ISO 639-1 where we know the language, else the file's tag


@dataclass(frozen=True)
class _Segment:
    name: str
    seconds: float
    size: int


def write_hls(
    described_video: Path,
    out_folder: Path,
    language: str,
    segment_seconds: float = 6.0,
    described_default: bool = True,
) -> Path:
    """Write `out_folder/master.m3u8` with its playlists and segments; return its path.

    The described mix (the track flagged `visual_impaired`, else the first)
    becomes the rendition signalled as describing the video; the next audio
    track, when there is one, the original programme.
    """
    code = check_language(language)
    info = probe(described_video)
    if not info.has_audio:
        raise MediaError(
            f"{described_video.name} has no audio track",
            "pass the described video written by `autodescribe narrate`",
        )
    described, original = pick_tracks(described_video)
    tracks = {DESCRIBED: described} | ({ORIGINAL: original} if original else {})
    out_folder.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=out_folder, prefix=".hls-"))
    try:
        copy_video = info.codec in _TS_VIDEO
        cuts = _cut_times(described_video, info, segment_seconds, copy_video)
        args = _segment_args(described_video, tracks, cuts, copy_video, work)
        run_ffmpeg(args, "writing HLS", duration=info.duration)
        segments = {name: _segments(work, name) for name in (VIDEO, *tracks)}
        for name, listed in segments.items():
            write_atomic(work / f"{name}.m3u8", _media_playlist(listed))
        master = _master(work, info, tracks, segments, code, described_default)
        write_atomic(work / MASTER_NAME, master)
        _publish(work, out_folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.info("HLS: %s", out_folder / MASTER_NAME)
    return out_folder / MASTER_NAME


def pick_tracks(path: Path) -> tuple[AudioTrack, AudioTrack | None]:
    """The described track (flagged `visual_impaired`, else audio 1) and the original, if any."""
    with av.open(str(path)) as container:
        tracks = [
            (
                AudioTrack(
                    n,
                    s.codec_context.name,
                    s.codec_context.channels or 0,
                    _short_language(s.metadata.get("language")),
                ),
                bool(s.disposition & av.stream.Disposition.visual_impaired),
            )
            for n, s in enumerate(container.streams.audio)
        ]
    flagged = [track for track, marked in tracks if marked]
    if not flagged:
        log.info("%s: no track flagged visual_impaired; using audio 1", path.name)
    described = flagged[0] if flagged else tracks[0][0]
    others = [track for track, _ in tracks if track.index != described.index]
    return described, (others[0] if others else None)


def _short_language(tag: str | None) -> str | None:
    """The shortest tag for a file's language (RFC 5646 prefers "en" to "eng")."""
    if not tag or tag == "und":
        return None
    for code, (_, three) in LANGUAGES.items():
        if tag in (three, TERMINOLOGY_CODES.get(three)):
            return code
    return tag


def _cut_times(path: Path, info: VideoInfo, target: float, copy_video: bool) -> list[float]:
    """Where segments start after the first, `target` seconds or more apart.

    A copied picture can only be cut at its keyframes; a re-encoded one gets
    keyframes forced at the cuts. No cut leaves less than half a target at the end.
    """
    if not copy_video:
        planned = [n * target for n in range(1, math.ceil(info.duration / target))]
        return [time for time in planned if info.duration - time >= target / 2]
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        origin = (container.start_time or 0) / 1e6
        keyframes = sorted(
            float(packet.pts * packet.time_base) - origin
            for packet in container.demux(stream)
            if packet.is_keyframe and packet.pts is not None and packet.time_base is not None
        )
    cuts: list[float] = []
    for time in keyframes:
        if time >= (cuts[-1] if cuts else 0.0) + target - _CUT_TOLERANCE:
            cuts.append(time)
    return [time for time in cuts if info.duration - time >= target / 2]


def _segment_args(
    source: Path,
    tracks: dict[str, AudioTrack],
    cuts: list[float],
    copy_video: bool,
    work: Path,
) -> list[str]:
    """One ffmpeg run, one segmented output per rendition, all cut at the same times."""
    times = ",".join(f"{time:.6f}" for time in cuts)
    args = ["-i", str(source), "-map", "0:v:0", "-an", "-sn"]
    if copy_video:
        args += ["-c:v", "copy"]
    else:
        log.info("HLS: re-encoding the picture to H.264 for MPEG-TS segments")
        args += ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"]
        args += ["-force_key_frames", times or "0"]
    args += _segmenter(work, VIDEO, times)
    for name, track in tracks.items():
        args += ["-map", f"0:a:{track.index}", "-vn", "-sn"]
        args += ["-c:a", "copy" if track.codec in _TS_AUDIO else "aac"]
        args += _segmenter(work, name, times)
    return args


def _segmenter(work: Path, name: str, times: str) -> list[str]:
    cut = ["-segment_times", times] if times else ["-segment_time", "1000000"]  # one segment
    return [
        "-f", "segment", "-segment_format", "mpegts", *cut,
        "-segment_time_delta", f"{_CUT_TOLERANCE:g}",
        "-segment_list", str(work / f"{name}.csv"), "-segment_list_type", "csv",
        str(work / f"{name}_%05d.ts"),
    ]  # fmt: skip


def _segments(work: Path, name: str) -> list[_Segment]:
    """The segments FFmpeg listed for one rendition: file, seconds (end - start), bytes."""
    with (work / f"{name}.csv").open(newline="", encoding="utf-8") as fh:
        rows = [row for row in csv.reader(fh) if row]
    if not rows:
        raise MediaError(f"HLS: no {name} segments were written", "check the described video")
    return [
        _Segment(row[0], float(row[2]) - float(row[1]), (work / row[0]).stat().st_size)
        for row in rows
    ]


def _media_playlist(segments: list[_Segment]) -> str:
    target = max(1, max(round(s.seconds) for s in segments))
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{target}"]
    lines += ["#EXT-X-MEDIA-SEQUENCE:0", "#EXT-X-PLAYLIST-TYPE:VOD"]
    for segment in segments:
        lines += [f"#EXTINF:{segment.seconds:.6f},", segment.name]
    return "\n".join([*lines, "#EXT-X-ENDLIST"]) + "\n"


def peak_bit_rate(segments: list[tuple[int, float]], target: float) -> float:
    """RFC 8216's peak segment bit rate of (bytes, seconds) segments, in bits per second.

    The largest bit rate of any contiguous run of segments lasting between 0.5
    and 1.5 times the target duration; a programme shorter than that counts whole.
    """
    best = 0.0
    for first in range(len(segments)):
        size, seconds = 0, 0.0
        for count, duration in segments[first:]:
            size, seconds = size + count, seconds + duration
            if seconds > 1.5 * target:
                break
            if seconds >= 0.5 * target:
                best = max(best, 8 * size / seconds)
    return best or average_bit_rate(segments)


def average_bit_rate(segments: list[tuple[int, float]]) -> float:
    seconds = sum(duration for _, duration in segments)
    return 8 * sum(size for size, _ in segments) / seconds if seconds > 0 else 0.0


def _master(
    work: Path,
    info: VideoInfo,
    tracks: dict[str, AudioTrack],
    segments: dict[str, list[_Segment]],
    language: str,
    described_default: bool,
) -> str:
    """The master playlist: the audio renditions and the one variant stream that uses them."""
    sizes = {name: [(s.size, s.seconds) for s in listed] for name, listed in segments.items()}
    target = {name: max(1, max(round(s) for _, s in pairs)) for name, pairs in sizes.items()}
    audio = [name for name in sizes if name != VIDEO]
    peak = peak_bit_rate(sizes[VIDEO], target[VIDEO]) + max(
        peak_bit_rate(sizes[name], target[name]) for name in audio
    )
    average = average_bit_rate(sizes[VIDEO]) + max(average_bit_rate(sizes[n]) for n in audio)
    codecs = [_video_codec(work / segments[VIDEO][0].name)]
    for name in audio:
        codec = _audio_codec(work / segments[name][0].name)
        codecs += [codec] if codec not in codecs else []
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for name, track in tracks.items():
        lines.append(_rendition(name, track, language, described_default))
    stream = [
        f"BANDWIDTH={math.ceil(peak)}",
        f"AVERAGE-BANDWIDTH={math.ceil(average)}",
        f'CODECS="{",".join(codecs)}"',
        f"RESOLUTION={info.width}x{info.height}",
        f"FRAME-RATE={info.fps:.3f}",
        f'AUDIO="{_GROUP}"',
    ]
    lines += ["#EXT-X-STREAM-INF:" + ",".join(stream), f"{VIDEO}.m3u8"]
    return "\n".join(lines) + "\n"


def _rendition(name: str, track: AudioTrack, language: str, described_default: bool) -> str:
    """One EXT-X-MEDIA line; the original's language is its own when the file says it."""
    described = name == DESCRIBED
    tag = language if described or track.language is None else track.language
    label = language_name(tag) if tag in LANGUAGES else tag
    attrs = [
        "TYPE=AUDIO",
        f'GROUP-ID="{_GROUP}"',
        f'LANGUAGE="{tag}"',
        f'NAME="{label} (Audio Description)"' if described else f'NAME="{label}"',
        "DEFAULT=YES" if described == described_default else "DEFAULT=NO",
        "AUTOSELECT=YES",
    ]
    if described:
        attrs.append(f'CHARACTERISTICS="{DESCRIBES_VIDEO}"')
    attrs += [f'CHANNELS="{track.channels}"', f'URI="{name}.m3u8"']
    return "#EXT-X-MEDIA:" + ",".join(attrs)


def _video_codec(segment: Path) -> str:
    """`avc1.PPCCLL` from the sequence parameter set at the start of the first segment."""
    with av.open(str(segment)) as container:
        stream = container.streams.video[0]
        packet = next((p for p in container.demux(stream) if p.size), None)
    data = bytes(packet) if packet is not None else b""
    at = 0
    while (at := data.find(b"\x00\x00\x01", at)) >= 0 and at + 7 <= len(data):
        if data[at + 3] & 0x1F == 7:  # an SPS: profile, constraint flags, level follow
            return "avc1." + data[at + 4 : at + 7].hex()
        at += 3
    raise MediaError(f"HLS: {segment.name} does not start with H.264 parameters", "report this")


def _audio_codec(segment: Path) -> str:
    with av.open(str(segment)) as container:
        context = container.streams.audio[0].codec_context
        name, profile = context.name, context.profile
    if name == "aac":
        return _AAC_PROFILES.get(profile or "", "mp4a.40.2")
    return _AUDIO_CODECS[name]


def _publish(work: Path, out_folder: Path) -> None:
    """Segments first, then media playlists, then the master; stale segments go."""
    fresh = {p.name for p in work.iterdir()}
    for pattern in ("*.ts", "*.m3u8"):
        for path in sorted(work.glob(pattern)):
            if path.name != MASTER_NAME:
                move_atomic(path, out_folder / path.name)
    move_atomic(work / MASTER_NAME, out_folder / MASTER_NAME)
    for prefix in (VIDEO, DESCRIBED, ORIGINAL):
        for old in out_folder.glob(f"{prefix}_*.ts"):
            if old.name not in fresh:
                old.unlink(missing_ok=True)
