"""Voices: speak the descriptions, with the best voice available for each language."""

from __future__ import annotations

import logging

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


def voice_for_language(language: str, preferred: str = "piper", name: str | None = None) -> Voice:
    """The `preferred` voice (model `name`, if given) when it speaks `language`, else espeak-ng.

    A missing voice file is an error rather than a reason to fall back, so a
    typo in `name` never silently changes the voice.
    """
    backend = voices.load(preferred)
    supports = getattr(backend, "supports", None)
    if supports is None or supports(language, name):
        # Not voices.create(): its own first parameter is called `name`.
        return backend(language=language, name=name)
    log.warning(
        "voice '%s'%s does not speak '%s'; using %s",
        preferred,
        f" ({name})" if name else "",
        language,
        FALLBACK_VOICE,
    )
    return voices.load(FALLBACK_VOICE)(language=language)


__all__ = ["Voice", "normalise_language", "primary_language", "voice_for_language", "voices"]
