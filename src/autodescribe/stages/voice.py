"""Voice: speak each description into its slot, as a cue with its own WAV file.

Each cue is stored as soon as it is made, keyed by its text, slot and the
voice settings, so changing the voice re-speaks without describing again.
Narration is levelled to the programme's dialogue and kept below full scale.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from autodescribe.backends.describe import Describer
from autodescribe.backends.voice.base import Voice
from autodescribe.cache import WorkDir, stable_hash
from autodescribe.config import FitSettings, VoiceSettings
from autodescribe.media.audio import write_wav
from autodescribe.progress import progress
from autodescribe.stages.fit import decide
from autodescribe.types import Cue, Description, Gap

log = logging.getLogger(__name__)


def speak_descriptions(
    items: Sequence[tuple[Description, Gap]],
    voice: Callable[[], Voice],
    describer: Callable[[], Describer],
    work: WorkDir,
    key: str,
    settings: tuple[VoiceSettings, FitSettings, float],
) -> list[Cue]:
    """Cues for every description that fits; the others are dropped with a log line."""
    cues: list[Cue] = []
    with progress("voice", len(items), unit="cues") as bar:
        for description, slot in items:
            name = f"scene-{description.scene:05d}-{stable_hash(description.text, slot)}"
            cue = work.item(
                "voice",
                key,
                name,
                Cue | None,
                lambda d=description, s=slot, n=name: _make_cue(
                    d, s, n, voice, describer, work, key, settings
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
    describer: Callable[[], Describer],
    work: WorkDir,
    key: str,
    settings: tuple[VoiceSettings, FitSettings, float],
) -> Cue | None:
    voice_settings, fit, dialogue_db = settings
    text = description.text
    for attempt in range(2):
        audio = voice().synthesize(text)
        seconds = len(audio) / voice().sample_rate
        decision = decide(seconds, slot.duration, len(text.split()), fit.max_speedup)
        if decision.fits:
            break
        if attempt == 0 and decision.words_wanted > 0:
            text = describer().shorten(text, decision.words_wanted, description.language)
            continue
        log.warning("scene %d: no room for %r, dropped", description.scene, text)
        return None
    if not text:
        return None
    if decision.rate != 1.0:
        audio = voice().synthesize(text, rate=decision.rate)
    audio = level(audio, dialogue_db, voice_settings.headroom_db)
    path = Path(work.folder("voice", key)) / f"{name}.wav"
    write_wav(path, audio, voice().sample_rate)
    end = min(slot.end, slot.start + len(audio) / voice().sample_rate)
    return Cue(
        start=slot.start,
        end=round(end, 3),
        text=text,
        scene=description.scene,
        audio=str(path),
        rate=decision.rate,
    )


def level(audio: np.ndarray, target_rms_db: float, headroom_db: float) -> np.ndarray:
    """Scale speech to the dialogue's RMS level, never peaking above -headroom dBFS."""
    speech = audio[np.abs(audio) > 0.01]
    if speech.size == 0:
        return audio.astype(np.float32)
    rms = float(np.sqrt(np.mean(np.square(speech, dtype=np.float64))))
    gain = 10 ** (target_rms_db / 20) / rms
    peak_limit = 10 ** (-headroom_db / 20) / float(np.max(np.abs(audio)))
    return (audio * min(gain, peak_limit)).astype(np.float32)
