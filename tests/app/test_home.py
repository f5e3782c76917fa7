"""Home / Task page: task choice, definition, samples, network in use, the tour, uploads."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.app.conftest import ROOT, TIMEOUT, open_app, texts
from tests.system_packages import TRUST_TASK_FILES


def test_home_page_renders_and_switches_task():
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    assert at.title[0].value == "MIPS workbench"
    at.selectbox(key="task_name").set_value("Parity_All").run()
    assert not at.exception
    assert at.subheader[0].value == "Parity_All"
    assert any("mod 2" in m for m in texts(at.markdown))
    assert at.session_state["mips_task"] == "Parity_All"


def test_home_shows_samples_network_and_tour():
    at = open_app("Binary_Addition")
    assert at.subheader[0].value == "Binary_Addition"
    assert at.selectbox(key="task_name").value == "Binary_Addition"
    assert len(at.dataframe) == 1                       # sample sequences
    body = " ".join(texts(at.markdown))
    assert "zoo network H=2" in body and "test accuracy 100.0000%" in body
    assert "How MIPS works" in texts(at.subheader)
    links = at.get("page_link")
    assert len(links) == 7                              # one link per other page


def test_task_choice_survives_a_page_change():
    at = open_app("Sum_Last2")
    at.switch_page("pages/benchmark.py").run()
    at.switch_page("pages/home.py").run()
    assert not at.exception
    assert at.selectbox(key="task_name").value == "Sum_Last2"


def _upload_script():
    import streamlit as st

    from workbench import state

    path = st.session_state["upload_path"]
    data = open(path, "rb").read() if path else b"not a checkpoint"
    if st.session_state["upload_kind"] == "task":
        err = state.set_task_file(path.rsplit("/", 1)[-1] if path else "bad.py", data,
                                  trust=st.session_state["upload_trust"])
    else:
        err = state.use_uploaded_checkpoint(state.current_task(), "upload.pt", data)
    if err:
        st.error(err)
    task = state.current_task()
    st.write(f"task={task.spec.name} source={task.source}")
    st.write(f"model={state.current_model(task).label}")


def _run_upload(kind: str, path: str | None, task: str = "Parity_All") -> AppTest:
    at = AppTest.from_function(_upload_script, default_timeout=TIMEOUT)
    at.session_state["mips_task"] = task
    at.session_state["upload_kind"] = kind
    at.session_state["upload_path"] = path
    at.session_state["upload_trust"] = TRUST_TASK_FILES    # the contract needs no isolation (tests/conftest.py)
    at.run()
    assert not at.exception, at.exception
    return at


def test_uploaded_task_file_becomes_the_task():
    at = _run_upload("task", str(ROOT / "assets" / "tasks" / "running_max3.py"))
    assert not at.error
    assert "source=file" in at.markdown[0].value
    assert "task=Running_Max3" in at.markdown[0].value and "model=none" in at.markdown[1].value


def test_bad_task_file_is_an_error_not_a_crash(tmp_path: Path):
    bad = tmp_path / "bad_task.py"
    bad.write_text("NAME = 'bad'\nINPUT_DIM = 0\n")
    at = _run_upload("task", str(bad))
    assert at.error and "INPUT_DIM" in at.error[0].value
    assert "task=Parity_All source=builtin" in at.markdown[0].value


def test_bad_checkpoint_upload_is_an_error_not_a_crash():
    at = _run_upload("ckpt", None)
    assert at.error and at.error[0].value.startswith("The upload 'upload.pt' is not a network checkpoint.")
    assert "/tmp" not in at.error[0].value and "zip" not in at.error[0].value
    assert "zoo network" in at.markdown[1].value


def test_uploaded_checkpoint_replaces_the_zoo_network():
    at = _run_upload("ckpt", str(ROOT / "assets" / "zoo" / "Parity_All.pt"))
    assert not at.error
    assert "model=uploaded upload.pt" in at.markdown[1].value


def test_checkpoint_for_another_task_shape_is_refused():
    at = _run_upload("ckpt", str(ROOT / "assets" / "zoo" / "Binary_Addition.pt"))
    assert at.error and "Binary_Addition" in at.error[0].value and "reads 2" in at.error[0].value


def test_a_page_opened_first_is_routed_through_the_entry_point(monkeypatch):
    """Streamlit's legacy pages mode runs a page without streamlit_app.py; the page reruns through it."""
    monkeypatch.delenv("MIPS_APPTEST")
    at = open_app("Parity_All", "lattice")
    assert at.title[0].value == "Lattice"
    from streamlit.runtime.pages_manager import PagesManager
    assert PagesManager.uses_pages_directory is False      # st.navigation ran in this script run


def test_markdown_in_a_checkpoints_task_name_is_shown_as_plain_text(tmp_path: Path):
    """A task name such as '**bold** [link](http://x)' reaches st.error / st.warning with every Markdown character
    escaped: first in the refusal (another task), then, once confirmed, in the note next to the network."""
    import re

    import torch
    evil = "**bold** [link](http://x) `code` <b>html</b> $x^2$ :red[red] _it_"
    payload = torch.load(ROOT / "assets" / "zoo" / "Parity_All.pt", weights_only=True)
    payload["task"] = evil
    torch.save(payload, tmp_path / "evil.pt")
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=TIMEOUT)
    at.session_state["mips_task"] = "Parity_All"
    at.session_state["mips_task_source"] = "builtin"
    at.run()
    from workbench.state import PendingCheckpoint
    from workbench.state.keys import K_PENDING_CHECKPOINT
    at.session_state[K_PENDING_CHECKPOINT] = PendingCheckpoint(
        task_key="builtin:Parity_All", filename="evil.pt", data=(tmp_path / "evil.pt").read_bytes(),
        checkpoint_task=evil, label="x")
    at.run()
    refusals = [e for e in texts(at.error) if "was trained for task" in e]
    assert len(refusals) == 1 and not re.search(r"(?<!\\)[*_\[\]()`<>$:]", refusals[0].split("task '", 1)[1]
                                                .rsplit("', not", 1)[0])
    at.button(key="checkpoint_confirm").click().run()
    assert not at.exception, at.exception
    notes = [w for w in texts(at.warning) if "trained for task" in w]
    assert len(notes) == 1
    shown = notes[0].split("task '", 1)[1].rsplit("', not", 1)[0]
    # the whole name, as text (an invisible word joiner keeps http://x from becoming a link)
    assert re.sub(r"\\(.)", r"\1", shown).replace("\u2060", "") == evil
    assert not re.search(r"(?<!\\)[*_\[\]()`<>$:]", shown), shown      # no Markdown character left active
    assert "uploaded evil.pt" in " ".join(texts(at.markdown))
