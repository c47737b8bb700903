"""Extended description in the render: programme audio paused and picture held at each freeze.

Where the freezes fall, and how programme time maps to the described video's
time, is `autodescribe.timeline`; this module makes the audio and the ffmpeg
filters that carry it out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from autodescribe.timeline import Freeze


def insert_silence(
    blocks: Iterable[np.ndarray], freezes: Sequence[Freeze], sample_rate: int, channels: int = 2
) -> Iterator[np.ndarray]:
    """Programme audio with silence inserted at each freeze (blocks are (n, channels))."""
    points = [(round(f.at * sample_rate), round(f.seconds * sample_rate)) for f in freezes]
    done = 0
    upcoming = 0
    for data in blocks:
        while upcoming < len(points) and points[upcoming][0] < done + len(data):
            cut = points[upcoming][0] - done
            if cut > 0:
                yield data[:cut]
            yield np.zeros((points[upcoming][1], data.shape[1]), data.dtype)
            data = data[max(cut, 0) :]
            done += max(cut, 0)
            upcoming += 1
        if len(data):
            yield data
        done += len(data)
    for _, length in points[upcoming:]:  # freezes past the audio's end (audio shorter than video)
        yield np.zeros((length, channels), np.float32)


def mute_gain(
    spans: Sequence[tuple[float, float]], times: np.ndarray, fade: float = 0.01
) -> np.ndarray:
    """1 outside the freezes, 0 inside, with short fades so the pause does not click."""
    gain = np.ones(len(times), np.float32)
    for start, end in spans:
        if end + fade < times[0] or start - fade > times[-1]:
            continue
        down = ((start - times) / fade).clip(0.0, 1.0)
        up = ((times - end) / fade).clip(0.0, 1.0)
        gain = np.minimum(gain, np.maximum(down, up).astype(np.float32))
    return gain


def video_filter(freezes: Sequence[Freeze], fps: float) -> str:
    """An ffmpeg filter chain that holds frame `at * fps` for each freeze, then retimes."""
    chain = []
    inserted = 0
    for freeze in freezes:
        frame = round(freeze.at * fps) + inserted
        copies = round(freeze.seconds * fps)
        # the frame shown at the freeze point is repeated `copies` more times
        chain.append(f"loop=loop={copies}:size=1:start={frame}")
        inserted += copies
    chain.append(f"setpts=N/({fps:.6f}*TB)")
    return ",".join(chain)


def audio_filter(
    freezes: Sequence[Freeze],
    label_in: str,
    label_out: str,
    sample_rate: int = 48000,
    channels: int = 2,
) -> str:
    """An ffmpeg filter graph that pauses an audio stream at each freeze (for the original).

    The stream is cut at each freeze and padded with the freeze's silence; a
    freeze with nothing before it (at 0 s, or two at one point) is silence alone.
    """
    bounds = [0.0, *(f.at for f in freezes)]
    layout = {1: "mono", 2: "stereo", 6: "5.1", 8: "7.1"}.get(channels, f"{channels}c")
    trims: list[tuple[str, str]] = []  # (label, filter applied to a copy of the input)
    order: list[str] = []  # labels in timeline order
    silences: list[str] = []
    for i, start in enumerate(bounds):
        end = bounds[i + 1] if i + 1 < len(bounds) else None
        pad = freezes[i].seconds if i < len(freezes) else 0.0
        label = f"{label_out}_{i}"
        if end is None or end - start > 1e-6:
            trim = f"atrim=start={start:.6f}" + (f":end={end:.6f}" if end is not None else "")
            padding = f",apad=pad_dur={pad:.6f}" if pad > 0 else ""
            trims.append((label, f"{trim},asetpts=PTS-STARTPTS{padding}"))
        elif pad > 0:
            silences.append(f"aevalsrc=0:c={layout}:s={sample_rate}:d={pad:.6f}[{label}]")
        else:
            continue
        order.append(label)
    parts = []
    if len(trims) > 1:
        parts.append(f"[{label_in}]asplit={len(trims)}" + "".join(f"[{t}_in]" for t, _ in trims))
        parts += [f"[{label}_in]{chain}[{label}]" for label, chain in trims]
    else:
        parts += [f"[{label_in}]{chain}[{label}]" for label, chain in trims]
    parts += silences
    parts.append(
        "".join(f"[{label}]" for label in order) + f"concat=n={len(order)}:v=0:a=1[{label_out}]"
    )
    return ";".join(parts)
