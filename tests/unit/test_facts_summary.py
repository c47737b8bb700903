"""The offline title and summary: read from the film's own text and dialogue, never empty."""

from __future__ import annotations

from autodescribe.types import OnScreenText, SpeechSpan
from autodescribe.writing.facts_summary import facts_title_summary


def test_a_film_without_text_or_dialogue_still_gets_a_title_in_any_language() -> None:
    for language in ("en", "pl"):
        title, summary = facts_title_summary([], [], 6.0, 1, language)
        assert title and summary


def test_another_language_quotes_the_film_rather_than_writing_english() -> None:
    texts = [OnScreenText(1.0, "WARSZAWA 1944")]
    dialogue = [SpeechSpan(2.0, 3.0, "Dzień dobry, Anno.")]
    title, summary = facts_title_summary(texts, dialogue, 30.0, 3, "pl")
    assert "“WARSZAWA 1944”" in summary and "“Dzień dobry, Anno.”" in summary
    assert "video" not in summary
