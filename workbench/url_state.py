"""The view in the URL: the task and presentation mode in ``st.query_params`` (the page is the URL's path).

``/program?task=Sum_Last3&present=1`` opens the Program page on Sum_Last3 in presentation mode, so
a reload or a shared link shows the same view. The entry point calls :func:`apply_url` before the
page runs (a value this session did not write itself is a link or a reload: it wins) and
:func:`write_url` after it: the URL is written once per run, from the state the page left. This
module reads :mod:`workbench.state`; the state never calls it.

What is *not* in the URL: uploads (task files, checkpoints), networks trained in the session and
edited programs live in the server-side session of one browser tab; a reload starts a new session
without them. A link made while a task file was active carries ``upload=NAME`` only, so the page
that opens it can say so instead of silently showing another task.
"""

from __future__ import annotations

import re

import streamlit as st

from mips.errors import MipsError
from mips.tasks import get_task
from workbench import state
from workbench.state.keys import K_PRESENT, K_URL_NOTICE, K_URL_WRITTEN
from workbench.tasks_view import task_names

P_TASK, P_UPLOAD, P_PRESENT = "task", "upload", "present"
TRUE = ("1", "true", "yes", "on")


def resolve_task_name(text: str) -> tuple[str | None, str | None]:
    """A benchmark task named in a link: ``(name, None)``, or ``(None, message)`` when there is none."""
    names = task_names()
    if text in names:
        return text, None
    folded = {n.lower(): n for n in names}
    if text.lower() in folded:
        return folded[text.lower()], None
    hint = ""
    try:
        get_task(text)
    except MipsError as exc:
        found = re.search(r"Did you mean [^?]*\?", str(exc))
        hint = " " + found.group(0) if found else ""
    return None, (f"The link names task '{text[:64]}', which is not one of the 62 benchmark tasks.{hint} "
                  f"Showing {state.chosen_task_name()} instead; choose a task on the Home page.")


def apply_url() -> None:
    """Adopt what a link or a reload asks for (values this session did not write itself). What was adopted
    counts as written: a second call in the same run, or a run stopped before :func:`write_url`, changes
    nothing."""
    params = {k: st.query_params.get(k) for k in (P_TASK, P_UPLOAD, P_PRESENT)}
    written = st.session_state.get(K_URL_WRITTEN, {})
    task = params.get(P_TASK)
    if task is not None and task != written.get(P_TASK):
        name, problem = resolve_task_name(task)
        if name is not None:
            state.set_builtin_task(name)
        else:
            st.session_state[K_URL_NOTICE] = problem
    upload = params.get(P_UPLOAD)
    if upload is not None and upload != written.get(P_UPLOAD) and state.active_task_file() is None:
        st.session_state[K_URL_NOTICE] = (
            f"This link was made while the uploaded task file '{upload[:64]}' was open. Uploads stay in the "
            f"browser tab that made them: a link or a reload does not bring them back. Upload the file again on "
            f"the Home page.")
    present = params.get(P_PRESENT)
    if present is not None and present != written.get(P_PRESENT):
        st.session_state[K_PRESENT] = present.lower() in TRUE
    st.session_state[K_URL_WRITTEN] = {**written, **{k: v for k, v in params.items() if v is not None}}


def wanted_params() -> dict[str, str]:
    """The query parameters that describe this session's view now."""
    want: dict[str, str] = {}
    file = state.active_task_file()
    if file is not None:
        want[P_UPLOAD] = file.name or "task"
    else:
        want[P_TASK] = state.chosen_task_name()
    if st.session_state.get(K_PRESENT):
        want[P_PRESENT] = "1"
    return want


def write_url() -> None:
    """Put the current view into the URL (only the parameters that changed)."""
    want = wanted_params()
    params = st.query_params
    for key in (P_TASK, P_UPLOAD, P_PRESENT):
        if key in want:
            if params.get(key) != want[key]:
                params[key] = want[key]
        elif key in params:
            del params[key]
    st.session_state[K_URL_WRITTEN] = want


def take_notice() -> str | None:
    """The message about a link that could not be followed, once."""
    return st.session_state.pop(K_URL_NOTICE, None)
