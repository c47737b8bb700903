"""`autodescribe voices`: the voices installed here, and those a language's first use fetches."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from autodescribe.commands._common import guard, setup_logging

if TYPE_CHECKING:
    from autodescribe.voicing.available import VoiceEntry, VoiceListing


def voices(
    language: Annotated[
        str | None,
        typer.Option("--language", "-l", metavar="CODE", help="only voices speaking this language"),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log each step")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="show tracebacks")] = False,
) -> None:
    """List the voices installed here and the piper voices that can be fetched.

    A language with a voice in the public piper repository (rhasspy/piper-voices
    on the Hugging Face Hub) gets it downloaded on first use, into the Hub cache;
    espeak-ng speaks the languages with no neural voice. Exit code 1 when the
    list of voices to fetch could not be read (the hub cannot be reached).
    """
    from autodescribe.util.languages import check_language
    from autodescribe.voicing.available import list_voices

    setup_logging(verbose)
    code = guard(lambda: check_language(language), debug) if language else None
    listing: VoiceListing = guard(lambda: list_voices(code), debug)
    typer.echo(render(listing, code))
    if listing.note:
        typer.echo(f"note: {listing.note}", err=True)
    if listing.problem:
        typer.echo(f"error: {listing.problem}", err=True)
        raise typer.Exit(1)


def _lines(entries: list[VoiceEntry]) -> list[str]:
    return [f"  {e.language:<4} {e.backend:<10} {e.name:<32} {e.where}" for e in entries]


def render(listing: VoiceListing, language: str | None) -> str:
    """Plain lines, one voice each, that read well in a terminal and a screen reader."""
    from autodescribe.backends.voice.piper_hub import VOICES_REPO

    scope = f" for '{language}'" if language else ""
    lines = [f"installed{scope}:"]
    lines += _lines(listing.installed) or ["  none"]
    if language is None:
        lines.append("  espeak-ng speaks about 130 more languages (ask with --language CODE)")
    if not (listing.problem or listing.note):
        lines.append(f"can be fetched{scope} from {VOICES_REPO} (the first use downloads it):")
        lines += _lines(listing.fetchable) or ["  none"]
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    app.command()(voices)
