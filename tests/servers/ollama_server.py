"""A small server that speaks Ollama's API for tests: real HTTP on loopback, stdlib only.

It answers what a client uses to find a vision model, in the shapes Ollama's API
reference gives: `GET /api/tags` lists the pulled models (`name`, `model`,
`modified_at`, `size`, `digest`, `details`) and `POST /api/show {"model": NAME}`
gives one model's `details` and `capabilities` (`["completion", "vision"]` for the
vision models, `["completion"]` for the others; 404 for a model not pulled).
`GET /` says "Ollama is running". Everything else is the OpenAI-compatible `/v1`
of tests/servers/chat_server.py (chat completions answered the same way, `/stats`),
serving every model listed. It prints its port on the first stdout line.

    python tests/servers/ollama_server.py [--vision a,b] [--text c,d] [chat_server options]
"""

from __future__ import annotations

import argparse
import hashlib
import json
from typing import Any

import chat_server  # beside this file, which is on the path when run as a script

MODIFIED_AT = "2026-11-01T12:00:00.000000000Z"


class OllamaServer(chat_server.ChatServer):
    def __init__(self, options: argparse.Namespace, vision: list[str], text: list[str]) -> None:
        super().__init__(options)
        self.RequestHandlerClass = OllamaHandler
        self.vision = vision
        self.pulled = [*text, *vision]  # text models first: a client must not take the first


def details(name: str) -> dict[str, Any]:
    family = name.split(":", 1)[0]
    return {
        "parent_model": "",
        "format": "gguf",
        "family": family,
        "families": [family],
        "parameter_size": "1.0B",
        "quantization_level": "Q4_K_M",
    }


def tag(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "model": name,
        "modified_at": MODIFIED_AT,
        "size": 1_000_000,
        "digest": hashlib.sha256(name.encode()).hexdigest(),
        "details": details(name),
    }


class OllamaHandler(chat_server.Handler):
    server: OllamaServer

    def do_GET(self) -> None:
        if self.path == "/":
            self._text(200, "Ollama is running")
        elif self.path == "/api/tags":
            self._reply(200, {"models": [tag(name) for name in self.server.pulled]})
        else:
            super().do_GET()

    def do_POST(self) -> None:
        if self.path != "/api/show":
            super().do_POST()
            return
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            name = body["model"]
        except (ValueError, KeyError, TypeError):
            self._reply(400, {"error": "model is required"})
            return
        if name not in self.server.pulled:
            self._reply(404, {"error": f"model '{name}' not found"})
            return
        capabilities = ["completion", "vision"] if name in self.server.vision else ["completion"]
        self._reply(
            200,
            {
                "parameters": "temperature 0.7",
                "license": "",
                "modified_at": MODIFIED_AT,
                "template": "{{ .Prompt }}",
                "details": details(name),
                "model_info": {"general.architecture": details(name)["family"]},
                "capabilities": capabilities,
            },
        )

    def _text(self, status: int, text: str) -> None:
        payload = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vision", default="", help="comma-separated vision model names")
    parser.add_argument("--text", default="", help="comma-separated text-only model names")
    ours, rest = parser.parse_known_args(argv)
    vision = [m for m in ours.vision.split(",") if m]
    text = [m for m in ours.text.split(",") if m]
    options = chat_server.parse_args(rest)
    options.models = ",".join([*vision, *text])
    server = OllamaServer(options, vision, text)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
