"""The package's import graph has no cycles, function-level imports included, and every
function-level import is on the allow-list below with the reason it is not at the top.

Imports under `if TYPE_CHECKING:` are for the type checker only and run nothing, so they are not
edges. A module importing a package's `__init__` and that package importing it back counts.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "statuspage"

#: (importing module, imported module) -> why the import sits inside a function.
_FACTORY = (
    "create_app imports the app's parts when it builds an app (Flask's application-factory "
    "pattern), so importing a model or a service does not load every blueprint"
)
DEFERRED_IMPORTS: dict[tuple[str, str], str] = {
    ("statuspage", target): _FACTORY
    for target in (
        "statuspage.admin",
        "statuspage.api.integrations",
        "statuspage.api.manage",
        "statuspage.api.metrics",
        "statuspage.api.v2",
        "statuspage.auth.views",
        "statuspage.cache_hits",
        "statuspage.cli",
        "statuspage.error_pages",
        "statuspage.extensions",
        "statuspage.mail",
        "statuspage.models",
        "statuspage.public",
        "statuspage.security",
        "statuspage.services.accounts.sessions",
        "statuspage.templating",
    )
}
DEFERRED_IMPORTS[("statuspage.cli", "statuspage.scheduler")] = (
    "only `flask scheduler run` loads APScheduler; the CLI is registered in every web worker"
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def resolve(importer: str, node: ast.ImportFrom | ast.Import) -> Iterator[str]:
    """The package modules an import statement loads (its names that are modules, else its
    module)."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name in MODULES:
                yield alias.name
        return
    base = node.module or ""
    if node.level:
        package = (
            importer if MODULES[importer].name == "__init__.py" else importer.rpartition(".")[0]
        )
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}" if base else package
    named = [f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES]
    if named:
        yield from named
    if len(named) < len(node.names) and base in MODULES:
        yield base


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(name: str) -> Iterator[tuple[str, bool]]:
    """(imported module, inside a function?) for every runtime import in module *name*."""

    def walk(node: ast.AST, in_function: bool) -> Iterator[tuple[str, bool]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    yield from walk(other, in_function)
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                for target in resolve(name, child):
                    if target != name:
                        yield target, in_function
                continue
            nested = in_function or isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
            )
            yield from walk(child, nested)

    yield from walk(ast.parse(MODULES[name].read_text()), False)


GRAPH = {name: sorted({target for target, _ in imports_of(name)}) for name in MODULES}


def cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, []):
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
    return sorted(found)


def test_the_import_graph_has_no_cycles():
    assert cycles(GRAPH) == []


def test_function_level_imports_are_on_the_allow_list_with_a_reason():
    deferred = {
        (name, target)
        for name in MODULES
        for target, in_function in imports_of(name)
        if in_function
    }
    assert sorted(deferred - DEFERRED_IMPORTS.keys()) == []
    assert sorted(DEFERRED_IMPORTS.keys() - deferred) == []  # no stale entries
    assert all(len(reason) > 20 for reason in DEFERRED_IMPORTS.values())


def test_the_cycle_finder_finds_cycles():
    """The checker itself: a two-module cycle and a three-module one are found, a chain is not."""
    graph = {"a": ["b"], "b": ["a"], "c": ["d"], "d": ["e"], "e": ["c"], "f": ["a"]}
    assert cycles(graph) == [["a", "b"], ["c", "d", "e"]]
    assert cycles({"a": ["b"], "b": ["c"], "c": []}) == []
