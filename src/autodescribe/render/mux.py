"""Mux: which streams go into the described file, with which codecs, flags and titles.

Input 0 is the normalised mix, input 1 the source video. The picture is
stream-copied unless extended description froze it; then it is re-encoded
around the freezes (the splice, input 2) or whole, and the original audio tracks come
paused with it from their own input (`render.paused`), so every track keeps
the same timeline.

Signalling, per container (what players look for):
- MP4/M4V/MOV: the described track carries a DASH-role `kind` box
  ("description") and Apple's `tagc` characteristic
  (public.accessibility.describes-video); each track has one title, its
  handler name (what Chromium labels a track with); `.mov` is QuickTime
  (brand `qt  `). FFmpeg writes neither `tagc` nor a lone title, so
  `MuxPlan.finish` rewrites the tracks' user data afterwards (media.mp4).
- Matroska/WebM: `FlagVisualImpaired` on the described track, `FlagOriginal`
  on the original programme.
- Everywhere: the original keeps its source language, even when it is
  re-encoded or paused for a freeze (a filter graph drops stream metadata).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av

from autodescribe.config import RenderSettings
from autodescribe.errors import MediaError
from autodescribe.media.mp4 import DESCRIBES_VIDEO, TrackSignals, signal_tracks
from autodescribe.media.webm import set_doc_type
from autodescribe.render.extend import video_filter
from autodescribe.render.splice import Spliced
from autodescribe.timeline import Freeze
from autodescribe.types import AudioStreamInfo, VideoInfo
from autodescribe.util.languages import LANGUAGES, TERMINOLOGY_CODES, language_name, language_tag

MIX_BITRATE = "192k"
SURROUND_BITRATE = "384k"  # AAC/Opus 5.1 at the quality 192k gives stereo
SAMPLE_RATE = 48000


def mix_channels(video: VideoInfo) -> int:
    """Channels of the described mix: 5.1 for a surround programme, else stereo.

    Narration goes to the centre in 5.1 and to both sides in stereo; the stem
    (`NAME.ad.wav`) stays stereo either way.
    """
    return 6 if video.audio and video.audio[0].channels >= 6 else 2


_MP4_AUDIO = frozenset({"aac", "mp3", "ac3", "eac3", "alac", "opus", "flac"})
_MKV_AUDIO = frozenset(
    {"aac", "mp3", "mp2", "ac3", "eac3", "dts", "truehd", "opus", "vorbis", "flac", "alac"}
    | {"pcm_s16le", "pcm_s24le", "pcm_s32le", "pcm_f32le"}
)
# Audio codecs each output container can take as a stream copy.
_COPYABLE_AUDIO: dict[str, frozenset[str]] = {
    ".mp4": _MP4_AUDIO,
    ".m4v": _MP4_AUDIO,
    ".mov": _MP4_AUDIO,
    ".mkv": _MKV_AUDIO,
    ".webm": frozenset({"opus", "vorbis"}),
}
# FFmpeg's muxer for each ISO/QuickTime suffix: m4v as plain MP4 (FFmpeg's ipod flavour
# drops track user data), mov as QuickTime. Both get their signals from media.mp4.
MOV_FAMILY = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov"}
_MATROSKA = frozenset({".mkv", ".webm"})
_DESCRIBED_SIGNALS = TrackSignals(roles=("description",), characteristics=(DESCRIBES_VIDEO,))
_WEBM_VIDEO = frozenset({"vp8", "vp9", "av1"})


@dataclass(frozen=True)
class MuxPlan:
    args: list[str]
    video_mode: str  # "stream-copied" or what re-encoded it, for the report
    suffix: str = ".mp4"

    def finish(self, path: Path) -> None:
        """Write into the muxed file at `path` the signals FFmpeg cannot (see the module doc)."""
        if self.suffix in MOV_FAMILY:
            signal_tracks(path, [_DESCRIBED_SIGNALS])  # audio 1 is the described mix
        elif self.suffix == ".webm":
            set_doc_type(path, "webm")


def mux_args(
    video: VideoInfo,
    out_path: Path,
    settings: RenderSettings,
    language: str,
    mix_filter: str,
    freezes: list[Freeze],
    spliced: Spliced | None = None,
    paused_input: int | None = None,
) -> MuxPlan:
    """Filters, maps, codecs, dispositions and titles for the described file.

    `spliced` is the picture with its freezes already in it (input 2), mostly
    stream-copied; without it a frozen picture is re-encoded whole. With freezes,
    input `paused_input` holds the original tracks paused at them and encoded for
    this container (`render.paused`): they are copied.
    """
    suffix = out_path.suffix.lower()
    graph = [f"[0:a]{mix_filter}[mix]"]
    if freezes:
        if video.audio and paused_input is None:
            raise ValueError("a frozen picture needs the original audio paused: see render.paused")
        picture, video_args, mode = _frozen_picture(
            video, suffix, settings, freezes, spliced, graph
        )
        originals = [f"{paused_input}:a:{j}" for j in range(len(video.audio))]
    else:
        picture, video_args, mode = _picture(video, suffix, settings)
        originals = [f"1:a:{j}" for j in range(len(video.audio))]
    args = ["-filter_complex", ";".join(graph), *picture, "-map", "[mix]"]
    for source in originals:
        args += ["-map", source]
    if not freezes and suffix == Path(video.path).suffix.lower():
        args += ["-map", "1:s?", "-c:s", "copy"]  # subtitles keep their times only unfrozen
    args += video_args
    args += ["-map_metadata", "1", "-map_chapters", "1"]
    args += _audio_tracks(video, suffix, settings, language, paused=bool(freezes))
    if suffix in MOV_FAMILY:
        args += ["-f", MOV_FAMILY[suffix]]  # the movie box goes first in `finish`
    elif suffix == ".webm":
        args += ["-f", "matroska"]  # its DocType is set to webm afterwards (media.webm)
    return MuxPlan(args, mode, suffix)


def _picture(
    video: VideoInfo, suffix: str, settings: RenderSettings
) -> tuple[list[str], list[str], str]:
    """Maps, codec arguments and report line for a picture with no freeze: copied if it can be."""
    maps = ["-map", "1:V?"]
    if suffix == ".webm" and video.codec not in _WEBM_VIDEO:
        encoder, video_args = _video_encoder(suffix, settings)
        return maps, video_args, f"re-encoded ({encoder}): WebM cannot hold {video.codec}"
    return maps, ["-c:v", "copy"], "stream-copied"


def _frozen_picture(
    video: VideoInfo,
    suffix: str,
    settings: RenderSettings,
    freezes: list[Freeze],
    spliced: Spliced | None,
    graph: list[str],
) -> tuple[list[str], list[str], str]:
    """The same for a picture with freezes: the splice if there is one, else a full re-encode."""
    if spliced is not None:
        mode = (
            f"stream-copied except {spliced.reencoded_seconds:.2f} s around "
            f"{len(freezes)} frozen picture(s), re-encoded (libx264 crf {settings.video_crf})"
        )
        return ["-map", "2:v:0"], ["-c:v", "copy"], mode
    graph.append(f"[1:v:0]{video_filter(freezes, video.fps or 25.0)}[v]")
    encoder, video_args = _video_encoder(suffix, settings)
    return (
        ["-map", "[v]"],
        video_args,
        f"re-encoded ({encoder}) for {len(freezes)} frozen picture(s)",
    )


def audio_codec(suffix: str) -> str:
    """The encoder of audio tracks made for a `suffix` output."""
    return "libopus" if suffix == ".webm" else "aac"


def track_bitrate(stream: AudioStreamInfo) -> str:
    """The bit rate an original track is encoded at when it cannot be copied."""
    return SURROUND_BITRATE if stream.channels >= 6 else MIX_BITRATE


def _audio_tracks(
    video: VideoInfo, suffix: str, settings: RenderSettings, language: str, paused: bool
) -> list[str]:
    """Codecs, dispositions and titles: the described mix first, then every original track.

    The originals are copied: `paused` ones as they were encoded for this container, the
    source's own where the container takes their codec (else they are encoded again)."""
    codec = audio_codec(suffix)
    bitrate = SURROUND_BITRATE if mix_channels(video) == 6 else MIX_BITRATE
    args = ["-c:a:0", codec, "-b:a:0", bitrate, "-ar:a:0", str(SAMPLE_RATE)]
    described_default = settings.described_default or not video.has_audio
    args += [
        "-disposition:a:0",
        "default+visual_impaired" if described_default else "visual_impaired",
    ]
    described_title = f"{language_name(language)} - Audio Description"
    args += _track_metadata(0, described_title, language_tag(language), suffix)
    for j, original in enumerate(video.audio):
        out = j + 1
        if paused or original.codec in _COPYABLE_AUDIO.get(suffix, frozenset()):
            args += [f"-c:a:{out}", "copy"]
        else:
            args += [f"-c:a:{out}", codec, f"-b:a:{out}", track_bitrate(original)]
        args += [f"-disposition:a:{out}", _original_disposition(j, described_default, suffix)]
        title = _original_title(original.language, original.title)
        args += _track_metadata(out, title, original.language, suffix)
    return args


