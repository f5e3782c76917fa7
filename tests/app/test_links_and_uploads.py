"""Links and reloads (the task and presentation mode in the URL), checkpoints of another task refused
until confirmed, and task-file uploads checked in the background with a Cancel."""

import re
import time

from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, ROOT, TIMEOUT, texts


def _plain(markdown: str) -> str:
    """Escaped Markdown as the reader sees it."""
    return re.sub(r"\\(.)", r"\1", markdown)


def _param(at: AppTest, key: str) -> str | None:
    """A query parameter as the script left it (AppTest keeps lists for values the script wrote)."""
    value = at.query_params.get(key)
    return value[-1] if isinstance(value, list) and value else (value or None)


def _app(params: dict, page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in params.items():
        at.query_params[k] = v
    if page:
        at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_link_with_a_task_opens_that_task_and_keeps_it_in_the_url():
    at = _app({"task": "Sum_Last3"})
    assert at.subheader[0].value == "Sum_Last3"
    assert at.selectbox(key="task_name").value == "Sum_Last3"
    assert _param(at, "task") == "Sum_Last3"
    # choosing another task rewrites the link
    at.selectbox(key="task_name").set_value("Add_Mod_5").run()
    assert _param(at, "task") == "Add_Mod_5"
    # a page change keeps the task
    at.switch_page("pages/benchmark.py").run()
    assert _param(at, "task") == "Add_Mod_5"


def test_a_link_to_a_page_opens_that_page_on_the_task():
    at = _app({"task": "Sum_Last3"}, page="state_machine")
    assert at.title[0].value == "State machine"
    assert any("Task **Sum_Last3**" in c for c in texts(at.caption))


def test_a_link_with_an_unknown_task_says_so_and_suggests_one():
    at = _app({"task": "sum_last33"})
    warning = " ".join(texts(at.warning))
    assert "not one of the 62 benchmark tasks" in warning and "Sum\\_Last3" in warning
    assert at.subheader[0].value == "Parity_All"


def test_a_link_made_with_an_upload_says_uploads_are_not_kept():
    at = _app({"upload": "Xor_Carry"})
    assert any("Uploads stay in the browser tab that made them" in w for w in texts(at.warning))


def test_presentation_mode_from_the_link_and_the_toggle():
    at = _app({"present": "1", "task": "Parity_All"})
    assert at.toggle(key="mips_present").value is True
    assert _param(at, "present") == "1"
    at.toggle(key="mips_present").set_value(False).run()
    assert _param(at, "present") is None


def _home_with_upload(tmp_path, task: str, checkpoint: str) -> AppTest:
    """The Home page with ``checkpoint`` from the zoo uploaded for ``task`` (AppTest cannot use the uploader)."""
    from workbench.state.keys import K_MODELS, K_PENDING_CHECKPOINT

    at = _app({"task": task})
    script = AppTest.from_function(_use_checkpoint, default_timeout=TIMEOUT)
    script.session_state["mips_task"] = task
    script.session_state["mips_task_source"] = "builtin"
    script.session_state["path"] = str(ROOT / "assets" / "zoo" / f"{checkpoint}.pt")
    script.run()
    assert not script.exception, script.exception
    for key in (K_PENDING_CHECKPOINT, K_MODELS):
        if key in script.session_state:
            at.session_state[key] = script.session_state[key]
    at.session_state["refusal"] = script.session_state["refusal"]
    at.run()
    return at


def _use_checkpoint():
    import streamlit as st

    from workbench import state

    data = open(st.session_state["path"], "rb").read()
    name = st.session_state["path"].rsplit("/", 1)[-1]
    st.session_state["refusal"] = state.use_uploaded_checkpoint(state.current_task(), name, data)


def test_a_checkpoint_of_another_task_is_refused_until_confirmed(tmp_path):
    at = _home_with_upload(tmp_path, "Sum_Last3", "Sum_Last2")
    assert at.session_state["refusal"].startswith("Not used: the checkpoint 'Sum_Last2.pt' was trained for task "
                                                  "'Sum_Last2', not Sum_Last3.")
    assert any("was trained for task 'Sum\\_Last2', not Sum\\_Last3" in e for e in texts(at.error))
    body = " ".join(texts(at.markdown))
    assert "zoo network" in body and "uploaded" not in body         # still the zoo's network
    at.button(key="checkpoint_confirm").click().run()
    body = " ".join(texts(at.markdown))
    assert "uploaded Sum\\_Last2.pt" in body or "uploaded Sum_Last2.pt" in body
    assert any("you chose to use it anyway" in w for w in texts(at.warning))


def test_a_refused_checkpoint_can_take_its_own_task(tmp_path):
    at = _home_with_upload(tmp_path, "Sum_Last3", "Sum_Last2")
    at.button(key="checkpoint_switch").click().run()
    assert not at.exception, at.exception
    assert at.subheader[0].value == "Sum_Last2"
    assert _param(at, "task") == "Sum_Last2"
    body = " ".join(texts(at.markdown))
    assert "uploaded" in body and not at.error


def test_a_checkpoint_of_the_same_task_is_used_at_once(tmp_path):
    at = _home_with_upload(tmp_path, "Sum_Last3", "Sum_Last3")
    assert at.session_state["refusal"] is None
    assert not [b for b in at.button if b.key == "checkpoint_confirm"]


LOOP = b'NAME = "Loops"\nINPUT_DIM = 1\nINPUT_VALUES = [0, 1]\nSEQ_LEN = 5\nwhile True:\n    pass\n'


def test_a_looping_task_file_is_checked_in_the_background_and_cancel_stops_it():
    from workbench.task_upload import TaskFileLoad

    job = TaskFileLoad(filename="loops.py", data=LOOP, sha="x", trust=True).start()
    time.sleep(1.5)
    assert not job.done and "Checking task file 'loops.py'" in job.status()
    t0 = time.monotonic()
    job.cancel()
    assert job.wait(10)
    assert time.monotonic() - t0 < 5
    assert job.spec is None and job.cancelled
    assert job.error == "Task file 'loops.py' was cancelled: nothing changed."


def test_the_home_page_shows_a_running_check_with_cancel_and_keeps_the_task():
    from workbench.state.keys import K_TASK_LOAD
    from workbench.task_upload import TaskFileLoad

    at = _app({"task": "Sum_Last3"})
    job = TaskFileLoad(filename="loops.py", data=LOOP, sha="loop", trust=True).start()
    try:
        at.session_state[K_TASK_LOAD] = job
        at.run()
        assert not at.exception, at.exception
        assert any("Checking task file 'loops.py'" in i for i in texts(at.info))
        assert at.subheader[0].value == "Sum_Last3"                       # the page stays usable
        at.button(key="cancel_task_file").click().run()
        assert job.wait(10)
        at.run()
        assert "Task file 'loops.py' was cancelled: nothing changed." in [_plain(i) for i in texts(at.info)]
        assert at.subheader[0].value == "Sum_Last3"
    finally:
        job.cancel()
