"""Browser tests: Playwright driving Debian's Chromium against `streamlit run` (design.md §7).

Skipped, with the Debian package to install, when Chromium is missing; `.ci/run` installs it and
sets ``MIPS_REQUIRE_BROWSER=1``, so that in CI they run or fail. Screenshots and render times go to ``test-artifacts/`` (git-ignored).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.system_packages import BROWSER_PACKAGES, missing_system_packages

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("MIPS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]
SERVER_START_SECONDS = 90
_LOADED = time.time()      # render times older than this run are not reported


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"streamlit exited with status {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"streamlit did not answer on {url}/_stcore/health within {SERVER_START_SECONDS} s:\n"
                f"{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def playwright_api():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing_system_packages("a browser", BROWSER_PACKAGES, "MIPS_REQUIRE_BROWSER",
                                "the playwright package is not installed; `make test` installs it")
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)) and not shutil.which(CHROMIUM):
        missing_system_packages("a browser", BROWSER_PACKAGES, "MIPS_REQUIRE_BROWSER", f"no Chromium at {CHROMIUM}")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def bench_results(tmp_path_factory) -> str | None:
    """The real benchmark results when present, else a small fixture so the page has a table to show."""
    from workbench.bench import DEFAULT_RESULTS
    if DEFAULT_RESULTS.is_file():
        return None
    path = tmp_path_factory.mktemp("bench") / "results.json"
    rows = [{"task": "Binary_Addition", "paper_index": 1, "solved": True, "paper_mips_solved": True,
             "gpt4_solved": False, "program_kind": "symbolic"},
            {"task": "Parity_All", "paper_index": 30, "solved": True, "paper_mips_solved": True,
             "gpt4_solved": True, "program_kind": "symbolic"}]
    path.write_text(json.dumps({"summary": {"solved": 2, "total": 2, "paper_mips": 32, "gpt4": 30}, "rows": rows}))
    return str(path)


@pytest.fixture(scope="session")
def app_url(playwright_api, bench_results):
    ARTIFACTS.mkdir(exist_ok=True)
    port = _free_port()
    log = ARTIFACTS / "streamlit-server.log"
    env = {k: v for k, v in os.environ.items() if k != "MIPS_APPTEST"}
    if bench_results:
        env["MIPS_BENCH_RESULTS"] = bench_results
    # streamlit itself, with the session's shared pipeline runs (tests/pipeline_cache.py)
    cmd = [sys.executable, "-m", "tests.e2e.serve_app", "run", str(ROOT / "streamlit_app.py"), "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none",
           "--browser.gatherUsageStats", "false"]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def browser(playwright_api):
    b = playwright_api.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
    yield b
    b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    p = context.new_page()
    p.set_default_timeout(120_000)
    yield p
    context.close()


def shot(page, name: str) -> None:
    """A screenshot of the whole page in ``test-artifacts/screenshots/NAME.png``.

    Streamlit scrolls inside its main block, so a full-page screenshot would stop at the viewport: the
    viewport grows to the main block's height for the screenshot, then goes back.
    """
    (ARTIFACTS / "screenshots").mkdir(parents=True, exist_ok=True)
    height = page.evaluate("""() => Math.max(1000, ...[...document.querySelectorAll(
        '[data-testid="stMain"], [data-testid="stMainBlockContainer"]')].map(e => e.scrollHeight))""")
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": min(int(height) + 40, 8000)})
    page.wait_for_timeout(400)
    page.screenshot(path=str(ARTIFACTS / "screenshots" / f"{name}.png"))
    page.set_viewport_size(size)


def pytest_terminal_summary(terminalreporter):
    """Print the pages' render times measured by the walkthrough (also in test-artifacts/render_times.json)."""
    path = ARTIFACTS / "render_times.json"
    if not path.is_file() or path.stat().st_mtime < _LOADED:
        return
    data = json.loads(path.read_text())
    terminalreporter.section("workbench render times (seconds; first visit / after the first load)")
    for name, first in data["first_visit_seconds"].items():
        terminalreporter.write_line(f"{name:<14} {first:7.3f} {data['warm_seconds'][name]:7.3f}")


def pytest_collection_modifyitems(items):
    """Under pytest-xdist (``--dist loadgroup``), each browser-test file runs on one worker: a worker starts
    at most one app server and one browser, and a file's tests share that server's cached analyses."""
    for item in items:
        if "/e2e/" in item.nodeid.replace("\\", "/") or item.nodeid.startswith("e2e/"):
            item.add_marker(pytest.mark.xdist_group(Path(item.fspath).stem))
