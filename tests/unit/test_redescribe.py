"""Describing one cue again: what the writer is told, and the line the offline writer gives."""

from __future__ import annotations

import pytest

from autodescribe.config import DescribeSettings
from autodescribe.errors import ConfigError
from autodescribe.types import Cue, Script
from autodescribe.writing.redescribe import (
    CueRequest,
    cue_budget,
    describe_cue_again,
    write_request,
)


def _script() -> Script:
    cues = [
        Cue(2.0, 4.0, "A tall woman waits.", scene=0, notes="A tall woman waits by a door."),
        Cue(6.0, 8.5, "Maya reads a letter.", scene=1, notes="Maya reads a letter."),
        Cue(10.0, 11.0, "She sits.", scene=2, notes="Maya sits at a table."),
        Cue(13.0, 15.0, "A bus leaves.", scene=3, notes="A bus pulls away."),
    ]
    return Script("film.mp4", "en", 20.0, cues, characters={"a tall woman": "Maya"})


def test_the_writer_sees_the_lines_before_and_the_notes_around() -> None:
    script = _script()
    request = write_request(script, CueRequest(2, 6))
    assert request.notes == "Maya sits at a table."
    assert request.context.previous == ("A tall woman waits.", "Maya reads a letter.")
    assert request.context.characters == (("a tall woman", "Maya"),)
    assert (request.previous_notes, request.next_notes) == (
        "Maya reads a letter.",
        "A bus pulls away.",
    )
    assert (request.scene.index, request.word_budget, request.language) == (2, 6, "en")


def test_the_budget_is_the_cues_time_and_never_less_than_its_words() -> None:
    script = _script()
    assert cue_budget(script, 1, 2.7) == 6  # 2.5 s at 2.7 words a second
    assert cue_budget(script, 2, 2.7) == 2  # 1 s holds 2 words; "She sits." has 2
    assert cue_budget(script, 0, 0.5) == 4  # its 4 words fit, so 4 still do


def test_cues_without_notes_or_out_of_range_are_refused_in_one_line() -> None:
    script = _script()
    script.cues[0] = Cue(2.0, 4.0, "A tall woman waits.")
    with pytest.raises(ConfigError, match="cue 1 has no notes") as refused:
        write_request(script, CueRequest(0, 6))
    assert "\n" not in str(refused.value)
    with pytest.raises(ConfigError, match="cue 9 does not exist"):
        write_request(script, CueRequest(8, 6))


def test_the_offline_writer_writes_again_from_the_notes() -> None:
    line = describe_cue_again(_script(), CueRequest(2, 6), DescribeSettings(describer="basic"))
    assert line.text == "Maya sits at a table."
