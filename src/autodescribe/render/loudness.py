"""Loudness: measure a stream, and plan the gain that brings the mix to a delivery preset.

The mix is measured first, in one pass over the samples we compute anyway:
FFmpeg's `ebur128` filter (the meter `check` reads the written file with) runs
in this process through PyAV, over the whole mix and, for dialogue-gated
presets, over the dialogue alone. The mix is then rendered with one constant
gain, so the narration keeps its level against the dialogue. Only when that
gain would push the true peak over the limit does the render go through
`loudnorm`, measured by its own analysis pass, whose dynamic mode then limits
gently. (Measuring with `loudnorm` every time cost eight times as much on a
minute of mix: it resamples everything to 192 kHz.)

The mix is written to a raw spool file as it is measured, and every later
pass (the `loudnorm` analysis, the encode) reads that file: the programme is
decoded, resampled and mixed once, which cost as much as the measuring itself.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import IO

import av
import av.filter
import numpy as np

from autodescribe.errors import MediaError
from autodescribe.media.audio import LAYOUTS
from autodescribe.media.ffmpeg import run_ffmpeg
from autodescribe.presets import LoudnessPreset
from autodescribe.util.progress import progress

RATE = 48000  # of every mix measured here
_METER = "ebur128=peak=true:framelog=quiet"  # what every figure here is measured with
# Below the preset's peak limit, kept free for the encoder's overshoot.
PEAK_HEADROOM_DB = 0.3


def raw_float(channels: int = 2) -> list[str]:
    """ffmpeg input options for raw 48 kHz float32 audio (5.1 for six channels: BS.1770
    then leaves out the LFE and weights the surrounds)."""
    return ["-f", "f32le", "-ar", str(RATE), "-ac", str(channels)]


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


def measure_loudness(
    path: Path, audio_index: int = 0, duration: float | None = None, label: str = "loudness"
) -> Loudness:
    """EBU R128 integrated loudness, true peak and range of one audio stream of `path`
    (with `duration` known, a bar called `label` follows it)."""
    args = ["-i", str(path), "-map", f"0:a:{audio_index}", "-vn", "-sn", "-dn"]
    return _ebur128(args, duration, label=label)


def measure_raw(
    blocks: Iterable[bytes], duration: float | None = None, channels: int = 2
) -> Loudness:
    """The same figures for raw 48 kHz float32 audio of `channels` streamed in `blocks`."""
    return _ebur128([*raw_float(channels), "-i", "pipe:0"], duration, stdin=blocks)


def measure_while_encoding(stream: int, samples: int | None) -> list[str]:
    """ffmpeg arguments, after an output's, that measure its audio `stream` as encoded: a
    loopback decoder (FFmpeg 7+) hands the encoder's packets back, decoded, to `ebur128` on
    a second output, so the written mix is measured during its encode instead of decoded
    from the file afterwards. The samples are those a player decodes from the file (the
    encoder's priming already left out), plus the padding of its last frame: `samples`
    cuts that off where the container does (an MP4 edit list; Matroska keeps it).
    `summary_loudness` reads the figures from the run's stderr."""
    trim = f"atrim=end_sample={samples}," if samples is not None else ""
    graph = f"[dec:0]{trim}{_METER}[measured]"
    return [
        "-dec",
        f"0:{stream}",
        "-filter_complex",
        graph,
        "-map",
        "[measured]",
        "-f",
        "null",
        "-",
    ]


def summary_loudness(stderr: str) -> Loudness:
    """The figures of the last `ebur128` summary in an ffmpeg run's stderr."""
    summary = stderr[stderr.rfind("Summary:") :]

    def figure(label: str, unit: str) -> float | None:
        match = re.search(rf"\b{label}:\s+(-?(?:inf|[\d.]+))\s+{unit}", summary)
        value = float(match.group(1)) if match else math.nan
        return value if math.isfinite(value) and value > -70.0 else None

    return Loudness(figure("I", "LUFS"), figure("Peak", "dBFS"), figure("LRA", "LU"))


def _ebur128(
    input_args: list[str],
    duration: float | None,
    stdin: Iterable[bytes] | None = None,
    label: str = "loudness",
) -> Loudness:
    args = [*input_args, "-af", _METER, "-f", "null", "-"]
    return summary_loudness(run_ffmpeg(args, label, duration=duration, stdin=stdin))


def only_spans(
    blocks: Iterable[bytes], spans: Sequence[tuple[float, float]], channels: int = 2
) -> Iterator[bytes]:
    """The parts of a raw float stream that fall inside `spans` (seconds), back to back."""
    frame = 4 * channels  # bytes per float sample of every channel
    ranges = [(round(a * RATE) * frame, round(b * RATE) * frame) for a, b in spans if b > a]
    offset = 0
    for data in blocks:
        end = offset + len(data)
        for lo, hi in ranges:
            if hi > offset and lo < end:
                yield data[max(lo, offset) - offset : min(hi, end) - offset]
        offset = end


@dataclass(frozen=True)
class MixLevels:
    """The mix before normalising, from one pass of `measure_mix`."""

    integrated_lufs: float | None  # programme-gated
    true_peak_dbtp: float | None
    dialogue_lufs: float | None  # over the dialogue only, when asked for


class _Meter:
    """FFmpeg's `ebur128` filter (integrated loudness, true peak) fed float blocks in-process."""

    def __init__(self, channels: int) -> None:
        self._graph = av.filter.Graph()
        source = self._graph.add_abuffer(
            format="flt", sample_rate=RATE, layout=LAYOUTS[channels], time_base=Fraction(1, RATE)
        )
        meter = self._graph.add("ebur128", "peak=true:metadata=1")
        source.link_to(meter)
        meter.link_to(self._graph.add("abuffersink"))
        self._graph.configure()
        self._channels = channels
        self._samples = 0
        self._last: dict[str, str] = {}

    def add(self, block: np.ndarray) -> None:
        """Measure (samples, channels) float32 `block`, following on from the last.

        Fed a second at a time: the true-peak meter upsamples each frame 4x in doubles.
        """
        for first in range(0, len(block), RATE):
            part = np.ascontiguousarray(block[first : first + RATE], np.float32)
            layout = LAYOUTS[self._channels]
            frame = av.AudioFrame.from_ndarray(part.reshape(1, -1), format="flt", layout=layout)
            frame.sample_rate, frame.pts = RATE, self._samples
            frame.time_base = Fraction(1, RATE)
            self._samples += len(part)
            self._graph.push(frame)
            self._drain()

    def levels(self) -> tuple[float | None, float | None]:
        """Integrated loudness (LUFS) and true peak (dBTP) of everything added; None if silent."""
        if self._samples:
            self._graph.push(None)
            self._drain()
        found = _finite(self._last.get("lavfi.r128.I"))
        peaks = [float(v) for k, v in self._last.items() if k.startswith("lavfi.r128.true_peaks")]
        peak = max(peaks, default=0.0)
        return found, (20 * math.log10(peak) if peak > 0 else None)

    def _drain(self) -> None:
        while True:
            try:
                frame = self._graph.pull()
            except (av.error.BlockingIOError, av.error.EOFError):
                return
            self._last = dict(frame.metadata) or self._last


def measure_mix(
    blocks: Iterable[np.ndarray],
    channels: int,
    dialogue: Sequence[tuple[float, float]] = (),
    duration: float | None = None,
) -> MixLevels:
    """Loudness and true peak of a 48 kHz float mix in (samples, channels) blocks, and the
    loudness of its `dialogue` spans (seconds) back to back, as `only_spans` joins them.

    With the mix's `duration` known, a bar follows the seconds measured."""
    whole, spoken = _Meter(channels), _Meter(channels)
    ranges = [(round(a * RATE), round(b * RATE)) for a, b in dialogue if b > a]
    offset = 0
    with progress("loudness", None if duration is None else round(duration, 1)) as bar:
        for block in blocks:
            whole.add(block)
            end = offset + len(block)
            for lo, hi in ranges:
                if hi > offset and lo < end:
                    spoken.add(block[max(lo, offset) - offset : min(hi, end) - offset])
            offset = end
            bar.update(round(len(block) / RATE, 3))
    integrated, peak = whole.levels()
    dialogue_lufs = spoken.levels()[0] if ranges else None
    return MixLevels(integrated, peak, dialogue_lufs)


def plan_loudness(
    mix: Iterable[np.ndarray],
    spool: Path,
    preset: LoudnessPreset,
    dialogue: Sequence[tuple[float, float]],
    duration: float,
    channels: int = 2,
) -> LoudnessPlan:
    """Measure the float mix once and plan the constant gain that brings it to `preset`.

    The (samples, channels) float32 blocks of `mix` are written to `spool` as raw
    48 kHz float32 (`raw_float` reads it) while they are measured; a second pass,
    over the spool, is made only when the gain would lift the true peak over the
    limit, to measure it for `loudnorm`.
    """
    gated = preset.dialogue_gated and bool(dialogue)
    with open(spool, "wb") as out:
        levels = measure_mix(_spooled(mix, out), channels, dialogue if gated else (), duration)
    measured, dialogue_lufs = levels.integrated_lufs, levels.dialogue_lufs
    if measured is None:  # silence: nothing to normalise
        return LoudnessPlan(preset.name, "anull", None, dialogue_lufs, 0.0)
    target = preset.target_lufs
    if dialogue_lufs is not None:
        target = measured + (preset.target_lufs - dialogue_lufs)
    target = min(max(target, -70.0), -5.0)
    gain = target - measured
    ceiling = preset.max_true_peak_dbtp - PEAK_HEADROOM_DB
    if levels.true_peak_dbtp is not None and levels.true_peak_dbtp + gain > ceiling:
        analysis = _loudnorm_analysis(spool, preset, duration, channels)
        return LoudnessPlan(
            preset.name,
            _loudnorm(analysis, target, preset),
            measured,
            dialogue_lufs,
            round(gain, 2),
        )
    volume = f"volume={10 ** (gain / 20):.8f}"
    return LoudnessPlan(preset.name, volume, measured, dialogue_lufs, round(gain, 2))


def _spooled(blocks: Iterable[np.ndarray], out: IO[bytes]) -> Iterator[np.ndarray]:
    """`blocks` passed on unchanged, each also written to `out` as little-endian float32."""
    for block in blocks:
        out.write(np.ascontiguousarray(block, "<f4").tobytes())
        yield block


def _loudnorm(analysis: dict[str, str], target: float, preset: LoudnessPreset) -> str:
    """`loudnorm` in linear mode with its own measurements, which falls back to its dynamic
    mode (a gentle limiter) because the gain would break the peak limit."""
    lra = min(max(float(analysis.get("input_lra", 7.0)) + 1.0, 1.0), 50.0)
    return (
        f"loudnorm=I={target:.2f}:TP={preset.max_true_peak_dbtp - PEAK_HEADROOM_DB:.2f}"
        f":LRA={lra:.1f}:measured_I={analysis['input_i']}:measured_TP={analysis['input_tp']}"
        f":measured_LRA={analysis['input_lra']}:measured_thresh={analysis['input_thresh']}"
        f":offset={analysis['target_offset']}:linear=true,aresample={RATE}"
    )


def _loudnorm_analysis(
    spool: Path, preset: LoudnessPreset, duration: float, channels: int
) -> dict[str, str]:
    """loudnorm's first pass over the raw mix in `spool`: its measured input figures."""
    af = f"loudnorm=I={preset.target_lufs}:TP={preset.max_true_peak_dbtp}:LRA=20:print_format=json"
    args = [*raw_float(channels), "-i", str(spool), "-af", af, "-f", "null", "-"]
    stderr = run_ffmpeg(args, "loudness", duration=duration)
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