def _original_disposition(j: int, described_default: bool, suffix: str) -> str:
    """Changes to an original track's own flags (a commentary stays one): default or not,
    never visually impaired; the first is the programme in its original language."""
    flags = ("+" if j == 0 and not described_default else "-") + "default-visual_impaired"
    return flags + ("+original" if j == 0 and suffix in _MATROSKA else "")


def _video_encoder(suffix: str, settings: RenderSettings) -> tuple[str, list[str]]:
    """A quality-preserving encoder the container can hold."""
    if suffix == ".webm":
        crf = str(min(63, settings.video_crf + 13))
        args = ["-c:v", "libvpx-vp9", "-crf", crf, "-b:v", "0", "-row-mt", "1"]
        return f"libvpx-vp9 crf {crf}", [*args, "-deadline", "good", "-cpu-used", "4"]
    crf = str(settings.video_crf)
    args = ["-c:v", "libx264", "-crf", crf, "-preset", settings.video_preset]
    return f"libx264 crf {crf}", args


def _track_metadata(index: int, title: str, tag: str | None, suffix: str) -> list[str]:
    """Title and language; in MP4/MOV the title is the handler name alone.

    Setting every key, even to nothing, keeps a copied track from carrying the
    source's title or handler name next to ours.
    """
    key = "handler_name" if suffix in MOV_FAMILY else "title"
    args = [f"-metadata:s:a:{index}", f"{key}={title}"]
    if suffix in MOV_FAMILY:
        args += [f"-metadata:s:a:{index}", "title="]
    return args + [f"-metadata:s:a:{index}", f"language={tag or 'und'}"]


def _original_title(tag: str | None, title: str | None) -> str:
    """The original track's language name if its tag says it, else its own title, or 'Original'."""
    names = {code: name for code, (name, _) in LANGUAGES.items()}
    names.update({three: name for name, three in LANGUAGES.values()})
    names.update({TERMINOLOGY_CODES.get(three, three): name for name, three in LANGUAGES.values()})
    if tag and tag.lower() in names:
        return names[tag.lower()]
    return title or "Original"


def inspect_output(path: Path) -> tuple[float, bool]:
    """The rendered file's duration, and whether its first audio track kept its AD mark."""
    with av.open(str(path)) as container:
        if container.duration is None:
            raise MediaError(
                f"the rendered file {path.name} has no duration", "check the ffmpeg output"
            )
        marked = bool(
            container.streams.audio[0].disposition & av.stream.Disposition.visual_impaired
        )
        return container.duration / 1e6, marked
