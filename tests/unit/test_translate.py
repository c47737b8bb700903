"""The translate stage, the translation prompt and the translator registry."""

from __future__ import annotations

from typing import ClassVar

import pytest

from autodescribe.backends.translate import Translator, translators
from autodescribe.backends.translate.llm import LLMTranslator, translation_conversation
from autodescribe.errors import ConfigError, DescriberError, UnknownBackend
from autodescribe.types import Description
from autodescribe.writing.prompts import load_template
from autodescribe.writing.translate import translate_descriptions


class UpperTranslator:
    """A translator that writes the text in capitals and keeps a log of its calls."""

    name: ClassVar[str] = "upper"
    model_id = "upper-1"
    version = "upper-v1"

    def __init__(self, drop_one: bool = False) -> None:
        self.calls: list[tuple[list[str], str, str]] = []
        self.drop_one = drop_one

    def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        self.calls.append((list(texts), source, target))
        out = [f"{target}:{t.upper()}" for t in texts]
        return out[:-1] if self.drop_one else out

    def close(self) -> None:
        pass


@pytest.fixture
def descriptions() -> list[Description]:
    return [
        Description(0, "A man opens a door.", "en", "vlm", "describe-2"),
        Description(1, "", "en", "vlm", "describe-2", skip=True),
        Description(2, "Una mujer corre.", "es", "vlm", "describe-2"),
        Description(3, "Ein Hund bellt.", "de", "vlm", "describe-2"),
        Description(4, "A car stops.", "en", "vlm", "describe-2"),
        Description(5, "Pada deszcz.", "pl", "vlm", "describe-2"),
    ]


def test_descriptions_come_back_translated_in_order(descriptions: list[Description]) -> None:
    translator = UpperTranslator()
    assert isinstance(translator, Translator)

    result = translate_descriptions(descriptions, "pl", translator)

    assert [d.scene for d in result] == [0, 1, 2, 3, 4, 5]
    assert all(d.language == "pl" for d in result)
    assert result[0].text == "pl:A MAN OPENS A DOOR."
    assert result[4].text == "pl:A CAR STOPS."
    assert result[2].text == "pl:UNA MUJER CORRE."
    assert result[0].model == "vlm+upper-1"
    assert result[0].prompt_version == "describe-2+upper-v1"


def test_skips_and_the_target_language_are_left_alone(descriptions: list[Description]) -> None:
    translator = UpperTranslator()

    result = translate_descriptions(descriptions, "pl", translator)

    assert result[1].skip and result[1].text == "" and result[1].model == "vlm"
    assert result[5] == descriptions[5]  # already Polish: untouched
    sent = [text for texts, _, _ in translator.calls for text in texts]
    assert "" not in sent and "Pada deszcz." not in sent


def test_one_call_per_source_language(descriptions: list[Description]) -> None:
    translator = UpperTranslator()

    translate_descriptions(descriptions, "PL", translator)

    assert sorted((source, len(texts)) for texts, source, _ in translator.calls) == [
        ("de", 1),
        ("en", 2),
        ("es", 1),
    ]
    assert {target for _, _, target in translator.calls} == {"pl"}


def test_a_translator_that_loses_texts_is_an_error(descriptions: list[Description]) -> None:
    with pytest.raises(DescriberError, match="returned 1 texts for 2"):
        translate_descriptions(descriptions[:1] + descriptions[4:5], "fr", UpperTranslator(True))


def test_unknown_target_language_is_refused(descriptions: list[Description]) -> None:
    with pytest.raises(ConfigError, match="unknown language code 'klingon'"):
        translate_descriptions(descriptions, "klingon", UpperTranslator())


def test_translation_prompt_names_both_languages_and_carries_the_text() -> None:
    chat = translation_conversation("A man opens a door.", "en", "pl")

    assert [m["role"] for m in chat] == ["user"]
    prompt = chat[0]["content"][0]["text"]
    assert "from English (en) into Polish (pl)" in prompt
    assert prompt.endswith("Text: A man opens a door.")
    assert load_template("translate").version == "translate-1"


def test_registry_lists_translators_and_refuses_unknown_names() -> None:
    assert {"argos", "llm"} <= set(translators.names())
    with pytest.raises(UnknownBackend, match="choose one of: .*argos.*llm"):
        translators.create("babelfish")


def test_llm_translator_needs_a_chat_describer() -> None:
    with pytest.raises(ConfigError, match="no chat model"):
        LLMTranslator("basic")
    with pytest.raises(ConfigError, match="options"):
        LLMTranslator(UpperTranslator(), model="x")  # type: ignore[arg-type]
