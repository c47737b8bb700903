"""The WebVTT parser algorithm of the W3C/WHATWG WebVTT spec, as browsers run it.

`parse_webvtt` follows the spec's "WebVTT parser algorithm" step for step: the
signature check, the header block, "collect a WebVTT block" (with its rules for
a `-->` on the first or second line of a block, which make an id such as `-->`
or a `NOTE` line directly above a timing line behave as in browsers), "collect
WebVTT cue timings and settings" and "collect a WebVTT timestamp". It works on
lines rather than characters, which the spec's line-feed handling allows.

Where the spec silently drops something, the result says so in `problems`
(a cue whose timing line is malformed, text outside any cue) so a reader can
warn about it; none of these stop the file from being read. Cue settings are
parsed by browsers but cannot make a cue fail, and we keep no layout, so they
are skipped here. Tested against the web-platform-tests `webvtt/parsing` files.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

_SIGNATURE = "WEBVTT"
_WHITESPACE = " \t\x0c"  # ASCII whitespace that can occur inside one line
_TAG = re.compile(r"<[^>]*>?")  # the cue text tokenizer's tag: `<` up to `>` or the end
_BLOCK_KEYWORD = re.compile(r"^(STYLE|REGION)[ \t\n\x0c\r]*$")
_COMMENT = re.compile(r"^NOTE(?:[ \t]|$)")
_IGNORED = re.compile(r"^(?:STYLE|REGION)\b")  # such blocks after the first cue, or old syntax


class SignatureError(ValueError):
    """The text does not start with the WebVTT signature, so no browser reads it."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class VttCue:
    """One cue as a browser's `VTTCue` has it: `text` is the raw cue text, tags and all."""

    identifier: str
    start: float
    end: float
    text: str
    line: int  # 1-based line number of the timing line


@dataclass(frozen=True)
class VttProblem:
    """Something in the file that a browser skips without a word."""

    line: int
    message: str


@dataclass
class VttDocument:
    cues: list[VttCue] = field(default_factory=list)
    comments: list[tuple[int, str]] = field(default_factory=list)  # NOTE blocks
    problems: list[VttProblem] = field(default_factory=list)


def parse_webvtt(text: str) -> VttDocument:
    """Cues, comments and problems of a decoded WebVTT file (its UTF-8 BOM already removed).

    Raises SignatureError when the file does not start with `WEBVTT` followed by
    a space, a tab, a line break or nothing.
    """
    text = text.replace("\0", "\ufffd").replace("\r\n", "\n").replace("\r", "\n")
    _check_signature(text)
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # a final line feed ends the last line; it starts no new one
    return _Parser(lines).run()


def plain_text(cue_text: str) -> str:
    """A cue's text as a browser's `getCueAsHTML().textContent`: tags gone, references decoded."""
    return "".join(html.unescape(part) for part in _TAG.split(cue_text))


class TimingError(ValueError):
    """A cue timing line that "collect WebVTT cue timings and settings" rejects."""


def parse_timings(line: str) -> tuple[float, float]:
    """Start and end seconds of a cue timing line; raises TimingError saying why not."""
    scanner = _Scanner(line)
    scanner.skip_whitespace()
    start = scanner.timestamp("start time")
    scanner.skip_whitespace()
    if not scanner.take("-->"):
        raise TimingError("expected '-->' after the start time")
    scanner.skip_whitespace()
    end = scanner.timestamp("end time")
    return start, end


def _check_signature(text: str) -> None:
    first_line = text.split("\n", 1)[0]
    if not text:
        raise SignatureError("the file is empty")
    if not text.startswith(_SIGNATURE):
        raise SignatureError(f"it must start with 'WEBVTT' (found {first_line[:40]!r})")
    if len(text) > len(_SIGNATURE) and text[len(_SIGNATURE)] not in " \t\n":
        raise SignatureError(
            "'WEBVTT' must be followed by a space, a tab or a line break "
            f"(found {first_line[:40]!r})"
        )


