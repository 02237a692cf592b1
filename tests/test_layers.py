"""The package's layers import downward only, and no modules import each other in a cycle.

Every ``torchstats`` import counts, also those inside functions (which would otherwise hide
an upward import or a cycle). A subpackage may import its own modules, any layer below it
and nothing above it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "torchstats"

# Lowest first. A module at the package root is its own layer (``api``, ``cli``...).
LAYERS = [
    "errors",
    "_typing",
    "_device",
    "_threads",
    "structured",
    "families",
    "autodiff",
    "solvers",
    "formula",
    "tables",
    "inference",
    "covariance",
    "streaming",
    "summary",
    "drawing",
    "results",
    "models",
    "stats",
    "graphics",
    "datasets",
    "api",
    "__init__",
    "cli",
    "__main__",
]


def _module_name(path: Path, package: Path) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(package: Path) -> dict[str, set[str]]:
    """Every module and the torchstats modules it imports (anywhere in its body)."""
    modules = {_module_name(p, package): p for p in package.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # ``from package import module`` depends on the module, not the package
                found = [
                    f"{node.module}.{a.name}"
                    if f"{node.module}.{a.name}" in modules
                    else node.module
                    for a in node.names
                ]
            elif isinstance(node, ast.Import):
                found = [a.name for a in node.names]
            else:
                continue
            targets |= {f for f in found if f in modules and f != name}
        graph[name] = targets
    return graph


def _upward(graph: dict[str, set[str]], module: str) -> list[str]:
    rank = LAYERS.index(_layer(module))
    return sorted(t for t in graph[module] if LAYERS.index(_layer(t)) > rank)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

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
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return cycles


GRAPH = _imports(PACKAGE)


def test_every_layer_is_listed():
    assert {_layer(m) for m in GRAPH} <= set(LAYERS)


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_go_downward(module):
    assert not _upward(GRAPH, module), f"{module} imports a higher layer"


def test_no_import_cycles():
    cycles = _cycles(GRAPH)
    assert not cycles, f"modules importing each other in a cycle: {cycles}"


def test_the_check_sees_upward_function_level_imports_and_cycles(tmp_path):
    package = tmp_path / "torchstats"
    for folder in ("results", "models"):
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "results" / "regression.py").write_text(
        "def f():\n    from torchstats.models.linear import OLS\n"
    )
    (package / "models" / "linear.py").write_text("import torchstats.models.glm\n")
    (package / "models" / "glm.py").write_text("from torchstats.models import linear\n")
    graph = _imports(package)
    assert _upward(graph, "torchstats.results.regression") == ["torchstats.models.linear"]
    assert _cycles(graph) == [["torchstats.models.glm", "torchstats.models.linear"]]
