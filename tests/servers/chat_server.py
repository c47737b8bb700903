"""A small OpenAI-compatible chat server for tests: real HTTP on loopback, stdlib only.

Its answer is built from the request, so a test can check what the client sent:
"A person stands by a door. images=3 budget-words=12 model=test-vlm". It counts
requests in flight at once and reports that, and a summary of every chat request
(its prompt, and the SHA-256 of each image's JPEG bytes), at GET /stats
(POST /stats/reset clears them). It prints its port on the first stdout line.

With --realistic, describe prompts are answered the way an audio describer
writes instead: whole sentences chosen to fit the word budget (long when there
is room, short when there is not), numbers as digits ("A clock reads 10:45."),
the scene's on-screen text read verbatim ("A sign reads EXIT 12."), and the one
person by a descriptor until the prompt's "Characters so far" gives her name.
Shorten prompts keep the leading sentences that fit; summary prompts get a
title line and a summary. Two-pass prompts are answered too: a look prompt
gets notes (a list of the scene's facts), a write prompt the line a one-pass
prompt for that scene would get. The line for a scene depends only on its prompt.

With --answers FILE (JSON lines of recorded-style model answers, such as
tests/data/answers/corpus.jsonl), prompts with frames (and two-pass write prompts)
get those answers instead: model "corpus/ID" always gets entry ID, any other model
the next scene answer in turn; asked for `n`, the further choices are the next
scene answers. Title-and-summary prompts get the summary entries, rewrite requests get the
entry's "rewrite" (else, in turn, the text with the named sentences removed or
the text unchanged), shorten prompts the leading sentences that fit, wrapped in
chatter now and then. Each answer carries the entry's finish_reason.

Misbehaving on purpose: --fail-first N answers the first N chats with
--fail-status (503) and a Retry-After of --retry-after seconds ("" for none).
--break-after N, or --break-on TEXT (chats whose body holds TEXT), makes chats
misbehave as --break-with says: "status" (--fail-status), "stall" (no answer for
--stall seconds), "malformed" (a 200 whose body is cut-off JSON) or "no-choices".

Translation prompts (autodescribe's translate template) get a reversible answer:
into English, "[xx] " is dropped and the word order reversed back; into any other
language xx, the words come back in reverse order behind "[xx] ". So en -> pl -> en
returns the original text, and a test can see which text and target were sent.

    python tests/servers/chat_server.py [--api-key K] [--delay S] [--models a,b]
        [--fail-first N] [--reasoning-model] [--obey-budget] [--realistic]
        [--answers FILE] [--fail-status CODE] [--retry-after S]
        [--break-after N | --break-on TEXT] [--break-with KIND] [--stall S]
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import hashlib
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
SCENE_AT = re.compile(r"The frames are from a [\d.]+-second scene at (\d+):(\d\d) ")
CHARACTERS = re.compile(r"^Characters so far: (.+)$", re.M)
ON_SCREEN = re.compile(r"^On-screen text in this scene: (.+)$", re.M)
PEOPLE = re.compile(r"^People in this scene: (.+)$", re.M)
SHORTEN = re.compile(r"^Rewrite this audio description in at most (\d+) words[^\n]*\n(.+)$", re.S)
SUMMARY = "These are the audio descriptions of a video"
# What an audio describer might say about three kinds of shot. Each has ways to say
# what the one person does, longest first ("{who}": a descriptor until the film names
# her, then her name), and further sentences, most important first.
SHOTS = (
    (
        (
            "{who} stands at a kitchen counter, turning a ring of keys over in her hands.",
            "{who} holds a ring of keys.",
            "{who} waits.",
        ),
        ("A clock reads 10:45.", "Rain runs down the window behind her."),
    ),
    (
        ("{who} hurries down a tiled corridor, her coat flapping.", "{who} hurries on."),
        ("She counts 3 coins.", "Strip lights flicker overhead."),
    ),
    (
        ("{who} drops the keys on the table.", "{who} sits."),
        ("Outside, 2 buses pull away from the stop.", "She smiles."),
    ),
)
NEWCOMER = "A tall woman"
SENTENCE = re.compile(r"[^.!?]+[.!?]")
DANGLING = frozenset("a an the at in on of to with and her his over from by into".split())


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
        self.corpus = Corpus.load(options.answers) if options.answers else None


class ClientError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def count_images(messages: list[dict[str, Any]]) -> int:
    """Count image parts, refusing any that is not a base64 JPEG data URI."""
    return len(image_digests(messages))


def image_digests(messages: list[dict[str, Any]]) -> list[str]:
    """The SHA-256 of each image's JPEG bytes, refusing any that is not a base64 JPEG data URI."""
    digests: list[str] = []
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
            digests.append(hashlib.sha256(data).hexdigest())
    return digests


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
        "image_sha256": image_digests(messages),
        "temperature": body.get("temperature"),
        "max_tokens": body.get("max_tokens"),
        "max_completion_tokens": body.get("max_completion_tokens"),
        "system_is_string": bool(system) and isinstance(system[0]["content"], str),
        "roles": [m.get("role") for m in messages],
        "prompt": last_user_text(messages),
        "n": body.get("n", 1),
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


