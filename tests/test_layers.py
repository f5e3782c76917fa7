"""The tree reads in the pipeline's order: a stage package imports only lower stages."""

from __future__ import annotations

import ast
from pathlib import Path

from mips.paths import PACKAGE_DIR

#: lowest first; errors, failure, paths and runtime (the sandbox, dispatch) are shared infrastructure
ORDER = ("tasks", "network", "normalizers", "encodings", "machine", "regression", "program", "pipeline", "cli")


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mips."):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("mips.")}
    return found


def test_every_stage_imports_only_lower_stages() -> None:
    rank = {name: i for i, name in enumerate(ORDER)}
    upward = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        mine = path.relative_to(PACKAGE_DIR).with_suffix("").parts[0]
        if mine not in rank:
            continue
        for module in _imports(path):
            other = module.split(".")[1]
            if other in rank and rank[other] > rank[mine]:
                upward.append(f"{path.relative_to(PACKAGE_DIR)} imports {module}")
    assert not upward, "stages importing higher stages:\n" + "\n".join(upward)


def test_the_core_never_imports_streamlit() -> None:
    users = [str(p.relative_to(PACKAGE_DIR)) for p in PACKAGE_DIR.rglob("*.py")
             if any(m == "streamlit" or m.startswith("streamlit.") for m in _streamlit(p))]
    assert not users, users


def _streamlit(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return found
