"""docs/cli.md is the CLI's own `--help`, regenerated and compared."""

from __future__ import annotations

from pathlib import Path

import pytest

from autodescribe.commands._docs import REGENERATE, WIDTH, main, reference

CLI_DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def test_cli_reference_is_up_to_date() -> None:
    written = CLI_DOC.read_text(encoding="utf-8") if CLI_DOC.exists() else ""
    assert written == reference(), (
        f"docs/cli.md is out of date with the CLI: run `{REGENERATE}` from the repository root"
    )


def test_reference_does_not_depend_on_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = reference()
    monkeypatch.setenv("COLUMNS", "60")
    assert reference() == expected
    assert "\x1b[" not in expected
    assert max(len(line) for line in expected.splitlines()) <= WIDTH


def test_reference_covers_every_command() -> None:
    text = reference()
    for name in ("narrate", "render", "check", "caption", "serve", "sample", "version"):
        assert f"## `autodescribe {name}`" in text
        assert f"Usage: autodescribe {name} [OPTIONS]" in text


def test_generator_writes_the_reference(tmp_path: Path) -> None:
    target = tmp_path / "docs" / "cli.md"
    main([str(target)])
    assert target.read_text(encoding="utf-8") == reference()
