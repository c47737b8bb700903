"""The checkpoint's own processor, or the same processor class without its video part.

Video processors need torchvision, which has no CPU build on PyPI. Without it,
the model's processor class is assembled from its tokenizer and (PIL) image
processor, and frames go to the model as images.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

logger = logging.getLogger(__name__)


def _sub_processors(processor_class: Any) -> list[str]:
    getter = getattr(processor_class, "get_attributes", None)
    return list(getter() if callable(getter) else getattr(processor_class, "attributes", []))


def load_processor(source: str, config: Any, hub: dict[str, Any]) -> Any:
    """The checkpoint's processor; without torchvision, the same processor minus its video part."""
    from transformers import AutoProcessor
    from transformers.models.auto.processing_auto import PROCESSOR_MAPPING
    from transformers.utils import is_torchvision_available

    processor_class: Any = PROCESSOR_MAPPING.get(type(config), None)
    needs_video = processor_class is not None and "video_processor" in _sub_processors(
        processor_class
    )
    if not needs_video:
        return AutoProcessor.from_pretrained(source, **hub)
    if is_torchvision_available():
        try:
            return AutoProcessor.from_pretrained(source, **hub)
        except (ImportError, RuntimeError) as exc:
            # A torchvision wheel without its compiled ops imports but fails here.
            logger.warning("video processor unusable (%s): loading images only", exc)
    return _image_only_processor(processor_class, source, hub)


def _image_only_processor(processor_class: Any, source: str, hub: dict[str, Any]) -> Any:
    """Build `processor_class` from its tokenizer and (PIL) image processor, without video."""
    from transformers import AutoImageProcessor, AutoTokenizer

    settings, _ = processor_class.get_processor_dict(source, **hub)
    tokenizer = AutoTokenizer.from_pretrained(source, **hub)
    image_processor = AutoImageProcessor.from_pretrained(source, **hub)
    accepted = inspect.signature(processor_class.__init__).parameters
    parts = {"self", "image_processor", "tokenizer", "video_processor"}
    extra = {k: v for k, v in settings.items() if k in accepted and k not in parts}
    if extra.get("chat_template") is None:
        extra["chat_template"] = getattr(tokenizer, "chat_template", None)
    logger.debug(
        "assembled %s without video from %s and %s",
        processor_class.__name__,
        type(tokenizer).__name__,
        type(image_processor).__name__,
    )
    return _without_video(processor_class)(image_processor, tokenizer, **extra)


def _without_video(processor_class: Any) -> Any:
    """A subclass of `processor_class` whose only parts are the image processor and tokenizer.

    The families hand their parts to `ProcessorMixin` in different orders (Qwen-VL:
    image, tokenizer, video; Video-LLaVA: image, video, tokenizer; LLaVA-NeXT-Video:
    video first), always in the order of their own `__init__`; a shim between the
    class and `ProcessorMixin` takes them in that order and drops the video part.
    """
    from transformers.processing_utils import ProcessorMixin

    order = _sub_processors(processor_class)

    class _NoVideo(ProcessorMixin):
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            named = dict(zip(order, args, strict=False))
            named.pop("video_processor", None)
            kwargs.pop("video_processor", None)
            ProcessorMixin.__init__(self, **named, **kwargs)

    def __init__(self: Any, image_processor: Any, tokenizer: Any, **kwargs: Any) -> None:
        parts = {"image_processor": image_processor, "tokenizer": tokenizer}
        processor_class.__init__(self, **parts, video_processor=None, **kwargs)

    def apply_chat_template(self: Any, conversation: Any, **kwargs: Any) -> Any:
        # Some models' overrides read video defaults from the video processor; images need none.
        return ProcessorMixin.apply_chat_template(self, conversation, **kwargs)

    parts = [p for p in order if p != "video_processor"]
    namespace = {
        "__init__": __init__,
        "apply_chat_template": apply_chat_template,
        "attributes": parts,
        "__module__": __name__,
        "__doc__": f"{processor_class.__name__} for images only (no torchvision).",
    }
    return type(processor_class.__name__, (processor_class, _NoVideo), namespace)
