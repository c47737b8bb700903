"""Offline translation with Argos Translate (OpenNMT models run by CTranslate2).

Its language packages are downloaded once with `argospm`; without the package
for a language pair, translating fails with the command that installs it.
"""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version
from typing import Any, ClassVar

from autodescribe.errors import BackendUnavailable, ModelNotAvailable, install_hint
from autodescribe.util.languages import check_language

logger = logging.getLogger(__name__)


class ArgosTranslator:
    """Translates with the installed Argos package for each (source, target) pair."""

    name: ClassVar[str] = "argos"

    def __init__(self) -> None:
        try:
            self.version = f"argostranslate-{version('argostranslate')}"
        except PackageNotFoundError as exc:
            raise BackendUnavailable(
                "translator 'argos' needs the argostranslate library", install_hint("argos")
            ) from exc
        self.model_id = "argos"
        self._pairs: dict[tuple[str, str], Any] = {}

    def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        source, target = check_language(source), check_language(target)
        if source == target:
            return list(texts)
        translation = self._translation(source, target)
        return [translation.translate(text) if text.strip() else text for text in texts]

    def _translation(self, source: str, target: str) -> Any:
        """The installed model for the pair, looked up once per pair."""
        if (source, target) in self._pairs:
            return self._pairs[(source, target)]
        try:
            from argostranslate import translate as argos
        except ImportError as exc:
            raise BackendUnavailable(
                f"translator 'argos' cannot import argostranslate ({exc})", install_hint("argos")
            ) from exc
        languages = {lang.code: lang for lang in argos.get_installed_languages()}
        found = None
        if source in languages and target in languages:
            found = languages[source].get_translation(languages[target])
        if found is None:
            raise ModelNotAvailable(
                f"no Argos Translate model for {source} -> {target} is installed",
                f"install it once with network access: argospm install translate-{source}-{target}",
            )
        logger.info("argos: translating %s -> %s", source, target)
        self._pairs[(source, target)] = found
        return found

    def close(self) -> None:
        self._pairs.clear()
