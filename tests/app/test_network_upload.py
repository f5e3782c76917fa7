"""Home page: a PyTorch state dict uploaded with its JSON description becomes the network in use, and the
analysis runs on it (normalizers skipped); a wrong description is an error in the browser's words."""

import json

from streamlit.testing.v1 import AppTest

from tests.app.conftest import TIMEOUT
from tests.program.test_pipeline_torch import train_and_save


def _script():
    import streamlit as st

    from workbench import session

    task = session.current_task()
    err = session.use_uploaded_network(task, "net.pt", st.session_state["weights"], "net.json",
                                       st.session_state["description"])
    if err:
        st.error(err)
    model = session.current_model(task)
    st.write(f"model={model.label} parameters={model.n_parameters}")
    if st.session_state.get("analyse"):
        _, _, result = session.analysis()
        st.write(f"solved={result.solved} normalize={result.stages['normalize'].message}")


def _run(weights: bytes, description: dict, analyse: bool = False) -> AppTest:
    at = AppTest.from_function(_script, default_timeout=TIMEOUT * 3)
    at.session_state["mips_task"] = "Parity_All"
    at.session_state["weights"] = weights
    at.session_state["description"] = json.dumps(description).encode()
    at.session_state["analyse"] = analyse
    at.run()
    assert not at.exception, at.exception
    return at


def test_uploaded_gru_with_its_description_is_analysed(tmp_path):
    path = train_and_save(tmp_path, "Parity_All", "gru", 4, False, False)
    at = _run(path.read_bytes(), json.loads((tmp_path / "net.json").read_text()), analyse=True)
    assert not at.error
    body = " ".join(m.value for m in at.markdown)
    assert "model=uploaded net.pt (nn.GRU H=4, read-out 1) parameters=89" in body
    assert "solved=True" in body and "normalizers are specific to the MIPS RNN" in body


def test_a_description_that_does_not_fit_the_weights_is_an_error(tmp_path):
    path = train_and_save(tmp_path, "Parity_All", "gru", 4, False, False)
    wrong = {**json.loads((tmp_path / "net.json").read_text()), "hidden_size": 6}
    at = _run(path.read_bytes(), wrong)
    assert at.error and "hidden_size 6" in at.error[0].value and "/tmp" not in at.error[0].value
    assert "model=zoo network" in " ".join(m.value for m in at.markdown)
