"""The four analysis pages in a real browser, on the tasks whose pictures the issue described: a
screenshot of each page per task (``test-artifacts/screenshots/<task>_<page>.png``), the typed-input
flow on Hidden states, and the render times (``test-artifacts/analysis_render_times.json``)."""

from __future__ import annotations

import json
import os
import time

import pytest

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_browser import RENDERED, _settle
from workbench.page_table import ANALYSIS_PAGES, page

TASKS = ("Binary_Addition", "Sum_Last3", "Add_Mod_5", "Parity_All")
PAGES = tuple((page(name).title, page(name).heading, name) for name in ANALYSIS_PAGES)
#: a page that has not drawn this long after its analysis was cached hangs (a bug, not slowness): the
#: speed targets (2 s after the first visit, 10 s for the first analysis page) are not asserted here,
#: on a shared machine; the times are recorded in test-artifacts/analysis_render_times.json
HANG_SECONDS = 30.0


def _load_factor() -> float:
    """How oversubscribed the machine is now (1 when idle or busy within its cores)."""
    try:
        return max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1))
    except OSError:
        return 1.0
WIDTH = 1400


def _choose_task(page, app_url, task: str) -> None:
    page.goto(app_url)
    page.wait_for_function(RENDERED, arg=["MIPS workbench"])
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Benchmark task")
    box.click()
    page.keyboard.type(task)
    page.keyboard.press("Enter")
    _settle(page)
    page.wait_for_function(RENDERED, arg=["MIPS workbench"])
    page.locator("h3", has_text=task).first.wait_for()


def _goto(page, nav: str, title: str) -> float:
    link = page.locator('[data-testid="stSidebarNavLink"]').filter(has_text=nav).first
    t0 = time.perf_counter()
    link.click()
    page.wait_for_function(RENDERED, arg=[title], polling=50)
    return time.perf_counter() - t0


def _full_shot(page, name: str) -> None:
    """The whole page (Streamlit scrolls its main area inside the window: grow the window to fit)."""
    page.wait_for_timeout(400)              # charts finish their first paint
    height = page.evaluate("""() => {
      const main = document.querySelector('[data-testid="stMain"]') || document.body;
      return Math.max(main.scrollHeight, document.body.scrollHeight);
    }""")
    page.set_viewport_size({"width": WIDTH, "height": min(int(height) + 40, 12000)})
    page.wait_for_timeout(400)
    (ARTIFACTS / "screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "screenshots" / f"{name}.png"), full_page=True)
    page.set_viewport_size({"width": WIDTH, "height": 1000})


def _no_exception(page, where: str) -> None:
    assert not page.locator('[data-testid="stException"]').count(), f"exception on {where}"
    assert "Traceback" not in page.content(), where


@pytest.fixture(scope="module")
def render_times():
    times: dict = {}
    yield times
    ARTIFACTS.mkdir(exist_ok=True)
    record = {"note": "seconds from the sidebar click until the script finished, the title showed and every chart "
                      "drew; 'first' is the first visit of a page for the task (the first one also runs the "
                      "analysis), 'warm' the second visit", "tasks": times}
    (ARTIFACTS / "analysis_render_times.json").write_text(json.dumps(record, indent=1) + "\n")


#: The default suite draws every analysis page in the browser on Parity_All here and on Binary_Addition in
#: the walkthrough (test_browser.py: first and warm visits, screenshots, the same hang check). The other
#: tasks' screenshots come with the slow tests (`make test-all`): their pictures are checked without a
#: browser (tests/app/test_views.py: Sum_Last3's lattice grid, Add_Mod_5's five-cycle), Sum_Last3's
#: Normalizers page in the browser below, and Sum_Last3's and Add_Mod_5's Program pages in test_e2e_views.py.
SLOW_TASKS = ("Binary_Addition", "Sum_Last3", "Add_Mod_5")


@pytest.mark.parametrize("task", [pytest.param(t, marks=pytest.mark.slow) if t in SLOW_TASKS else t
                                  for t in TASKS])
def test_analysis_pages_render_and_are_screenshotted(page, app_url, task, render_times):
    page.set_viewport_size({"width": WIDTH, "height": 1000})
    _choose_task(page, app_url, task)
    first, warm = {}, {}
    for nav, title, name in PAGES:
        first[name] = round(_goto(page, nav, title), 3)
        _no_exception(page, f"{task} {name}")
    for nav, title, name in PAGES:
        warm[name] = round(_goto(page, nav, title), 3)
        _no_exception(page, f"{task} {name}")
        _full_shot(page, f"{task}_{name}")
    load = _load_factor()
    render_times[task] = {"first": first, "warm": warm, "load_per_core": round(load, 2)}
    print(f"\n{task} render times (s), first / warm (load {load:.1f} per core): "
          + ", ".join(f"{n} {first[n]:.2f}/{warm[n]:.2f}" for n in first))
    hung = {k: v for k, v in warm.items() if v > HANG_SECONDS}
    assert not hung, f"{task}: pages that took over {HANG_SECONDS} s after their analysis was cached: {hung}"


def test_normalizers_every_step_side_by_side(page, app_url):
    page.set_viewport_size({"width": WIDTH, "height": 1000})
    _choose_task(page, app_url, "Sum_Last3")
    _goto(page, "Normalizers", "Normalizers")
    page.get_by_text("Show the hidden states after every step").click()
    _settle(page)
    page.wait_for_function(RENDERED, arg=["Normalizers"])
    page.get_by_text("3. Toeplitz").first.click()
    _settle(page)
    page.wait_for_function(RENDERED, arg=["Normalizers"])
    _no_exception(page, "normalizers, every step")
    _full_shot(page, "Sum_Last3_normalizers_toeplitz_every_step")


@pytest.mark.slow
def test_typed_input_on_hidden_states(page, app_url):
    """Slow (`make test-all`), for its screenshots of a two-input task's typed sequence: about 10 s.
    The default suite keeps the behaviour without a browser: the page's typed sequence, its
    step-by-step table and the message for a symbol that is not an input
    (tests/app/test_analysis_pages.py::test_hidden_states_page_scatter_and_typed_input), and
    Binary_Addition's two-input steps, their trace and their errors (tests/app/test_views.py)."""
    page.set_viewport_size({"width": WIDTH, "height": 1000})
    _choose_task(page, app_url, "Binary_Addition")
    _goto(page, "Hidden states", "Hidden states")
    box = page.get_by_role("textbox", name="Type an input sequence")
    box.fill("01 11 10 00")
    box.press("Enter")
    _settle(page)
    page.wait_for_function(RENDERED, arg=["Hidden states"])
    page.get_by_text("Your input, step by step").wait_for()
    _no_exception(page, "typed input")
    _full_shot(page, "Binary_Addition_hidden_states_typed")
    box = page.get_by_role("textbox", name="Type an input sequence")
    box.fill("01 12")
    box.press("Enter")
    _settle(page)
    alert = page.locator('[data-testid="stAlert"]').filter(has_text="is not an input")
    alert.first.wait_for()
    assert "Step 2: 2 is not an input of Binary_Addition" in alert.first.inner_text()
    _full_shot(page, "Binary_Addition_hidden_states_bad_input")
