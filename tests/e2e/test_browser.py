"""The workbench in a real browser: choose a task, visit every page (screenshots, render times), edit
the program to a wrong one and see the counterexample, fix it and see it verified."""

from __future__ import annotations

import json
import time

import pytest

from tests.e2e.conftest import ARTIFACTS, shot
from workbench.page_table import PAGES as PAGE_TABLE

TASK = "Binary_Addition"
#: (navigation entry, heading, name) of every page, in the navigation's order; the default page first
PAGES = tuple((p.title, p.heading, p.name) for p in PAGE_TABLE)
#: the pages with an address of their own (the default page is the root)
OWN_URL = tuple((p.title, p.heading, p.url_path) for p in PAGE_TABLE if not p.default)
HANG_SECONDS = 30.0       # a cached page not drawn by then hangs; speed is recorded, not asserted
# a page has rendered: the script finished, its title is shown, and every chart has drawn
RENDERED = """([title]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-testid="stSkeleton"]')) return false;
  const h1 = [...document.querySelectorAll('h1')].map(e => e.textContent);
  if (!h1.some(t => t.includes(title))) return false;
  for (const c of document.querySelectorAll('[data-testid="stPlotlyChart"]'))
    if (!c.querySelector('.main-svg')) return false;
  for (const c of document.querySelectorAll('[data-testid="stGraphVizChart"]'))
    if (!c.querySelector('svg')) return false;
  return true;
}"""
IDLE = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app && app.getAttribute('data-test-script-state') === 'notRunning';
}"""


def _settle(page, seconds: float = 0.3) -> None:
    """Let a rerun start, then wait until the script has finished."""
    page.wait_for_timeout(seconds * 1000)
    page.wait_for_function(IDLE)


def _goto(page, nav: str, title: str) -> float:
    """Click a sidebar entry; seconds until the page has rendered."""
    link = page.locator('[data-testid="stSidebarNavLink"]').filter(has_text=nav).first
    t0 = time.perf_counter()
    link.click()
    page.wait_for_function(RENDERED, arg=[title], polling=50)
    return time.perf_counter() - t0


def _shot(page, name: str) -> None:
    shot(page, name)


def _alerts(page) -> str:
    return " | ".join(page.locator('[data-testid="stAlert"]').all_inner_texts())


def test_walkthrough(page, app_url):
    page.goto(app_url)
    page.wait_for_function(RENDERED, arg=["MIPS workbench"])
    assert page.get_by_text("How MIPS works").is_visible()

    # choose a task
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Benchmark task")
    box.click()
    page.keyboard.type(TASK)
    page.keyboard.press("Enter")
    _settle(page)
    page.wait_for_function(RENDERED, arg=["MIPS workbench"])
    assert page.locator("h3", has_text=TASK).first.is_visible()
    assert page.get_by_text("zoo network H=2").first.is_visible()

    # every page once (the analysis runs on the first page that needs it), then every page again
    first, warm = {}, {}
    for nav, title, name in PAGES:
        first[name] = round(_goto(page, nav, title), 3)
        assert "Traceback" not in page.content() and not page.locator('[data-testid="stException"]').count(), name
    for nav, title, name in PAGES:
        warm[name] = round(_goto(page, nav, title), 3)
        page.wait_for_timeout(300)          # let charts finish their first paint before the screenshot
        _shot(page, name)
        assert not page.locator('[data-testid="stException"]').count(), f"exception on {name}"
    assert page.locator('[data-testid="stGraphVizChart"]').count() == 0   # we are on Benchmark now

    # the Program page: break the program, see the counterexample, fix it, see it verified
    _goto(page, "Program", "Program")
    editor = page.get_by_role("textbox", name="Program source")
    original = editor.input_value()
    assert " ^ x1 ^ x2" in original, original
    editor.fill(original.replace(" ^ x1 ^ x2", " ^ x1"))      # the sum bit forgets x2
    editor.press("Control+Enter")
    _settle(page)
    page.get_by_role("button", name="Verify edited program").click()
    page.get_by_text("Counterexample (sequence").wait_for()
    _settle(page)
    assert "Not verified" in _alerts(page) and "counterexample" in _alerts(page)
    _shot(page, "program_counterexample")

    editor = page.get_by_role("textbox", name="Program source")
    editor.fill(original)
    editor.press("Control+Enter")
    _settle(page)
    page.get_by_role("button", name="Verify edited program").click()
    page.get_by_text("Verified: task 100.00%").wait_for()
    _settle(page)
    assert page.get_by_text("Counterexample (sequence").count() == 0
    _shot(page, "program_verified")

    record = {"task": TASK, "note": "seconds from the sidebar click until the script finished, the title showed and "
                                    "every chart drew; 'warm' is the second visit (after the first load)",
              "first_visit_seconds": first, "warm_seconds": warm}
    (ARTIFACTS / "render_times.json").write_text(json.dumps(record, indent=1) + "\n")
    print("\nrender times (s), first visit / warm:")
    for _, _, name in PAGES:
        print(f"  {name:<14} {first[name]:7.3f} {warm[name]:7.3f}")
    # the target (2 s once the analysis is cached) is recorded above, not asserted on a shared machine
    hung = {name: t for name, t in warm.items() if t > HANG_SECONDS}
    assert not hung, f"pages that took over {HANG_SECONDS} s after their analysis was cached: {hung}"


@pytest.mark.slow
def test_training_shows_live_curves_and_can_be_cancelled(page, app_url):
    """Slow (`make test-all`): about 17 s, most of it the app training three networks on the paper
    recipe until its first evaluation. The default suite keeps the same behaviour without a browser:
    the Train page's AppTests (tests/app/test_train.py) and the run's progress, cancel and interrupted
    polling (tests/app/test_training_run.py)."""
    page.goto(f"{app_url}/train")
    page.wait_for_function(RENDERED, arg=["Train"])
    # the paper recipe on Parity_All runs 10,000 steps: long enough to cancel in the middle
    recipe = page.locator('[data-testid="stSelectbox"]').filter(has_text="Recipe")
    recipe.click()
    page.keyboard.type("paper")
    page.keyboard.press("Enter")
    _settle(page)
    page.get_by_role("button", name="Start").click()
    page.locator('[data-testid="stPlotlyChart"] .main-svg').first.wait_for()     # live curves are drawing
    assert page.get_by_text("step", exact=False).first.is_visible()
    page.get_by_role("button", name="Cancel").click()
    page.get_by_text("Cancelled after").wait_for(timeout=15_000)
    _settle(page)
    assert "the network in use did not change" in _alerts(page)
    _shot(page, "train_cancelled")


@pytest.mark.parametrize("nav,title,name", OWN_URL, ids=[p[2] for p in OWN_URL])
def test_every_page_opens_on_its_own_url(page, app_url, nav, title, name):
    """A fresh session opened on a page's own address renders that page without an exception."""
    page.goto(f"{app_url}/{name}")
    page.wait_for_function(RENDERED, arg=[title])
    assert not page.locator('[data-testid="stException"]').count()
