"""The Train page's last run in this session (a :class:`~workbench.training_run.TrainingRecord`)."""

from __future__ import annotations

import streamlit as st

from workbench.state.keys import K_TRAIN_HISTORY
from workbench.state.task import TaskContext
from workbench.training_run import TrainingRecord


def start_training_record(task: TaskContext) -> TrainingRecord:
    """A new record for a run about to start for ``task`` (it replaces the last one)."""
    record = TrainingRecord(task_key=task.key)
    st.session_state[K_TRAIN_HISTORY] = record
    return record


def training_record(task: TaskContext) -> TrainingRecord | None:
    """The last run of the Train page in this session when it was for ``task`` (None otherwise)."""
    record = st.session_state.get(K_TRAIN_HISTORY)
    return record if isinstance(record, TrainingRecord) and record.task_key == task.key else None


def cancel_training() -> None:
    """Stop the running training or search, if any (the Cancel button's callback)."""
    record = st.session_state.get(K_TRAIN_HISTORY)
    if isinstance(record, TrainingRecord):
        record.cancel()
