"""Render: place the voiced cues on a timeline, duck the programme under them, mix, mux.

The mix is computed in numpy, block by block, and streamed to ffmpeg as raw
float samples: the gain envelope is exact to the sample, the ramps are smooth
(no pops), and memory stays flat however long the programme is. ffmpeg only
encodes the mix and muxes it beside the stream-copied video and the untouched
original audio.
"""

from __future__ import annotations

import logging
import math
import re
import wave
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from autodescribe.cache import move_atomic
from autodescribe.config import RenderSettings
from autodescribe.errors import ConfigError, MediaError
from autodescribe.languages import LANGUAGES, language_name, language_tag
from autodescribe.media.audio import iter_audio, read_audio
from autodescribe.media.ffmpeg import run_ffmpeg
from autodescribe.types import Cue, VideoInfo

log = logging.getLogger(__name__)

SAMPLE_RATE = 48000
CHANNELS = 2
MIX_BITRATE = "192k"
_BLOCK_SECONDS = 10.0

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
# FFmpeg writes the audio-description mark (a DASH-role `kind` box) and track titles only
# in its mp4 flavour, not in its mov or ipod (m4v) ones, so all three are written as MP4.
_MOV_FAMILY = frozenset({".mp4", ".m4v", ".mov"})


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float | None
    true_peak_dbtp: float | None
    loudness_range_lu: float | None


@dataclass(frozen=True)
class RenderReport:
    """What the render produced, measured on the written file."""

    path: str
    duration: float
    integrated_lufs: float | None
    true_peak_dbtp: float | None
    loudness_range_lu: float | None
    clipped_samples: int = 0


def build_narration(
    cues: Sequence[Cue], duration: float, out_path: Path, sample_rate: int = SAMPLE_RATE
) -> Path:
    """Write the description stem: every cue's audio at its start, stereo 16-bit, `duration` long.

    Broadcasters mix the stem themselves, so it must line up with the programme
    sample for sample. Written block by block, then renamed into place.
    """
    total = round(duration * sample_rate)
    block = round(_BLOCK_SECONDS * sample_rate)
    blocks = (
        np.repeat(mono[:, None], CHANNELS, axis=1)
        for mono in _narration_blocks(cues, total, sample_rate, block)
    )
    _write_pcm16(out_path, blocks, sample_rate, CHANNELS)
    log.info("narration stem: %d cues, %.2f s -> %s", len(cues), duration, out_path.name)
    return out_path


def render_described(
    video: VideoInfo,
    narration_wav: Path,
    cues: Sequence[Cue],
    out_path: Path,
    settings: RenderSettings,
    language: str,
) -> RenderReport:
    """Write the described video: ducked programme + narration as audio 1, original as audio 2."""
    _check_inputs(video, narration_wav, cues, out_path)
    tmp = out_path.with_name(f".{out_path.stem}.partial{out_path.suffix}")
    clipped = [0]
    mix = _mix_bytes(
        video, narration_wav, _duck_spans(cues, settings.ramp_seconds), settings, clipped
    )
    args = ["-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", str(CHANNELS), "-i", "pipe:0"]
    args += ["-i", video.path, *_mux_args(video, out_path, settings, language), str(tmp)]
    try:
        run_ffmpeg(args, "rendering", duration=video.duration, stdin=mix)
        duration, marked = _inspect(tmp)
        loudness = measure_loudness(tmp, duration=duration)
        move_atomic(tmp, out_path)
    finally:
        tmp.unlink(missing_ok=True)
    if not marked:
        log.warning(
            "%s cannot mark the described track for the visually impaired; use .mp4 or .mkv",
            out_path.suffix or "this container",
        )
    if clipped[0]:
        log.warning(
            "the mix clipped on %d samples; lower the narration or the programme", clipped[0]
        )
    frame = 1.0 / video.fps if video.fps > 0 else 0.04
    if abs(duration - video.duration) > frame:
        log.warning("rendered %.3f s but the input lasts %.3f s", duration, video.duration)
    return RenderReport(
        path=str(out_path),
        duration=duration,
        integrated_lufs=loudness.integrated_lufs,
        true_peak_dbtp=loudness.true_peak_dbtp,
        loudness_range_lu=loudness.loudness_range_lu,
        clipped_samples=clipped[0],
    )


def measure_loudness(path: Path, audio_index: int = 0, duration: float | None = None) -> Loudness:
    """EBU R128 integrated loudness, true peak and range of one audio stream of `path`."""
    args = ["-i", str(path), "-map", f"0:a:{audio_index}", "-vn", "-sn", "-dn"]
    args += ["-af", "ebur128=peak=true:framelog=quiet", "-f", "null", "-"]
    stderr = run_ffmpeg(args, "loudness", duration=duration)
    summary = stderr[stderr.rfind("Summary:") :]

    def figure(label: str, unit: str) -> float | None:
        match = re.search(rf"\b{label}:\s+(-?(?:inf|[\d.]+))\s+{unit}", summary)
        value = float(match.group(1)) if match else math.nan
        return value if math.isfinite(value) and value > -70.0 else None

    return Loudness(figure("I", "LUFS"), figure("Peak", "dBFS"), figure("LRA", "LU"))


