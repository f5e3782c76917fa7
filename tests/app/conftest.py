"""Helpers for the workbench AppTests: one app per test, a chosen task, page switching."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "streamlit_app.py")
TIMEOUT = 180


def open_app(task: str = "Parity_All", page: str | None = None) -> AppTest:
    """The app with ``task`` chosen, run once (on ``page`` when given), with no exception."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["mips_task"] = task
    at.session_state["mips_task_source"] = "builtin"
    if page is not None:
        at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception, at.exception
    return at


def texts(elements) -> list[str]:
    return [e.value for e in elements]


@pytest.fixture(autouse=True)
def _apptest_mode(monkeypatch):
    """AppTest starts every run in Streamlit's legacy pages mode; see workbench.routing.ensure_routed.
    The app's analyses are run once per session (tests/pipeline_cache.py)."""
    import workbench.state.results

    from tests.pipeline_cache import run_pipeline
    monkeypatch.setenv("MIPS_APPTEST", "1")
    monkeypatch.setattr(workbench.state.results, "run_pipeline", run_pipeline)
