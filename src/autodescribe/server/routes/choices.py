"""Choices: what each job option may be, read from the registries and the preset tables.

The web app fills its form from this route, and the upload form's OpenAPI schema
is built from `current_choices()`, so a new backend or preset shows up in both
without being typed again.
"""

from __future__ import annotations

from fastapi import APIRouter

from autodescribe.backends.describe import describers
from autodescribe.backends.voice import voices_without_sample
from autodescribe.presets import EXTENDED_MODES, PRESETS
from autodescribe.server.schemas import Choice, Choices, JobOptions
from autodescribe.util.languages import LANGUAGES

router = APIRouter(prefix="/v1/choices", tags=["choices"])


def current_choices() -> Choices:
    """The choices as they stand now (a backend registered later is included)."""
    return Choices(
        describers=describers.names(),
        voices=voices_without_sample(),  # the form has no voice sample to upload
        loudness_presets=[Choice(name=name, label=p.label) for name, p in PRESETS.items()],
        extended_modes=[Choice(name=name, label=text) for name, text in EXTENDED_MODES.items()],
        languages=[Choice(name=code, label=names[0]) for code, names in LANGUAGES.items()],
        defaults=JobOptions(),
    )


@router.get("", response_model=Choices, summary="What each job option may be, and its default")
def list_choices() -> Choices:
    return current_choices()
