"""Exceptions that carry a one-line message saying what went wrong and what to do.

The CLI prints `str(error)` on stderr and exits non-zero; nothing else is shown
unless `--debug` is given.
"""

from __future__ import annotations


class AutodescribeError(Exception):
    """Base class: `problem` says what happened, `hint` what to do about it."""

    def __init__(self, problem: str, hint: str | None = None) -> None:
        self.problem = problem
        self.hint = hint
        super().__init__(f"{problem}: {hint}" if hint else problem)


class MediaError(AutodescribeError):
    """The input file is missing, unreadable, corrupt, or not a usable video."""


class BackendUnavailable(AutodescribeError):
    """An optional library that a backend needs is not installed."""


class ModelNotAvailable(AutodescribeError):
    """Model weights could not be found locally or downloaded."""


class UnknownBackend(AutodescribeError):
    """A backend name that no registry knows."""


class ConfigError(AutodescribeError):
    """Invalid settings or option combination."""


class DescriberError(AutodescribeError):
    """A describer failed to produce a description (server error, bad answer)."""


def install_hint(extra: str) -> str:
    return f'install it with: pip install "autodescribe[{extra}]"'
