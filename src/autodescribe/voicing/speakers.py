"""Does a recording hold one voice or two? A measure for checking a voice sample.

A cloned voice copies whatever it is given, so a sample with a second person
in it gives a blend of both. No speaker model ships with the project, so this
is a measurable heuristic on timbre: MFCCs (the spectral envelope, which
differs between voices more than pitch does) of the speech frames, whitened
with the whole sample's own frame covariance, averaged over half-second
chunks. For every way of cutting the sample into a stretch and the rest (each
at least 2 s of speech), the distance between their mean vectors is taken; the
largest is the score. One voice keeps its timbre and scores low whatever it
says; a second voice for a stretch moves that stretch's mean away.

Measured when the threshold was chosen, on speech from our own voices
(`testing.voice_samples`): piper's joe voice (also sped up 1.3x), espeak-ng's
English voices and its female variant `en+f3`, two to four sentences each,
scored 0.79 to 1.16 alone (also with a quieter middle sentence, or white noise
added); any two of them put together (A B, A B A, A A B: 48 samples) scored
1.48 to 1.79, joe against espeak-ng at the same median pitch (105 Hz)
included. `MAX_ONE_VOICE` sits between the two. `tests/unit/test_sample_check.py`
repeats the joe and espeak-ng cases. Recordings of people (room noise, a
livelier voice) were not at hand: if it refuses real one-voice samples, raise
the threshold with the figures that show it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

RATE = 16000
_WINDOW = 400  # 25 ms
_HOP = 160  # 10 ms
_FFT = 512
_MELS = 40
_COEFFICIENTS = 12  # c1..c12; c0 (level) is left out, so loudness changes do not count
_CHUNK = 50  # frames: half a second of speech
_MIN_STRETCH = 4  # chunks: 2 s of speech on each side of a cut
_FLOOR_DB = 35.0  # frames quieter than the loudest by more than this are pauses

# One voice scored at most 1.16, two at least 1.48 (see above).
MAX_ONE_VOICE = 1.3


def _mel_bank() -> np.ndarray:
    def mel(hz: np.ndarray) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + hz / 700.0)

    edges = np.linspace(mel(np.array(60.0)), mel(np.array(7600.0)), _MELS + 2)
    points = 700.0 * (10 ** (edges / 2595.0) - 1.0)
    bins = np.fft.rfftfreq(_FFT, 1.0 / RATE)
    bank = np.zeros((_MELS, bins.size))
    for i in range(_MELS):
        low, mid, high = points[i : i + 3]
        rising, falling = (bins - low) / (mid - low), (high - bins) / (high - mid)
        bank[i] = np.clip(np.minimum(rising, falling), 0.0, None)
    return bank


_BANK = _mel_bank()
_DCT = np.cos(
    np.pi / _MELS * (np.arange(_MELS)[None, :] + 0.5) * np.arange(1, _COEFFICIENTS + 1)[:, None]
)


def speech_frames(audio: np.ndarray) -> np.ndarray:
    """MFCC rows (c1..c12) of the frames of 16 kHz mono `audio` that are not pauses."""
    if audio.size < _WINDOW:
        return np.zeros((0, _COEFFICIENTS))
    count = 1 + (audio.size - _WINDOW) // _HOP
    frames = np.lib.stride_tricks.sliding_window_view(audio.astype(np.float64), _WINDOW)
    frames = frames[::_HOP][:count] * np.hamming(_WINDOW)
    power = np.abs(np.fft.rfft(frames, _FFT)) ** 2
    level = 10.0 * np.log10(power.sum(axis=1) + 1e-10)
    cepstra = np.log(power @ _BANK.T + 1e-10) @ _DCT.T
    return np.asarray(cepstra[level > level.max() - _FLOOR_DB])


def voice_change(audio: np.ndarray, spans: Sequence[tuple[float, float]]) -> float | None:
    """The score above for the `spans` (seconds) of speech in 16 kHz mono `audio`.

    None when there is too little speech to tell (under 4 s).
    """
    pieces = [audio[int(start * RATE) : int(end * RATE)] for start, end in spans]
    rows = [speech_frames(piece) for piece in pieces]
    frames = np.concatenate(rows) if rows else np.zeros((0, _COEFFICIENTS))
    chunks = len(frames) // _CHUNK
    if chunks < 2 * _MIN_STRETCH:
        return None
    centred = frames - frames.mean(axis=0)
    values, vectors = np.linalg.eigh(np.cov(centred.T))
    white = centred @ vectors / np.sqrt(np.maximum(values, 1e-9))
    means = white[: chunks * _CHUNK].reshape(chunks, _CHUNK, -1).mean(axis=1)
    return _largest_split(means)


def _largest_split(means: np.ndarray) -> float:
    """The largest distance between a stretch of chunks and the rest, both long enough."""
    count = len(means)
    totals = np.vstack([np.zeros(means.shape[1]), np.cumsum(means, axis=0)])
    whole = totals[-1]
    best = 0.0
    for start in range(count):
        for end in range(start + _MIN_STRETCH, count + 1):
            inside = end - start
            if count - inside < _MIN_STRETCH:
                continue
            stretch = totals[end] - totals[start]
            rest = (whole - stretch) / (count - inside)
            best = max(best, float(np.linalg.norm(stretch / inside - rest)))
    return best
