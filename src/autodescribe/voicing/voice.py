"""Voice: speak each description into its slot, as a cue with its own WAV file.

Each cue is stored as soon as it is made, keyed by its text, slot and the
voice settings, so changing the voice re-speaks without describing again.
Narration is levelled to the programme's dialogue and kept below full scale.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from autodescribe.backends.describe import Describer
from autodescribe.backends.voice.base import Voice
from autodescribe.config import FitSettings, VoiceSettings
from autodescribe.media.audio import read_audio, write_wav
from autodescribe.qc.pace import syllables
from autodescribe.types import Cue, Description, Gap, from_jsonable
from autodescribe.util.cache import WorkDir, stable_hash
from autodescribe.util.progress import progress
from autodescribe.voicing.fit import decide, pace_bounds

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SpeakSettings:
    """What voicing needs besides the texts: voice, fit rules, dialogue level, frame length."""

    voice: VoiceSettings
    fit: FitSettings
    dialogue_db: float  # narration is levelled to this RMS
    frame: float = 0.04  # seconds per video frame; a frozen picture lasts whole frames


@dataclass(frozen=True)
class _Spoken:
    text: str
    audio: np.ndarray
    rate: float
    extension: float  # seconds the picture must freeze for
    final: bool = False  # audio made earlier, already levelled: used as it is


def speak_descriptions(
    items: Sequence[tuple[Description, Gap]],
    voice: Callable[[], Voice],
    describer: Callable[[], Describer] | None,
    work: WorkDir,
    key: str,
    settings: SpeakSettings,
    spoken: Mapping[str, str] | None = None,
) -> list[Cue]:
    """Cues for every description that fits (or is extended); the others are dropped.

    Without a describer (a human-edited script) nothing is shortened: what does
    not fit is extended where allowed, else spoken at the fastest rate.
    `spoken` maps texts to audio already made for them (neural voices are not
    deterministic, so an unchanged line keeps its exact sound).
    """
    cues: list[Cue] = []
    with progress("voice", len(items), unit="cues") as bar:
        for description, slot in items:
            name = f"scene-{description.scene:05d}-{stable_hash(description.text, slot)}"
            cue = work.item(
                "voice",
                key,
                name,
                Cue | None,
                partial(
                    _make_cue,
                    description,
                    slot,
                    name,
                    voice,
                    describer,
                    work,
                    key,
                    settings,
                    (spoken or {}).get(description.text),
                ),
            )
            if cue is not None:
                cues.append(cue)
            bar.update(1)
    return cues


def _make_cue(
    description: Description,
    slot: Gap,
    name: str,
    voice: Callable[[], Voice],
    describer: Callable[[], Describer] | None,
    work: WorkDir,
    key: str,
    settings: SpeakSettings,
    earlier: str | None = None,
) -> Cue | None:
    spoken = _fit_speech(description, slot, voice, describer, settings.fit, earlier)
    if spoken is None or not spoken.text:
        return None
    rate = voice().sample_rate
    audio = spoken.audio
    if not spoken.final:
        audio = level(audio, settings.dialogue_db, settings.voice.headroom_db)
    path = Path(work.folder("voice", key)) / f"{name}.wav"
    write_wav(path, audio, rate)
    seconds = len(audio) / rate
    start, extension = slot.start, 0.0
    if spoken.extension > 0:
        frame = settings.frame
        # the next frame boundary, never earlier: the cue before may end right at slot.start
        start = round(math.ceil(slot.start / frame - 1e-6) * frame, 6)
        # frozen for whatever the narration needs past the slot's end, counted from that start
        needed = max(spoken.extension, start + seconds - max(slot.end, start))
        extension = round(math.ceil(needed / frame - 1e-6) * frame, 6)
    # programme time: the freeze takes none, so the narration ends `extension` earlier than heard
    end = start + max(0.0, seconds - extension) if extension else min(slot.end, start + seconds)
    return Cue(
        start=start,
        end=round(end, 3),
        text=spoken.text,
        scene=description.scene,
        audio=str(path),
        rate=spoken.rate,
        extension=extension,
        notes=description.notes,
        candidates=description.candidates,
    )


def _fit_speech(
    description: Description,
    slot: Gap,
    voice: Callable[[], Voice],
    describer: Callable[[], Describer] | None,
    fit: FitSettings,
    earlier: str | None = None,
) -> _Spoken | None:
    """Bring to a followable pace, speed up, shorten once, then freeze or drop, as `fit` says."""
    text = description.text
    for attempt in range(2):
        reused = attempt == 0 and earlier is not None and Path(earlier).is_file()
        if reused:
            audio = read_audio(Path(str(earlier)), voice().sample_rate, channels=1)
        else:
            audio = _synthesize(voice(), text, window=slot.duration)
        seconds = len(audio) / voice().sample_rate
        bounds = pace_bounds(syllables(text), seconds, fit)
        if fit.extended == "on" or (fit.extended == "auto" and slot.duration <= 0):
            return _at_pace(voice(), text, audio, bounds.preferred, slot, reused)
        decision = decide(seconds, slot.duration, len(text.split()), bounds)
        if decision.fits:
            if decision.rate != 1.0:
                audio = _synthesize(voice(), text, decision.rate, slot.duration)
                reused = False
            return _Spoken(text, audio, decision.rate, 0.0, reused)
        if attempt == 0 and describer is not None and decision.words_wanted > 0:
            text = describer().shorten(text, decision.words_wanted, description.language)
            if not text:
                return None
            continue
        break
    if fit.extended == "off" and describer is not None:
        log.warning("scene %d: no room for %r, dropped", description.scene, text)
        return None
    audio = _synthesize(voice(), text, bounds.fastest)
    over = len(audio) / voice().sample_rate - slot.duration
    if fit.extended == "off":
        log.warning("the cue at %.2f s runs %.2f s past its gap", slot.start, over)
        return _Spoken(text, audio, bounds.fastest, 0.0)
    return _Spoken(text, audio, bounds.fastest, over)


def _at_pace(
    voice: Voice, text: str, audio: np.ndarray, rate: float, slot: Gap, reused: bool
) -> _Spoken:
    """`text` spoken at `rate` over a frozen picture for whatever the slot cannot hold."""
    if rate != 1.0:
        audio, reused = _synthesize(voice, text, rate), False
    seconds = len(audio) / voice.sample_rate
    return _Spoken(text, audio, rate, max(0.0, seconds - slot.duration), reused)


def _synthesize(
    voice: Voice, text: str, rate: float = 1.0, window: float | None = None
) -> np.ndarray:
    """Speech for `text`; past `window` seconds, without the silence the voice ends it with."""
    audio = voice.synthesize(text, rate=rate)
    if window is not None and len(audio) > window * voice.sample_rate:
        return trim_trailing_silence(audio, voice.sample_rate)
    return audio


def trim_trailing_silence(audio: np.ndarray, sample_rate: int, floor: float = 0.003) -> np.ndarray:
    """`audio` up to its last sample above `floor` (about -50 dBFS), plus 10 ms."""
    loud = np.flatnonzero(np.abs(audio) > floor)
    if loud.size == 0:
        return audio
    return audio[: loud[-1] + sample_rate // 100 + 1]


def spoken_before(work: WorkDir) -> dict[str, str]:
    """Text -> audio of every cue voiced at normal speed in this work folder."""
    found: dict[str, str] = {}
    for path in sorted(work.root.glob("voice-*/*.json")):
        try:
            cue: Cue | None = from_jsonable(Cue | None, json.loads(path.read_text()))
        except (OSError, ValueError):
            continue
        if cue is not None and cue.audio and cue.rate == 1.0 and Path(cue.audio).is_file():
            found.setdefault(cue.text, cue.audio)
    return found


def level(audio: np.ndarray, target_rms_db: float, headroom_db: float) -> np.ndarray:
    """Scale speech to the dialogue's RMS level, never peaking above -headroom dBFS."""
    speech = audio[np.abs(audio) > 0.01]
    if speech.size == 0:
        return audio.astype(np.float32)
    rms = float(np.sqrt(np.mean(np.square(speech, dtype=np.float64))))
    gain = 10 ** (target_rms_db / 20) / rms
    peak_limit = 10 ** (-headroom_db / 20) / float(np.max(np.abs(audio)))
    return (audio * min(gain, peak_limit)).astype(np.float32)
