"""A job's characters: who each cue mentions, the face thumbnails, and renaming a person.

Privacy: identities live only in the job's own files. Everything here reads and
writes the job's script (in its out folder) and reads the thumbnails the
characters stage wrote into its work folder; nothing is sent anywhere, and no
identity is looked up in another job.

Which cues mention a character is worked out from their words, as narrate does
(`analysis.characters.mentioned_people`): its label (name, else descriptor) in a
cue of a scene it is seen in, or "a man", "a woman", "a person"... in a cue of a
scene where it is the only one seen. A re-render keeps the words, so the
mentions are always those of the words on file.

The rename rule. Renaming sets the name in the character bank (and forgets how
the film named them: the name is now the editor's) and, in every cue that
mentions the character, replaces its previous label with the new name:

- whole words only, case-insensitively ("Joe" is not replaced inside "Joey");
- a descriptor's article is any article: "a grey-haired man" also replaces
  "the grey-haired man", and the name takes the place of article and all;
- the name is written as it was typed, with its first letter capitalised where
  the replaced words opened a sentence;
- on-screen text stays verbatim: quotations, ALL-CAPS runs and what follows
  "Text on screen:" say what the picture shows, so a name read there is kept
  (`writing.clean.mask_on_screen_text`);
- a cue that mentions the character without its label (by "a man", "a woman",
  "a person") keeps its words; so does a cue of a scene the character is not
  seen in, even if it names them;
- only the whole label is replaced, never a part of it ("Obama" alone stays
  when "Barack Obama" is renamed).

A cue whose words changed loses its voice clip, so the re-render speaks it
again; every other cue keeps its clip.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePath

from autodescribe.server.security import no_links, plain_name
from autodescribe.types import Character, CharacterBank, Cue, Script

CHARACTER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
MAX_NAME = 80
_ARTICLES = frozenset({"a", "an", "the"})
_THUMBNAIL_SUFFIXES = frozenset({".jpg", ".jpeg"})
# the end of a text that the next word opens a sentence after (or the empty start of it)
_SENTENCE_OPENS = re.compile(r"(?:^|[.!?][\"”’')\]]*\s+)$")


@dataclass(frozen=True)
class Renamed:
    """A script after a rename, and which of its cues have new words (0-based)."""

    script: Script
    changed: tuple[int, ...]


def with_mentions(script: Script) -> list[Cue]:
    """The script's cues, each with the ids of the characters its words mention."""
    from autodescribe.analysis.characters import mentioned_people

    if script.character_bank is None or not script.character_bank.characters:
        return list(script.cues)
    return mentioned_people(script.cues, script.character_bank)


def rename_character(script: Script, ident: str, name: str) -> Renamed:
    """`script` with character `ident` called `name` (see the rule above); KeyError if unknown."""
    bank = script.character_bank
    character = bank.character(ident) if bank is not None else None
    if bank is None or character is None:
        raise KeyError(ident)
    replace = label_replacer(character.label, name)
    cues: list[Cue] = []
    changed: list[int] = []
    for index, cue in enumerate(with_mentions(script)):
        text = replace(cue.text) if ident in cue.people else cue.text
        if text != cue.text:
            cue = dataclasses.replace(cue, text=text, audio=None, rate=1.0)
            changed.append(index)
        cues.append(cue)
    renamed = dataclasses.replace(script, cues=cues, character_bank=_named(bank, ident, name))
    renamed.cues = with_mentions(renamed)
    return Renamed(renamed, tuple(changed))


def _named(bank: CharacterBank, ident: str, name: str) -> CharacterBank:
    characters = tuple(
        dataclasses.replace(c, name=name, named_by=None) if c.id == ident else c
        for c in bank.characters
    )
    return dataclasses.replace(bank, characters=characters)


def label_replacer(label: str | None, name: str) -> Callable[[str], str]:
    """A function writing `name` for each whole-word `label` outside on-screen text."""
    from autodescribe.writing.clean import masked_edits

    if not label or not label.split():
        return lambda text: text

    def edit(match: re.Match[str], text: str) -> str:
        opens = _SENTENCE_OPENS.search(text[: match.start()]) is not None
        return name[:1].upper() + name[1:] if opens else name

    return masked_edits((label_pattern(label), edit))


def label_pattern(label: str) -> str:
    """A regex for `label` as whole words, any spacing, any article before a descriptor."""
    words = label.split()
    head = ""
    if len(words) > 1 and words[0].casefold() in _ARTICLES:
        head, words = r"(?:an?|the)\s+", words[1:]
    body = r"\s+".join(re.escape(word) for word in words)
    return rf"(?<![\w-]){head}{body}(?![\w-])"


def clean_name(value: str) -> str:
    """A name as typed, on one line with single spaces; ValueError when it cannot be one."""
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in value):
        raise ValueError("a name is one line of text, without control characters")
    name = " ".join(value.split())
    if not name:
        raise ValueError("the name is empty; type the name to use")
    if len(name) > MAX_NAME:
        raise ValueError(f"the name is over {MAX_NAME} characters")
    return name


def thumbnail_file(jobs_dir: Path, work_dir: Path, character: Character) -> Path | None:
    """The character's thumbnail, a JPEG directly in a folder of the job's work folder.

    Only the last two parts of the stored path are used (the stage's folder and
    the file), looked up under `work_dir`: a script can never point outside the
    job, and no link is followed on the way.
    """
    if not character.thumbnail:
        return None
    stored = PurePath(character.thumbnail)
    folder, name = stored.parent.name, stored.name
    if not (plain_name(folder) and plain_name(name)):
        return None
    if PurePath(name).suffix.lower() not in _THUMBNAIL_SUFFIXES:
        return None
    path = work_dir / folder / name
    if not no_links(jobs_dir, path) or not path.is_file():
        return None
    return path
