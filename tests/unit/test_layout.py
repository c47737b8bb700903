"""The package's shape: no import cycles (imports inside functions count), test support kept out.

Read from the source with `ast`, so an import hidden inside a function to dodge a
cycle is found as surely as one at the top of a module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import autodescribe

PACKAGE = Path(autodescribe.__file__).parent
# The one product module allowed to use the test media generator: `autodescribe sample`.
USES_TESTING = {"autodescribe.commands.sample"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Every autodescribe module `path` imports, wherever the import statement is."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            if name in modules:
                found.add(name)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph = {name: _imports(path, modules) for name, path in modules.items()}
    for name, targets in graph.items():
        # a package's __init__ is imported with any module under it; count that edge too
        graph[name] = {t for t in targets if t != name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of modules (not counting a package importing its own submodules)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target.startswith(node + "."):
                continue  # a package importing its own submodule is not a cycle
            if state.get(target) == 1:
                return stack[stack.index(target) :] + [target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycles_even_through_imports_inside_functions() -> None:
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_only_the_sample_command_uses_the_test_support_package() -> None:
    users = {
        name
        for name, targets in _graph().items()
        if not name.startswith("autodescribe.testing")
        and any(t.startswith("autodescribe.testing") for t in targets)
    }
    assert users == USES_TESTING


def test_modules_stay_small() -> None:
    sizes = {name: len(p.read_text().splitlines()) for name, p in _modules().items()}
    assert {name: n for name, n in sizes.items() if n > 520} == {}


def test_the_cycle_finder_finds_a_cycle_hidden_in_a_function() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"d.x"}, "d.x": set()}
    assert _cycle(graph) == ["a", "b", "c", "a"]
    assert _cycle({"d": {"d.x"}, "d.x": set()}) is None
