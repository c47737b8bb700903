"""Describer backend for any OpenAI-compatible chat-completions server.

vLLM, SGLang, Ollama, llama.cpp, LM Studio and hosted APIs all speak the same
`/v1/chat/completions` dialect, so one small HTTP client covers them. Scenes
are sent as concurrent requests because these servers batch whatever arrives
together; answers are returned in request order. Nothing touches the network
until the first description (or `model_id`) is asked for.
"""

from __future__ import annotations

import base64
import io
import logging
import os
import re
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from PIL import Image

from autodescribe.backends.describe.base import (
    Capabilities,
    ChatDescriber,
    Conversation,
    Message,
    PartlyDone,
    load_image,
)
from autodescribe.errors import BackendUnavailable, ConfigError, DescriberError, ModelNotAvailable
from autodescribe.writing.clean import Answer

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

OPENAI_URL = "https://api.openai.com/v1"
JPEG_QUALITY = 85
TRIES = 3
BACKOFF_SECONDS = 0.5
MAX_RETRY_AFTER = 20.0
RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
SAMPLING_TEMPERATURE = 0.8  # for several candidates: varied, still on topic
KEY_HINT = "pass --api-key or set OPENAI_API_KEY"
_THINKING = re.compile(r"<think>.*?</think>", re.S | re.I)
# finish_reason values that mean the token limit ended the answer, as servers spell them
_CUT_OFF = frozenset({"length", "max_tokens", "max_output_tokens"})


class UnknownModel(DescriberError, ModelNotAvailable):
    """The server does not serve the model asked for: every request would fail alike."""


def _env(*names: str) -> str | None:
    """The first non-empty environment variable among `names`."""
    for name in names:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def normalise_base_url(url: str) -> str:
    """Accept `host:port`, `http://host`, `.../v1` or a full `.../chat/completions` URL.

    `/v1` is added only when the URL has no path, so hosted APIs with their own
    prefix (`.../v1beta/openai`, `.../api/v1`) are kept as given.
    """
    url = url.strip().rstrip("/")
    if "://" not in url:
        url = "http://" + url
    for suffix in ("/chat/completions", "/models"):
        url = url.removesuffix(suffix)
    if urlsplit(url).path in ("", "/"):
        url += "/v1"
    return url


def encode_image(image: Image.Image | str | Path) -> str:
    """A frame as a base64 JPEG data URI, the form every OpenAI-style server accepts."""
    if not isinstance(image, Image.Image):
        image = load_image(Path(image))
    if image.mode != "RGB":
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def to_openai_message(message: Message) -> dict[str, Any]:
    """Our chat message (PIL images inside) as an OpenAI chat-completions message.

    Text-only messages become a plain string, which text-only and older servers
    also accept; messages with frames become a list of text and image_url parts.
    """
    content = message["content"]
    if isinstance(content, str):
        return {"role": message["role"], "content": content}
    parts: list[dict[str, Any]] = []
    for part in content:
        if part["type"] == "text":
            parts.append({"type": "text", "text": part["text"]})
        elif part["type"] == "image":
            url = encode_image(part.get("image") or part["path"])
            parts.append({"type": "image_url", "image_url": {"url": url}})
        else:
            raise DescriberError(f"cannot send a '{part['type']}' message part to the server")
    if all(p["type"] == "text" for p in parts):
        return {"role": message["role"], "content": "\n".join(p["text"] for p in parts)}
    return {"role": message["role"], "content": parts}


def error_text(response: httpx.Response) -> str:
    """The server's own error message on one line, whatever shape it came in."""
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    if isinstance(body, dict):
        error = body.get("error", body.get("detail", body.get("message", body)))
        if isinstance(error, dict):
            error = error.get("message", error)
        body = error
    text = " ".join(str(body).split())
    return text[:200] or response.reason_phrase


def answer_text(data: Any) -> Answer:
    """The assistant's text from a chat-completions answer, without thinking blocks.

    It records whether the token limit cut it off, when the server says why it stopped.
    """
    return answer_texts(data)[0]


