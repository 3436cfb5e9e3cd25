"""The import structure: no circles among qvc's modules, no import up a floor (docs/ARCHITECTURE.md).

Every ``import`` statement counts, lazy ones inside functions included; only imports under
``if TYPE_CHECKING:`` (which never run) are left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

QVC = Path(__file__).resolve().parents[1] / "qvc"

#: The floors, bottom first: a module may import from its own floor and the floors below.
FLOORS: tuple[tuple[str, ...], ...] = (
    ("qvc.errors", "qvc._io", "qvc._progress", "qvc._validation"),
    ("qvc.data",),
    ("qvc.quantum",),
    ("qvc.models",),
    ("qvc.energy",),
    ("qvc.record",),
    ("qvc.analysis",),
    ("qvc.report",),
    ("qvc._preflight", "qvc.experiment"),
    ("qvc.cli", "qvc.__main__", "qvc"),
)

#: Names any floor may take from the root package (it imports nothing at import time).
ROOT_NAMES = {"__version__"}


def _modules() -> dict[str, Path]:
    out = {}
    for path in QVC.rglob("*.py"):
        parts = list(path.relative_to(QVC.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, module: str, is_package: bool) -> list[tuple[str, set[str], int]]:
    """``(imported module, names taken, line)`` for every import that runs."""
    found: list[tuple[str, set[str], int]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((a.name, set(), node.lineno) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = module.split(".") if is_package else module.split(".")[:-1]
                pkg = pkg[: len(pkg) - node.level + 1]
                base = ".".join(pkg + ([base] if base else []))
            found.append((base, {a.name for a in node.names}, node.lineno))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _graph() -> dict[str, dict[str, int]]:
    """``module -> {qvc module it imports: line}``."""
    mods = _modules()
    graph: dict[str, dict[str, int]] = {m: {} for m in mods}
    for mod, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for target, names, line in _imports(tree, mod, path.name == "__init__.py"):
            if target == "qvc" and names and names <= ROOT_NAMES:
                continue
            if target not in mods:
                continue
            subs = {f"{target}.{n}" for n in names if f"{target}.{n}" in mods}
            for t in subs or {target}:
                if t != mod:
                    graph[mod].setdefault(t, line)
            if subs and names - {s.rsplit(".", 1)[1] for s in subs} and target != mod:
                graph[mod].setdefault(target, line)
    return graph


def _floor(module: str) -> int:
    best, floor = -1, -1
    for i, prefixes in enumerate(FLOORS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > best:
                best, floor = len(p), i
    assert floor >= 0, f"{module} is on no floor: add it to FLOORS and docs/ARCHITECTURE.md"
    return floor


def _circles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def test_no_import_circles_among_qvc_modules():
    graph = _graph()
    circles = _circles(graph)
    detail = ["; ".join(f"{a} -> {b} (line {graph[a][b]})" for a in c for b in graph[a] if b in c)
              for c in circles]
    assert not circles, "import circles:\n" + "\n".join(detail)


def test_no_import_runs_up_a_floor():
    graph = _graph()
    upward = [f"{a} (floor {_floor(a)}) imports {b} (floor {_floor(b)}) at line {line}"
              for a, targets in graph.items() for b, line in targets.items() if _floor(b) > _floor(a)]
    assert not upward, "imports up a floor:\n" + "\n".join(sorted(upward))


def test_the_checker_sees_lazy_imports_and_skips_type_checking_blocks():
    src = ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from qvc.report import x\n"
           "def f():\n    from qvc.experiment.runner import run_experiment\n")
    found = _imports(ast.parse(src), "qvc.record.results", False)
    assert [t for t, _, _ in found] == ["typing", "qvc.experiment.runner"]
    assert _circles({"a": {"b": 1}, "b": {"a": 2}, "c": {}}) == [["a", "b"]]
