"""What every command shares: logging to stderr and one-line errors with exit codes."""

from __future__ import annotations

import errno
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import typer
from pydantic import ValidationError

from autodescribe.errors import AutodescribeError, ConfigError, MediaError, UnknownBackend

# What to do about a file system error, by errno; the rest get the generic advice.
_OS_HINTS = {
    errno.ENOSPC: "free some disk space or choose another folder with --out-dir, then rerun",
    errno.EDQUOT: "free some space in your quota or choose another folder, then rerun",
    errno.EROFS: "the folder is on a read-only disk; choose another folder with --out-dir",
    errno.EACCES: "you may not write there; choose another folder with --out-dir",
    errno.EPERM: "you may not write there; choose another folder with --out-dir",
    errno.ENOENT: "check the path",
}


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def guard(action: Callable[[], Any], debug: bool) -> Any:
    """Run `action`; errors become one `error:` line on stderr and an exit code.

    Our errors and file system errors (disk full, read-only folder) exit 1,
    bad settings 2; anything else is a bug, reported in one line as well.
    """
    try:
        return action()
    except (ConfigError, UnknownBackend) as exc:
        if debug:
            raise
        _fail(str(exc), 2)
    except AutodescribeError as exc:
        if debug:
            raise
        _fail(str(exc), 1)
    except ValidationError as exc:
        if debug:
            raise
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        _fail(f"bad value for {where}: {first['msg']}; see --help", 2)
    except KeyboardInterrupt:
        typer.echo("interrupted: rerun the same command to resume", err=True)
        raise typer.Exit(130) from None
    except OSError as exc:
        if debug:
            raise
        _fail(describe_os_error(exc), 1)
    except Exception as exc:  # noqa: BLE001 - the last line of defence against a traceback
        if debug:
            raise
        _fail(f"unexpected {type(exc).__name__}: {exc}: rerun with --debug and report it", 1)


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code) from None


def describe_os_error(exc: OSError) -> str:
    """`No space left on device (PATH): what to do`, in one line."""
    reason = exc.strerror or str(exc)
    where = f" ({os.fsdecode(exc.filename)})" if exc.filename is not None else ""
    hint = _OS_HINTS.get(exc.errno or 0, "check the path and the free space, then rerun")
    return f"{reason}{where}: {hint}"


def require_text_path(path: Path, what: str) -> None:
    """Refuse a path whose name is not valid UTF-8: the scripts and the web app must spell it.

    Raises `MediaError` (a file the tools cannot name, exit 1) naming the offending
    characters, before any work is done.
    """
    text = str(path.absolute())
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        shown = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        raise MediaError(
            f"the {what} path {shown!r} is not valid UTF-8 (shown with U+FFFD where it is not)",
            "rename it with UTF-8 characters only, then rerun",
        ) from None