def answer_texts(data: Any) -> list[Answer]:
    """Every choice of a chat-completions answer (several when `n` was asked), in order."""
    try:
        choices = data["choices"]
        if not isinstance(choices, list) or not choices:
            raise KeyError("choices")
    except (KeyError, TypeError) as exc:
        raise DescriberError(
            "the describer server answered without a chat completion",
            "check that --base-url points at an OpenAI-compatible /v1 endpoint",
        ) from exc
    return [_choice_text(choice) for choice in choices]


def _choice_text(choice: Any) -> Answer:
    try:
        content = choice["message"].get("content")
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise DescriberError(
            "the describer server answered without a chat completion",
            "check that --base-url points at an OpenAI-compatible /v1 endpoint",
        ) from exc
    if isinstance(content, list):
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    if content is not None and not isinstance(content, str):
        raise DescriberError(
            "the describer server answered with a message that is not text",
            "check that --base-url points at an OpenAI-compatible /v1 endpoint",
        )
    reason = choice.get("finish_reason") if isinstance(choice, dict) else None
    cut_off = None if not isinstance(reason, str) else reason in _CUT_OFF
    return Answer(_THINKING.sub("", content or "").strip(), cut_off)


def _retry_delay(response: httpx.Response | None, attempt: int) -> float:
    """Exponential backoff, or the server's Retry-After when it sends one."""
    value = response.headers.get("retry-after", "").strip() if response is not None else ""
    try:
        seconds = float(value)
    except ValueError:
        try:  # the other form the header may take: an HTTP date
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, IndexError):
            return BACKOFF_SECONDS * 2 ** (attempt - 1)
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _import_httpx() -> Any:
    try:
        import httpx
    except ImportError as exc:
        raise BackendUnavailable(
            "the openai describer needs httpx", "install it with: pip install httpx"
        ) from exc
    return httpx