def _check_inputs(
    video: VideoInfo, narration_wav: Path, cues: Sequence[Cue], out_path: Path
) -> None:
    if Path(video.path).resolve() == out_path.resolve():
        raise ConfigError(
            f"the output {out_path} would overwrite the input", "choose another output path"
        )
    if not narration_wav.is_file():
        raise MediaError(
            f"narration stem {narration_wav} not found", "build it with build_narration first"
        )
    if any(cue.extension > 0 for cue in cues):
        raise ConfigError(
            "extended description (frozen frames) cannot be rendered yet",
            "set fit.extended to 'off' so every cue fits its gap",
        )


def _narration_blocks(
    cues: Sequence[Cue], total: int, sample_rate: int, block: int
) -> Iterator[np.ndarray]:
    """Mono narration in `block`-sample pieces; a cue's audio is loaded only while it plays."""
    placed = sorted(
        ((round(cue.start * sample_rate), cue) for cue in cues if cue.audio),
        key=lambda item: item[0],
    )
    active: list[tuple[int, np.ndarray]] = []
    upcoming = 0
    for first in range(0, total, block):
        last = min(first + block, total)
        while upcoming < len(placed) and placed[upcoming][0] < last:
            start, cue = placed[upcoming]
            active.append((start, _load_cue_audio(cue, sample_rate)))
            upcoming += 1
        out = np.zeros(last - first, np.float32)
        for start, samples in active:
            lo, hi = max(start, first), min(start + len(samples), last)
            if hi > lo:
                out[lo - first : hi - first] += samples[lo - start : hi - start]
        active = [(start, samples) for start, samples in active if start + len(samples) > last]
        yield out


def _load_cue_audio(cue: Cue, sample_rate: int) -> np.ndarray:
    path = Path(str(cue.audio))
    if not path.is_file():
        raise MediaError(
            f"audio for the cue at {cue.start:.2f} s not found: {path}", "voice the script again"
        )
    return read_audio(path, sample_rate, channels=1)


