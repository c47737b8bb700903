"""Translation by the describer's own chat model (local transformers, or any OpenAI server).

No second model is needed: the VLM that wrote the descriptions translates them,
one chat per text, batched or sent concurrently by the describer's `generate`.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar, Protocol

from autodescribe.backends.describe.base import Conversation, count_words
from autodescribe.errors import ConfigError
from autodescribe.util.languages import check_language, language_name
from autodescribe.writing.clean import clean_answer
from autodescribe.writing.prompts import load_template

logger = logging.getLogger(__name__)


class ChatModel(Protocol):
    """What this translator needs of a describer: the chat describers all have it."""

    model_id: str

    def generate(self, conversations: list[Conversation], max_new_tokens: int) -> list[str]: ...


def translation_conversation(text: str, source: str, target: str) -> Conversation:
    """One user turn asking for `text` in `target`, both languages named and coded."""
    prompt = (
        load_template("translate")
        .sections["user"]
        .format(
            source=source,
            source_name=language_name(source),
            target=target,
            target_name=language_name(target),
            text=text,
        )
    )
    return [{"role": "user", "content": [{"type": "text", "text": prompt}]}]


def translate_with(model: ChatModel, texts: list[str], source: str, target: str) -> list[str]:
    """Translate `texts` with a chat model; empty texts stay empty and cost nothing."""
    source, target = check_language(source), check_language(target)
    if source == target:
        return list(texts)
    wanted = [i for i, text in enumerate(texts) if text.strip()]
    if not wanted:
        return list(texts)
    convs = [translation_conversation(texts[i], source, target) for i in wanted]
    # Room for a language that takes more tokens per word than English.
    longest = max(count_words(texts[i]) for i in wanted)
    answers = model.generate(convs, max(24, longest * 4 + 16))
    result = list(texts)
    for i, answer in zip(wanted, answers, strict=True):
        result[i] = clean_answer(answer)
    return result


class LLMTranslator:
    """Translates with a chat describer: an instance, or a registry name plus its options."""

    name: ClassVar[str] = "llm"
    borrows_describer: ClassVar[bool] = True  # the pipeline lends it the describer's model

    def __init__(self, describer: ChatModel | str = "transformers", **options: Any) -> None:
        if isinstance(describer, str):
            from autodescribe.backends.describe import describers

            self._owned = True
            self.describer: Any = describers.create(describer, **options)
        else:
            if options:
                raise ConfigError("options are only taken with a describer name, not an instance")
            self._owned = False
            self.describer = describer
        if not hasattr(self.describer, "generate"):
            raise ConfigError(
                "the describer has no chat model to translate with",
                "use --describer transformers|openai|vllm, or --translator argos|none",
            )
        self.version = load_template("translate").version

    @property
    def model_id(self) -> str:
        return str(self.describer.model_id)

    def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        logger.info(
            "translating %d texts %s -> %s with %s", len(texts), source, target, self.model_id
        )
        return translate_with(self.describer, texts, source, target)

    def close(self) -> None:
        """Free the model only if this translator made it; a shared describer stays loaded."""
        if self._owned:
            self.describer.close()
