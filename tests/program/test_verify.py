"""Three-way verification: exhaustive when small, counterexamples with a step trace."""

import pytest

from mips.program.program import Program
from mips.program.verify import MAX_EXHAUSTIVE, all_sequences, verify_program
from mips.regression.formula import Formula
from mips.tasks import get_task


def parity(expr: str = "a ^ x") -> Program:
    return Program(task="Parity_All", kind="symbolic", method="test", inputs=("x",), state=("a",), initial=(0,),
                   updates=(Formula(expr=expr, method="t"),), outputs=(Formula(expr="a", method="t"),))


def test_all_sequences_enumerates_every_input():
    task = get_task("Parity_All")
    x = all_sequences(task)
    assert x.shape == (2 ** task.seq_len, task.seq_len, 1)
    assert len({tuple(r) for r in x[..., 0].tolist()}) == 2 ** task.seq_len
    assert all_sequences(get_task("Sum_All")) is None      # 10^10 sequences: too many


def test_right_program_verified_exhaustively():
    v = verify_program(parity(), get_task("Parity_All"), length_factor=5, n_length_sequences=500)
    assert v.exhaustive and v.n_sequences == 1024 <= MAX_EXHAUSTIVE
    assert v.task_accuracy == 1.0 and v.length_generalization == 1.0 and v.passed
    assert v.counterexample is None


def test_wrong_program_gives_first_counterexample_with_trace():
    v = verify_program(parity("a | x"), get_task("Parity_All"), length_factor=0)
    assert v.task_accuracy < 1.0 and not v.passed
    ce = v.counterexample
    assert ce.against == "task"
    step = ce.steps[ce.first_wrong_step]
    assert step["program_output"] != step["expected"]
    assert {"step", "input", "program_state", "program_output", "expected"} <= set(step)
    # the trace agrees with a hand simulation
    a = 0
    for row in ce.steps:
        a = a | row["input"]
        assert row["program_state"] == {"a": a}


def test_test_split_used_when_too_many_sequences():
    from mips.tasks import make_dataset
    task = get_task("Sum_All")
    prog = Program(task="Sum_All", kind="symbolic", method="t", inputs=("x",), state=("a",), initial=(0,),
                   updates=(Formula(expr="a + x", method="t"),), outputs=(Formula(expr="a", method="t"),))
    data = make_dataset(task, n_sequences=1000)
    v = verify_program(prog, task, dataset=data, length_factor=2, n_length_sequences=100)
    assert not v.exhaustive and v.n_sequences == data.x_test.shape[0] and v.task_accuracy == 1.0


def test_division_by_zero_is_a_counterexample_not_a_crash():
    prog = parity("a ^ x + 1 // (x - x)")
    v = verify_program(prog, get_task("Parity_All"), length_factor=0)
    assert v.task_accuracy == 0.0
    assert "division or modulo by zero" in v.counterexample.error


def test_wrong_input_count_is_refused():
    with pytest.raises(ValueError, match="reads 1 input number"):
        verify_program(parity(), get_task("Binary_Addition"))


def test_a_check_set_larger_than_one_run_allows_is_verified_in_parts(monkeypatch):
    """A delay of 8 as nine variables on all 2^20 binary sequences of 20 steps needs 220 million
    numbers at once, over the run limit: verification runs the sequences in parts (here the limit
    is lowered so that Parity_All's 1,024 sequences need 5 parts), with the same result and the same
    first counterexample."""
    from mips.program import limits
    task = get_task("Parity_All")
    whole = verify_program(parity("a | x"), task, length_factor=0)
    monkeypatch.setattr(limits, "MAX_RUN_VALUES", 5_000)
    with pytest.raises(Exception, match="the limit is 5,000"):
        from mips.program.program import run_program
        run_program(parity(), all_sequences(task))
    right = verify_program(parity(), task, length_factor=2, n_length_sequences=300)
    assert right.passed and right.exhaustive and right.n_sequences == 1024
    parts = verify_program(parity("a | x"), task, length_factor=0)
    assert parts.task_accuracy == whole.task_accuracy < 1.0
    assert parts.counterexample.sequence == whole.counterexample.sequence
    assert parts.counterexample.steps == whole.counterexample.steps
    # an error is reported where it happens, whichever part it is in
    error = verify_program(parity("a ^ x + 1 // (x - x)"), task, length_factor=0)
    assert error.task_accuracy == 0.0 and "division or modulo by zero" in error.counterexample.error