def _write_pcm16(path: Path, blocks: Iterable[np.ndarray], sample_rate: int, channels: int) -> None:
    """Stream float blocks into a 16-bit WAV under a temp name, then rename it into place."""
    tmp = path.with_name(f".{path.name}.partial")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with wave.open(str(tmp), "wb") as wav:
            wav.setnchannels(channels)
            wav.setsampwidth(2)
            wav.setframerate(sample_rate)
            for data in blocks:
                pcm = (np.clip(data, -1.0, 1.0) * 32767.0).round().astype("<i2")
                wav.writeframes(pcm.tobytes())
        move_atomic(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _duck_spans(cues: Sequence[Cue], ramp: float) -> list[tuple[float, float]]:
    """When narration plays, merged where the programme would not have time to come back up."""
    spans = sorted(
        (cue.start, max(cue.end, cue.start + _audio_seconds(cue))) for cue in cues if cue.audio
    )
    merged: list[tuple[float, float]] = []
    for start, end in spans:
        if merged and start - merged[-1][1] <= 2 * ramp:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _audio_seconds(cue: Cue) -> float:
    """Length of a cue's WAV from its header (0 when unreadable: the cue times then rule)."""
    try:
        with wave.open(str(cue.audio), "rb") as wav:
            return wav.getnframes() / wav.getframerate()
    except (OSError, EOFError, wave.Error):
        return 0.0


def _gain_block(
    spans: Sequence[tuple[float, float]], first: int, count: int, duck_db: float, ramp: float
) -> np.ndarray:
    """Programme gain for samples [first, first+count): full depth under narration, dB ramps."""
    t = (first + np.arange(count)) / SAMPLE_RATE
    depth = np.zeros(count)
    for start, end in spans:
        if end + ramp < t[0] or start - ramp > t[-1]:
            continue
        if ramp > 0:
            shape = np.minimum((t - start + ramp) / ramp, (end + ramp - t) / ramp).clip(0.0, 1.0)
        else:
            shape = ((t >= start) & (t < end)).astype(float)
        depth = np.maximum(depth, shape)
    return (10.0 ** (-duck_db * depth / 20.0)).astype(np.float32)


def _mix_bytes(
    video: VideoInfo,
    narration_wav: Path,
    spans: Sequence[tuple[float, float]],
    settings: RenderSettings,
    clipped: list[int],
) -> Iterator[bytes]:
    """The described mix as raw float32 stereo, exactly the programme's length."""
    total = round(video.duration * SAMPLE_RATE)
    block = round(_BLOCK_SECONDS * SAMPLE_RATE)
    narration = _fixed_blocks(iter_audio(narration_wav, SAMPLE_RATE, CHANNELS), total, block)
    programme = _fixed_blocks(_programme_audio(video), total, block)
    first = 0
    for prog, narr in zip(programme, narration, strict=True):
        gain = _gain_block(spans, first, len(prog), settings.duck_db, settings.ramp_seconds)
        mix = prog * gain[:, None] + narr
        over = np.abs(mix) > 1.0
        if over.any():
            clipped[0] += int(over.sum())
            np.clip(mix, -1.0, 1.0, out=mix)
        yield mix.astype("<f4").tobytes()
        first += len(prog)


def _programme_audio(video: VideoInfo) -> Iterator[np.ndarray]:
    """The first audio stream, shifted so sample 0 is the file's start (silence if none)."""
    if not video.has_audio:
        return
    path = Path(video.path)
    offset = round(_audio_start_offset(path) * SAMPLE_RATE)
    if offset > 0:
        yield np.zeros((offset, CHANNELS), np.float32)
    skip = max(-offset, 0)
    for data in iter_audio(path, SAMPLE_RATE, CHANNELS):
        if skip >= len(data):
            skip -= len(data)
            continue
        yield data[skip:]
        skip = 0


def _audio_start_offset(path: Path) -> float:
    """Seconds between the file's start and its first audio stream's start."""
    try:
        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            if (
                stream.start_time is None
                or stream.time_base is None
                or container.start_time is None
            ):
                return 0.0
            return float(stream.start_time * stream.time_base) - container.start_time / 1e6
    except (av.error.FFmpegError, IndexError) as exc:
        raise MediaError(f"cannot open {path.name} ({exc})", "check the file plays") from exc


def _fixed_blocks(blocks: Iterable[np.ndarray], total: int, block: int) -> Iterator[np.ndarray]:
    """Re-cut a stream into `block`-sample pieces adding up to `total`, trimmed or padded."""
    source = iter(blocks)
    pending = np.zeros((0, CHANNELS), np.float32)
    done = 0
    while done < total:
        want = min(block, total - done)
        while len(pending) < want:
            data = next(source, None)
            if data is None:
                pad = np.zeros((want - len(pending), CHANNELS), np.float32)
                pending = np.concatenate([pending, pad])
                break
            pending = np.concatenate([pending, data])
        yield pending[:want]
        pending = pending[want:]
        done += want


def _mux_args(
    video: VideoInfo, out_path: Path, settings: RenderSettings, language: str
) -> list[str]:
    """Maps, codecs, dispositions and titles; input 0 is the mix on stdin, input 1 the video."""
    suffix = out_path.suffix.lower()
    codec = "libopus" if suffix == ".webm" else "aac"
    described_title = f"{language_name(language)} - Audio Description"
    args = ["-map", "1:V?", "-map", "0:a"]
    args += ["-map", "1:a:0"] if video.has_audio else []
    if suffix == Path(video.path).suffix.lower():
        args += ["-map", "1:s?", "-c:s", "copy"]
    args += ["-map_metadata", "1", "-map_chapters", "1", "-c:v", "copy"]
    args += ["-c:a:0", codec, "-b:a:0", MIX_BITRATE, "-ar:a:0", str(SAMPLE_RATE)]
    described_default = settings.described_default or not video.has_audio
    args += [
        "-disposition:a:0",
        "default+visual_impaired" if described_default else "visual_impaired",
    ]
    args += _track_metadata(0, described_title, language_tag(language), suffix)
    if video.has_audio:
        original = video.audio[0]
        if original.codec in _COPYABLE_AUDIO.get(suffix, frozenset()):
            args += ["-c:a:1", "copy"]
        else:
            args += ["-c:a:1", codec, "-b:a:1", MIX_BITRATE]
        args += ["-disposition:a:1", "0" if described_default else "default"]
        args += _track_metadata(1, _original_title(original.language, original.title), None, suffix)
    if suffix in _MOV_FAMILY:
        args += ["-movflags", "+faststart", "-f", "mp4"]
    return args


def _track_metadata(index: int, title: str, tag: str | None, suffix: str) -> list[str]:
    """Title (and language); MP4 players read the title from the handler name, so set both."""
    args = [f"-metadata:s:a:{index}", f"title={title}"]
    if suffix in _MOV_FAMILY:
        args += [f"-metadata:s:a:{index}", f"handler_name={title}"]
    if tag:
        args += [f"-metadata:s:a:{index}", f"language={tag}"]
    return args


def _original_title(tag: str | None, title: str | None) -> str:
    """The original track's language name if its tag says it, else its own title, or 'Original'."""
    names = {code: name for code, (name, _) in LANGUAGES.items()}
    names.update({three: name for name, three in LANGUAGES.values()})
    if tag and tag.lower() in names:
        return names[tag.lower()]
    return title or "Original"


def _inspect(path: Path) -> tuple[float, bool]:
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
