"""Translators: put descriptions into another language before they are voiced."""

from autodescribe.backends.translate.base import Translator
from autodescribe.registry import Registry

# Outside packages add translators through the entry-point group `autodescribe.translators`.
translators: Registry[Translator] = Registry(
    "translator",
    {
        "argos": "autodescribe.backends.translate.argos:ArgosTranslator",
        "llm": "autodescribe.backends.translate.llm:LLMTranslator",
    },
)

__all__ = ["Translator", "translators"]