class OpenAIDescriber(ChatDescriber):
    """Describe scenes by asking an OpenAI-compatible server, several requests at a time."""

    name: ClassVar[str] = "openai"
    capabilities: ClassVar[Capabilities] = Capabilities(
        max_images=8, batching=True, needs_network=True
    )

    def __init__(
        self,
        model: str | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        concurrency: int = 4,
        timeout: float = 120.0,
        max_new_tokens: int | None = None,
    ) -> None:
        if concurrency < 1:
            raise ConfigError(f"describer concurrency must be at least 1, not {concurrency}")
        if timeout <= 0:
            raise ConfigError(f"describer timeout must be positive, not {timeout}")
        self.api_key = api_key or _env("AUTODESCRIBE_API_KEY", "OPENAI_API_KEY")
        self.base_url = _server_url(base_url, self.api_key)
        self.concurrency = concurrency
        self.timeout = timeout
        self.token_limit = max_new_tokens
        self._model = model or _env("AUTODESCRIBE_MODEL")
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()
        self._token_field = "max_tokens"
        self._send_temperature = True

    @classmethod
    def preflight(cls, options: Mapping[str, Any]) -> None:
        """Refuse, before any media work, a configuration with no server to ask."""
        api_key = options.get("api_key") or _env("AUTODESCRIBE_API_KEY", "OPENAI_API_KEY")
        _server_url(options.get("base_url"), api_key)

    @property
    def model_id(self) -> str:
        """The model asked for, or the server's first listed model (asked once)."""
        if self._model is None:
            models = self.list_models()
            if not models:
                raise DescriberError(
                    f"the server at {self.base_url} lists no models", "pass --model"
                )
            self._model = models[0]
            log.info("using model %s from %s", self._model, self.base_url)
        return self._model

    @model_id.setter
    def model_id(self, value: str) -> None:
        self._model = value

    def max_new_tokens(self, word_budget: int) -> int:
        """The `max_new_tokens` option when given, else the budget-derived limit."""
        return self.token_limit or super().max_new_tokens(word_budget)

    def list_models(self) -> list[str]:
        """Model ids from `GET /models`, as vLLM, Ollama, llama.cpp and LM Studio list them."""
        response = self._send("GET", "/models")
        if response.status_code == 404:
            raise DescriberError(
                f"the server at {self.base_url} does not list its models",
                "pass --model, and check that --base-url ends in the API prefix (often /v1)",
            )
        data = self._json(response)
        try:
            return [str(item["id"]) for item in data["data"]]
        except (KeyError, TypeError) as exc:
            raise DescriberError(
                f"the server at {self.base_url} sent a model list in an unknown shape",
                "pass --model",
            ) from exc

    def generate(self, conversations: Sequence[Conversation], max_new_tokens: int) -> list[str]:
        """One chat completion per conversation, `concurrency` in flight, in request order."""
        if not conversations:
            return []
        model = self.model_id
        if len(conversations) == 1 or self.concurrency == 1:
            return self._one_at_a_time(conversations, model, max_new_tokens)
        workers = min(self.concurrency, len(conversations))
        with ThreadPoolExecutor(workers, thread_name_prefix="openai-describer") as pool:
            futures = [pool.submit(self._complete, c, model, max_new_tokens) for c in conversations]
            try:
                return _gather(futures)
            except BaseException:
                for future in futures:
                    future.cancel()
                raise

    def _one_at_a_time(
        self, conversations: Sequence[Conversation], model: str, max_new_tokens: int
    ) -> list[str]:
        answers: list[str] = []
        for conversation in conversations:
            try:
                answers.append(self._complete(conversation, model, max_new_tokens))
            except DescriberError as exc:
                if not answers or isinstance(exc, UnknownModel):
                    raise
                missing = [None] * (len(conversations) - len(answers))
                raise PartlyDone(exc, [*answers, *missing]) from exc
        return answers

    def close(self) -> None:
        """Close the connection pool; a later request opens a new one."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def generate_choices(
        self, conversation: Conversation, max_new_tokens: int, n: int
    ) -> list[str]:
        """`n` answers in one request (`n`, sampled); a server that sends fewer is asked again."""
        answers: list[str] = list(
            self._complete_all(conversation, self.model_id, max_new_tokens, n)
        )
        if len(answers) < n:
            log.info("the server sent %d of %d choices: asking for the rest", len(answers), n)
            extra = [conversation] * (n - len(answers))
            answers += self.generate(extra, max_new_tokens)
        return answers[:n]

    def _complete(self, conversation: Conversation, model: str, max_tokens: int) -> Answer:
        return self._complete_all(conversation, model, max_tokens, 1)[0]

    def _complete_all(
        self, conversation: Conversation, model: str, max_tokens: int, n: int
    ) -> list[Answer]:
        messages = [to_openai_message(m) for m in conversation]
        for _ in range(3):  # the first try plus one per parameter the server may refuse
            payload: dict[str, Any] = {"model": model, "messages": messages}
            payload[self._token_field] = max_tokens
            if n > 1:  # several answers to choose from: sampled, so they differ
                payload["n"] = n
                if self._send_temperature:
                    payload["temperature"] = SAMPLING_TEMPERATURE
            elif self._send_temperature:
                payload["temperature"] = 0
            response = self._send("POST", "/chat/completions", payload)
            if response.status_code in (400, 404):
                message = error_text(response)
                if response.status_code == 400 and self._adapt_to(message, payload):
                    continue
                if "model" in message.lower():
                    self._raise_if_model_missing(model, response.status_code, message)
            texts = answer_texts(self._json(response))
            if not texts[0]:
                log.warning("the model %s gave an empty answer", model)
            return texts
        raise DescriberError(f"the server at {self.base_url} kept refusing the request parameters")

    def _adapt_to(self, message: str, payload: dict[str, Any]) -> bool:
        """Follow servers (OpenAI reasoning models) that refuse `max_tokens` or temperature 0.

        Decided from the payload that was refused, so requests in flight at the
        time of the switch are retried too.
        """
        lowered = message.lower()
        if "max_tokens" in payload and "max_completion_tokens" in lowered:
            self._token_field = "max_completion_tokens"
            return True
        if "temperature" in payload and "temperature" in lowered and "support" in lowered:
            if self._send_temperature:
                log.info("the server refuses temperature 0; using its default temperature")
            self._send_temperature = False
            return True
        return False

    def _raise_if_model_missing(self, model: str, status: int, message: str) -> None:
        try:
            models = self.list_models()
        except DescriberError:
            if status == 404:  # no model list to compare with, but the server said so
                raise UnknownModel(
                    f"the server at {self.base_url} has no model '{model}' ({message})",
                    "pass --model with a model it serves",
                ) from None
            return
        if model not in models:
            raise UnknownModel(
                f"the server at {self.base_url} has no model '{model}'",
                "pass --model with one of: " + (", ".join(models[:20]) or "(none listed)"),
            )

    def _http(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                http = _import_httpx()
                headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
                self._client = http.Client(
                    headers=headers,
                    timeout=http.Timeout(self.timeout, connect=min(10.0, self.timeout)),
                    limits=http.Limits(max_connections=max(self.concurrency, 10)),
                )
            return self._client

    def _send(
        self, method: str, path: str, payload: dict[str, Any] | None = None
    ) -> httpx.Response:
        """One request, retried with backoff on rate limits, server errors and lost connections."""
        http = _import_httpx()
        client = self._http()
        for attempt in range(1, TRIES + 1):
            response: httpx.Response | None = None
            try:
                response = client.request(method, self.base_url + path, json=payload)
            except http.TransportError as exc:
                if attempt == TRIES:
                    raise self._transport_error(exc) from exc
                reason = type(exc).__name__
            except http.RequestError as exc:  # an answer that cannot be decoded, redirect loops
                raise DescriberError(
                    f"the describer server at {self.base_url} sent an answer that could not be "
                    f"read ({type(exc).__name__})",
                    "check the server's log",
                ) from exc
            else:
                if response.status_code not in RETRY_STATUS or attempt == TRIES:
                    return response
                reason = f"HTTP {response.status_code}"
            delay = _retry_delay(response, attempt)
            log.warning("%s %s failed (%s); retrying in %.1f s", method, path, reason, delay)
            time.sleep(delay)
        raise AssertionError("unreachable")  # the loop always returns or raises

    def _transport_error(self, exc: Exception) -> DescriberError:
        http = _import_httpx()
        if isinstance(exc, http.TimeoutException) and not isinstance(exc, http.ConnectTimeout):
            return DescriberError(
                f"the describer server at {self.base_url} did not answer within {self.timeout:g} s",
                "check the server's load, lower the concurrency or raise the timeout",
            )
        return DescriberError(
            f"cannot reach the describer server at {self.base_url}",
            "start it or pass --base-url",
        )

    def _json(self, response: httpx.Response) -> Any:
        """The answer's JSON, or a DescriberError saying what the status code means."""
        status = response.status_code
        if status in (401, 403):
            raise DescriberError("the server refused the API key", KEY_HINT)
        if status == 404:
            raise DescriberError(
                f"the server at {self.base_url} has no {response.request.url.path} endpoint",
                "check --base-url: it should be the API root, often ending in /v1",
            )
        if status >= 400:
            raise DescriberError(
                f"the describer server failed (HTTP {status}: {error_text(response)})",
                "check the server's log, or retry later" if status >= 500 else "check --model",
            )
        try:
            return response.json()
        except ValueError as exc:
            raise DescriberError(
                f"the server at {self.base_url} did not answer with JSON",
                "check that --base-url points at an OpenAI-compatible API",
            ) from exc


def _gather(futures: list[Future[Answer]]) -> list[str]:
    """Every answer in order; when one request fails, the rest are cancelled and the answers
    that had arrived travel with the error (`PartlyDone`), so they are not lost."""
    answers: list[Answer | None] = []
    failure: DescriberError | None = None
    for future in futures:
        try:
            answers.append(future.result())
        except CancelledError:
            answers.append(None)
        except DescriberError as exc:
            if failure is None:
                failure = exc
                for pending in futures:
                    pending.cancel()
            answers.append(None)
    if failure is not None:
        if isinstance(failure, UnknownModel) or all(a is None for a in answers):
            raise failure
        raise PartlyDone(failure, answers) from failure
    return [a for a in answers if a is not None]


def _server_url(base_url: str | None, api_key: str | None) -> str:
    """The server to ask: the given URL, the environment's, or OpenAI's own when a key is set."""
    url = base_url or _env("AUTODESCRIBE_BASE_URL", "OPENAI_BASE_URL")
    if url is None and api_key is None:
        raise ConfigError(
            "no describer server given",
            "pass --base-url (e.g. http://localhost:8000/v1) or set OPENAI_BASE_URL",
        )
    return normalise_base_url(url or OPENAI_URL)
