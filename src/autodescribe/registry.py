"""Name-keyed backend registries with lazy `"module:Class"` targets.

A target is imported only when asked for, so a backend whose library is not
installed costs nothing until it is chosen, and then fails with an install
hint. Outside packages add backends through the entry-point group
`autodescribe.<kind>` (e.g. `autodescribe.describers`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from autodescribe.errors import BackendUnavailable, UnknownBackend

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

    def create(self, name: str, /, **options: Any) -> T:
        return self.load(name)(**options)

    def _read_entry_points(self) -> None:
        if self._entry_points_read:
            return
        self._entry_points_read = True
        for ep in entry_points(group=f"autodescribe.{self.kind.replace(' ', '_')}s"):
            self._targets.setdefault(ep.name, ep.value)
