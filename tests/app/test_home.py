"""The placeholder home page renders and shows a task's definition."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def test_home_page_renders_and_switches_task():
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert at.title[0].value == "MIPS workbench"
    at.selectbox(key="task_name").set_value("Parity_All").run()
    assert not at.exception
    assert at.subheader[0].value == "Parity_All"
    assert "mod 2" in at.markdown[1].value or any("mod 2" in m.value for m in at.markdown)
