"""Local vision-language models through Hugging Face transformers.

Loads any image-text-to-text checkpoint (SmolVLM2, Qwen2/2.5/3-VL, Idefics3,
LLaVA-OneVision...) with `AutoModelForImageTextToText` and the checkpoint's own
processor and chat template, then describes scenes in left-padded greedy batches,
shortest prompts together.

Models that read video (Qwen-VL, SmolVLM2, LLaVA-OneVision) get a scene's frames
as one clip with their timestamps: fewer tokens per frame, and the model knows
they follow each other. Their video processors need torchvision, which has no
CPU build on PyPI; without it we assemble the processor from its tokenizer and
PIL image processor, leave the video part out and send the frames as images.
"""

from __future__ import annotations

import copy
import gc
import importlib.util
import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

from autodescribe.backends.describe.base import (
    Capabilities,
    ChatDescriber,
    Conversation,
    DescribeRequest,
    build_conversation,
)
from autodescribe.backends.describe.chats import (
    as_images,
    as_video,
    batches,
    images_of,
    spread_times,
    video_of,
)
from autodescribe.backends.describe.hf_processors import load_processor
from autodescribe.backends.describe.models import (
    Architecture,
    architecture,
    pick_device,
    resolve_model,
    torch_dtype,
    unsupported,
)
from autodescribe.errors import (
    BackendUnavailable,
    ConfigError,
    DescriberError,
    ModelNotAvailable,
    install_hint,
)
from autodescribe.types import Description
from autodescribe.util.hub import check_reachable, hub_offline
from autodescribe.writing.clean import clean_answer
from autodescribe.writing.prompts import load_template

logger = logging.getLogger(__name__)

DTYPES = ("auto", "float32", "bfloat16", "float16")
_FALLBACK_HINT = (
    "download it once with network access, pass a local path with --model PATH, "
    "or use --describer basic / --describer openai --base-url URL"
)
_FOLDER_HINT = "it must hold config.json, the processor files and the weights from save_pretrained"
# What a captioner without a chat template (BLIP-2) is given besides the picture: nothing, so
# it writes its plain caption; the describe prompt's rules are the writing pass's job.
CAPTION_PROMPT = ""


