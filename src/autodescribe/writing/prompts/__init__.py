"""Prompt templates: versioned text files, filled by pure functions.

Each description records the template version it was written with.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files


@dataclass(frozen=True)
class Template:
    version: str
    sections: dict[str, str]

    def fields(self, section: str) -> dict[str, str]:
        """A section written as `key: text` lines, in file order.

        The context labels live in the template, not the code, so rewording one
        is a template change that bumps the version.
        """
        pairs = (line.partition(":") for line in self.sections[section].splitlines())
        return {key.strip(): text.strip() for key, sep, text in pairs if sep and key.strip()}


@cache
def load_template(name: str = "describe") -> Template:
    raw = files("autodescribe.writing.prompts").joinpath(f"{name}.txt").read_text(encoding="utf-8")
    header, _, body = raw.partition("\n---")
    version = header.split(":", 1)[1].strip()
    sections: dict[str, str] = {}
    for chunk in ("---" + body).split("\n---")[0:]:
        chunk = chunk.removeprefix("---")
        title, _, text = chunk.partition("\n")
        sections[title.strip()] = text.strip()
    return Template(version=version, sections=sections)


def timestamp(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"
