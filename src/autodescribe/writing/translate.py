"""The translate stage: descriptions in the languages the viewer asked for.

Descriptions are written once (in the describer's language) and translated for
each further language; skipped scenes stay skipped. Each translated description
records both models and both prompt versions, so a cache keyed on them is exact.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from itertools import groupby

from autodescribe.backends.translate.base import Translator
from autodescribe.errors import DescriberError
from autodescribe.types import Description
from autodescribe.util.languages import check_language

logger = logging.getLogger(__name__)


def translate_descriptions(
    descriptions: list[Description], target: str, translator: Translator
) -> list[Description]:
    """`descriptions` in language `target`, in the same order; one translator call per source."""
    target = check_language(target)
    result = list(descriptions)
    todo = [i for i, d in enumerate(descriptions) if d.language != target]
    by_source = sorted(todo, key=lambda i: descriptions[i].language)
    for source, group in groupby(by_source, key=lambda i: descriptions[i].language):
        indexes = [i for i in group if not descriptions[i].skip and descriptions[i].text.strip()]
        texts = translator.translate([descriptions[i].text for i in indexes], source, target)
        if len(texts) != len(indexes):
            raise DescriberError(
                f"translator '{translator.name}' returned {len(texts)} texts for {len(indexes)}",
                "check the translator backend, or choose another with --translator",
            )
        translated = dict(zip(indexes, texts, strict=True))
        for i in todo:
            if descriptions[i].language == source:
                result[i] = _translated(descriptions[i], target, translated.get(i), translator)
    logger.info("translated %d of %d descriptions into %s", len(todo), len(result), target)
    return result


def _translated(
    description: Description, target: str, text: str | None, translator: Translator
) -> Description:
    if text is None:  # a skipped or empty description: nothing to say in any language
        return replace(description, language=target)
    return replace(
        description,
        text=text,
        language=target,
        model=f"{description.model}+{translator.model_id}",
        prompt_version=f"{description.prompt_version}+{translator.version}",
    )
