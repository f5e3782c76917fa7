"""Two browser sessions at once: what one uploads is invisible to the other (session state is per
browser tab; the shared caches are keyed by content)."""

from __future__ import annotations

from tests.e2e.test_browser import RENDERED, _settle

TASK_FILE = ('"""Session A only: y_t = x_t."""\nNAME = "Session_A_Only"\nINPUT_DIM = 1\nINPUT_VALUES = [0, 1]\n'
             'SEQ_LEN = 5\n\ndef target(xs):\n    return list(xs)\n')


def _open(browser, url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.goto(url)
    page.wait_for_function(RENDERED, arg=["MIPS workbench"], polling=100)
    return context, page


def _task_heading(page) -> str:
    return " | ".join(page.locator("h3").all_inner_texts())


def test_an_upload_in_one_session_is_not_seen_in_another(browser, app_url, tmp_path, isolated):
    path = tmp_path / "session_a.py"
    path.write_text(TASK_FILE)
    ctx_a, a = _open(browser, app_url)
    ctx_b, b = _open(browser, app_url)
    try:
        default = _task_heading(b)
        a.get_by_text("Upload a task file or a checkpoint").click()
        a.locator('input[type="file"]').first.set_input_files(str(path))
        a.get_by_role("heading", name="Session_A_Only").wait_for()
        _settle(a)
        assert "Session_A_Only" in _task_heading(a)
        # B, loaded before and reloaded after A's upload, still shows its own task
        _settle(b)
        assert "Session_A_Only" not in _task_heading(b) and _task_heading(b) == default
        b.reload()
        b.wait_for_function(RENDERED, arg=["MIPS workbench"], polling=100)
        assert "Session_A_Only" not in b.content()
        # and A keeps its upload after B's visit
        assert "Session_A_Only" in _task_heading(a)
    finally:
        ctx_a.close()
        ctx_b.close()
