"""Piper voices from the public voices repository on the Hugging Face Hub.

`rhasspy/piper-voices` holds a neural voice for about forty languages and a
`voices.json` index of them. The first narration in such a language downloads
the index and one voice (about 60 MB, with a progress bar) into the usual Hub
cache; later runs find both there, offline too.

The index maps a voice key (`pl_PL-gosia-medium`) to its language
(`{"code": "pl_PL", "family": "pl", "name_english": "Polish", ...}`), its
quality (`x_low`, `low`, `medium`, `high`) and its `files` (path in the
repository -> `size_bytes`, `md5_digest`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autodescribe.backends.voice.base import normalise_language, primary_language
from autodescribe.errors import ModelNotAvailable
from autodescribe.util.hub import HubOffline, hub_cache, hub_file, hub_offline, is_cached

log = logging.getLogger(__name__)

VOICES_REPO = "rhasspy/piper-voices"
INDEX_FILE = "voices.json"
# Medium first: it is what piper's own documentation uses, about 60 MB, and real time on a Pi.
QUALITY_ORDER = ("medium", "high", "low", "x_low")


@dataclass(frozen=True)
class HubVoice:
    """One voice of the index: what it speaks and where its model is in the repository."""

    key: str  # pl_PL-gosia-medium
    language: str  # pl-pl
    language_name: str  # Polish
    quality: str
    model_file: str  # pl/pl_PL/gosia/medium/pl_PL-gosia-medium.onnx
    size_bytes: int

    @property
    def family(self) -> str:
        return primary_language(self.language)


def parse_index(data: dict[str, Any]) -> list[HubVoice]:
    """The voices of a `voices.json`, skipping entries without an `.onnx` file."""
    found = []
    for key, entry in data.items():
        files: dict[str, Any] = entry.get("files") or {}
        models = [name for name in files if name.endswith(".onnx")]
        if not models:
            continue
        language = entry.get("language") or {}
        found.append(
            HubVoice(
                key=str(entry.get("key") or key),
                language=normalise_language(str(language.get("code") or key.split("-")[0])),
                language_name=str(language.get("name_english") or ""),
                quality=str(entry.get("quality") or ""),
                model_file=models[0],
                size_bytes=int(files[models[0]].get("size_bytes") or 0),
            )
        )
    return sorted(found, key=lambda v: v.key)


def load_index(what: str = "the list of piper voices") -> list[HubVoice]:
    """Every voice the repository offers (from the cache when offline); `HubOffline` if unknown."""
    path = hub_file(VOICES_REPO, INDEX_FILE, what)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelNotAvailable(
            f"the list of piper voices ({path}) cannot be read ({exc})",
            "delete it from the Hugging Face cache and rerun",
        ) from exc
    return parse_index(data)


# A default speaker for languages with several voices, rather than the first by name (which
# gave Polish `darkman`); each is used only while the index still lists it.
PREFERRED = frozenset(
    {
        "pl_PL-gosia-medium",
        "de_DE-thorsten-medium",
        "fr_FR-siwis-medium",
        "es_ES-davefx-medium",
        "it_IT-paola-medium",
        "pt_BR-faber-medium",
        "ru_RU-irina-medium",
        "nl_BE-nathalie-medium",
    }
)


def _rank(voice: HubVoice, language: str) -> tuple[int, int, int, str]:
    quality = QUALITY_ORDER.index(voice.quality) if voice.quality in QUALITY_ORDER else 9
    region = 0 if voice.language == language else 1
    return (region, 0 if voice.key in PREFERRED else 1, quality, voice.key)


def best_voice(index: list[HubVoice], language: str) -> HubVoice | None:
    """The voice for `language`: its region's if there is one, a `PREFERRED` one, then
    medium quality first."""
    wanted = normalise_language(language)
    speaking = [v for v in index if v.family == primary_language(wanted)]
    return min(speaking, key=lambda v: _rank(v, wanted)) if speaking else None


def fetch(voice: HubVoice) -> Path:
    """The voice's `.onnx` path in the cache, downloading it and its config the first time."""
    what = f"piper voice {voice.key}"
    hub_file(VOICES_REPO, voice.model_file + ".json", what)
    if not is_cached(VOICES_REPO, voice.model_file) and not hub_offline():
        size = f" ({voice.size_bytes / 1e6:.0f} MB)" if voice.size_bytes else ""
        log.warning("downloading piper voice %s%s from %s", voice.key, size, VOICES_REPO)
    return Path(hub_file(VOICES_REPO, voice.model_file, what))


def voice_by_key(key: str) -> Path:
    """The `.onnx` path of the voice called `key` (`pl_PL-gosia-medium`), fetched if need be."""
    try:
        index = load_index()
    except HubOffline as exc:
        raise ModelNotAvailable(
            f"piper voice '{key}' is not downloaded and HF_HUB_OFFLINE is set",
            "run once without HF_HUB_OFFLINE to fetch it",
        ) from exc
    chosen = next((v for v in index if v.key == key), None)
    if chosen is None:
        raise ModelNotAvailable(
            f"there is no piper voice called '{key}' in {VOICES_REPO}",
            "`autodescribe voices` lists them",
        )
    try:
        return fetch(chosen)
    except HubOffline as exc:
        raise ModelNotAvailable(
            f"piper voice '{key}' is not downloaded and HF_HUB_OFFLINE is set",
            "run once without HF_HUB_OFFLINE to fetch it",
        ) from exc


def voice_for(language: str) -> Path | None:
    """A piper voice for `language` from the Hub (cached after the first use), or None.

    None means there is none to have: the repository has no voice for the
    language, or the hub is offline and none is cached (said in one line).
    An unreachable hub raises `ModelNotAvailable` before any long work.
    """
    try:
        chosen = best_voice(load_index(f"a piper voice for '{language}'"), language)
        if chosen is None:
            log.warning(
                "no neural voice speaks '%s' (%s has none): speaking it with espeak-ng",
                language,
                VOICES_REPO,
            )
            return None
        path = fetch(chosen)
    except HubOffline:
        log.warning(
            "no piper voice for '%s' is downloaded and HF_HUB_OFFLINE is set: "
            "speaking it with espeak-ng (run once online to fetch one)",
            language,
        )
        return None
    log.info("speaking '%s' with piper voice %s", language, chosen.key)
    return path


def cached_voices() -> list[Path]:
    """The `.onnx` voices of the repository already in the Hub cache (newest snapshot each)."""
    folder = hub_cache() / ("models--" + VOICES_REPO.replace("/", "--"))
    found: dict[str, Path] = {}
    for path in sorted((folder / "snapshots").glob("*/**/*.onnx")):
        if path.with_name(path.name + ".json").is_file():
            found[path.name] = path
    return [found[name] for name in sorted(found)]