class TransformersDescriber(ChatDescriber):
    """A local VLM; the weights are loaded on first use (or by `load()`) and freed by `close()`.

    `capabilities.video_input` is decided per model at load: true when the model reads
    video and its video processor works here.
    """

    name: ClassVar[str] = "transformers"
    capabilities: ClassVar[Capabilities] = Capabilities(max_images=8, batching=True)

    def __init__(
        self,
        model: str | None = None,
        device: str | None = None,
        dtype: str = "auto",
        max_new_tokens: int | None = None,
        batch_size: int = 8,
        split_images: bool = False,
    ) -> None:
        """`split_images` lets tiling processors (SmolVLM, Idefics3) cut each frame into
        crops as they do for single photos; off, frames go in whole, the way these models
        see video frames, at a fraction of the tokens."""
        if dtype not in DTYPES:
            raise ConfigError(f"unknown dtype '{dtype}'", f"choose one of: {', '.join(DTYPES)}")
        if batch_size < 1:
            raise ConfigError(f"batch_size must be at least 1, got {batch_size}")
        _require_libraries()
        self.device = device or pick_device()
        self.model_id = resolve_model(model, self.device)
        self.dtype_name = dtype
        self.batch_size = batch_size
        self.split_images = split_images
        self._token_limit = max_new_tokens
        self._model: Any = None
        self._processor: Any = None
        self._video = False
        self._captioner = False  # decided at load, from the model's config

    def _send_video(self, video: bool) -> None:
        """Send frames as one video clip, or as images; `capabilities.video_input` says which.

        The class declares `capabilities` (read before any model is loaded); this
        model's own answer is kept on the instance, where it shadows the class's.
        """
        self._video = video
        current = vars(self).get("capabilities", type(self).capabilities)
        vars(self)["capabilities"] = replace(current, video_input=video)

    # -- loading -------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> None:
        """Load processor and weights now, so a missing model fails before any work."""
        if self._model is not None:
            return
        _check_local_path(self.model_id)
        from transformers import AutoConfig, AutoModelForImageTextToText

        # the hub logs every failed retry; our own error says what to do in one line
        logging.getLogger("huggingface_hub").setLevel(logging.ERROR)

        started = time.perf_counter()
        dtype = torch_dtype(self.dtype_name, self.device)
        self._refuse_unsupported()
        try:
            config = self._fetch(AutoConfig.from_pretrained)
        except ValueError as exc:
            raise _unsupported(self.model_id, exc) from exc
        processor = self._fetch(lambda src, **kw: load_processor(src, config, kw))
        placement = _placement(self.device)
        try:
            model = self._fetch(
                AutoModelForImageTextToText.from_pretrained, dtype=dtype, **placement
            )
        except ValueError as exc:
            raise ModelNotAvailable(
                f"model '{self.model_id}' ({config.model_type}) is not an image-text-to-text model",
                "choose a vision-language model with --model",
            ) from exc
        self._model = (model if placement else model.to(self.device)).eval()
        self._processor = processor
        self._adapt_to(architecture(config.model_type), processor)
        _prepare_tokenizer(processor.tokenizer)
        image_processor: Any = getattr(processor, "image_processor", None)
        if hasattr(image_processor, "do_image_splitting"):
            image_processor.do_image_splitting = self.split_images
        reads_video = architecture(config.model_type).video
        self._send_video(reads_video and getattr(processor, "video_processor", None) is not None)
        logger.info(
            "loaded %s (%s) on %s as %s in %.1f s; frames sent as %s",
            self.model_id,
            type(processor).__name__,
            self.device,
            str(dtype).removeprefix("torch."),
            time.perf_counter() - started,
            "video" if self._video else "images",
        )
        if reads_video and not self._video:
            logger.info("%s reads video, but its video processor needs torchvision", self.model_id)

    def _refuse_unsupported(self) -> None:
        """A checkpoint in a layout Transformers cannot load is named before loading it."""
        import transformers
        from transformers import PretrainedConfig

        try:
            raw, _ = self._fetch(PretrainedConfig.get_config_dict)
        except (ValueError, ModelNotAvailable) as exc:
            logger.debug("config of %s not read ahead: %s", self.model_id, exc)
            return  # the loader's own attempt says what is wrong
        known = unsupported(raw)
        if known is not None:
            raise ModelNotAvailable(
                f"model '{self.model_id}' is {known.family}, which transformers "
                f"{transformers.__version__} cannot load",
                known.advice,
            )

    def _adapt_to(self, family: Architecture, processor: Any) -> None:
        """A captioner (no chat template) gets one frame and a plain prompt; chats keep theirs."""
        has_template = bool(getattr(processor, "chat_template", None))
        self._captioner = not family.chat or not has_template
        limit = 1 if self._captioner else family.max_images
        if limit is not None:
            current = vars(self).get("capabilities", type(self).capabilities)
            vars(self)["capabilities"] = replace(current, max_images=limit)

    def _fetch(self, loader: Callable[..., Any], **kwargs: Any) -> Any:
        """Call a `from_pretrained`-style loader: local cache first, then the hub.

        Every failure to get the files becomes one `ModelNotAvailable` with a hint.
        """
        source = self.model_id
        try:
            try:
                return loader(source, local_files_only=True, **kwargs)
            except (OSError, ValueError):
                # A part not cached yet: some loaders say so with a ValueError (a tokenizer
                # without its tokenizer.json asks for sentencepiece to convert a slow one).
                if hub_offline() or Path(source).expanduser().exists():
                    raise
                logger.info("model '%s' is not cached: downloading it", source)
            check_reachable(source, f"model '{source}'")  # at once, not after retries
            return loader(source, **kwargs)
        except OSError as exc:
            raise _not_available(source, exc) from exc

    # -- generation ----------------------------------------------------------

    def max_new_tokens(self, word_budget: int) -> int:
        tokens = super().max_new_tokens(word_budget)
        return min(tokens, self._token_limit) if self._token_limit else tokens

    def describe_many(self, requests: Sequence[DescribeRequest]) -> list[Description]:
        """Like every chat describer, except that video models get each scene as a clip."""
        if not requests:
            return []
        self.load()
        convs = [self._conversation(r) for r in requests]
        answers = self.generate(convs, self.max_new_tokens(max(r.word_budget for r in requests)))
        version = load_template("describe").version
        return [
            self._description(r, clean_answer(a), version)
            for r, a in zip(requests, answers, strict=True)
        ]

    def _conversation(self, request: DescribeRequest) -> Conversation:
        limit = self.capabilities.max_images
        conv = build_conversation(request, limit)
        if not self._video or len(request.images) < 2:
            return conv
        times = spread_times(request.image_times, limit)
        return as_video(conv, [t - request.scene.start for t in times], request.scene.duration)

    def generate(self, conversations: Sequence[Conversation], max_new_tokens: int) -> list[str]:
        """Answer each conversation, in batches of at most `batch_size`.

        Chats of one kind (text only, images, video) go together, shortest first, so
        little padding is computed; answers come back in the order asked.
        """
        self.load()
        answers = [""] * len(conversations)
        for batch in batches(conversations, self.batch_size):
            texts = self._generate_batch([conversations[i] for i in batch], max_new_tokens)
            for i, text in zip(batch, texts, strict=True):
                answers[i] = text
        return answers

    def generate_choices(
        self, conversation: Conversation, max_new_tokens: int, n: int
    ) -> list[str]:
        """`n` sampled answers to one chat in one `generate` call (`num_return_sequences`)."""
        self.load()
        return self._generate_batch([conversation], max_new_tokens, n)

    def _generate_batch(
        self, conversations: list[Conversation], max_new_tokens: int, choices: int = 1
    ) -> list[str]:
        import torch

        if self._captioner and not any(images_of(c) or video_of(c) for c in conversations):
            # A captioner only captions pictures: text requests (shorten, rewrite, summary)
            # get no answer, and the writing pass trims, keeps or drops the caption itself.
            return [""] * len(conversations)
        processor, model = self._processor, self._model
        inputs = self._encode(conversations)
        prompt_length = inputs["input_ids"].shape[1]
        try:
            with torch.inference_mode():
                settings = _greedy_config(
                    model.generation_config, max_new_tokens, processor.tokenizer.pad_token_id
                )
                if choices > 1:  # candidates: sampled, so they differ
                    settings.update(do_sample=True, num_return_sequences=choices)
                output = model.generate(**inputs, generation_config=settings)
        except (RuntimeError, ValueError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DescriberError(
                f"model '{self.model_id}' failed to generate ({first})",
                "try a smaller --batch-size, fewer keyframes, or another model",
            ) from exc
        new_tokens = output[:, prompt_length:]
        return list(processor.tokenizer.batch_decode(new_tokens, skip_special_tokens=True))

    def _encode(self, conversations: list[Conversation]) -> Any:
        """Chat template per conversation, then one padded processor call for the batch."""
        processor = self._processor
        prompts = [
            CAPTION_PROMPT
            if self._captioner
            else processor.apply_chat_template(conv, add_generation_prompt=True, tokenize=False)
            for conv in conversations
        ]
        images = [images_of(conv) for conv in conversations]
        videos = [video_of(conv) for conv in conversations]
        kwargs: dict[str, Any] = {"text": prompts, "padding": True, "return_tensors": "pt"}
        if any(images):
            kwargs["images"] = images
        if any(videos):
            kwargs["videos"] = [v["video"] for v in videos if v]
            kwargs["video_metadata"] = [v["metadata"] for v in videos if v]
            kwargs["do_sample_frames"] = False  # the keyframes are the sample
        bos = processor.tokenizer.bos_token
        if bos and all(p.startswith(bos) for p in prompts):
            # The template already wrote the BOS token; don't let the tokenizer add a second one.
            kwargs["add_special_tokens"] = False
        if "videos" not in kwargs:
            return processor(**kwargs).to(self.device, dtype=self._model.dtype)
        try:
            inputs = processor(**kwargs)
            if not any("pixel_values" in key for key in inputs):
                raise ValueError("the processor dropped the frames")
        except (ValueError, TypeError, KeyError, ImportError, RuntimeError) as exc:
            logger.warning(
                "%s refused the frames as video (%s): sending images", self.model_id, exc
            )
            self._send_video(False)
            return self._encode([as_images(conv) for conv in conversations])
        return inputs.to(self.device, dtype=self._model.dtype)

    def close(self) -> None:
        """Drop the weights and give the accelerator memory back."""
        self._model = None
        self._processor = None
        gc.collect()
        torch = sys.modules.get("torch")
        if torch is not None and torch.cuda.is_available():
            torch.cuda.empty_cache()


# -- helpers -------------------------------------------------------------------


def _require_libraries() -> None:
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as exc:
        raise BackendUnavailable(
            f"describer 'transformers' needs the transformers library ({exc})", install_hint("hf")
        ) from exc


def _looks_like_path(model: str) -> bool:
    return model.startswith(("/", ".", "~")) or model.count("/") > 1 or "\\" in model


def _check_local_path(model: str) -> None:
    if _looks_like_path(model) and not Path(model).expanduser().exists():
        raise ModelNotAvailable(
            f"model folder '{model}' does not exist",
            "pass a folder saved with save_pretrained, a hub id, or use --describer basic",
        )


def _unsupported(model: str, exc: ValueError) -> ModelNotAvailable:
    import transformers

    first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else "unknown model type"
    if Path(model).expanduser().is_dir():
        return ModelNotAvailable(
            f"model folder '{model}' could not be loaded ({first})", _FOLDER_HINT
        )
    return ModelNotAvailable(
        f"model '{model}' cannot be read by transformers {transformers.__version__} ({first})",
        "upgrade it with: pip install -U transformers, or choose another model with --model",
    )


def _placement(device: str) -> dict[str, Any]:
    """Load straight onto the accelerator when accelerate is there, instead of via host memory."""
    if device == "cpu":
        return {}
    if importlib.util.find_spec("accelerate") is None:
        return {}
    return {"device_map": device}


def _not_available(model: str, exc: OSError) -> ModelNotAvailable:
    """Turn a hub/file error into a one-line problem and what to do about it."""
    text = str(exc)
    first = text.strip().splitlines()[0][:200] if text.strip() else type(exc).__name__
    if Path(model).expanduser().exists():
        return ModelNotAvailable(
            f"model folder '{model}' could not be loaded ({first})", _FOLDER_HINT
        )
    if "gated" in text.lower():
        return ModelNotAvailable(
            f"model '{model}' is gated on the Hugging Face Hub",
            "accept its licence on huggingface.co and log in with `hf auth login`, "
            "or choose another model with --model",
        )
    if "not a valid model identifier" in text or "Repository Not Found" in text:
        return ModelNotAvailable(
            f"model '{model}' was not found on the Hugging Face Hub",
            "check the name, pass a local path with --model PATH, or use --describer basic",
        )
    where = "offline" if hub_offline() else "(the Hugging Face Hub cannot be reached)"
    return ModelNotAvailable(f"model '{model}' is not available {where}", _FALLBACK_HINT)


def _prepare_tokenizer(tokenizer: Any) -> None:
    """Left padding, so every row of a batch ends where generation starts."""
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token


def _greedy_config(base: Any, max_new_tokens: int, pad_token_id: int | None) -> Any:
    """The model's generation settings (eos, repetition penalty) with sampling switched off."""
    config = copy.deepcopy(base)
    config.max_new_tokens = max_new_tokens
    config.pad_token_id = pad_token_id
    config.do_sample = False
    # Neutral values rather than None: generate() fills None from the checkpoint's sampling
    # settings and then warns that they are ignored.
    config.update(temperature=1.0, top_p=1.0, top_k=50, typical_p=1.0, min_p=None)
    return config
