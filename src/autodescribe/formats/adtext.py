"""`NAME.ad.txt`: the full text alternative to the described video.

Some people read rather than watch or listen (deafblind users with a braille
display, people skimming before choosing a film). This file puts the title,
the summary and every description in order, each with the time it is spoken,
as plain UTF-8 prose a screen reader reads without markup noise.
"""

from __future__ import annotations

from pathlib import Path

from autodescribe.formats import text_lines
from autodescribe.types import Script
from autodescribe.util.cache import write_atomic
from autodescribe.util.languages import LANGUAGES


def write_ad_text(script: Script, path: Path, clock_video: str | None = None) -> None:
    """Write the text alternative of `script`, atomically."""
    write_atomic(path, ad_text(script, clock_video))


def ad_text(script: Script, clock_video: str | None = None) -> str:
    """The text alternative as one string: heading lines, summary, then timed descriptions.

    `clock_video` names the file the times refer to (the described video, whose
    pauses for extended description move later descriptions on).
    """
    title = script.title or Path(script.video).stem or "Untitled video"
    parts = [title, ""]
    if script.summary:
        parts += ["Summary:", " ".join(text_lines(script.summary)), ""]
    language = LANGUAGES.get(script.language.split("-")[0].lower(), (script.language,))[0]
    count = len(script.cues)
    noun = "description" if count == 1 else "descriptions"
    parts += [f"Audio description script ({language}), {count} {noun}, in order of time."]
    if clock_video:
        parts.append(f"Times are those of {clock_video}.")
    parts.append("")
    for cue in sorted(script.cues, key=lambda c: c.start):
        parts += [f"[{_time_label(cue.start)}] {' '.join(text_lines(cue.text))}", ""]
    return "\n".join(parts).rstrip("\n") + "\n"


def _time_label(seconds: float) -> str:
    """`[HH:MM:SS]`: whole seconds, rounded down, as the moment the description starts."""
    whole = max(int(seconds + 1e-6), 0)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}"
