"""Translators for real: the `llm` one through a chat server and a tiny local VLM, and `argos`.

The chat server (tests/servers/chat_server.py) answers translate prompts with a
reversible stand-in: into Polish the words come back reversed behind "[pl] ",
into English they are put back. Tiny random-weight models write gibberish, so
with them the tests check count, order and reuse of the loaded model, not wording.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

from autodescribe.backends.describe.openai import OpenAIDescriber
from autodescribe.backends.translate import translators
from autodescribe.backends.translate.llm import LLMTranslator
from autodescribe.errors import BackendUnavailable, ModelNotAvailable
from autodescribe.types import Description
from autodescribe.writing.translate import translate_descriptions

TEXTS = [
    "A woman in a red coat crosses the empty station hall.",
    "",
    "EXIT 12 glows above a steel door.",
]


@pytest.fixture
def server_translator(start_server) -> Iterator[tuple[LLMTranslator, object]]:
    server = start_server()
    describer = OpenAIDescriber(base_url=server.url, model="test-vlm", concurrency=2)
    yield LLMTranslator(describer), server
    describer.close()


def test_round_trip_through_the_server_gives_back_the_original(server_translator) -> None:
    translator, server = server_translator

    polish = translator.translate(TEXTS, "en", "pl")
    back = translator.translate(polish, "pl", "en")

    assert polish[0] == "[pl] hall. station empty the crosses coat red a in woman A"
    assert polish[1] == ""
    assert back == TEXTS
    sent = server.stats()["requests"]
    assert len(sent) == 4  # the empty text costs no request
    assert all(r["model"] == "test-vlm" for r in sent)
    assert "from English (en) into Polish (pl)" in sent[0]["prompt"]


def test_descriptions_translated_through_the_server_record_the_model(server_translator) -> None:
    translator, _ = server_translator
    descriptions = [
        Description(0, TEXTS[0], "en", "test-vlm", "describe-2"),
        Description(1, "", "en", "test-vlm", "describe-2", skip=True),
    ]

    result = translate_descriptions(descriptions, "pl", translator)

    assert result[0].text.startswith("[pl] hall.")
    assert (result[0].language, result[0].model) == ("pl", "test-vlm+test-vlm")
    assert result[0].prompt_version == "describe-2+translate-1"
    assert result[1].skip and result[1].language == "pl"


def test_llm_translator_by_name_builds_its_own_describer(start_server) -> None:
    server = start_server()
    translator = translators.create(
        "llm", describer="openai", base_url=server.url, model="test-vlm"
    )
    try:
        assert translator.model_id == "test-vlm"
        assert translator.translate(["Rain falls."], "en", "de") == ["[de] falls. Rain"]
    finally:
        translator.close()


def test_tiny_local_vlm_translates_with_its_loaded_model(tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    import torch

    from autodescribe.backends.describe.transformers import TransformersDescriber
    from autodescribe.testing.tiny_models import build_model

    torch.set_num_threads(1)
    folder = build_model("qwen2_vl", tmp_path / "qwen2_vl")
    describer = TransformersDescriber(model=str(folder), max_new_tokens=6)
    describer.load()
    model = describer._model
    translator = LLMTranslator(describer)

    first = translator.translate(TEXTS, "en", "fr")
    again = translator.translate(TEXTS, "en", "fr")
    translator.close()

    assert len(first) == 3 and first[1] == ""
    assert all(isinstance(t, str) for t in first)
    assert first == again  # greedy: the same text translates the same way
    assert describer._model is model  # the describer's model, loaded once and still loaded
    assert translator.model_id == str(folder)
    describer.close()


@pytest.mark.skipif(
    importlib.util.find_spec("argostranslate") is not None, reason="argostranslate is installed"
)
def test_argos_without_the_library_gives_the_install_hint() -> None:
    with pytest.raises(BackendUnavailable, match=r"autodescribe\[argos\]"):
        translators.create("argos")


@pytest.mark.skipif(
    importlib.util.find_spec("argostranslate") is None, reason="argostranslate is not installed"
)
def test_argos_without_a_language_package_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from argostranslate import settings

    monkeypatch.setattr(settings, "package_dirs", [tmp_path])  # no packages, whatever is installed
    translator = translators.create("argos")

    assert translator.translate(["Same language."], "en", "en") == ["Same language."]
    with pytest.raises(ModelNotAvailable) as caught:
        translator.translate(["A man opens a door."], "en", "pl")
    message = str(caught.value)
    assert "argospm install translate-en-pl" in message
    assert "\n" not in message
