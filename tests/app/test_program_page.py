"""Program page: the generated program, accept, edit -> counterexample -> fix -> verified, downloads."""

import json

from tests.app.conftest import open_app, texts


def test_program_page_shows_verified_program_and_downloads():
    at = open_app("Parity_All", "program")
    assert at.title[0].value == "Program"
    assert any(t.startswith("Solved:") for t in texts(at.success))
    assert "a = a ^ x" in at.code[0].value
    assert at.get("download_button") and len(at.get("download_button")) == 2
    at.button(key="accept_program").click().run()
    assert "You accepted this program." in texts(at.success)


def test_edit_wrong_program_shows_counterexample_then_fix_verifies():
    at = open_app("Parity_All", "program")
    editor = at.text_area(key="program_source")
    original = editor.value
    assert "a ^ x" in original
    editor.set_value(original.replace("a ^ x", "a & x"))
    at.button(key="verify_edit").click().run()
    assert not at.exception, at.exception
    errors = texts(at.error)
    assert any(e.startswith("Not verified") and "counterexample" in e for e in errors), errors
    trace = at.dataframe[-1].value
    assert "WRONG" in set(trace["ok"]) and {"input", "program_output", "expected"} <= set(trace.columns)
    # the edit survives a page change
    at.switch_page("pages/lattice.py").run()
    at.switch_page("pages/program.py").run()
    assert "a & x" in at.text_area(key="program_source").value
    assert any(e.startswith("Not verified") for e in texts(at.error))
    # fix it
    at.text_area(key="program_source").set_value(original)
    at.button(key="verify_edit").click().run()
    assert any(t.startswith("Verified:") for t in texts(at.success))
    from workbench.program_edit import report_json
    check = at.session_state["mips_program_check"]["check"]
    report = json.loads(report_json(_result(), check))
    assert report["edited_program"]["outcome"] == "verified"


def _result():
    from workbench.session import _store
    return next(r for k, r in _store().results.items() if k[0] == "builtin:Parity_All")


def test_program_outside_the_grammar_is_a_line_numbered_error():
    at = open_app("Parity_All", "program")
    at.text_area(key="program_source").set_value("import os\ndef f(xs):\n    return os.listdir('.')\n")
    at.button(key="verify_edit").click().run()
    assert not at.exception
    assert "Not a valid program: line 1: imports are not allowed in a program." in texts(at.error)
    at.button(key="reset_edit").click().run()
    assert "a ^ x" in at.text_area(key="program_source").value
