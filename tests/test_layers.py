"""The tree reads in the pipeline's order: a module imports only its own floor or lower ones, the
imports that run when a module loads form no cycle, and an import inside a function only defers a
heavy optional module.

The import graph is read from the source with :mod:`ast`; nothing is imported.
"""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from mips.paths import PACKAGE_DIR

#: lowest first; the ground floor is shared infrastructure that any stage may use
FLOORS: tuple[tuple[str, ...], ...] = (
    ("errors", "paths", "failure", "margins", "sandbox"),
    ("tasks",), ("network",), ("normalizers",), ("encodings",), ("machine",), ("regression",), ("program",),
    ("families",),                # generated tasks with their own programs and machines (the generality benchmark)
    ("pipeline",),
    ("runtime",),                 # the benchmark and the zoo build, one process per task
    ("cli",), ("__main__",),
)

#: the only modules an import inside a function may defer, and why each is worth deferring
HEAVY_OPTIONAL = {
    "torch": "seconds to import; the parent that dispatches benchmark tasks and the task-file children never need it",
    "distributed": "seconds to import; only the Dask dispatch needs it",
    "streamlit": "the workbench only; the core never imports it at all",
    "scipy": "about a second to import; only some encoding fits need its k-d trees and sparse graphs",
    "pyseccomp": "fails to import on hosts without libseccomp, where the sandbox must still report that",
}


@dataclass(frozen=True, slots=True)
class Import:
    module: str           # the importing module, "mips.network.rnn"
    targets: tuple[str, ...]  # what it names: modules, or a module's attributes as "module.name"
    line: int
    end: int
    in_function: bool
    type_checking: bool
    commented: bool       # a comment on its lines or the line above, or it continues a commented block


def _module_name(path: Path) -> str:
    parts = ("mips",) + path.relative_to(PACKAGE_DIR).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _absolute(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _comment_lines(source: str) -> set[int]:
    return {tok.start[0] for tok in tokenize.generate_tokens(io.StringIO(source).readline)
            if tok.type == tokenize.COMMENT}


def _imports(path: Path, module: str) -> list[Import]:
    source = path.read_text()
    comments, found = _comment_lines(source), []

    def visit(node: ast.AST, in_function: bool, type_checking: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                visit(child, True, type_checking)
            elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                visit(child, in_function, True)
            elif isinstance(child, (ast.Import, ast.ImportFrom)):
                if isinstance(child, ast.Import):
                    targets = tuple(a.name for a in child.names)
                else:
                    base = _absolute(module, path, child)
                    targets = tuple(f"{base}.{a.name}" for a in child.names)
                commented = bool(set(range(child.lineno - 1, child.end_lineno + 1)) & comments) or bool(
                    found and found[-1].commented and found[-1].end == child.lineno - 1)   # one comment per block
                found.append(Import(module, targets, child.lineno, child.end_lineno, in_function, type_checking,
                                    commented))
            else:
                visit(child, in_function, type_checking)

    visit(ast.parse(source), False, False)
    return found


@cache
def _all_imports() -> tuple[Import, ...]:
    return tuple(i for path in sorted(PACKAGE_DIR.rglob("*.py")) for i in _imports(path, _module_name(path)))


@cache
def _modules() -> frozenset[str]:
    return frozenset(_module_name(p) for p in PACKAGE_DIR.rglob("*.py"))


def _loaded(target: str, importer: str) -> set[str]:
    """The mips modules that loading ``target`` runs (for ``importer``): the module itself, or the
    package whose attribute it names, and the packages above it that the importer is not already inside."""
    modules = _modules()
    name = target if target in modules else target.rpartition(".")[0]
    if name not in modules:
        return set()
    parts = name.split(".")
    above = {".".join(parts[:i]) for i in range(2, len(parts))}
    return {name} | {p for p in above if p in modules and not importer.startswith(p + ".")}


def _graph(imports: tuple[Import, ...]) -> dict[str, set[str]]:
    """Module -> the mips modules its module-level imports load (the imports that run when it loads)."""
    graph: dict[str, set[str]] = {m: set() for m in _modules()}
    for i in imports:
        if not i.in_function and not i.type_checking:
            for target in i.targets:
                graph[i.module] |= _loaded(target, i.module) - {i.module}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def _floor(module: str) -> int | None:
    top = module.split(".")[1] if module.count(".") else None
    return next((i for i, names in enumerate(FLOORS) if top in names), None)


def _external(module: str, graph: dict[str, set[str]], imports: tuple[Import, ...]) -> set[str]:
    """The heavy optional modules that loading ``module`` imports, through mips modules or directly."""
    seen, todo = set(), [module]
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo.extend(graph.get(m, ()))
    return {t.split(".")[0] for i in imports if i.module in seen and not i.in_function and not i.type_checking
            for t in i.targets} & set(HEAVY_OPTIONAL)


def test_every_module_is_on_a_floor() -> None:
    unplaced = sorted(m for m in _modules() if m != "mips" and _floor(m) is None)
    assert not unplaced, f"modules on no floor of FLOORS (add their package): {unplaced}"


def test_every_module_imports_only_its_floor_or_lower() -> None:
    upward = sorted({f"{i.module} (line {i.line}) imports {t}" for i in _all_imports() for t in i.targets
                     if t.startswith("mips.") and _floor(t) is not None and _floor(i.module) is not None
                     and _floor(t) > _floor(i.module)})
    assert not upward, "modules importing higher floors:\n" + "\n".join(upward)


def test_module_level_imports_form_no_cycle() -> None:
    cycles = _cycles(_graph(_all_imports()))
    assert not cycles, "import cycles (each a set of modules that import each other):\n" + "\n".join(
        " <-> ".join(c) for c in cycles)


def test_imports_inside_functions_only_defer_heavy_optional_modules() -> None:
    imports = _all_imports()
    graph = _graph(imports)
    bad = []
    for i in imports:
        if not i.in_function:
            continue
        where = f"{i.module} line {i.line}"
        for target in i.targets:
            top = target.split(".")[0]
            if top == "mips":
                names = _loaded(target, i.module)
                deferred = set().union(*(_external(m, graph, imports) for m in names)) if names else set()
            else:
                deferred = {top} & set(HEAVY_OPTIONAL)
            deferred -= _external(i.module, graph, imports)      # already loaded with the module: nothing deferred
            if not deferred:
                bad.append(f"{where}: {target} defers no heavy optional module; import it at the top")
        if not i.commented:
            bad.append(f"{where}: a deferred import needs a comment saying what it defers")
    assert not bad, "\n".join(bad)


def test_the_core_never_imports_streamlit() -> None:
    users = sorted({i.module for i in _all_imports() for t in i.targets if t.split(".")[0] == "streamlit"})
    assert not users, users


def test_the_checks_see_a_cycle_a_floor_and_a_deferred_import(tmp_path: Path) -> None:
    """The pieces the tests above rely on, on made-up input."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
    assert _floor("mips.sandbox.run") < _floor("mips.tasks.taskfile") < _floor("mips.program.program")
    source = tmp_path / "m.py"
    source.write_text("import os\n\n\ndef f():\n    # defers torch\n    import torch\n    import torch.nn\n\n"
                      "    from . import json\n")
    found = {(i.targets, i.in_function, i.commented) for i in _imports(source, "mips.tasks.m")}
    assert found == {(("os",), False, False), (("torch",), True, True), (("torch.nn",), True, True),
                     (("mips.tasks.json",), True, False)}
