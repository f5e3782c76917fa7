"""What a user sees, in a real browser: links and reloads keep the task and the page; the Program page's
editor, LaTeX (also of a two-output custom task), checks and Accept; the benchmark chart following its
filters; a checkpoint of another task refused until confirmed; a looping task file cancelled; presentation
mode. One screenshot per changed view goes to ``test-artifacts/screenshots/``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, shot
from tests.e2e.test_browser import IDLE, RENDERED, _alerts, _settle
from tests.system_packages import TRUST_TASK_FILES

TASK_FILE = ROOT / "assets" / "tasks" / "two_input_xor_carry.py"
ZOO = ROOT / "assets" / "zoo"
LOOP = 'NAME = "Loops"\nINPUT_DIM = 1\nINPUT_VALUES = [0, 1]\nSEQ_LEN = 5\nwhile True:\n    pass\n'
KATEX_OK = """() => {
  const blocks = [...document.querySelectorAll('[data-testid="stMarkdownContainer"] .katex-display, .katex')];
  return blocks.length > 0 && !document.querySelector('.katex-error');
}"""


def open_page(page, url: str, title: str) -> None:
    page.goto(url)
    page.wait_for_function(RENDERED, arg=[title], polling=100)
    assert not page.locator('[data-testid="stException"]').count()


def caption(page) -> str:
    return " | ".join(page.locator('[data-testid="stCaptionContainer"]').all_inner_texts())


def latex_source(page) -> str:
    return " ".join(page.locator('annotation[encoding="application/x-tex"]').all_text_contents())


@pytest.fixture(scope="session")
def xor_carry_files(tmp_path_factory) -> tuple[Path, Path]:
    """The two-output example task with SEQ_LEN = 6 (the check on every possible sequence labels 4^6, not
    4^10, of them: seconds instead of a minute) and a network for it, trained here on a small dataset."""
    folder = tmp_path_factory.mktemp("xor")
    task_file = folder / "two_input_xor_carry.py"
    source = TASK_FILE.read_text()
    assert "SEQ_LEN = 10\n" in source
    task_file.write_text(source.replace("SEQ_LEN = 10\n", "SEQ_LEN = 6\n"))
    out = folder / "xor_carry.pt"
    cmd = [sys.executable, "-m", "mips", "train", "--task-file", str(task_file), "--hidden-dim", "2",
           "--hidden-depth", "2", "--hidden-width", "8", "--n-sequences", "4096", "--out", str(out)]
    if TRUST_TASK_FILES:
        cmd.append("--trust-task-file")
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return task_file, out


def test_a_reload_keeps_the_task_and_the_page(page, app_url):
    open_page(page, f"{app_url}/?task=Sum_Last3", "MIPS workbench")
    assert page.locator("h3", has_text="Sum_Last3").first.is_visible()
    shot(page, "point6_home_Sum_Last3")
    open_page(page, f"{app_url}/program?task=Sum_Last3", "Program")
    assert "Task Sum_Last3" in caption(page)
    page.locator('[data-testid="stSidebarNavLink"]').filter(has_text="State machine").click()
    page.wait_for_function(RENDERED, arg=["State machine"], polling=100)
    page.wait_for_url("**/state_machine?task=Sum_Last3")
    page.reload()
    page.wait_for_function(RENDERED, arg=["State machine"], polling=100)
    assert page.url.endswith("/state_machine?task=Sum_Last3") and "Task Sum_Last3" in caption(page)
    # a shared link opens the same view in a new session
    other = page.context.browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        second = other.new_page()
        open_page(second, page.url, "State machine")
        assert "Task Sum_Last3" in caption(second)
    finally:
        other.close()


@pytest.mark.parametrize("task", ["Binary_Addition", "Sum_Last3", "Add_Mod_5", "Parity_All"])
def test_program_page_editor_latex_and_checks(page, app_url, task):
    open_page(page, f"{app_url}/program?task={task}", "Program")
    page.wait_for_function(KATEX_OK)
    assert "t-1}" in latex_source(page)
    checks = page.locator('[data-testid="stTable"]').first.inner_text()
    assert "program vs task" in checks and "10,000 random sequences of length" in checks
    editor = page.get_by_role("textbox", name="Program source")
    font = editor.evaluate("e => getComputedStyle(e).fontFamily")
    assert "Source Code Pro" in font or "monospace" in font
    lines = editor.input_value().count("\n") + 1
    gutter = page.locator(".mips-editor .gutter").inner_text().split()
    assert gutter[:lines] == [str(i) for i in range(1, lines + 1)]
    assert editor.evaluate("e => e.scrollHeight <= e.clientHeight + 1")       # the whole program is visible
    shot(page, f"point5_program_{task}")


def test_tab_indents_in_the_editor_and_escape_leaves_it(page, app_url):
    open_page(page, f"{app_url}/program?task=Parity_All", "Program")
    editor = page.get_by_role("textbox", name="Program source")
    editor.click()
    page.keyboard.press("Control+Home")
    page.keyboard.press("Tab")
    assert editor.input_value().startswith("    def f(xs):")
    assert editor.evaluate("e => e.getRootNode().activeElement === e")        # focus stayed in the editor
    page.keyboard.press("Shift+Tab")
    assert editor.input_value().startswith("def f(xs):")
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    assert not editor.evaluate("e => e.getRootNode().activeElement === e")    # Esc, Tab: out of the editor


def test_a_syntax_error_marks_its_line_and_names_the_construct(page, app_url):
    open_page(page, f"{app_url}/program?task=Parity_All", "Program")
    editor = page.get_by_role("textbox", name="Program source")
    editor.fill("def f(xs):\n    import os\n    return []\n")
    editor.press("Control+Enter")
    _settle(page)
    page.get_by_role("button", name="Verify edited program").click()
    page.get_by_text("Not a valid program").wait_for()
    _settle(page)
    assert "line 2: imports are not allowed in a program." in _alerts(page)
    assert page.locator(".mips-editor .gutter .error-line").inner_text() == "2"


def test_accept_puts_the_program_in_the_report_and_the_download(page, app_url):
    open_page(page, f"{app_url}/program?task=Parity_All", "Program")
    generated = page.get_by_role("textbox", name="Program source").input_value()   # the editor starts with it
    page.get_by_role("button", name="Accept this program").click()
    page.get_by_text("You accepted the generated program").wait_for()
    _settle(page)
    with page.expect_download() as report:
        page.get_by_role("button", name="Download the full report (.json)").click()
    data = json.loads(Path(report.value.path()).read_text())
    assert data["accepted_program"]["origin"] == "generated"
    accepted = data["accepted_program"]["program"]
    assert accepted == generated and "def f(xs):" in accepted
    with page.expect_download() as program:
        page.get_by_role("button", name="Download the accepted program (.py)").click()
    assert Path(program.value.path()).read_text() == accepted


def test_a_two_output_custom_task_gets_its_latex(page, app_url, xor_carry_files, isolated):
    task_file, checkpoint = xor_carry_files
    open_page(page, app_url, "MIPS workbench")
    page.get_by_text("Upload a task file or a checkpoint").click()
    inputs = page.locator('input[type="file"]')
    inputs.nth(0).set_input_files(str(task_file))
    page.get_by_role("heading", name="Xor_Carry").wait_for(timeout=180_000)
    _settle(page)
    inputs.nth(1).set_input_files(str(checkpoint))
    page.get_by_text("uploaded xor_carry.pt").first.wait_for()
    _settle(page)
    assert "upload=Xor_Carry" in page.url
    page.locator('[data-testid="stSidebarNavLink"]').filter(has_text="Program").click()
    page.wait_for_function(RENDERED, arg=["Program"], polling=100)
    page.wait_for_function(KATEX_OK)
    tex = latex_source(page)
    assert "y_{1,t}" in tex and "y_{2,t}" in tex and "x_{1,t}" in tex, tex
    shot(page, "point5_program_custom_two_input_xor_carry")


def test_the_benchmark_chart_follows_the_filters(page, app_url):
    open_page(page, f"{app_url}/benchmark", "Benchmark")
    title = page.locator('[data-testid="stPlotlyChart"] .gtitle')
    assert "(all tasks)" in title.text_content()
    total = int(title.text_content().split("among the ")[1].split(" ")[0])
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="This workbench")
    box.click()
    page.get_by_role("option", name="not solved").click()
    _settle(page)
    page.wait_for_function(RENDERED, arg=["Benchmark"], polling=100)
    text = title.text_content()
    assert "(this workbench: not solved)" in text
    shown = int(text.split("among the ")[1].split(" ")[0])
    assert 0 < shown < total
    labels = page.locator('[data-testid="stPlotlyChart"] text.bartext').all_text_contents()
    assert labels[0] == f"0/{shown}", labels                    # none of the shown tasks is solved here
    shot(page, "point8_benchmark_not_solved")
    assert page.locator('[data-testid="stAppDeployButton"]').count() == 0


def test_a_checkpoint_of_another_task_is_refused_until_confirmed(page, app_url):
    open_page(page, f"{app_url}/?task=Sum_Last3", "MIPS workbench")
    page.get_by_text("Upload a task file or a checkpoint").click()
    page.locator('input[type="file"]').nth(1).set_input_files(str(ZOO / "Sum_Last2.pt"))
    page.get_by_text("Not used: the checkpoint").wait_for()
    _settle(page)
    assert "was trained for task 'Sum_Last2', not Sum_Last3" in _alerts(page)
    body = page.locator('[data-testid="stMain"]').inner_text()
    assert "zoo network H=3" in body and "uploaded Sum_Last2.pt" not in body
    shot(page, "point7_checkpoint_refused")
    page.get_by_role("button", name="Use it for Sum_Last3 anyway").click()
    page.get_by_text("uploaded Sum_Last2.pt").first.wait_for()
    _settle(page)
    assert "you chose to use it anyway" in _alerts(page)


def test_a_file_that_is_not_a_checkpoint_gets_a_plain_message(page, app_url, tmp_path):
    notes = tmp_path / "notes.pt"
    notes.write_text("my lesson notes, not a network\n")
    open_page(page, f"{app_url}/?task=Parity_All", "MIPS workbench")
    page.get_by_text("Upload a task file or a checkpoint").click()
    page.locator('input[type="file"]').nth(1).set_input_files(str(notes))
    page.get_by_text("is not a network checkpoint").wait_for()
    _settle(page)
    alerts = _alerts(page)
    assert "The upload 'notes.pt' is not a network checkpoint." in alerts
    assert "IndexError" not in alerts and "zip" not in alerts and "/tmp" not in alerts


def test_a_looping_task_file_can_be_cancelled_with_a_plain_message(page, app_url, tmp_path, isolated):
    loop = tmp_path / "loops.py"
    loop.write_text(LOOP)
    open_page(page, f"{app_url}/?task=Sum_Last3", "MIPS workbench")
    page.get_by_text("Upload a task file or a checkpoint").click()
    page.locator('input[type="file"]').nth(0).set_input_files(str(loop))
    page.get_by_text("Checking task file 'loops.py'").wait_for(timeout=30_000)
    assert page.locator("h3", has_text="Sum_Last3").first.is_visible()          # the page stays usable
    shot(page, "point7_task_file_checking")
    page.get_by_role("button", name="Cancel").click()
    page.get_by_text("was cancelled: nothing changed.").wait_for(timeout=20_000)
    _settle(page)
    alerts = _alerts(page)
    assert "Task file 'loops.py' was cancelled: nothing changed." in alerts
    assert "/tmp" not in alerts and "cpu_seconds" not in alerts
    assert page.locator("h3", has_text="Sum_Last3").first.is_visible()
    shot(page, "point7_task_file_cancelled")


def test_presentation_mode_enlarges_text_and_plot_labels(page, app_url):
    open_page(page, f"{app_url}/hidden_states?task=Binary_Addition", "Hidden states")
    assert page.evaluate("() => getComputedStyle(document.documentElement).fontSize") == "16px"
    page.get_by_text("Presentation mode").click()
    page.wait_for_function("() => getComputedStyle(document.documentElement).fontSize === '20px'")
    page.wait_for_function(IDLE)
    assert "present=1" in page.url
    page.wait_for_function(RENDERED, arg=["Hidden states"], polling=100)
    tick = page.locator('[data-testid="stPlotlyChart"] .xtick text').first
    assert float(tick.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 18
    shot(page, "point9_present_hidden_states")
    open_page(page, f"{app_url}/program?task=Binary_Addition&present=1", "Program")
    assert page.evaluate("() => getComputedStyle(document.documentElement).fontSize") == "20px"
    shot(page, "point9_present_program")
    open_page(page, f"{app_url}/benchmark?present=1", "Benchmark")
    shot(page, "point9_present_benchmark")
    assert page.locator('[data-testid="stAppDeployButton"]').count() == 0
