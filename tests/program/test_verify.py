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
    # sequence i spells i in base |alphabet|, the first input the most significant digit (prefixes
    # are blocks: the prefix-sharing run of every sequence relies on it)
    from dataclasses import replace
    two = all_sequences(replace(task, input_dim=2, input_values=(-1, 0, 4), seq_len=3))
    assert two.shape == (729, 3, 2) and two[0].tolist() == [[-1, -1]] * 3
    assert two[5 * 81 + 7 * 9 + 1].tolist() == [[0, 4], [4, 0], [-1, 0]]


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


def test_every_sequence_run_over_its_prefixes_gives_every_output():
    """All sequences are run once per distinct prefix; the outputs must be those of running every
    sequence, for symbolic programs (one and two inputs, several variables) and a state table;
    a program that errs on some rows is run sequence by sequence and reports its error as before."""
    from dataclasses import replace

    import numpy as np

    from mips.program.program import run_program
    from mips.program.verify import _run_all, _run_prefixes

    def spec(input_dim, values, t_len, output_dim=1):
        return replace(get_task("Parity_All"), input_dim=input_dim, input_values=values, seq_len=t_len,
                       output_dim=output_dim)

    def program(inputs, state, initial, updates, outputs):
        return Program(task="t", kind="symbolic", method="test", inputs=inputs, state=state, initial=initial,
                       updates=tuple(Formula(expr=u, method="test") for u in updates),
                       outputs=tuple(Formula(expr=o, method="test") for o in outputs))

    cases = [
        (("x",), (0, 1, 2), 9, program(("x",), ("a", "b"), (1, -2), ("(a + 2 * x) % 5", "max(b, a - x)"),
                                         ("a * b - x",))),
        (("x1", "x2"), (0, 1), 6, program(("x1", "x2"), ("c", "s"), (0, 0), ("(c + x1 + x2) // 2", "c ^ x1 ^ x2"),
                                          ("s", "c + 7"))),
        (("x",), (-1, 0, 1), 7, Program(task="t", kind="table", method="table", inputs=("x",), state=("s",),
                                         initial=(0,), transitions={(0, (-1,)): 1, (1, (1,)): 0, (0, (1,)): 2,
                                                                    (2, (0,)): 0},
                                         table_outputs={0: (0,), 1: (5,), 2: (3,)})),
    ]
    for inputs, values, t_len, prog in cases:
        task = spec(len(inputs), values, t_len, prog.output_dim)
        x = all_sequences(task)
        symbols = len(values) ** len(inputs)
        assert _run_prefixes(prog, x, symbols) is not None
        tree = _run_all(prog, x, symbols)
        plain = run_program(prog, x)
        assert plain.error is None and tree.error is None
        assert np.array_equal(tree.outputs, plain.outputs), prog.method
    erring = program(("x",), ("a",), (3,), ("a - 1",), ("12 // a",))     # divides by zero at step 3
    x = all_sequences(spec(1, (0, 1), 6))
    got, plain = _run_all(erring, x, 2), run_program(erring, x)
    assert got.error == plain.error and (got.error_step, got.error_sequence) == (plain.error_step, 0)


@pytest.mark.parametrize("update,output", [
    ("a + x", "12 // (a - 7)"),                 # divides by zero on the sequences with seven 1s
    ("a * a + x + 2", "a"),                     # grows past the checker's exact range on every sequence
    ("a + x", "a if a < 9 else 1 // (x - x)"),  # a zero division on the one all-ones sequence, at its last step
])
def test_a_hostile_program_is_reported_as_on_a_plain_run(update, output):
    """Hostile edited programs on every sequence: the prefix-shared run falls back and the report
    (accuracy, counterexample sequence, step and error) is the one a run of every sequence gives."""
    from mips.program.verify import _run_all
    task = get_task("Parity_All")
    prog = parity().__class__(task="Parity_All", kind="symbolic", method="edited", inputs=("x",), state=("a",),
                              initial=(0,), updates=(Formula(expr=update, method="edited"),),
                              outputs=(Formula(expr=output, method="edited"),))
    x = all_sequences(task)
    tree, plain = _run_all(prog, x, 2), _run_all(prog, x)
    assert tree.error is not None and tree.error == plain.error
    assert (tree.error_step, tree.error_sequence) == (plain.error_step, plain.error_sequence)
    v = verify_program(prog, task, length_factor=0)
    assert not v.passed and v.counterexample is not None and v.counterexample.error
    assert v.counterexample.sequence == plain.error_sequence
