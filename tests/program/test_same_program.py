"""The same code, network and seed give the same program on a quiet machine and under load
(budgets count work, never seconds)."""

from __future__ import annotations

import pytest

from mips.network.zoo import load_zoo_model
from mips.pipeline import PipelineConfig, run_pipeline
from mips.program.codegen import to_source
from tests import pipeline_cache

CFG = PipelineConfig(n_sequences=20_000)          # test_readable.py's settings: its run is the quiet one


def _program(task: str, run=run_pipeline) -> tuple[bool, str | None, list[str]]:
    r = run(task, CFG, model=load_zoo_model(task))
    return (r.solved, to_source(r.program) if r.program is not None else None,
            [to_source(p) for p, _ in r.alternatives])


@pytest.fixture(scope="module")
def quiet():
    """The run test_readable.py reads (once per test session)."""
    return _program("Parity_Last2", pipeline_cache.run_pipeline)


def test_parity_last2_same_program_under_load(quiet, cpu_load):
    loaded = _program("Parity_Last2")                 # run here, with every core busy
    assert quiet[0], "Parity_Last2 is solved from its zoo network"
    assert loaded == quiet
