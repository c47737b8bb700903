"""Optional HLS delivery: the described video as a master playlist with two audio renditions.

Streaming players choose audio description from the master playlist, not from
the file's track flags: the described rendition must carry
`CHARACTERISTICS="public.accessibility.describes-video"` so that a player
honouring the viewer's accessibility setting picks it (and labels it). FFmpeg's
HLS muxer writes the renditions and the variant stream but has no option for
that attribute, so the master playlist is rewritten after muxing.

Streams are copied when MPEG-TS segments can carry them (H.264 video; AAC,
MP3, AC-3 audio); anything else is re-encoded. Files are written in a
temporary folder and moved into place with the master playlist last, so a
folder with `master.m3u8` in it is complete.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
from pathlib import Path

import av

from autodescribe.errors import MediaError
from autodescribe.media.ffmpeg import run_ffmpeg
from autodescribe.media.probe import probe
from autodescribe.util.cache import move_atomic, write_atomic
from autodescribe.util.languages import check_language, language_name

log = logging.getLogger(__name__)

MASTER_NAME = "master.m3u8"
DESCRIBES_VIDEO = "public.accessibility.describes-video"
DESCRIBED, ORIGINAL, VIDEO = "described", "original", "video"
_GROUP = "audio"
_MEDIA_TAG = "#EXT-X-MEDIA:"
_TS_VIDEO = frozenset({"h264"})
_TS_AUDIO = frozenset({"aac", "mp3", "ac3", "eac3"})
_ATTRIBUTE = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')


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
    described, original = _pick_tracks(described_video)
    out_folder.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=out_folder, prefix=".hls-"))
    try:
        args = _hls_args(described_video, info.codec, described, original, work, segment_seconds)
        run_ffmpeg(args, "writing HLS", duration=info.duration)
        master = work / MASTER_NAME
        text = master.read_text(encoding="utf-8")
        patched = patch_master(text, code, language_name(code), described_default)
        write_atomic(master, patched)
        _publish(work, out_folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.info("HLS: %s", out_folder / MASTER_NAME)
    return out_folder / MASTER_NAME


def _pick_tracks(path: Path) -> tuple[tuple[int, str], tuple[int, str] | None]:
    """(audio-relative index, codec) of the described track and of the original, if any."""
    with av.open(str(path)) as container:
        tracks = [
            (n, s.codec_context.name, bool(s.disposition & av.stream.Disposition.visual_impaired))
            for n, s in enumerate(container.streams.audio)
        ]
    flagged = [t for t in tracks if t[2]]
    if not flagged:
        log.info("%s: no track flagged visual_impaired; using audio 1", path.name)
    described = flagged[0] if flagged else tracks[0]
    others = [t for t in tracks if t[0] != described[0]]
    original = (others[0][0], others[0][1]) if others else None
    return (described[0], described[1]), original


def _hls_args(
    source: Path,
    video_codec: str,
    described: tuple[int, str],
    original: tuple[int, str] | None,
    work: Path,
    segment_seconds: float,
) -> list[str]:
    tracks = [(DESCRIBED, described)] + ([(ORIGINAL, original)] if original else [])
    args = ["-i", str(source), "-map", "0:v:0"]
    for _, (index, _codec) in tracks:
        args += ["-map", f"0:a:{index}"]
    if video_codec in _TS_VIDEO:
        args += ["-c:v", "copy"]
    else:
        log.info("HLS: re-encoding %s video to H.264 for MPEG-TS segments", video_codec)
        args += ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"]
    for out_index, (_, (_index, codec)) in enumerate(tracks):
        args += [f"-c:a:{out_index}", "copy" if codec in _TS_AUDIO else "aac"]
    stream_map = [f"v:0,agroup:{_GROUP},name:{VIDEO}"]
    stream_map += [
        f"a:{n},agroup:{_GROUP},name:{name}" + (",default:yes" if n == 0 else "")
        for n, (name, _) in enumerate(tracks)
    ]
    args += [
        "-f", "hls",
        "-hls_time", f"{segment_seconds:g}",
        "-hls_playlist_type", "vod",
        "-hls_segment_type", "mpegts",
        "-hls_segment_filename", str(work / "%v_%05d.ts"),
        "-master_pl_name", MASTER_NAME,
        "-var_stream_map", " ".join(stream_map),
        str(work / "%v.m3u8"),
    ]  # fmt: skip
    return args


def patch_master(text: str, language: str, name: str, described_default: bool = True) -> str:
    """Rewrite the audio renditions: names, language, selection flags, the AD characteristic."""
    lines: list[str] = []
    for line in text.splitlines():
        if line.startswith(_MEDIA_TAG):
            body = line[len(_MEDIA_TAG) :]
            line = _MEDIA_TAG + _rendition(body, language, name, described_default)
        lines.append(line)
    return "\n".join(lines) + "\n"


def _rendition(attributes: str, language: str, name: str, described_default: bool) -> str:
    attrs = dict(_ATTRIBUTE.findall(attributes))
    if attrs.get("TYPE") != "AUDIO":
        return attributes
    described = attrs.get("URI", "").strip('"').startswith(DESCRIBED)
    is_default = described == described_default
    attrs["NAME"] = f'"{name} (Audio Description)"' if described else f'"{name}"'
    attrs["LANGUAGE"] = f'"{language}"'
    attrs["DEFAULT"] = "YES" if is_default else "NO"
    attrs["AUTOSELECT"] = "YES"
    if described:
        attrs["CHARACTERISTICS"] = f'"{DESCRIBES_VIDEO}"'
    uri = attrs.pop("URI", None)
    if uri is not None:
        attrs["URI"] = uri  # keep the URI last, where readers expect it
    return ",".join(f"{key}={value}" for key, value in attrs.items())


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
