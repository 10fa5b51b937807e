"""The bench's layout is its architecture: each subpackage imports only the ones below it, and no module imports
itself back through another, counting imports made inside functions too (CONTRIBUTING.md, "The layout")."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path

from bench.core.paths import REPO

BENCH = REPO / "bench"
# Lowest first. A package may import the ones on earlier lines, never one on its own line or later.
LAYERS = [
    ("core",),  # plumbing: imports nothing else of the bench
    ("host",),  # this machine
    ("servers", "load"),  # side by side: a server knows nothing of load, the load knows a server as a Target
    ("sizing",),  # the machine measured with load and servers, and the plans derived from it
    ("containers", "k8s"),
    ("lessons",),
    ("",),  # bench/__init__.py and __main__.py: the API notebooks import
]
RANK = {package: rank for rank, names in enumerate(LAYERS) for package in names}


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in BENCH.rglob("*.py")}


def imports(path: Path, known: set[str]) -> set[str]:
    """The bench modules `path` imports anywhere in it (at the top, in functions, under TYPE_CHECKING)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name in known}


def package(module: str) -> str:
    """The subpackage a module belongs to ("" for bench's own __init__ and __main__)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and (BENCH / parts[1]).is_dir()) else ""


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(path, set(known)) - {name} for name, path in known.items()}


def upward(edges: Mapping[str, set[str]]) -> list[str]:
    """Imports from a package into one of the same or a higher layer (its own package is fine)."""
    wrong = []
    for source, targets in edges.items():
        for target in targets:
            mine, theirs = package(source), package(target)
            if mine != theirs and RANK[theirs] >= RANK[mine]:
                wrong.append(f"{source} imports {target} ({theirs or 'bench'} is not below {mine or 'bench'})")
    return sorted(wrong)


def cycles(edges: Mapping[str, set[str]]) -> list[list[str]]:
    """Every cycle found by a depth-first walk (one per back edge)."""
    found, done, path = [], set(), []

    def walk(node: str) -> None:
        if node in path:
            found.append([*path[path.index(node):], node])
            return
        if node in done:
            return
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            walk(nxt)
        path.pop()
        done.add(node)

    for start in sorted(edges):
        walk(start)
    return found


def test_every_subpackage_has_a_layer_and_there_are_few_of_them() -> None:
    packages = {path.name for path in BENCH.iterdir() if path.is_dir() and (path / "__init__.py").exists()}
    assert packages == set(RANK) - {""}
    entries = [p for p in BENCH.iterdir() if p.name not in ("__init__.py", "__pycache__")]
    assert len(entries) <= 9, sorted(p.name for p in entries)


def test_no_layer_imports_upward() -> None:
    assert upward(graph()) == []


def test_no_import_cycle() -> None:
    assert cycles(graph()) == []


def test_the_bench_never_imports_the_course() -> None:
    for path in BENCH.rglob("*.py"):
        tree = ast.parse(path.read_text())
        names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        assert not [name for name in names if name.split(".")[0] == "course"], path


def test_no_relative_imports() -> None:
    """Relative imports would slip past the graph above: the bench names every import in full."""
    relative = [module_name(p) for p in BENCH.rglob("*.py")
                if any(isinstance(n, ast.ImportFrom) and n.level for n in ast.walk(ast.parse(p.read_text())))]
    assert not relative, relative


def test_no_module_is_long() -> None:
    long = {module_name(p): n for p in BENCH.rglob("*.py") if (n := len(p.read_text().splitlines())) > 330}
    assert not long, long


def test_the_checks_catch_a_cycle_and_an_upward_import() -> None:
    assert cycles({"bench.host.a": {"bench.host.b"}, "bench.host.b": {"bench.host.a"}})
    assert upward({"bench.core.ports": {"bench.host.env"}})
    assert upward({"bench.servers.base": {"bench.load.runner"}})  # side by side is not below
    assert not upward({"bench.lessons.caching": {"bench.load.runner", "bench.servers.redis"}})
