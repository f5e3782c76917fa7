"""The shipped benchmark table reproduces: the same code, zoo network and settings give exactly the
program written in ``assets/bench`` (budgets count work, not seconds).

The docstring line names the state view that found the program; it is left out of the comparison.
Linear algebra on another processor (a different BLAS kernel) moves the last bits of the
normalized weights, and that can change which of two equivalent encodings has the shorter
description (Max_Seen: a lattice of 10 points on one machine, 10 clusters on another), while the
program, its variables, names, formulas and initial state, stay the same."""

from __future__ import annotations

import json

import pytest

from mips.paths import ASSETS
from mips.pipeline import PipelineConfig, run_pipeline
from mips.program.codegen import to_source

TASKS = ("Sum_All", "Parity_All", "Binary_Addition", "Perfect_Square_Detector", "Max_Seen")
#: the two that take 20-25 s of CPU each (the benchmark's 1,000,000-sequence settings) run with the slow
#: tests; the default suite reproduces the other three, and tests/program/test_blas_independence.py
#: compares Binary_Addition's and Max_Seen's encodings and machines under three BLAS kernels
SLOW = ("Binary_Addition", "Max_Seen")


@pytest.mark.parametrize("task", [pytest.param(t, marks=pytest.mark.slow) if t in SLOW else t for t in TASKS])
def test_program_is_the_shipped_one(task: str) -> None:
    shipped = json.loads((ASSETS / "bench" / "tasks" / f"{task}.json").read_text())
    r = run_pipeline(task, PipelineConfig(), model=ASSETS / "zoo" / f"{task}.pt")
    assert r.solved == shipped["solved"]
    assert _body(to_source(r.program)) == _body(shipped["program"])


def _body(source: str) -> list[str]:
    return [line for line in source.splitlines() if not line.strip().startswith('"""')]
