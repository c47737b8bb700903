"""A small OpenAI-compatible chat server for tests: real HTTP on loopback, stdlib only.

Its answer is built from the request, so a test can check what the client sent:
"A person stands by a door. images=3 budget-words=12 model=test-vlm". It counts
requests in flight at once and reports that, and a summary of every chat request,
at GET /stats (POST /stats/reset clears them). It prints its port on the first
stdout line.

Translation prompts (autodescribe's translate template) get a reversible answer:
into English, "[xx] " is dropped and the word order reversed back; into any other
language xx, the words come back in reverse order behind "[xx] ". So en -> pl -> en
returns the original text, and a test can see which text and target were sent.

    python tests/servers/chat_server.py [--api-key K] [--delay S] [--models a,b]
        [--fail-first N] [--reasoning-model]
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

BUDGET = re.compile(r"at most (\d+) words")
TRANSLATE = re.compile(r"^Translate this audio description from .+? into .+? \((\w+)\)\.")
TAGGED = re.compile(r"^\[(\w+)\] (.*)$", re.S)


@dataclass
class Stats:
    """What the server saw; shared by the handler threads under one lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: int = 0
    max_in_flight: int = 0
    chat_requests: int = 0
    model_requests: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "max_in_flight": self.max_in_flight,
                "chat_requests": self.chat_requests,
                "model_requests": self.model_requests,
                "requests": list(self.requests),
            }

    def reset(self) -> None:
        with self.lock:
            self.max_in_flight = self.in_flight
            self.chat_requests = self.model_requests = 0
            self.requests.clear()


class ChatServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, options: argparse.Namespace) -> None:
        super().__init__(("127.0.0.1", options.port), Handler)
        self.options = options
        self.models: list[str] = [m for m in options.models.split(",") if m]
        self.stats = Stats()


class ClientError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def count_images(messages: list[dict[str, Any]]) -> int:
    """Count image parts, refusing any that is not a base64 JPEG data URI."""
    count = 0
    for message in messages:
        content = message.get("content")
        if not isinstance(content, list):
            continue
        for part in content:
            if part.get("type") != "image_url":
                continue
            url = part.get("image_url", {}).get("url", "")
            prefix = "data:image/jpeg;base64,"
            if not url.startswith(prefix):
                raise ClientError(400, "image_url must be a data:image/jpeg;base64 URI")
            try:
                data = base64.b64decode(url[len(prefix) :], validate=True)
            except binascii.Error as exc:
                raise ClientError(400, f"image is not valid base64: {exc}") from exc
            if not (data.startswith(b"\xff\xd8\xff") and data.endswith(b"\xff\xd9")):
                raise ClientError(400, "image is not a JPEG file")
            count += 1
    return count


def last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            return content
        return "\n".join(p.get("text", "") for p in content if p.get("type") == "text")
    raise ClientError(400, "no user message")


def check_parameters(body: dict[str, Any], reasoning: bool) -> None:
    """Refuse parameters the way hosted reasoning models do, when asked to."""
    if not reasoning:
        return
    if "max_tokens" in body:
        raise ClientError(
            400,
            "Unsupported parameter: 'max_tokens' is not accepted here, send "
            "'max_completion_tokens' instead.",
        )
    if body.get("temperature", 1) != 1:
        raise ClientError(
            400,
            "Unsupported value: 'temperature' does not support this value; only 1 is supported.",
        )


def summarise(body: dict[str, Any], images: int) -> dict[str, Any]:
    messages = body["messages"]
    system = [m for m in messages if m.get("role") == "system"]
    return {
        "model": body.get("model"),
        "images": images,
        "temperature": body.get("temperature"),
        "max_tokens": body.get("max_tokens"),
        "max_completion_tokens": body.get("max_completion_tokens"),
        "system_is_string": bool(system) and isinstance(system[0]["content"], str),
        "roles": [m.get("role") for m in messages],
        "prompt": last_user_text(messages),
    }


