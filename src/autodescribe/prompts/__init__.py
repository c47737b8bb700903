"""Prompt templates: versioned text files, filled by pure functions.

Each description records the template version it was written with.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from autodescribe.languages import language_name


@dataclass(frozen=True)
class Template:
    version: str
    sections: dict[str, str]


@cache
def load_template(name: str = "describe") -> Template:
    raw = files("autodescribe.prompts").joinpath(f"{name}.txt").read_text(encoding="utf-8")
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
