"""Loudness: measure a stream, and plan the gain that brings the mix to a delivery preset.

The mix is measured first (ffmpeg `loudnorm` analysis, and for dialogue-gated
presets `ebur128` over the dialogue alone), then rendered through `loudnorm` in
linear mode: one constant gain, so the narration keeps its level against the
dialogue. Only when that gain would push the true peak over the limit does
`loudnorm` fall back to its gentle dynamic mode.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from autodescribe.errors import MediaError
from autodescribe.media.ffmpeg import run_ffmpeg
from autodescribe.presets import LoudnessPreset


def raw_float(channels: int = 2) -> list[str]:
    """ffmpeg input options for raw 48 kHz float32 audio (5.1 for six channels: BS.1770
    then leaves out the LFE and weights the surrounds)."""
    return ["-f", "f32le", "-ar", "48000", "-ac", str(channels)]


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float | None
    true_peak_dbtp: float | None
    loudness_range_lu: float | None


@dataclass(frozen=True)
class LoudnessPlan:
    """How the mix is brought to its preset, and what it measured before."""

    preset: str
    filter: str  # ffmpeg audio filter to apply to the raw mix
    measured_lufs: float | None  # programme-gated loudness of the mix before normalising
    dialogue_lufs: float | None  # dialogue-gated loudness before normalising (netflix)
    gain_db: float


def measure_loudness(path: Path, audio_index: int = 0, duration: float | None = None) -> Loudness:
    """EBU R128 integrated loudness, true peak and range of one audio stream of `path`."""
    args = ["-i", str(path), "-map", f"0:a:{audio_index}", "-vn", "-sn", "-dn"]
    return _ebur128(args, duration)


def measure_raw(
    blocks: Iterable[bytes], duration: float | None = None, channels: int = 2
) -> Loudness:
    """The same figures for raw 48 kHz float32 audio of `channels` streamed in `blocks`."""
    return _ebur128([*raw_float(channels), "-i", "pipe:0"], duration, stdin=blocks)


def _ebur128(
    input_args: list[str], duration: float | None, stdin: Iterable[bytes] | None = None
) -> Loudness:
    args = [*input_args, "-af", "ebur128=peak=true:framelog=quiet", "-f", "null", "-"]
    stderr = run_ffmpeg(args, "loudness", duration=duration, stdin=stdin)
    summary = stderr[stderr.rfind("Summary:") :]

    def figure(label: str, unit: str) -> float | None:
        match = re.search(rf"\b{label}:\s+(-?(?:inf|[\d.]+))\s+{unit}", summary)
        value = float(match.group(1)) if match else math.nan
        return value if math.isfinite(value) and value > -70.0 else None

    return Loudness(figure("I", "LUFS"), figure("Peak", "dBFS"), figure("LRA", "LU"))


def only_spans(
    blocks: Iterable[bytes], spans: Sequence[tuple[float, float]], channels: int = 2
) -> Iterator[bytes]:
    """The parts of a raw float stream that fall inside `spans` (seconds), back to back."""
    frame = 4 * channels  # bytes per float sample of every channel
    ranges = [(round(a * 48000) * frame, round(b * 48000) * frame) for a, b in spans if b > a]
    offset = 0
    for data in blocks:
        end = offset + len(data)
        for lo, hi in ranges:
            if hi > offset and lo < end:
                yield data[max(lo, offset) - offset : min(hi, end) - offset]
        offset = end


def plan_loudness(
    mix: Callable[[], Iterable[bytes]],
    preset: LoudnessPreset,
    dialogue: Sequence[tuple[float, float]],
    duration: float,
    channels: int = 2,
) -> LoudnessPlan:
    """Measure the mix (twice for dialogue-gated presets) and build the normalising filter."""
    target = preset.target_lufs
    dialogue_lufs = None
    analysis = _loudnorm_analysis(mix(), preset, duration, channels)
    measured = _finite(analysis.get("input_i"))
    if preset.dialogue_gated and dialogue:
        seconds = sum(b - a for a, b in dialogue)
        gated = only_spans(mix(), dialogue, channels)
        dialogue_lufs = measure_raw(gated, seconds, channels).integrated_lufs
        if dialogue_lufs is not None and measured is not None:
            target = measured + (preset.target_lufs - dialogue_lufs)
    if measured is None:  # silence: nothing to normalise
        return LoudnessPlan(preset.name, "anull", None, dialogue_lufs, 0.0)
    target = min(max(target, -70.0), -5.0)
    lra = min(max(float(analysis.get("input_lra", 7.0)) + 1.0, 1.0), 50.0)
    loudnorm = (
        f"loudnorm=I={target:.2f}:TP={preset.max_true_peak_dbtp - 0.3:.2f}:LRA={lra:.1f}"
        f":measured_I={analysis['input_i']}:measured_TP={analysis['input_tp']}"
        f":measured_LRA={analysis['input_lra']}:measured_thresh={analysis['input_thresh']}"
        f":offset={analysis['target_offset']}:linear=true,aresample=48000"
    )
    return LoudnessPlan(preset.name, loudnorm, measured, dialogue_lufs, round(target - measured, 2))


def _loudnorm_analysis(
    blocks: Iterable[bytes], preset: LoudnessPreset, duration: float, channels: int
) -> dict[str, str]:
    """loudnorm's first pass over the raw mix: its measured input figures."""
    af = f"loudnorm=I={preset.target_lufs}:TP={preset.max_true_peak_dbtp}:LRA=20:print_format=json"
    args = [*raw_float(channels), "-i", "pipe:0", "-af", af, "-f", "null", "-"]
    stderr = run_ffmpeg(args, "loudness", duration=duration, stdin=blocks)
    start, end = stderr.rfind("{"), stderr.rfind("}")
    try:
        data: dict[str, str] = json.loads(stderr[start : end + 1])
    except json.JSONDecodeError as exc:
        raise MediaError(
            "could not measure the mix's loudness", "rerun with --debug and report it"
        ) from exc
    return data


def _finite(value: str | None) -> float | None:
    try:
        number = float(value) if value is not None else math.nan
    except ValueError:
        return None
    return number if math.isfinite(number) and number > -70.0 else None
