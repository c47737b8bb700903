"""The overall bar over stages that run side by side."""

from __future__ import annotations

import threading

import pytest

from autodescribe.util.progress import (
    OVERALL,
    OverallShare,
    Planned,
    add_listener,
    overall,
    progress,
    remove_listener,
)

PLAN = [
    Planned("shots", 2.0),
    Planned("text", 4.0),
    Planned("speech", 1.0, "sound"),
    Planned("transcribe", 3.0, "sound"),
    Planned("faces", 2.0),
    Planned("voice", 4.0),
    Planned("rendering", 4.0),
    Planned("voice", 4.0),  # a second language
    Planned("rendering", 4.0),
]  # 28 in all


def test_a_side_lane_does_not_finish_the_main_lane() -> None:
    share = OverallShare(PLAN)
    assert share.hear("shots", 1.0, 2.0) == pytest.approx(100 * 1 / 28, abs=0.1)
    # the soundtrack starts beside the shots: the shots are not taken as done
    assert share.hear("speech", 0.5, 1.0) == pytest.approx(100 * 1.5 / 28, abs=0.1)
    # the text starts: the shots are done (2), the speech still half (0.5)
    assert share.hear("text", 0.0, 4.0) == pytest.approx(100 * 2.5 / 28, abs=0.1)
    # the transcript starts: the speech is done
    assert share.hear("transcribe", 1.5, 3.0) == pytest.approx(100 * 4.5 / 28, abs=0.1)
    # faces wait for both lanes: everything before them is done
    assert share.hear("faces", 0.0, 2.0) == pytest.approx(100 * 10 / 28, abs=0.1)


def test_a_stage_never_heard_counts_once_a_later_one_starts_and_labels_come_back() -> None:
    share = OverallShare(PLAN)
    # everything up to the faces was reused: the first voice bar finds them done
    assert share.hear("voice", 2.0, 4.0) == pytest.approx(100 * 14 / 28, abs=0.1)
    assert share.hear("rendering", 4.0, 4.0) == pytest.approx(100 * 20 / 28, abs=0.1)
    # the second language's voice is the next "voice", not the first one again
    assert share.hear("voice", 4.0, 4.0) == pytest.approx(100 * 24 / 28, abs=0.1)
    assert share.hear("rendering", 4.0, 4.0) == pytest.approx(100.0)
    assert share.hear("unplanned", 1.0, 1.0) is None


def test_listeners_hear_the_overall_percent_rise_while_lanes_interleave() -> None:
    heard: list[float] = []

    def listen(label: str, done: float, total: float | None) -> None:
        if label == OVERALL:
            heard.append(done)

    add_listener(listen)
    try:
        with overall([Planned("a", 1.0), Planned("b", 1.0, "side")]):

            def side() -> None:
                with progress("b", 4.0) as bar:
                    for _ in range(4):
                        bar.update(1.0)

            worker = threading.Thread(target=side)
            worker.start()
            with progress("a", 4.0) as bar:
                for _ in range(4):
                    bar.update(1.0)
            worker.join()
    finally:
        remove_listener(listen)
    assert heard == sorted(heard) and heard[-1] == 100.0
