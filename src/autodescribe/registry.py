"""Name-keyed backend registries with lazy `"module:Class"` targets.

A target is imported only when asked for, so a backend whose library is not
installed costs nothing until it is chosen, and then fails with an install
hint. Outside packages add backends through the entry-point group
`autodescribe.<kind>` (e.g. `autodescribe.describers`).

A backend's options are its constructor's keyword parameters. `create` checks
them with a pydantic model built from that signature, so an option a backend
does not take is refused with a message naming the backend and what it
accepts, instead of being dropped.
"""

from __future__ import annotations

import importlib
import inspect
import typing
from collections.abc import Callable, Mapping
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from types import UnionType
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from autodescribe.errors import BackendUnavailable, ConfigError, UnknownBackend

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, kind: str, builtins: dict[str, str]) -> None:
        self.kind = kind
        self._targets = dict(builtins)
        self._loaded: dict[str, Callable[..., T]] = {}
        self._entry_points_read = False

    def register(self, name: str, target: str | Callable[..., T]) -> None:
        if isinstance(target, str):
            self._targets[name] = target
        else:
            self._loaded[name] = target
            self._targets[name] = f"{target.__module__}:{target.__qualname__}"

    def names(self) -> list[str]:
        self._read_entry_points()
        return sorted(self._targets)

    def load(self, name: str) -> Callable[..., T]:
        """The backend class for `name`, importing its module on first use."""
        self._read_entry_points()
        if name in self._loaded:
            return self._loaded[name]
        if name not in self._targets:
            valid = ", ".join(self.names())
            raise UnknownBackend(f"unknown {self.kind} '{name}'", f"choose one of: {valid}")
        module_name, _, attr = self._targets[name].partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise BackendUnavailable(
                f"{self.kind} '{name}' cannot be used ({exc})",
                "install the library it needs, or choose another backend",
            ) from exc
        backend: Callable[..., T] = getattr(module, attr)
        self._loaded[name] = backend
        return backend

    def check_options(self, name: str, options: Mapping[str, Any]) -> dict[str, Any]:
        """`options` validated against backend `name`'s constructor; raises `ConfigError`.

        Options whose value is None are left to the backend's own default.
        """
        backend = self.load(name)
        model = options_model(backend)
        given = {key: value for key, value in options.items() if value is not None}
        try:
            checked = model.model_validate(given)
        except ValidationError as exc:
            raise ConfigError(self._refusal(name, model, exc)) from None
        return {key: getattr(checked, key, given[key]) for key in given}

    def create(self, name: str, /, **options: Any) -> T:
        """An instance of backend `name` with `options` (None = the backend's default)."""
        return self.load(name)(**self.check_options(name, options))

    def accepted_options(self, name: str) -> list[str]:
        return list(options_model(self.load(name)).model_fields)

    def _refusal(self, name: str, model: type[BaseModel], exc: ValidationError) -> str:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        accepts = ", ".join(model.model_fields) or "no options"
        if first["type"] == "extra_forbidden":
            return f"{self.kind} '{name}' does not take the option '{field}'; it accepts: {accepts}"
        return f"{self.kind} '{name}': bad value for '{field}': {first['msg']}"

    def _read_entry_points(self) -> None:
        if self._entry_points_read:
            return
        self._entry_points_read = True
        for ep in entry_points(group=f"autodescribe.{self.kind.replace(' ', '_')}s"):
            self._targets.setdefault(ep.name, ep.value)


@cache
def options_model(backend: Callable[..., Any]) -> type[BaseModel]:
    """A pydantic model of `backend`'s keyword parameters (extra options forbidden)."""
    target = backend.__init__ if inspect.isclass(backend) else backend
    try:
        hints = typing.get_type_hints(target)
    except (NameError, TypeError):
        hints = {}
    fields: dict[str, Any] = {}
    extra = "forbid"
    for param in inspect.signature(backend).parameters.values():
        if param.kind is param.VAR_KEYWORD:
            extra = "allow"  # it passes options on, and whoever takes them checks them
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD, param.POSITIONAL_ONLY):
            continue
        default = ... if param.default is param.empty else param.default
        fields[param.name] = (_plain(hints.get(param.name, Any)), default)
    config = ConfigDict(extra=extra)  # type: ignore[typeddict-item]
    name = f"{getattr(backend, '__name__', 'Backend')}Options"
    return create_model(name, __config__=config, **fields)


_PLAIN = (str, int, float, bool, type(None), Path)


def _plain(hint: Any) -> Any:
    """`hint` when it is made of plain values pydantic can check, else Any (objects pass as-is)."""
    if hint in _PLAIN:
        return hint
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        return hint
    args = typing.get_args(hint)
    if origin in (typing.Union, UnionType) and all(_plain(a) is a for a in args):
        return hint
    return Any
