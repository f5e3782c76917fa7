"""Pipeline results, shared by every session: one per (task, network), the least recently used dropped first.

Two sessions asking for the same analysis compute it once; a slow analysis (a slow task file) never
blocks another session's different analysis (:meth:`~workbench.state.lru.LRU.compute_lock`).
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from mips.pipeline import PipelineConfig, PipelineResult, run_pipeline
from workbench.state.lru import LRU
from workbench.state.models import ModelChoice
from workbench.state.task import TaskContext

#: The app's pipeline settings: a 20k-sequence dataset keeps a first run to seconds on a zoo model.
APP_CONFIG = PipelineConfig(n_sequences=20_000, n_trace_sequences=4096, regression_seconds=2.0)
MAX_STORED_RESULTS = 16


@st.cache_resource(show_spinner=False)
def result_store() -> LRU[tuple[str, str], PipelineResult]:
    """The results by (task key, network fingerprint)."""
    return LRU(MAX_STORED_RESULTS)


def _key(task: TaskContext, model: ModelChoice) -> tuple[str, str]:
    return task.key, model.fingerprint


def stored_result(task: TaskContext, model: ModelChoice) -> PipelineResult | None:
    """The pipeline's result for ``task`` on ``model`` when some session computed it already."""
    return result_store().get(_key(task, model))


def compute_result(task: TaskContext, model: ModelChoice,
                   on_event: Callable[[dict], None] | None = None) -> PipelineResult:
    """Run the pipeline for ``task`` on ``model`` (or wait for the session running it) and keep the result.

    ``model`` must be :attr:`~workbench.state.models.ModelChoice.available`. Raises
    :class:`mips.errors.MipsError` when the pipeline cannot run.
    """
    if not model.available:
        raise ValueError(f"No network to analyse for {task.spec.name}: {model.error or 'none chosen'}")
    key = _key(task, model)
    with result_store().compute_lock(key):
        result = result_store().get(key)
        if result is None:
            result = run_pipeline(task.spec, APP_CONFIG, model=model.pipeline_model, on_event=on_event)
            result_store().put(key, result)
    return result
