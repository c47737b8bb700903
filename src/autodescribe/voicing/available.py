"""Which voices speak a language here, and which can be fetched: what `autodescribe voices` shows.

Installed: the bundled English piper voice, piper voices already in the Hub
cache, espeak-ng (the formant fallback for about 130 languages), and the
voices that clone a `--voice-sample` (their gated model is fetched on first use).
Fetchable: the voices of the public piper repository, from its index (cached
after the first look, so an offline machine still lists what it once saw).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from autodescribe.backends.voice import piper_hub
from autodescribe.backends.voice.base import primary_language
from autodescribe.backends.voice.piper import bundled_voice_path, config_language, voice_config
from autodescribe.errors import AutodescribeError
from autodescribe.util.hub import HubOffline

log = logging.getLogger(__name__)


_CLONES = "clones a recording (its model is fetched on first use)"


@dataclass(frozen=True)
class VoiceEntry:
    """One line of the listing."""

    language: str  # primary code: pl
    backend: str  # piper, espeak-ng
    name: str  # pl_PL-gosia-medium
    where: str  # a path, "bundled", "fallback", or a size to download


@dataclass
class VoiceListing:
    installed: list[VoiceEntry] = field(default_factory=list)
    fetchable: list[VoiceEntry] = field(default_factory=list)
    problem: str | None = None  # why the fetchable list is missing: the hub failed
    note: str | None = None  # why it is missing when nothing failed (offline on purpose)


def _piper_entry(path: Path, where: str) -> VoiceEntry | None:
    try:
        _, config = voice_config(str(path))
    except AutodescribeError as exc:
        log.debug("skipping %s: %s", path, exc)
        return None
    return VoiceEntry(config_language(config), "piper", path.stem, where)


def installed_voices(language: str | None = None) -> list[VoiceEntry]:
    """Piper voices on this machine (bundled, then downloaded), and espeak-ng for `language`."""
    from autodescribe.backends.voice import voices

    found: list[VoiceEntry] = []
    try:
        bundled = _piper_entry(bundled_voice_path(), "bundled")
        found += [bundled] if bundled else []
    except AutodescribeError as exc:
        log.debug("no bundled voice: %s", exc)
    found += [e for p in piper_hub.cached_voices() if (e := _piper_entry(p, str(p))) is not None]
    if language is not None:
        found = [e for e in found if e.language == primary_language(language)]
        espeak = voices.load("espeak-ng")
        if espeak.supports(language):  # type: ignore[attr-defined]
            found.append(VoiceEntry(primary_language(language), "espeak-ng", language, "fallback"))
    return found + cloning_voices(language)


def cloning_voices(language: str | None = None) -> list[VoiceEntry]:
    """The voices installed here that speak in the voice of a `--voice-sample`, per language."""
    from autodescribe.backends.voice import voices

    found = []
    for name in voices.names():
        try:
            backend = voices.load(name)
        except AutodescribeError:
            continue
        if not getattr(backend, "clones", False):
            continue
        for code in getattr(backend, "languages", ()):
            if language is None or code == primary_language(language):
                found.append(VoiceEntry(code, name, "--voice-sample FILE", _CLONES))
    return found


def fetchable_voices(language: str | None = None) -> VoiceListing:
    """Voices of the piper repository not yet here, and why none are listed when that is so."""
    try:
        index = piper_hub.load_index()
    except HubOffline:
        return VoiceListing(
            note=f"the voices of {piper_hub.VOICES_REPO} are not listed: HF_HUB_OFFLINE is set "
            "and their list was never downloaded"
        )
    except AutodescribeError as exc:
        return VoiceListing(problem=str(exc))
    here = {p.stem for p in piper_hub.cached_voices()}
    wanted = primary_language(language) if language else None
    fetchable = [
        VoiceEntry(v.family, "piper", v.key, f"{v.size_bytes / 1e6:.0f} MB, {v.language_name}")
        for v in index
        if v.key not in here and (wanted is None or v.family == wanted)
    ]
    return VoiceListing(fetchable=fetchable)


def list_voices(language: str | None = None) -> VoiceListing:
    listing = fetchable_voices(language)
    listing.installed = installed_voices(language)
    return listing
