"""benchmarks/synthesis_speed.py on one tiny machine: the tables it poses and both solvers' answers."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

if importlib.util.find_spec("cvc5") is None:
    pytest.skip("cvc5 is not installed (benchmark-only: .venv/bin/pip install cvc5==1.4.2)", allow_module_level=True)

from mips.machine.moore import MooreMachine, minimize  # noqa: E402

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "synthesis_speed.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("synthesis_speed_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module               # dataclasses and pickling look the module up
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


@pytest.fixture(scope="module")
def problems(bench):
    """A saturating counter, state <- min(state + x, 2) and y = state, after a start pseudo-state."""
    m = MooreMachine(states=((0,), (1,), (2,), (3,)), names=("init", "a", "b", "c"), inputs=((0,), (1,)),
                     outputs=(None, (0,), (1,), (2,)), transitions=np.array([[1, 2], [1, 2], [2, 3], [3, 3]]),
                     initial=0, counts=np.ones((4, 2), dtype=np.int64))
    return bench.machine_problems(minimize(m)[0], "tiny", 1)


def test_tables_are_the_machine_rows(problems):
    update, output = problems
    assert (update.target, output.target) == ("state'", "y")
    assert update.columns["state"].tolist() == [0, 0, 1, 1, 2, 2]
    assert update.columns["x"].tolist() == [0, 1, 0, 1, 0, 1]
    assert update.values.tolist() == [0, 1, 1, 2, 2, 2]
    assert output.columns["state"].tolist() == [0, 1, 2] and output.values.tolist() == [0, 1, 2]
    assert {0, 1, 2} <= set(update.constants) and update.constants == output.constants


def test_answers_are_checked_on_every_row(bench, problems):
    update = problems[0]
    assert bench.correct(update, "min(state + x, 2)")
    assert not bench.correct(update, "state + x")
    wrong = bench.judged(update, "state", 0.0)
    assert not wrong.solved and wrong.note.startswith("WRONG")


def test_enumerative_finds_the_smallest(bench, problems):
    found = bench.enumerative(problems[0])
    assert found.solved and found.size == 5 and bench.correct(problems[0], found.expr)
    assert bench.enumerative(problems[1]).expr == "state"


def test_cvc5_answers_and_is_checked(bench, problems):
    got = bench.sygus(problems[1], 100_000, {})
    assert got.solved and got.expr == "state" and got.size == 1
    update = bench.sygus_guarded(problems[0], 100_000, {}, 30.0)
    assert update.solved and bench.correct(problems[0], update.expr)


def test_missing_cvc5_says_how_to_install(bench, monkeypatch):
    monkeypatch.setattr(bench.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(SystemExit, match=r"pip install cvc5==1\.4\.2"):
        bench.need_cvc5()
