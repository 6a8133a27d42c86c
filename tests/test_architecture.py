"""The house stays clear: small modules and functions, no import cycle, one-way layers."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "lstm_helpers"
LAYER = {"__main__": 6, "cli": 5, "experiments": 4, "runs": 3, "judge": 2, "model": 2, "data": 2}  # others: 1


def _modules() -> dict[str, ast.Module]:
    out = {}
    for f in sorted(PKG.rglob("*.py")):
        name = ".".join(("lstm_helpers", *f.relative_to(PKG).with_suffix("").parts)).removesuffix(".__init__")
        out[name] = ast.parse(f.read_text())
    return out


def _top_level_imports(tree: ast.Module) -> set[str]:
    """lstm_helpers modules imported at module level (imports inside functions are lazy on purpose)."""
    found = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("lstm_helpers"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("lstm_helpers")}
    return found


def test_no_module_over_600_lines_and_no_function_over_80():
    too_long = []
    for f in PKG.rglob("*.py"):
        src = f.read_text()
        if len(src.splitlines()) > 600:
            too_long.append(f"{f.name}: {len(src.splitlines())} lines")
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = node.end_lineno - node.lineno + 1
                if n > 80:
                    too_long.append(f"{f.name}:{node.name}: {n} lines")
    assert not too_long, too_long


def test_no_import_cycle_and_layers_point_one_way():
    mods = _modules()
    graph = {m: {i for i in _top_level_imports(t) if i in mods} for m, t in mods.items()}
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for n in graph[m]:
            assert state.get(n) != 1, f"import cycle: {' -> '.join([*path, m, n])}"
            if n not in state:
                visit(n, [*path, m])
        state[m] = 2

    for m in graph:
        if m not in state:
            visit(m, [])

    def layer(m: str) -> int:  # the first name below lstm_helpers: a folder or a top-level module
        return LAYER.get(m.split(".")[1] if m.count(".") else "", 1)

    upward = [(m, n) for m, deps in graph.items() for n in deps if layer(n) > layer(m)]
    assert not upward, f"imports against the flow (cli -> experiments -> runs -> judge/model/data): {upward}"
