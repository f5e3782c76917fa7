"""The pages call typed ``workbench.state`` accessors only, the state draws nothing and never writes the URL,
and every list of pages comes from one table (``workbench.page_table``)."""

import ast
import re
from pathlib import Path

from tests.app.conftest import ROOT, open_app
from workbench import page_table
from workbench.bench import task_link

PAGE_FILES = sorted((ROOT / "pages").glob("*.py"))


def _attributes(path: Path) -> list[ast.Attribute]:
    return [node for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(node, ast.Attribute)]


def _imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def test_no_page_touches_the_session_state_or_the_state_internals():
    for path in PAGE_FILES:
        attributes = _attributes(path)
        assert not [a for a in attributes if a.attr == "session_state"], \
            f"{path.name} uses st.session_state; add an accessor to workbench.state"
        names = {a.attr for a in attributes if isinstance(a.value, ast.Name) and a.value.id == "state"}
        keys = {n for n in names if re.fullmatch(r"K_[A-Z_]+", n)}
        private = {n for n in names if n.startswith("_")}
        assert not keys, f"{path.name} uses the session keys {sorted(keys)}"
        assert not private, f"{path.name} uses private state names {sorted(private)}"
        inside = {m for m in _imported_modules(path) if m.startswith("workbench.state.")}
        assert not inside, f"{path.name} imports {sorted(inside)}; call the accessors of workbench.state instead"


def test_the_state_draws_nothing_and_never_calls_the_url():
    """Accessors return data (the pages and the view modules draw), and only the entry point writes the URL."""
    allowed = {"session_state", "cache_resource", "cache_data"}
    for path in sorted((ROOT / "workbench" / "state").glob("*.py")):
        calls = {a.attr for a in _attributes(path) if isinstance(a.value, ast.Name) and a.value.id == "st"}
        assert calls <= allowed, f"{path.name} draws with st.{sorted(calls - allowed)}; return data instead"
        upward = _imported_modules(path) & {"workbench.url_state", "workbench.presentation", "workbench.routing",
                                            "workbench.analysis_view"}
        assert not upward, f"{path.name} imports {sorted(upward)}: the state must not depend on the views or the URL"


def test_the_page_table_lists_every_page_file_once():
    names = [p.name for p in page_table.PAGES]
    assert len(set(names)) == len(names)
    assert {f"pages/{p.name}" for p in PAGE_FILES} == {p.path for p in page_table.PAGES}
    assert [p.name for p in page_table.PAGES if p.default] == ["home"]
    assert set(page_table.ANALYSIS_PAGES) <= set(names)
    assert [label for _, label in page_table.tour()][:2] == ["1. Train", "2. Hidden states"]
    assert task_link("Sum_All") == "./program?task=Sum_All"


def test_navigation_and_tour_come_from_the_table():
    at = open_app("Parity_All")
    assert at.title[0].value == page_table.heading("home")
    links = at.get("page_link")
    steps = page_table.tour()
    assert [link.proto.label for link in links] == [label for _, label in steps]
    assert [link.proto.page for link in links] == [p.url_path for p, _ in steps]
    for p in page_table.PAGES:
        if not p.default:
            at.switch_page(p.path).run()
            assert not at.exception, (p.name, at.exception)
            assert at.title[0].value == p.heading
