"""Voices: speak the descriptions, with the best voice available for each language."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from autodescribe.backends.voice.base import Voice, normalise_language, primary_language
from autodescribe.registry import Registry

log = logging.getLogger(__name__)

voices: Registry[Voice] = Registry(
    "voice",
    {
        "piper": "autodescribe.backends.voice.piper:PiperVoice",
        "espeak-ng": "autodescribe.backends.voice.espeak:EspeakVoice",
    },
)

# Speaks about 130 languages, so it is the voice of last resort.
FALLBACK_VOICE = "espeak-ng"


@dataclass(frozen=True)
class VoiceChoice:
    """Which voice backend speaks a language, and its model (a path, or None = its default)."""

    backend: str
    name: str | None = None

    @property
    def identity(self) -> tuple[str, str | None]:
        """What a cache key needs: the backend and the model's file name, not where it lies."""
        return self.backend, Path(self.name).name if self.name else None

    def create(self, language: str) -> Voice:
        # Not voices.create(): its own first parameter is called `name`.
        return voices.load(self.backend)(language=language, name=self.name)


def choose_voice(language: str, preferred: str = "piper", name: str | None = None) -> VoiceChoice:
    """The `preferred` voice (model `name`, if given) when it speaks `language`, else espeak-ng.

    Piper first looks at its bundled voice, then at the public piper voices on
    the Hub (downloaded once, then cached); espeak-ng speaks the rest, said in one
    line. A missing voice file is an error rather than a reason to fall back, so
    a typo in `name` never silently changes the voice.
    """
    backend = voices.load(preferred)
    resolve = getattr(backend, "resolve_name", None)  # optional hook: a model by name
    if name is not None and resolve is not None:
        name = resolve(name)
    supports = getattr(backend, "supports", None)
    if supports is None or supports(language, name):
        return VoiceChoice(preferred, name)
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


def voice_for_language(language: str, preferred: str = "piper", name: str | None = None) -> Voice:
    """The voice `choose_voice` picks, loaded."""
    return choose_voice(language, preferred, name).create(language)


__all__ = [
    "Voice",
    "VoiceChoice",
    "choose_voice",
    "normalise_language",
    "primary_language",
    "voice_for_language",
    "voices",
]
