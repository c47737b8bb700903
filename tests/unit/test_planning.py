"""Scenes, gaps, slots and fit decisions: pure functions with exact expectations."""

from __future__ import annotations

from autodescribe.analysis.gaps import find_gaps, plan_slots
from autodescribe.analysis.scenes import build_scenes, group_shots, pick_spread
from autodescribe.config import FitSettings, GapSettings
from autodescribe.types import Gap, Scene, Shot, SpeechSpan, Still
from autodescribe.voicing.fit import FitDecision, PaceBounds, decide, pace_bounds


def test_short_shots_merge_into_scenes() -> None:
    shots = [Shot(0, 3), Shot(3, 3.5), Shot(3.5, 4.0), Shot(4.0, 9.0), Shot(9.0, 9.5)]
    groups = group_shots(shots, min_seconds=2.0)
    assert [(g[0].start, g[-1].end) for g in groups] == [(0, 3), (3, 9.5)]


def test_keyframes_spread_inside_each_scene() -> None:
    stills = [Still(time=t / 2, path=f"{t}.jpg") for t in range(20)]
    scenes = build_scenes([Shot(0, 4), Shot(4, 10)], stills, min_seconds=2.0, keyframes=3)
    assert scenes[0].keyframe_times == (0.5, 2.0, 3.0)
    assert all(4 <= t < 10 for t in scenes[1].keyframe_times)
    assert pick_spread([1.0, 2.0], 3) == [1.0, 2.0]


def test_gaps_between_padded_speech_with_budgets() -> None:
    speech = [SpeechSpan(1.0, 2.0), SpeechSpan(2.5, 4.0), SpeechSpan(8.0, 9.0)]
    gaps = find_gaps(speech, duration=10.0, settings=GapSettings())
    assert gaps == [Gap(4.0, 8.0, 10)]  # 0-1 s and 9-10 s are under 1.2 s; 4 s x 2.7 words/s


def test_slots_start_in_their_scene_and_never_overlap() -> None:
    settings = GapSettings()
    scenes = [Scene(0, 0.0, 5.0), Scene(1, 5.0, 6.0), Scene(2, 6.0, 20.0)]
    gaps = [Gap(2.0, 12.0, 27)]
    slots = plan_slots(scenes, gaps, settings)
    assert slots[0] == Gap(2.0, 5.0, 8)
    # a 1 s scene may run past its end to reach the shortest usable gap
    assert slots[1] == Gap(5.0, 6.2, 3)
    assert slots[2] == Gap(6.2, 12.0, 15)
    assert plan_slots([Scene(0, 0.0, 1.0)], [Gap(0.5, 1.5, 2)], settings) == [None]


def test_fit_speeds_up_then_asks_for_fewer_words() -> None:
    free = PaceBounds(preferred=1.0, fastest=1.15)
    assert decide(2.0, 3.0, 6, free) == decide(3.0, 3.0, 6, free)
    faster = decide(3.3, 3.0, 8, free)
    assert faster.fits and 1.1 < faster.rate <= 1.115
    too_long = decide(6.0, 3.0, 12, free)
    assert not too_long.fits and too_long.words_wanted == 6


def test_fit_slows_a_fast_voice_to_the_pace_check_accepts() -> None:
    fit = FitSettings()
    # 12 syllables in 2 s is 6/s: slowed to the 5/s target, a rate of 5/6
    slow = pace_bounds(12, 2.0, fit)
    assert slow.preferred == slow.fastest == 0.833
    assert 12 / (2.0 / slow.preferred) <= fit.target_syllables_per_second
    assert decide(2.0, 3.0, 6, slow) == FitDecision(fits=True, rate=0.833, words_wanted=6)
    # 8 syllables in 2 s is 4/s: may be sped up, but only to 5/s (1.25x), capped at 1.15x
    assert pace_bounds(8, 2.0, fit) == PaceBounds(preferred=1.0, fastest=1.15)
    # 9 syllables in 2 s: speeding up stops at the target pace, 5 / 4.5 = 1.111x
    assert pace_bounds(9, 2.0, fit).fastest == 1.111
    # never slower than min_rate, even for a very fast voice
    assert pace_bounds(30, 2.0, fit).preferred == fit.min_rate
