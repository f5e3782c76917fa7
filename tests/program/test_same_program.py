"""The same code, network and seed give the same program on a quiet machine and under load
(budgets count work, never seconds)."""

from __future__ import annotations

import pytest

from mips.paths import ASSETS
from mips.pipeline import PipelineConfig, run_pipeline
from mips.program.codegen import to_source

FAST = PipelineConfig(n_sequences=20_000, length_factor=2)


def _program(task: str) -> tuple[bool, str | None, list[str]]:
    r = run_pipeline(task, FAST, model=ASSETS / "zoo" / f"{task}.pt")
    return (r.solved, to_source(r.program) if r.program is not None else None,
            [to_source(p) for p, _ in r.alternatives])


@pytest.fixture(scope="module")
def quiet():
    return _program("Parity_Last2")


def test_parity_last2_same_program_under_load(quiet, cpu_load):
    loaded = _program("Parity_Last2")
    assert quiet[0], "Parity_Last2 is solved from its zoo network"
    assert loaded == quiet
