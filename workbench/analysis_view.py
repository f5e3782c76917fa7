"""The analysis pages' shared drawing: the pipeline run with its progress bar, the context line, stage problems.

:mod:`workbench.state` returns data; this module draws it (``st.progress``, ``st.info``,
``st.error``, ``st.caption``), so every analysis page shows the same messages.
"""

from __future__ import annotations

import streamlit as st

from mips.errors import MipsError
from mips.pipeline import STAGES, PipelineResult
from workbench import state
from workbench.plain_text import escape_markdown
from workbench.user_messages import clean, for_browser


def analysis() -> tuple[state.TaskContext, state.ModelChoice, PipelineResult | None]:
    """The current task, its network, and the pipeline run on them (computed once, with a progress bar).

    Shows an ``st.info`` / ``st.error`` and returns None as the result when there is no network or
    the run failed; never raises for a user-facing problem.
    """
    task = state.current_task()
    model = state.current_model(task)
    if not model.available:
        st.info(escape_markdown(model.error or "No network for this task."))  # may quote the checkpoint
        return task, model, None
    result = state.stored_result(task, model)
    if result is None:
        bar = st.progress(0.0, text=f"Analysing the network for {task.spec.name} (first visit only)...")

        def on_event(event: dict) -> None:
            if event.get("event") == "stage_start":
                i = STAGES.index(event["stage"])
                bar.progress(i / len(STAGES), text=f"Stage {i + 1}/{len(STAGES)}: {event['stage']}...")

        try:
            result = state.compute_result(task, model, on_event=on_event)
        except MipsError as exc:
            bar.empty()
            st.error("The analysis could not run: " + escape_markdown(for_browser(exc, what="The task")))
            return task, model, None
        bar.empty()
    return task, model, result


def context_caption(task: state.TaskContext, model: state.ModelChoice) -> None:
    """One line naming the task and the network the page is about."""
    st.caption(f"Task **{task.spec.name}** · network: {escape_markdown(model.label)}")
    if model.note:
        st.warning(escape_markdown(model.note))  # may quote the checkpoint's task


def stage_problem(result: PipelineResult, stage: str) -> str | None:
    """The message of ``stage`` when it did not succeed, as Markdown-safe text (None when it is ok)."""
    s = result.stages.get(stage)
    if s is None or s.status == "ok":
        return None
    message = s.message
    if message.startswith(f"{s.status}: "):       # "Stage 'normalize' skipped: skipped: ..." says it twice
        message = message[len(s.status) + 2:]
    return f"Stage '{stage}' {s.status}: " + escape_markdown(clean(message))  # may quote a task file


def stage_skipped(result: PipelineResult, stage: str) -> bool:
    """Whether ``stage`` was skipped on purpose (it does not apply to this network): not an error."""
    s = result.stages.get(stage)
    return s is not None and s.status == "skipped"