def fit_sentences(sentences: list[str], budget: int) -> list[str]:
    """The sentences that fit together in `budget` words, earlier ones first, in order."""
    kept: list[str] = []
    for sentence in sentences:
        if sum(len(k.split()) for k in kept) + len(sentence.split()) <= budget:
            kept.append(sentence)
    return kept


def who(prompt: str) -> str:
    """The woman as the prompt knows her: her name once given, else her descriptor."""
    found = CHARACTERS.search(prompt)
    if not found:
        return NEWCOMER
    first = found.group(1).split("; ")[0]
    named = re.match(r"^(.+?) \((.+)\)$", first)
    if named:
        return named.group(1)
    return "The " + first.split(" ", 1)[1] if first.startswith(("a ", "an ")) else first


def realistic_description(prompt: str, at: re.Match[str], budget: int) -> str:
    """An audio-description line for a describe prompt, chosen by the scene's start (`at`).

    On-screen text comes first, read verbatim; then the longest way of saying
    what she does that still fits; then whatever else fits. A budget too small
    for her gets the sign alone, or her shortest line over budget, as a model
    might write it.
    """
    seconds = int(at.group(1)) * 60 + int(at.group(2))
    actions, extras = SHOTS[seconds // 8 % len(SHOTS)]
    person = who(prompt)
    text = ON_SCREEN.search(prompt)
    sign = [f"A sign reads {text.group(1).split(' | ')[0]}."] if text else []
    for action in actions:
        chosen = fit_sentences([*sign, action.format(who=person), *extras], budget)
        if action.format(who=person) in chosen:
            return " ".join(chosen)
    return " ".join(fit_sentences(sign, budget)) or actions[-1].format(who=person)


def realistic_shortening(found: re.Match[str]) -> str:
    """Keep the leading sentences that fit; a sentence too long alone is cut at a word."""
    budget, text = int(found.group(1)), found.group(2).strip()
    sentences = [s.strip() for s in SENTENCE.findall(text)] or [text]
    kept = fit_sentences(sentences, budget)
    if kept:
        return " ".join(kept)
    words = sentences[0].rstrip(".!?").replace(",", "").split()[:budget]
    while len(words) > 1 and words[-1].lower() in DANGLING:
        words.pop()
    return " ".join(words) + "."


def realistic_notes(prompt: str, at: re.Match[str]) -> str:
    """A vision model's notes on a scene: a list of facts, the sign read verbatim."""
    seconds = int(at.group(1)) * 60 + int(at.group(2))
    actions, extras = SHOTS[seconds // 8 % len(SHOTS)]
    people = PEOPLE.search(prompt)
    person = people.group(1).split(", ")[0] if people else NEWCOMER
    facts = [actions[0].format(who=person[:1].upper() + person[1:]), *extras]
    text = ON_SCREEN.search(prompt)
    if text:
        facts.insert(0, f"A sign reads {text.group(1).split(' | ')[0]}.")
    return "Notes:\n" + "\n".join(f"- {fact}" for fact in facts)


def realistic(prompt: str, budget: int | None) -> str | None:
    """What a careful describer model answers to one of autodescribe's prompts, or None.

    Two-pass prompts too: a look prompt gets notes, and a write prompt the same
    line a one-pass describe prompt for that scene would get.
    """
    look = LOOK.search(prompt)
    if look is not None:
        return realistic_notes(prompt, look)
    write = WRITE_AT.search(prompt)
    if write is not None and budget is not None:
        return realistic_description(prompt, write, budget)
    shortening = SHORTEN.match(prompt)
    if shortening:
        return realistic_shortening(shortening)
    if prompt.startswith(SUMMARY):
        return (
            "The Lost Keys\nA woman looks for her keys at home and in a station corridor, "
            "counts her coins and finds the keys on the table."
        )
    at = SCENE_AT.search(prompt)
    if at is not None and budget is not None:
        return realistic_description(prompt, at, budget)
    return None


# --- two-pass describing: notes from the frames, then lines from the notes ---------------------

LOOK = re.compile(r"scene at (\d+):(\d\d) in the video\.\nWrite the notes for this scene")
WRITE = re.compile(r"^Notes on (?:this scene|clip \d+ of \d+) \([^)]*\)[^:\n]*:\n(.+)$", re.M)
WRITE_AT = re.compile(r"^Notes on this scene \([\d.]+ seconds at (\d+):(\d\d)\):$", re.M)
LONG = "Behind the person, a long row of lamps flickers on and off above a wet and empty street."


def two_pass_answers(prompt: str, n: int) -> list[str] | None:
    """Answers to look and write prompts that show what the client sent, or None.

    A look prompt gets notes naming the scene's start ("door 4" for 0:04), wrapped
    in chatter and a list. A write prompt gets its notes back as the line; with
    `n` choices, the second also reads the prompt's on-screen text, the third runs
    over any small budget and the fourth says it in other words, so a client's
    choice can be seen.
    """
    look = LOOK.search(prompt)
    if look is not None:
        seconds = int(look.group(1)) * 60 + int(look.group(2))
        return [f"Here are my notes:\n- A person waits at door {seconds}."] * n
    write = WRITE.search(prompt)
    if write is None:
        return None
    line = write.group(1).strip()
    shown = ON_SCREEN.search(prompt)
    read = f" A sign reads {shown.group(1)}." if shown else " The person looks up."
    variants = [f"Sure! {line}", line + read, f"{line} {LONG}", line.replace("A person", "Someone")]
    return [variants[i % len(variants)] for i in range(n)]


# --- answers from a corpus, and misbehaving on purpose ----------------------------------------

CORPUS_MODEL = "corpus/"
REWRITE = re.compile(
    r"^This audio description breaks these writing rules:\n(?P<rules>.*?)\n"
    r"Write it again.*?\nDescription: (?P<text>.*)$",
    re.S,
)
RULE_QUOTE = re.compile(r'^- "(.+?)":', re.M)
CORPUS_SHORTEN = re.compile(
    r"^Rewrite this audio description in at most (\d+) words[^\n]*\n(.+)$", re.S
)
CORPUS_SUMMARY = "On the first line write a title"
CORPUS_DANGLING = frozenset(
    """a an the at in on of to with and her his from by into as across through over along
    while before after onto toward towards past behind under""".split()
)
MALFORMED = b'{"id": "chatcmpl-1", "object": "chat.completion", "choices": [{"index": 0, "mess'


@dataclass
class Corpus:
    """Recorded-style answers by id, the counters that hand them out in turn, what was served."""

    entries: dict[str, dict[str, Any]]
    lock: threading.Lock = field(default_factory=threading.Lock)
    turns: dict[str, int] = field(default_factory=dict)
    given: dict[str, tuple[str, int]] = field(default_factory=dict)  # model+prompt: (id, tokens)
    served: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, path: str) -> Corpus:
        lines = open(path, encoding="utf-8").read().splitlines()
        entries = [json.loads(line) for line in lines if line.strip()]
        return cls({entry["id"]: entry for entry in entries})

    def reset(self) -> None:
        with self.lock:
            self.turns.clear()
            self.given.clear()
            self.served.clear()

    def turn(self, counter: str) -> int:
        with self.lock:
            self.turns[counter] = self.turns.get(counter, -1) + 1
            return self.turns[counter]

    def next(self, kind: str) -> dict[str, Any]:
        """The next entry of a kind ("scene" or "summary"), round and round in file order."""
        ids = [i for i, entry in self.entries.items() if entry.get("kind", "scene") == kind]
        return self.entries[ids[self.turn(kind) % len(ids)]]

    def serve(self, entry: dict[str, Any], key: str, tokens: int) -> tuple[str, str]:
        with self.lock:
            self.served.append(entry["id"])
            self.given.setdefault(key, (entry["id"], tokens))
        return entry["answer"], entry.get("finish_reason", "stop")

    def asked_again(self, key: str, tokens: int) -> dict[str, Any] | None:
        """The entry first given for a model and prompt that come back with more tokens."""
        with self.lock:
            first = self.given.get(key)
        if first is None or tokens <= first[1]:
            return None
        return self.entries[first[0]]


def corpus_answer(
    server: ChatServer, model: str, prompt: str, images: int, tokens: int
) -> tuple[str, str] | None:
    """(text, finish_reason) from the corpus for this prompt, or None to answer as usual."""
    corpus = server.corpus
    if corpus is None:
        return None
    named = (
        corpus.entries.get(model.removeprefix(CORPUS_MODEL))
        if corpus_model(server, model)
        else None
    )
    rewrite = REWRITE.match(prompt)
    if rewrite:
        if named is not None and "rewrite" in named:
            return named["rewrite"], "stop"
        stubborn = named is not None or corpus.turn("rewrite") % 2 == 1
        return (rewrite.group("text") if stubborn else corpus_fix(rewrite)), "stop"
    shortening = CORPUS_SHORTEN.match(prompt)
    if shortening:
        return corpus_shortening(shortening, corpus.turn("shorten")), "stop"
    if CORPUS_SUMMARY in prompt:
        summary = named is not None and named.get("kind") == "summary"
        return corpus.serve(named if summary else corpus.next("summary"), model + prompt, tokens)
    if images == 0 and "Describe what a blind viewer" not in prompt and not WRITE.search(prompt):
        return None
    key = f"{model}\n{prompt}"
    again = corpus.asked_again(key, tokens)
    if again is not None and "again" in again:
        return again["again"], "stop"  # asked again after an answer cut off by the token limit
    scene = named is not None and named.get("kind", "scene") == "scene"
    return corpus.serve(named if scene else corpus.next("scene"), key, tokens)


def corpus_model(server: ChatServer, model: Any) -> bool:
    """Whether `model` names a corpus entry ("corpus/ID") this server was given."""
    if server.corpus is None or not isinstance(model, str) or not model.startswith(CORPUS_MODEL):
        return False
    return model.removeprefix(CORPUS_MODEL) in server.corpus.entries


def corpus_fix(found: re.Match[str]) -> str:
    """A model that follows a rewrite request: the sentences with the named words go."""
    named = RULE_QUOTE.findall(found.group("rules"))
    sentences = re.findall(r"[^.!?]+[.!?]*", found.group("text"))
    kept = [s.strip() for s in sentences if not any(n in s for n in named)]
    return " ".join(kept)


def corpus_shortening(found: re.Match[str], turn: int) -> str:
    """The leading sentences that fit, or the first cut to the budget; chatty now and then."""
    budget, text = int(found.group(1)), found.group(2).strip()
    sentences = [s.strip() for s in re.findall(r"[^.!?]+[.!?]*", text)] or [text]
    kept: list[str] = []
    for sentence in sentences:
        if sum(len(k.split()) for k in kept) + len(sentence.split()) > budget:
            break
        kept.append(sentence)
    if not kept:
        words = sentences[0].rstrip(".!?").replace(",", "").split()[:budget]
        while len(words) > 1 and words[-1].lower() in CORPUS_DANGLING:
            words.pop()
        kept = [" ".join(words) + "."]
    short = " ".join(kept)
    styles = ("{}", 'Here\'s a shorter version:\n\n"{}"', "**Shortened description:** {}")
    return styles[turn % len(styles)].format(short)


def breaks(options: argparse.Namespace, number: int, raw: bytes) -> bool:
    """Whether chat number `number` (its body `raw`) is one to misbehave on."""
    if options.break_after is not None and number > options.break_after:
        return True
    return bool(options.break_on) and options.break_on.encode() in raw


def retry_headers(options: argparse.Namespace) -> dict[str, str]:
    return {"Retry-After": options.retry_after} if options.retry_after else {}


def completion(body: dict[str, Any], server: ChatServer) -> dict[str, Any]:
    """Check one chat request and build an answer that echoes what it carried."""
    model = body.get("model")
    if model not in server.models and not corpus_model(server, model):
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
    if server.options.realistic:
        written = realistic(last_user_text(messages), int(budget.group(1)) if budget else None)
        text = written if written is not None else text
    finish = "stop"
    tokens = body.get("max_tokens") or body.get("max_completion_tokens") or 0
    served = corpus_answer(server, str(model), last_user_text(messages), images, int(tokens))
    if served is not None:
        text, finish = served
    translated = translation(last_user_text(messages))
    if translated is not None:
        text = translated
    n = body.get("n", 1)
    if not isinstance(n, int) or not 1 <= n <= 16:
        raise ClientError(400, "n must be an integer from 1 to 16")
    texts = [text] * n
    passes = None if server.options.realistic else two_pass_answers(last_user_text(messages), n)
    if passes is not None and served is None:
        texts = passes
    elif served is not None and server.corpus is not None:  # the next answers in turn
        texts = [text] + [server.corpus.next("scene")["answer"] for _ in range(n - 1)]
    with server.stats.lock:
        server.stats.requests.append(summarise(body, images))
    return {
        "id": f"chatcmpl-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": i, "message": {"role": "assistant", "content": t}, "finish_reason": finish}
            for i, t in enumerate(texts)
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
            snapshot = self.server.stats.snapshot()
            if self.server.corpus is not None:
                snapshot["corpus_served"] = list(self.server.corpus.served)
            self._reply(200, snapshot)
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
            if self.server.corpus is not None:
                self.server.corpus.reset()
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
            options = self.server.options
            if number <= options.fail_first:
                self._error(options.fail_status, "warming up", retry_headers(options))
                return
            if breaks(options, number, raw):
                self._misbehave()
                return
            self._reply(200, completion(json.loads(raw), self.server))
        except ClientError as exc:
            self._error(exc.status, str(exc))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            self._error(400, f"malformed request: {exc}")
        finally:
            with stats.lock:
                stats.in_flight -= 1

    def _misbehave(self) -> None:
        """Fail as --break-with says: a status, silence past the timeout, or broken JSON."""
        options = self.server.options
        if options.break_with == "status":
            self._error(
                options.fail_status, "the model server is overloaded", retry_headers(options)
            )
        elif options.break_with == "stall":
            time.sleep(options.stall)
            with contextlib.suppress(OSError):  # the client has long given up
                self._error(504, "too late")
        elif options.break_with == "malformed":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(MALFORMED)))
            self.end_headers()
            self.wfile.write(MALFORMED)
        else:
            self._reply(200, {"object": "error", "message": "no completion this time"})

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
    parser.add_argument(
        "--realistic",
        action="store_true",
        help="answer describe, shorten and summary prompts as an audio describer would",
    )
    parser.add_argument("--fail-first", type=int, default=0, help="answer 503 to the first N chats")
    parser.add_argument("--answers", default="", help="a JSON-lines corpus of answers to serve")
    parser.add_argument("--fail-status", type=int, default=503, help="status of failed chats")
    parser.add_argument("--retry-after", default="0.1", help="Retry-After of failed chats")
    parser.add_argument("--break-after", type=int, default=None, help="misbehave after N chats")
    parser.add_argument("--break-on", default="", help="misbehave on chats holding this text")
    parser.add_argument(
        "--break-with",
        choices=("status", "stall", "malformed", "no-choices"),
        default="status",
        help="how to misbehave",
    )
    parser.add_argument("--stall", type=float, default=30.0, help="seconds a stalled chat waits")
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
