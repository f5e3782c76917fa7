"""The shipped benchmark table reproduces: the same code, zoo network and settings give exactly the
program written in ``assets/bench`` (budgets count work, so this holds on any machine)."""

from __future__ import annotations

import json

import pytest

from mips.paths import ASSETS
from mips.pipeline import PipelineConfig, run_pipeline
from mips.program.codegen import to_source

TASKS = ("Sum_All", "Parity_All", "Binary_Addition", "Perfect_Square_Detector", "Max_Seen")


@pytest.mark.parametrize("task", TASKS)
def test_program_is_the_shipped_one(task: str) -> None:
    shipped = json.loads((ASSETS / "bench" / "tasks" / f"{task}.json").read_text())
    r = run_pipeline(task, PipelineConfig(), model=ASSETS / "zoo" / f"{task}.pt")
    assert r.solved == shipped["solved"]
    assert to_source(r.program) == shipped["program"]
