"""Bearer-token access, and the checks that keep request data inside a job's folder.

A browser cannot put a header on `<video src>` or `<track src>`, so the web app
trades the token for an HttpOnly, SameSite=Strict cookie; the API accepts either.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from fastapi import HTTPException, Request, status

COOKIE = "autodescribe_token"
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")
_MAX_NAME = 120


def token_matches(expected: str | None, given: str | None) -> bool:
    if expected is None:
        return True
    return given is not None and secrets.compare_digest(expected.encode(), given.encode())


def require_token(request: Request) -> None:
    """FastAPI dependency: the request carries the server's token (header or cookie)."""
    expected: str | None = request.app.state.settings.token
    if expected is None:
        return
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    given = value.strip() if scheme.lower() == "bearer" else request.cookies.get(COOKIE)
    if not token_matches(expected, given):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing or wrong token: send 'Authorization: Bearer TOKEN'",
            headers={"WWW-Authenticate": "Bearer"},
        )


def safe_filename(name: str, default: str = "video.mp4") -> str:
    """A client's file name reduced to a plain name that cannot leave its folder."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = _SAFE_NAME.sub("_", base).strip(" .")
    if not base or base.startswith("."):
        return default
    if len(base) > _MAX_NAME:
        stem, dot, suffix = base.rpartition(".")
        base = stem[: _MAX_NAME - len(suffix) - 1] + dot + suffix if dot else base[:_MAX_NAME]
    return base


def plain_name(name: str) -> bool:
    """A name that can only mean a visible entry of one folder: no separator, dot or NUL."""
    bad = name.startswith(".") or any(c in name for c in "/\\\x00")
    return bool(name) and not bad and len(name) <= 255


def no_links(base: Path, path: Path) -> bool:
    """True when `path` lies under `base` and nothing below `base` on the way is a symlink.

    A link planted in a job's folder could point anywhere; refusing links keeps
    every read and write of the server inside its data folder.
    """
    try:
        parts = path.relative_to(base).parts
    except ValueError:
        return False
    current = base
    for part in parts:
        if part in ("", ".", ".."):
            return False
        current = current / part
        if current.is_symlink():
            return False
    return True


def inside(base: Path, folder: Path, name: str) -> Path | None:
    """`folder/name` if that is a plain file directly in `folder`, with no link on the way."""
    if not plain_name(name):
        return None
    path = folder / name
    if not no_links(base, path) or not path.is_file():
        return None
    return path


def listed(base: Path, folder: Path, pattern: str = "*") -> list[Path]:
    """The plain visible files in `folder` matching `pattern`, sorted; links are left out."""
    if not no_links(base, folder) or not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.glob(pattern)
        if plain_name(path.name) and not path.is_symlink() and path.is_file()
    )
