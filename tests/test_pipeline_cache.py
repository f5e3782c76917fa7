"""The suite's shared pipeline runs (tests/pipeline_cache.py): a stored result is the run it stands for."""

from __future__ import annotations

import pytest

from mips.network.zoo import load_zoo_model
from mips.pipeline import PipelineConfig
from mips.pipeline import run_pipeline as real_run_pipeline
from mips.program.codegen import to_source
from mips.tasks.registry import get_task
from tests import pipeline_cache

SMALL = PipelineConfig(n_sequences=2_000, n_trace_sequences=500, regression_seconds=1.0)


def test_a_second_call_loads_the_first_run(tmp_path, monkeypatch):
    monkeypatch.setenv(pipeline_cache.ENV, str(tmp_path))
    first = pipeline_cache.run_pipeline("Parity_All", SMALL, model=load_zoo_model("Parity_All"))
    assert len(list(tmp_path.glob("*.pickle"))) == 1

    def no_second_run(*args, **kwargs):
        raise AssertionError("the pipeline ran again")
    monkeypatch.setattr(pipeline_cache, "_real_run_pipeline", no_second_run)
    again = pipeline_cache.run_pipeline(get_task("Parity_All"), SMALL, model=load_zoo_model("Parity_All"))
    assert again is not first and again.task is get_task("Parity_All")
    assert again.solved and to_source(again.program) == to_source(first.program)
    assert again.verification == first.verification
    assert {k: (s.status, s.message) for k, s in again.stages.items()} == \
        {k: (s.status, s.message) for k, s in first.stages.items()}
    assert [c.kind for c in again.encoding.candidates] == [c.kind for c in first.encoding.candidates]
    # other settings, another network or another last stage are other runs
    for call in (lambda: pipeline_cache.run_pipeline("Parity_All", PipelineConfig(n_sequences=3_000),
                                                     model=load_zoo_model("Parity_All")),
                 lambda: pipeline_cache.run_pipeline("Parity_All", SMALL, model=load_zoo_model("Sum_All")),
                 lambda: pipeline_cache.run_pipeline("Parity_All", SMALL, model=load_zoo_model("Parity_All"),
                                                     until="encode")):
        with pytest.raises(AssertionError, match="ran again"):
            call()


def test_a_stored_run_equals_a_fresh_one(tmp_path, monkeypatch):
    monkeypatch.setenv(pipeline_cache.ENV, str(tmp_path))
    pipeline_cache.run_pipeline("Sum_Last2", SMALL, model=load_zoo_model("Sum_Last2"))
    stored = pipeline_cache.run_pipeline("Sum_Last2", SMALL, model=load_zoo_model("Sum_Last2"))
    fresh = real_run_pipeline("Sum_Last2", SMALL, model=load_zoo_model("Sum_Last2"))
    assert to_source(stored.program) == to_source(fresh.program)
    assert [to_source(p) for p, _ in stored.alternatives] == [to_source(p) for p, _ in fresh.alternatives]
    assert (stored.trace.hidden == fresh.trace.hidden).all()


def test_off_and_task_files_are_never_shared(tmp_path, monkeypatch):
    monkeypatch.setenv(pipeline_cache.ENV, "off")
    pipeline_cache.run_pipeline("Parity_All", SMALL, model=load_zoo_model("Parity_All"), until="encode")
    monkeypatch.setenv(pipeline_cache.ENV, str(tmp_path))
    spec = get_task("Parity_All")
    from dataclasses import replace
    own = replace(spec)                        # a spec that is not the built-in task's own object
    assert pipeline_cache._key(own, SMALL, None, None) is None
    assert pipeline_cache._key(spec, SMALL, None, None) is not None
    assert not list(tmp_path.iterdir())
