"""In-process vLLM describer, for GPUs and bulk work.

vLLM batches continuously, so `describe_many` hands it every conversation at
once. Conversations go in the OpenAI chat shape (frames as data URIs), which
`LLM.chat` accepts for every multimodal model it serves. vLLM is imported only
when this describer is created.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from typing import Any, ClassVar

from autodescribe.backends.describe.base import Capabilities, ChatDescriber, Conversation
from autodescribe.backends.describe.models import default_model
from autodescribe.backends.describe.openai import to_openai_message
from autodescribe.errors import BackendUnavailable, install_hint

CANDIDATE_TEMPERATURE = 0.8


def vllm_messages(conversations: Sequence[Conversation]) -> list[list[dict[str, Any]]]:
    """Our conversations as the message lists `LLM.chat` takes."""
    return [[to_openai_message(m) for m in conv] for conv in conversations]


def sampling_options(max_new_tokens: int, n: int = 1) -> dict[str, Any]:
    """Greedy decoding: the same frames give the same description.

    Several candidates (`n`) are sampled instead, so that they differ.
    """
    if n > 1:
        return {"temperature": CANDIDATE_TEMPERATURE, "max_tokens": max_new_tokens, "n": n}
    return {"temperature": 0.0, "max_tokens": max_new_tokens}


def engine_options(
    model: str, max_images: int, max_model_len: int, gpu_memory: float
) -> dict[str, Any]:
    return {
        "model": model,
        "limit_mm_per_prompt": {"image": max_images},
        "max_model_len": max_model_len,
        "gpu_memory_utilization": gpu_memory,
    }


class VLLMDescriber(ChatDescriber):
    name: ClassVar[str] = "vllm"
    capabilities: ClassVar[Capabilities] = Capabilities(max_images=8, batching=True)

    def __init__(
        self,
        model: str | None = None,
        max_new_tokens: int | None = None,
        max_model_len: int = 16384,
        gpu_memory_utilization: float = 0.85,
    ) -> None:
        try:
            import vllm
        except ImportError as exc:
            raise BackendUnavailable("the vllm describer needs vLLM", install_hint("vllm")) from exc
        self.model_id = model or default_model("cuda")
        self._fixed_tokens = max_new_tokens
        options = engine_options(
            self.model_id, self.capabilities.max_images, max_model_len, gpu_memory_utilization
        )
        self._vllm = vllm
        self._llm: Any = vllm.LLM(**options)

    def generate(self, conversations: Sequence[Conversation], max_new_tokens: int) -> list[str]:
        params = self._vllm.SamplingParams(**sampling_options(self._fixed_tokens or max_new_tokens))
        outputs = self._llm.chat(
            vllm_messages(conversations), sampling_params=params, use_tqdm=False
        )
        return [out.outputs[0].text for out in outputs]

    def generate_choices(
        self, conversation: Conversation, max_new_tokens: int, n: int
    ) -> list[str]:
        """`n` sampled answers to one chat in one request (`SamplingParams.n`)."""
        params = self._vllm.SamplingParams(
            **sampling_options(self._fixed_tokens or max_new_tokens, n)
        )
        outputs = self._llm.chat(
            vllm_messages([conversation]), sampling_params=params, use_tqdm=False
        )
        return [choice.text for choice in outputs[0].outputs]

    def close(self) -> None:
        self._llm = None
        gc.collect()
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except ImportError:
            pass
