"""Voices: speak the descriptions, with the best voice available for each language."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from autodescribe.backends.voice.base import Voice, normalise_language, primary_language
from autodescribe.errors import AutodescribeError, ConfigError
from autodescribe.registry import Registry
from autodescribe.util.cache import file_fingerprint

log = logging.getLogger(__name__)

voices: Registry[Voice] = Registry(
    "voice",
    {
        "piper": "autodescribe.backends.voice.piper:PiperVoice",
        "espeak-ng": "autodescribe.backends.voice.espeak:EspeakVoice",
        "pocket": "autodescribe.backends.voice.pocket:PocketVoice",
    },
)

# Speaks about 130 languages, so it is the voice of last resort.
FALLBACK_VOICE = "espeak-ng"
# What --voice-sample speaks with unless --voice names another voice that clones.
CLONING_VOICE = "pocket"


@dataclass(frozen=True)
class VoiceChoice:
    """Which voice backend speaks a language, its model (a path, or None = its default), and
    the recording whose voice it clones (for a backend that `clones`)."""

    backend: str
    name: str | None = None
    sample: str | None = None

    @property
    def identity(self) -> tuple[str | None, ...]:
        """What a cache key needs: the backend, the model's file name (not where it lies), and
        the sample's content."""
        model = Path(self.name).name if self.name else None
        if self.sample is None:
            return self.backend, model
        return self.backend, model, file_fingerprint(Path(self.sample))

    def create(self, language: str, state_dir: Path | None = None) -> Voice:
        """The voice, loaded; a cloning voice keeps what it learnt of the sample in `state_dir`."""
        backend = voices.load(self.backend)  # not voices.create(): its first parameter is `name`
        if self.sample is None:
            return backend(language=language, name=self.name)
        state = str(state_dir) if state_dir is not None else None
        return backend(language=language, name=self.name, sample=self.sample, state_dir=state)


def choose_voice(
    language: str, preferred: str = "piper", name: str | None = None, sample: str | None = None
) -> VoiceChoice:
    """The `preferred` voice (model `name`, if given) when it speaks `language`, else espeak-ng.

    Piper first looks at its bundled voice, then at the public piper voices on
    the Hub (downloaded once, then cached); espeak-ng speaks the rest, said in one
    line. A missing voice file is an error rather than a reason to fall back, so
    a typo in `name` never silently changes the voice. A voice that clones
    `sample` hands a language it does not speak to its `fallback` voice, said in
    one line.
    """
    backend = voices.load(preferred)
    _check_sample_fits(preferred, bool(getattr(backend, "clones", False)), sample)
    resolve = getattr(backend, "resolve_name", None)  # optional hook: a model by name
    if name is not None and resolve is not None:
        name = resolve(name)
    supports = getattr(backend, "supports", None)
    if supports is None or supports(language, name):
        prepare = getattr(backend, "prepare", None)  # optional hook: fetch the model now
        if prepare is not None:
            prepare(language, name)
        return VoiceChoice(preferred, name, sample)
    fallback = getattr(backend, "fallback", None)  # optional hook: who speaks the rest
    if fallback is not None:
        log.warning(
            "voice '%s' (cloning %s) does not speak '%s': speaking it with that language's "
            "usual voice",
            preferred,
            Path(sample or "").name,
            language,
        )
        return choose_voice(language, fallback)
    fetch = getattr(backend, "fetch_for", None)  # optional hook: a model for the language
    if name is None and fetch is not None:
        found = fetch(language)
        return VoiceChoice(preferred, found) if found else VoiceChoice(FALLBACK_VOICE)
    log.warning(
        "voice '%s'%s does not speak '%s'; using %s",
        preferred,
        f" ({name})" if name else "",
        language,
        FALLBACK_VOICE,
    )
    return VoiceChoice(FALLBACK_VOICE)


def _check_sample_fits(backend: str, clones: bool, sample: str | None) -> None:
    if sample is not None and not clones:
        raise ConfigError(
            f"voice '{backend}' cannot speak in the voice of a sample",
            f"use --voice {CLONING_VOICE} (the default with --voice-sample)",
        )
    if sample is None and clones:
        raise ConfigError(
            f"voice '{backend}' speaks in the voice of a sample", "give one with --voice-sample"
        )


def voices_without_sample() -> list[str]:
    """The voices that speak with no sample to clone: what a form without an upload offers.

    A voice whose library is not installed here is left out too (it could not speak).
    """
    found = []
    for name in voices.names():
        try:
            clones = bool(getattr(voices.load(name), "clones", False))
        except AutodescribeError as exc:
            log.debug("voice %s is not offered: %s", name, exc)
            continue
        if not clones:
            found.append(name)
    return found


def voice_for_language(language: str, preferred: str = "piper", name: str | None = None) -> Voice:
    """The voice `choose_voice` picks, loaded."""
    return choose_voice(language, preferred, name).create(language)


__all__ = [
    "CLONING_VOICE",
    "Voice",
    "VoiceChoice",
    "choose_voice",
    "normalise_language",
    "primary_language",
    "voice_for_language",
    "voices",
    "voices_without_sample",
]
