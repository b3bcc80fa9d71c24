"""The package layout is the flow: imports go one way, and nothing imports in a circle.

Every ``import`` in ``mlci/`` counts: at the top, inside a function (a lazy import
hides a circle, it does not remove it) and under ``TYPE_CHECKING``. The layers are
the README's architecture section; a module may import its own layer or lower ones.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import mlci

PACKAGE = Path(mlci.__file__).parent

# resolve → prepare → measure → judge → render → publish, outside systems below.
LAYERS: tuple[tuple[str, ...], ...] = (
    (
        *(
            "mlci",
            "mlci.errors",
            "mlci.resources",
            "mlci.safefs",
            "mlci.numbers",
            "mlci.background",
        ),
        *("mlci.config", "mlci.specs", "mlci.results"),
    ),
    ("mlci.git", "mlci.dvc"),
    ("mlci.checks", "mlci.judge"),
    ("mlci.render",),
    ("mlci.forge", "mlci.github", "mlci.gitlab", "mlci.tokens"),
    ("mlci.flow",),
    ("mlci.commands",),
    ("mlci.cli", "mlci.__main__"),
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str) -> set[str]:
    """The mlci modules ``name`` imports, wherever the import statement is."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            found.add(source)
            # `from mlci import dvc`: the submodule, not the package.
            found.update(f"{source}.{alias.name}" for alias in node.names)
    return {module for module in found if module in MODULES and module != name}


GRAPH = {name: imports_of(name) for name in MODULES}


def layer_of(name: str) -> int:
    best: tuple[int, int] | None = None  # (length of the matching prefix, layer)
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            matches = name == prefix or name.startswith(prefix + ".")
            if matches and (best is None or len(prefix) > best[0]):
                best = (len(prefix), index)
    assert best is not None, f"{name} is in no layer: add it to LAYERS and the README"
    return best[1]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_in_a_circle() -> None:
    assert cycles(GRAPH) == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_go_down_the_layers(name: str) -> None:
    upward = sorted(target for target in GRAPH[name] if layer_of(target) > layer_of(name))
    assert upward == [], f"{name} (layer {layer_of(name)}) imports a higher layer"


def test_the_checker_sees_a_circle_and_an_upward_import() -> None:
    """The two rules above can fail: on a graph with a circle, and on a real module."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert layer_of("mlci.render.markdown") > layer_of("mlci.results")
    assert "mlci.results" in GRAPH["mlci.render.markdown"]


def test_lazy_and_type_only_imports_are_seen() -> None:
    # mlci.cli imports its commands inside the command functions, and some types only
    # under TYPE_CHECKING: both are edges of the graph.
    assert "mlci.flow" in GRAPH["mlci.commands.check"]
    assert "mlci.commands.publish" in GRAPH["mlci.cli"]
