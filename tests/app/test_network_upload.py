"""Home page: a PyTorch state dict uploaded with its JSON description becomes the network in use, and the
analysis runs on it (normalizers skipped, said as a note); an edited program is checked against it; a wrong
description is an error in the browser's words."""

import json

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, TIMEOUT, texts
from tests.program.test_pipeline_torch import train_and_save


@pytest.fixture(scope="module")
def gru(tmp_path_factory) -> tuple[bytes, dict]:
    """A small nn.GRU trained on Parity_All: its state dict and its description."""
    folder = tmp_path_factory.mktemp("gru")
    path = train_and_save(folder, "Parity_All", "gru", 4, False, False)
    return path.read_bytes(), json.loads((folder / "net.json").read_text())


def _script():
    import streamlit as st

    from mips.program.codegen import to_source
    from workbench import analysis_view, state
    from workbench.program_edit import check_edited_program

    task = state.current_task()
    err = state.use_uploaded_network(task, "net.pt", st.session_state["weights"], "net.json",
                                     st.session_state["description"])
    if err:
        st.error(err)
    model = state.current_model(task)
    st.write(f"model={model.label} parameters={model.n_parameters}")
    if st.session_state.get("analyse"):
        _, _, result = analysis_view.analysis()
        st.write(f"solved={result.solved} normalize={result.stages['normalize'].message}")
        source = to_source(result.program)
        for name, text in (("same", source), ("wrong", source.replace(" ^ x", " | x"))):
            check = check_edited_program(text, result)
            st.write(f"{name}: outcome={check.outcome} agreement={check.verification.rnn_agreement}")


def _run(weights: bytes, description: dict, analyse: bool = False) -> AppTest:
    at = AppTest.from_function(_script, default_timeout=TIMEOUT * 3)
    at.session_state["mips_task"] = "Parity_All"
    at.session_state["weights"] = weights
    at.session_state["description"] = json.dumps(description).encode()
    at.session_state["analyse"] = analyse
    at.run()
    assert not at.exception, at.exception
    return at


def test_uploaded_gru_with_its_description_is_analysed_and_edits_are_checked_against_it(gru):
    at = _run(*gru, analyse=True)
    assert not at.error
    body = " ".join(m.value for m in at.markdown)
    assert "model=uploaded net.pt (nn.GRU H=4, read-out 1) parameters=89" in body
    assert "solved=True" in body and "normalizers are specific to the MIPS RNN" in body
    # an edited program is compared with the GRU itself, not only with the task
    assert "same: outcome=verified agreement=1.0" in body
    wrong = next(m.value for m in at.markdown if m.value.startswith("wrong:"))
    assert "outcome=failed" in wrong and "agreement=None" not in wrong


def test_the_normalizers_page_says_they_do_not_apply_to_a_gru_as_a_note(gru):
    from workbench.state.keys import K_MODELS

    upload = _run(*gru)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT * 3)
    at.session_state["mips_task"] = "Parity_All"
    at.session_state["mips_task_source"] = "builtin"
    at.session_state[K_MODELS] = upload.session_state[K_MODELS]
    at.switch_page("pages/normalizers.py").run()
    assert not at.exception, at.exception
    assert not at.error, texts(at.error)
    notes = [i for i in texts(at.info) if "normalizers are specific to the MIPS RNN" in i]
    assert len(notes) == 1 and notes[0].startswith("Stage 'normalize' skipped: the normalizers"), notes


def test_a_description_that_does_not_fit_the_weights_is_an_error(gru):
    weights, description = gru
    at = _run(weights, {**description, "hidden_size": 6})
    assert at.error and "hidden_size 6" in at.error[0].value and "/tmp" not in at.error[0].value
    assert "model=zoo network" in " ".join(m.value for m in at.markdown)
