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
    return _program("Max_Seen")


def test_max_seen_same_program_under_load(quiet, cpu_load):
    loaded = _program("Max_Seen")
    assert quiet[0], "Max_Seen is solved from its zoo network"
    assert loaded == quiet