class _Scanner:
    """A position in one line, for the spec's timestamp and timing steps."""

    def __init__(self, line: str) -> None:
        self.line = line
        self.pos = 0

    def peek(self) -> str:
        return self.line[self.pos : self.pos + 1]

    def take(self, expected: str) -> bool:
        if self.line.startswith(expected, self.pos):
            self.pos += len(expected)
            return True
        return False

    def skip_whitespace(self) -> None:
        while self.peek() and self.peek() in _WHITESPACE:
            self.pos += 1

    def digits(self) -> str:
        start = self.pos
        while self.peek().isascii() and self.peek().isdigit():
            self.pos += 1
        return self.line[start : self.pos]

    def timestamp(self, name: str) -> float:
        """The spec's "collect a WebVTT timestamp": `[h…h:]mm:ss.ttt`."""
        try:
            return self._timestamp()
        except TimingError as exc:
            raise TimingError(f"{name}: {exc}") from None

    def _timestamp(self) -> float:
        first = self.digits()
        if not first:
            raise TimingError("a time must start with a digit")
        has_hours = len(first) != 2 or int(first) > 59
        if not self.take(":"):
            raise TimingError(f"expected ':' after {first!r}")
        second = self._two_digits("minutes" if has_hours else "minutes or seconds")
        if has_hours or self.peek() == ":":
            if not self.take(":"):
                raise TimingError("expected ':' before the seconds")
            hours, minutes, seconds = int(first), second, self._two_digits("seconds")
        else:
            hours, minutes, seconds = 0, int(first), second
        if not self.take("."):
            raise TimingError("expected '.' before the milliseconds")
        millis = self.digits()
        if len(millis) != 3:
            raise TimingError("milliseconds need exactly three digits")
        if minutes > 59 or seconds > 59:
            raise TimingError("minutes and seconds must be below 60")
        return hours * 3600 + minutes * 60 + seconds + int(millis) / 1000

    def _two_digits(self, what: str) -> int:
        value = self.digits()
        if len(value) != 2:
            raise TimingError(f"{what} need exactly two digits")
        return int(value)


@dataclass
class _Block:
    """What "collect a WebVTT block" gathered."""

    first_line: int
    buffer: list[str] = field(default_factory=list)
    cue: VttCue | None = None
    keyword_block: bool = False  # a STYLE or REGION block
    bad_timing: VttProblem | None = None


class _Parser:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.index = 1  # line 0 is the signature
        self.seen_cue = False
        self.document = VttDocument()

    def run(self) -> VttDocument:
        if self.index < len(self.lines):
            if self.lines[self.index]:
                self._collect_block(in_header=True)
            else:
                self.index += 1
        self._skip_blank_lines()
        while self.index < len(self.lines):
            self._record(self._collect_block(in_header=False))
            self._skip_blank_lines()
        return self.document

    def _skip_blank_lines(self) -> None:
        while self.index < len(self.lines) and not self.lines[self.index]:
            self.index += 1

    def _collect_block(self, in_header: bool) -> _Block:
        block = _Block(first_line=self.index + 1)
        line_count = 0
        seen_arrow = False
        while self.index < len(self.lines):
            line = self.lines[self.index]
            line_count += 1
            if "-->" in line:
                if in_header or not (line_count == 1 or (line_count == 2 and not seen_arrow)):
                    break  # this line starts the next block
                seen_arrow = True
                self.index += 1
                self._create_cue(block, line)
                continue
            self.index += 1
            if not line:
                break
            if not in_header and line_count == 2:
                self._check_keyword(block)
            block.buffer.append(line)
        return block

    def _create_cue(self, block: _Block, line: str) -> None:
        number = self.index  # the timing line, 1-based (index already moved past it)
        try:
            start, end = parse_timings(line)
        except TimingError as exc:
            block.cue = None
            block.bad_timing = VttProblem(number, f"cue skipped: bad timing {line!r} ({exc})")
            return
        block.cue = VttCue("\n".join(block.buffer), start, end, "", number)
        block.buffer = []
        self.seen_cue = True

    def _check_keyword(self, block: _Block) -> None:
        if not self.seen_cue and len(block.buffer) == 1 and _BLOCK_KEYWORD.match(block.buffer[0]):
            block.keyword_block = True
            block.buffer = []

    def _record(self, block: _Block) -> None:
        document = self.document
        if block.cue is not None:
            cue = block.cue
            text = "\n".join(block.buffer)
            document.cues.append(VttCue(cue.identifier, cue.start, cue.end, text, cue.line))
        elif block.bad_timing is not None:
            document.problems.append(block.bad_timing)
        elif block.keyword_block or not block.buffer:
            return
        elif _COMMENT.match(block.buffer[0]):
            document.comments.append((block.first_line, "\n".join(block.buffer)))
        elif not _IGNORED.match(block.buffer[0]):
            message = f"text without cue timings skipped ({block.buffer[0][:40]!r})"
            document.problems.append(VttProblem(block.first_line, message))
