"""QC judging on hand-made cues and speech: overlap, rate, rules, timing, loudness, naming."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from autodescribe.backends.speech.base import pad_and_merge
from autodescribe.errors import ConfigError
from autodescribe.media.audio import write_wav
from autodescribe.presets import PRESETS
from autodescribe.qc.pace import syllables
from autodescribe.qc.report import (
    CheckSettings,
    LoudnessCheck,
    QCReport,
    check_cues,
    check_script,
    count_words,
    cue_audio_seconds,
    figures,
    judge_loudness,
    qc_path,
    shrink_spans,
    timing_failures,
    write_qc,
)
from autodescribe.types import Cue, SpeechSpan

DIALOGUE = [SpeechSpan(1.0, 2.0, "Where are the keys?"), SpeechSpan(8.0, 9.0)]
DURATION = 12.0


def judge(cues: list[Cue], audio: list[float | None] | None = None, **limits: float):
    settings = CheckSettings(**limits)
    seconds = audio if audio is not None else [None] * len(cues)
    return check_cues(cues, seconds, DIALOGUE, DURATION, settings)


def loudness_item(lufs: float | None, peak: float | None, gating: str = "programme"):
    ebu = PRESETS["ebu"]
    return LoudnessCheck(
        "mix", "mix.wav", 0, gating, lufs, peak, 3.0, ebu.target_lufs, ebu.tolerance_lu, -1.0
    )


def test_cue_on_dialogue_fails_with_its_overlap_in_ms() -> None:
    (check,) = judge([Cue(1.5, 3.0, "A door opens.")])
    assert check.dialogue_overlap_ms == pytest.approx(500.0)
    assert not check.passed
    assert any("overlaps dialogue by 500 ms" in line for line in check.failures)


def test_overlap_threshold_is_a_setting() -> None:
    (check,) = judge([Cue(1.5, 3.0, "A door opens.")], max_overlap_ms=600.0)
    assert check.passed and check.dialogue_overlap_ms == pytest.approx(500.0)


def test_cue_in_a_silence_passes() -> None:
    (check,) = judge([Cue(3.0, 5.0, "A woman sits on a bench.")])
    assert check.passed and check.dialogue_overlap_ms == 0.0
    assert check.words == 6 and check.words_per_second == pytest.approx(3.0)
    assert check.syllables == 7 and check.syllables_per_second == pytest.approx(3.5)
    assert not check.warnings


def test_audio_length_decides_where_narration_ends() -> None:
    # the script says 5-6 s, but the voiced audio lasts 3.5 s and runs into the line at 8 s
    cue = Cue(5.0, 6.0, "A car pulls up outside.")
    (check,) = judge([cue], audio=[3.5])
    assert check.heard_end == pytest.approx(8.5)
    assert check.dialogue_overlap_ms == pytest.approx(500.0)
    assert not check.passed


def test_cue_audio_seconds_reads_the_wav(tmp_path: Path) -> None:
    wav = tmp_path / "cue.wav"
    write_wav(wav, np.zeros(22050 * 2, np.float32), 22050)
    cues = [Cue(0, 1, "a", audio=str(wav)), Cue(1, 2, "b"), Cue(2, 3, "c", audio="missing.wav")]
    assert cue_audio_seconds(cues) == [pytest.approx(2.0), None, None]
    checks = judge(cues, audio=cue_audio_seconds(cues))
    assert any("not readable" in line for line in checks[2].warnings)


def test_extension_time_is_not_counted_as_overlap() -> None:
    # 4 s of audio from 5 s would reach 9 s, but 2 s of it play over a frozen frame
    (check,) = judge([Cue(5.0, 7.0, "A car pulls up.", extension=2.0)], audio=[4.0])
    assert check.dialogue_overlap_ms == 0.0


def test_pace_fails_above_the_limit_and_warns_above_the_warning() -> None:
    fast, brisk, calm = judge(
        [
            # 14 syllables in 2 s: 7.0/s, over the 6.0 limit
            Cue(3.0, 5.0, "One two three four five six seven eight nine ten eleven."),
            # 12 syllables in 2 s: 6.0/s, at the limit, over the 5.5 warning line
            Cue(5.0, 7.0, "One two three four five six seven eight nine ten twelve."),
            Cue(10.0, 12.0, "One two three four five."),  # 5 syllables in 2 s
        ]
    )
    assert fast.syllables_per_second == pytest.approx(7.0) and not fast.passed
    assert any("syllables/s is too fast" in line for line in fast.failures)
    assert brisk.passed and any("fast" in line for line in brisk.warnings)
    assert calm.passed and not calm.warnings


def test_pace_is_fair_to_short_monosyllabic_cues() -> None:
    # 10 words in 2.5 s is 4 words/s (over the old 3.5 words/s limit): an ordinary 4 syllables/s
    (plain,) = judge([Cue(3.0, 5.5, "A man in a grey coat walks to the door.")])
    assert plain.words_per_second == pytest.approx(4.0)
    assert plain.passed and plain.syllables_per_second == pytest.approx(4.0)


def test_syllables_are_counted_like_speech() -> None:
    assert syllables("Close-up of Anna.") == 5
    assert syllables("Text on screen: EXIT 12.") == 6
    assert syllables("Two people sit at a table.") == 8
    assert syllables("東京") == 2


def test_words_are_counted_like_speech() -> None:
    assert count_words("Text on screen: EXIT 12.") == 5
    assert count_words("Maya's well-worn coat — gone.") == 4


def test_writing_rule_errors_fail_and_warnings_only_warn() -> None:
    we_see, hedge = judge(
        [Cue(3.0, 6.0, "We see a man opening a door."), Cue(10.0, 12.0, "She appears to be lost.")]
    )
    assert [r.rule for r in we_see.rules] == ["we-see"] and not we_see.passed
    assert any("we-see" in line for line in we_see.failures)
    assert hedge.passed and any(r.rule == "hedge" for r in hedge.rules)
    assert any("hedge" in line for line in hedge.warnings)


@pytest.mark.parametrize(
    ("cue", "words"),
    [
        (Cue(11.0, 12.5, "A door closes."), "past the end of the video"),
        (Cue(-0.5, 0.8, "A door closes."), "starts before the video"),
        (Cue(4.0, 4.0, "A door closes."), "not after its start"),
        (Cue(4.0, 5.0, "   "), "has no text"),
    ],
)
def test_cues_outside_the_video_fail(cue: Cue, words: str) -> None:
    (check,) = judge([cue])
    assert not check.passed
    assert any(words in line for line in check.failures), check.failures


def test_cue_ending_exactly_at_the_end_passes() -> None:
    (check,) = judge([Cue(10.0, 12.0, "A door closes.")])
    assert check.passed


def test_overlapping_cues_are_reported() -> None:
    checks = judge([Cue(3.0, 5.0, "A door opens."), Cue(4.5, 6.0, "A dog runs in.")])
    (line,) = timing_failures(checks, CheckSettings())
    assert "cues 1 and 2 overlap by 0.500 s" in line
    assert timing_failures(judge([Cue(3.0, 4.5, "a"), Cue(4.5, 6.0, "b")]), CheckSettings()) == []


def test_shrink_undoes_padding() -> None:
    padded = pad_and_merge(DIALOGUE, 0.15, DURATION)
    restored = shrink_spans(padded, 0.15)
    assert [s.start for s in restored] == pytest.approx([1.0, 8.0])
    assert [s.end for s in restored] == pytest.approx([2.0, 9.0])


def test_figures_count_gaps_and_narration() -> None:
    checks = judge([Cue(3.0, 5.0, "A woman sits."), Cue(1.5, 2.5, "A door.")])
    result = figures(checks, DIALOGUE, DURATION, CheckSettings())
    # padded dialogue 0.85-2.15 and 7.85-9.15: usable gaps 2.15-7.85 and 9.15-12 (0-0.85 too short)
    assert result.usable_gaps == 2
    assert result.usable_gap_seconds == pytest.approx(5.7 + 2.85)
    assert result.narration_seconds == pytest.approx(3.0)
    # all of 3-5 s, and 2.15-2.5 s of the cue that starts on the dialogue
    assert result.narration_in_gaps_seconds == pytest.approx(2.35)
    assert result.dialogue_seconds == pytest.approx(2.0)
    assert result.dialogue_overlap_ms == pytest.approx(500.0)


@pytest.mark.parametrize(
    ("lufs", "peak", "passes"),
    [(-23.4, -3.0, True), (-24.5, -3.0, False), (-23.0, -0.5, False), (None, None, False)],
)
def test_mix_loudness_against_ebu(lufs: float | None, peak: float | None, passes: bool) -> None:
    judged = judge_loudness(loudness_item(lufs, peak), PRESETS["ebu"])
    assert (not judged.failures) is passes


def test_stem_integrated_loudness_only_warns() -> None:
    judged = judge_loudness(
        loudness_item(-35.0, -12.0), PRESETS["ebu"], integrated_must_match=False
    )
    assert not judged.failures and "outside -23" in judged.warnings[0]
    clipped = judge_loudness(loudness_item(-23.0, 0.2), PRESETS["ebu"], integrated_must_match=False)
    assert "true peak 0.2 dBTP" in clipped.failures[0]


def test_dialogue_gating_is_named_in_the_failure() -> None:
    judged = judge_loudness(loudness_item(-23.0, -5.0, "dialogue"), PRESETS["netflix"])
    assert "dialogue-gated integrated -23.0 LUFS, outside -27" in judged.failures[0]


@pytest.mark.parametrize(
    "name", ["film.script.json", "film.ad.vtt", "film.dapt.ttml", "film.srt", "film.AD.vtt"]
)
def test_report_is_named_after_the_script(name: str, tmp_path: Path) -> None:
    assert qc_path(tmp_path / name) == tmp_path / "film.qc.json"
    assert qc_path(tmp_path / name, tmp_path / "out") == tmp_path / "out" / "film.qc.json"
    assert qc_path(tmp_path / ".ad.vtt").name == ".ad.qc.json"


def test_write_qc_writes_what_was_judged(tmp_path: Path) -> None:
    checks = judge([Cue(1.5, 3.0, "We see a door.")])
    report = QCReport(
        video="film.mp4",
        preset="ebu",
        passed=False,
        figures=figures(checks, DIALOGUE, DURATION, CheckSettings()),
        cues=checks,
        loudness=[judge_loudness(loudness_item(-23.0, -3.0), PRESETS["ebu"])],
        failures=checks[0].failures,
        warnings=[],
        notes=["unit test"],
        settings=CheckSettings(),
    )
    write_qc(report, tmp_path / "film.qc.json")
    data = json.loads((tmp_path / "film.qc.json").read_text(encoding="utf-8"))
    assert data["passed"] is False and data["preset"] == "ebu"
    assert data["cues"][0]["dialogue_overlap_ms"] == pytest.approx(500.0)
    assert data["cues"][0]["rules"][0]["rule"] == "we-see"
    assert data["settings"]["max_overlap_ms"] == 100.0
    assert data["loudness"][0]["integrated_lufs"] == -23.0


def test_unknown_preset_is_refused_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown loudness preset 'bbc'"):
        check_script(tmp_path / "none.mp4", [], mix=None, stem=None, preset="bbc")


def test_relative_cue_audio_is_found_beside_the_script(tmp_path: Path) -> None:
    from autodescribe.commands.check import resolve_audio

    (tmp_path / "voice").mkdir()
    write_wav(tmp_path / "voice" / "1.wav", np.zeros(100, np.float32), 22050)
    cues = [
        Cue(0, 1, "a", audio="voice/1.wav"),
        Cue(1, 2, "b", audio="voice/2.wav"),
        Cue(2, 3, "c"),
    ]
    found, missing, none = resolve_audio(cues, tmp_path)
    assert found.audio == str(tmp_path / "voice" / "1.wav")
    assert missing.audio == "voice/2.wav" and none.audio is None