def translation(prompt: str) -> str | None:
    """The reversible stand-in translation of a translate prompt, or None for other prompts."""
    found = TRANSLATE.match(prompt)
    if not found or "\nText: " not in prompt:
        return None
    target = found.group(1)
    text = prompt.split("\nText: ", 1)[1].strip()
    tagged = TAGGED.match(text)
    if target == "en":
        return " ".join(reversed(tagged.group(2).split())) if tagged else text
    return f"[{target}] " + " ".join(reversed(text.split()))


def completion(body: dict[str, Any], server: ChatServer) -> dict[str, Any]:
    """Check one chat request and build an answer that echoes what it carried."""
    model = body.get("model")
    if model not in server.models:
        raise ClientError(404, f"The model `{model}` does not exist.")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ClientError(400, "messages must be a non-empty list")
    check_parameters(body, server.options.reasoning_model)
    images = count_images(messages)
    budget = BUDGET.search(last_user_text(messages))
    words = budget.group(1) if budget else "none"
    text = f"A person stands by a door. images={images} budget-words={words} model={model}"
    if server.options.obey_budget and budget:
        # behave like a model that follows the word budget: the first N words of a longer answer
        answer = f"images={images} A woman in a red coat crosses the empty station hall."
        text = " ".join(answer.split()[: int(budget.group(1))])
    translated = translation(last_user_text(messages))
    if translated is not None:
        text = translated
    with server.stats.lock:
        server.stats.requests.append(summarise(body, images))
    return {
        "id": f"chatcmpl-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": len(text.split()), "total_tokens": 0},
    }


class Handler(BaseHTTPRequestHandler):
    server: ChatServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def do_GET(self) -> None:
        if self.path == "/stats":
            self._reply(200, self.server.stats.snapshot())
        elif self.path == "/v1/models" and self._authorised():
            with self.server.stats.lock:
                self.server.stats.model_requests += 1
            data = [{"id": m, "object": "model", "owned_by": "tests"} for m in self.server.models]
            self._reply(200, {"object": "list", "data": data})
        elif self.path != "/v1/models":
            self._error(404, f"no route {self.path}")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/stats/reset":
            self.server.stats.reset()
            self._reply(200, {"ok": True})
        elif self.path == "/v1/chat/completions" and self._authorised():
            self._chat(body)
        elif self.path != "/v1/chat/completions":
            self._error(404, f"no route {self.path}")

    def _chat(self, raw: bytes) -> None:
        stats = self.server.stats
        with stats.lock:
            stats.in_flight += 1
            stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
            stats.chat_requests += 1
            number = stats.chat_requests
        try:
            time.sleep(self.server.options.delay)
            if number <= self.server.options.fail_first:
                self._error(503, "warming up", {"Retry-After": "0.1"})
                return
            self._reply(200, completion(json.loads(raw), self.server))
        except ClientError as exc:
            self._error(exc.status, str(exc))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            self._error(400, f"malformed request: {exc}")
        finally:
            with stats.lock:
                stats.in_flight -= 1

    def _authorised(self) -> bool:
        key = self.server.options.api_key
        if key and self.headers.get("Authorization") != f"Bearer {key}":
            self._error(401, "Incorrect API key provided.", code="invalid_api_key")
            return False
        return True

    def _error(
        self, status: int, message: str, headers: dict[str, str] | None = None, code: str = ""
    ) -> None:
        error = {"message": message, "type": "invalid_request_error", "code": code or status}
        self._reply(status, {"error": error}, headers)

    def _reply(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--api-key", default="", help="require this bearer token")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds spent on each chat")
    parser.add_argument("--models", default="test-vlm", help="comma-separated model ids")
    parser.add_argument(
        "--obey-budget", action="store_true", help="answer within the prompt's word budget"
    )
    parser.add_argument("--fail-first", type=int, default=0, help="answer 503 to the first N chats")
    parser.add_argument(
        "--reasoning-model",
        action="store_true",
        help="refuse max_tokens and temperatures other than 1, as hosted reasoning models do",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    server = ChatServer(parse_args(argv))
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
