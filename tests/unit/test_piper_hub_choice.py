"""Which Piper voice a language gets from the repository's index."""

from __future__ import annotations

from typing import Any

from autodescribe.backends.voice.piper_hub import best_voice, parse_index


def _entry(key: str, quality: str) -> dict[str, Any]:
    code, name, _ = key.split("-")
    path = f"{code[:2]}/{code}/{name}/{quality}/{key}.onnx"
    return {
        "key": key,
        "quality": quality,
        "language": {"code": code, "name_english": "Polish"},
        "files": {path: {"size_bytes": 63_000_000}, path + ".json": {"size_bytes": 5_000}},
    }


def test_the_default_speaker_wins_over_the_first_by_name() -> None:
    keys = [("pl_PL-darkman-medium", "medium"), ("pl_PL-gosia-medium", "medium")]
    index = parse_index({k: _entry(k, q) for k, q in keys})
    chosen = best_voice(index, "pl")
    assert chosen is not None and chosen.key == "pl_PL-gosia-medium"


def test_without_the_default_speaker_medium_quality_comes_first() -> None:
    keys = [("pl_PL-darkman-low", "low"), ("pl_PL-mc_speech-medium", "medium")]
    index = parse_index({k: _entry(k, q) for k, q in keys})
    chosen = best_voice(index, "pl")
    assert chosen is not None and chosen.key == "pl_PL-mc_speech-medium"
