"""Program page: the generated program and its checks, accept (into the report and the download), edit ->
counterexample -> fix -> verified, LaTeX of edited programs, downloads.

The editor is a browser component that AppTest cannot type into; these tests write its text where the
page keeps it (``mips_program_text``), as the component does on blur. The browser tests type into it.
"""

import json
import re

from tests.app.conftest import open_app, texts

TEXT = "mips_program_text"


def _report(at) -> dict:
    from workbench.program_edit import report_json
    owner = at.session_state["mips_program_owner"]
    check = at.session_state["mips_program_check"].get(owner) if "mips_program_check" in at.session_state else None
    accepted = at.session_state["mips_program_accepted"].get(owner) if "mips_program_accepted" in at.session_state \
        else None
    return json.loads(report_json(_result(), check, accepted))


def _result(task: str = "builtin:Parity_All"):
    from workbench.state.results import result_store
    return next(r for k, r in result_store().items() if k[0] == task)


def test_program_page_shows_verified_program_checks_and_latex():
    at = open_app("Parity_All", "program")
    assert at.title[0].value == "Program"
    assert any(t.startswith("Solved:") for t in texts(at.success))
    assert re.search(r"(\w+) = \1 \^ x", at.code[0].value), at.code[0].value
    assert at.get("download_button") and len(at.get("download_button")) == 2
    latex = at.latex[0].value
    assert r"\begin{aligned}" in latex and "_{t-1}" in latex and r"\oplus x_{t}" in latex
    checks = at.table[0].value
    assert list(checks["check"]) == ["program vs task", "program vs network", "longer sequences"]
    assert "all 1,024 possible input sequences of length 10" in checks["sequences checked"].iloc[0]
    assert "10,000 random sequences of length 50" in checks["sequences checked"].iloc[2]


def test_accept_records_the_program_in_the_report_and_the_download():
    at = open_app("Parity_All", "program")
    assert _report(at)["accepted_program"] is None
    assert [b.label for b in at.get("download_button")][0] == "Download the generated program (.py)"
    at.button(key="accept_program").click().run()
    assert "You accepted the generated program: it is in the download and in the report." in texts(at.success)
    report = _report(at)
    assert report["accepted_program"]["origin"] == "generated"
    assert report["accepted_program"]["program"].strip() == at.code[0].value.strip()
    assert report["accepted_program"]["verification"]["task_accuracy"] == 1.0
    assert [b.label for b in at.get("download_button")][0] == "Download the accepted program (.py)"
    at.button(key="withdraw_generated").click().run()
    assert _report(at)["accepted_program"] is None


def test_edit_wrong_program_shows_highlighted_counterexample_then_fix_verifies_and_can_be_accepted():
    at = open_app("Parity_All", "program")
    original = at.session_state[TEXT]
    assert "^ x" in original
    at.session_state[TEXT] = original.replace("^ x", "& x")
    at.button(key="verify_edit").click().run()
    assert not at.exception, at.exception
    errors = texts(at.error)
    assert any(e.startswith("Not verified") and "counterexample" in e for e in errors), errors
    trace = at.dataframe[-1].value
    assert "WRONG" in set(trace["ok"]) and {"input", "program_output", "expected"} <= set(trace.columns)
    assert list(trace.columns)[0] == "ok"                        # the mark comes first
    assert at.latex and r"\mathbin{\&}" in at.latex[-1].value    # LaTeX of the edited program
    # the edit survives a page change
    at.switch_page("pages/lattice.py").run()
    at.switch_page("pages/program.py").run()
    assert "& x" in at.session_state[TEXT]
    assert any(e.startswith("Not verified") for e in texts(at.error))
    # fix it, then accept the edit
    at.session_state[TEXT] = original
    at.button(key="verify_edit").click().run()
    assert any(t.startswith("Verified:") for t in texts(at.success))
    assert _report(at)["edited_program"]["outcome"] == "verified"
    at.button(key="accept_edit").click().run()
    report = _report(at)
    assert report["accepted_program"]["origin"] == "edited"
    assert report["accepted_program"]["program"] == report["edited_program"]["program"]


def test_program_outside_the_grammar_is_a_line_numbered_error():
    at = open_app("Parity_All", "program")
    original = at.session_state[TEXT]
    at.session_state[TEXT] = "import os\ndef f(xs):\n    return os.listdir('.')\n"
    at.button(key="verify_edit").click().run()
    assert not at.exception
    assert "Not a valid program: line 1: imports are not allowed in a program." in texts(at.error)
    at.button(key="reset_edit").click().run()
    assert at.session_state[TEXT] == original


def test_a_table_program_that_is_not_exact_cannot_be_accepted():
    at = open_app("Bit_Palindrome", "program")        # no formula over the grammar: a state table
    assert any(t.startswith("Not solved (table program)") for t in texts(at.error))
    assert not [b for b in at.button if b.key == "accept_program"]
    assert any("cannot be accepted" in c for c in texts(at.caption))


def test_the_runner_up_programs_are_listed_with_their_readability():
    from tests.app.conftest import open_app
    at = open_app("Sum_Last3", "program")
    expanders = [e for e in at.expander if e.label.startswith("Other verified programs")]
    assert expanders, [e.label for e in at.expander]
    body = " ".join(m.value for m in expanders[0].markdown) + " ".join(c.value for c in expanders[0].caption)
    assert "readability score" in body and "magic constant" in body      # the raw lattice program
