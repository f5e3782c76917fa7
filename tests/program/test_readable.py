"""Programs for people (issue 14): canonical state, names by evidence, the most readable verified
program. Planted programs check each rewrite exactly; zoo networks check the whole pipeline."""

import numpy as np
import pytest

from mips.network.zoo import load_zoo_model
from mips.pipeline import PipelineConfig, run_pipeline
from mips.program.codegen import to_source
from mips.program.program import Program, run_program
from mips.program.readable import (
    name_variables,
    polish,
    readability,
    simplify,
    task_constants,
)
from mips.regression.formula import Formula
from tests import pipeline_cache

RNG = np.random.default_rng(0)
DIGITS = RNG.integers(0, 10, (300, 10, 1))
BITS2 = RNG.integers(0, 2, (300, 10, 2))


def _program(updates, outputs, initial, inputs=("x",), state=None):
    state = state or tuple("abcdeg"[:len(updates)])
    return Program(task="t", kind="symbolic", method="planted", inputs=inputs, state=state,
                   initial=tuple(initial), updates=tuple(Formula(expr=e, method="linear") for e in updates),
                   outputs=tuple(Formula(expr=e, method="linear") for e in outputs))


def _same_outputs(p, q, x):
    np.testing.assert_array_equal(run_program(p, x).outputs, run_program(q, x).outputs)


def test_negated_offset_registers_become_a_shift_register_with_the_sum():
    raw = _program(["-b + 123", "c - 1", "x"], ["-a + b + c + 125"], (0, -1, 0))    # the shipped Sum_Last3
    p = polish(raw, DIGITS, tuple(range(10)))
    assert p.state == ("last1", "last2", "last3") and p.initial == (0, 0, 0)
    assert [f.expr for f in p.updates] == ["x", "last1", "last2"]
    assert [f.expr for f in p.outputs] == ["last1 + last2 + last3"]
    assert "x of 2 steps ago" in p.comments["last3"]
    _same_outputs(raw, p, DIGITS)
    allowed = task_constants(tuple(range(10)))
    assert "magic constant" in readability(raw, allowed).flags and not readability(p, allowed).flags
    assert readability(p, allowed).score < readability(raw, allowed).score


def test_an_output_of_the_current_input_needs_no_state():
    raw = _program(["x1 + x2"], ["a != 0"], (0,), inputs=("x1", "x2"))
    p = simplify(raw, BITS2)
    assert p.state == () and [f.expr for f in p.outputs] == ["x1 + x2 != 0"]
    _same_outputs(raw, p, BITS2)
    assert "a = " not in to_source(p) and "for x1, x2 in xs:" in to_source(p)


def test_unused_and_duplicated_variables_are_dropped():
    raw = _program(["a + x", "b + x", "c * 2 + 1"], ["a + b"], (0, 0, 5))
    p = simplify(raw, DIGITS)
    assert len(p.state) == 1
    _same_outputs(raw, p, DIGITS)
    assert "unused variable" in readability(raw, task_constants(tuple(range(10)))).flags


def test_names_come_from_evidence_with_a_comment():
    carry = _program(["a ^ x1 ^ x2", "(a + x1 + x2) // 2"], ["(b + x1 + x2) % 2"], (0, 0), inputs=("x1", "x2"))
    named = name_variables(_program(["(b + x1 + x2) % 2", "(b + x1 + x2) // 2"], ["a"], (0, 0),
                                    inputs=("x1", "x2")), BITS2, (0, 1))
    assert named.state == ("digit", "carry")          # the sum's digit beside its carry
    assert named.comments["carry"] == "(x1 + x2 + carry) // 2 (on every traced step)"
    assert named.comments["digit"] == "(x1 + x2 + carry) % 2: the digit of the sum (on every traced step)"
    total = name_variables(_program(["a + x"], ["a"], (0,)), DIGITS, tuple(range(10)))
    assert total.state == ("total",)
    residue = name_variables(_program(["(a + x) % 5"], ["a"], (0,)), RNG.integers(0, 5, (100, 10, 1)),
                             tuple(range(5)))
    assert residue.state == ("residue",)
    assert carry.state == ("a", "b")          # planted programs keep their names until named


def test_a_running_minimum_starts_at_the_largest_input_and_is_not_flagged():
    allowed = task_constants(tuple(range(10)))
    raw = _program(["min(a, x)"], ["a"], (9,))                     # the shipped Min_Seen
    named = name_variables(raw, DIGITS, tuple(range(10)))
    assert named.state == ("smallest",) and "starts at 9, the largest value x takes" in named.comments["smallest"]
    assert "non-zero initial state" not in readability(named, allowed).flags
    assert name_variables(_program(["max(a, x)"], ["a"], (0,)), DIGITS, tuple(range(10))).state == ("largest",)
    # a start the task does not name, or a variable that is not a running extreme, is still flagged
    assert "non-zero initial state" in readability(_program(["min(a, x)"], ["a"], (12,)), allowed).flags
    assert "non-zero initial state" in readability(_program(["a + x"], ["a"], (9,)), allowed).flags


def test_held_values_capped_runs_clipped_counters_and_seen_flags_are_named_by_evidence():
    """Rules checked on the traced steps, for any task of the shape (generated families: hold,
    run length, an up/down counter, whether a 1 occurred)."""
    digits2 = np.concatenate([RNG.integers(0, 10, (300, 10, 1)), RNG.integers(0, 2, (300, 10, 1))], axis=2)
    held = name_variables(_program(["x1 if x2 == 1 else a"], ["a"], (0,), inputs=("x1", "x2")), digits2,
                          tuple(range(10)))
    assert held.state == ("x1_last",) and "either x1 or its old value" in held.comments["x1_last"]
    bits = RNG.integers(0, 2, (300, 12, 1))
    run = name_variables(_program(["2 if b == x else 1", "x"], ["a"], (0, -1)), bits, (0, 1))
    assert run.state[0] == "run" and "run of equal inputs, up to 2" in run.comments["run"]
    counter = name_variables(_program(["x + (a + x) // 2"], ["a"], (0,)), bits, (0, 1))   # up on 1, down on 0
    assert counter.state == ("count",) and "kept within 0..2" in counter.comments["count"]
    fives = RNG.integers(0, 5, (300, 12, 1))
    free = name_variables(_program(["a + x - 2"], ["a > -2"], (0,)), fives, tuple(range(5)))   # never cut
    assert "count" not in free.state and "kept within" not in " ".join(free.comments.values())
    seen = name_variables(_program(["max(a, x)"], ["a"], (0,)), bits, (0, 1))
    assert seen.state == ("seen",)
    # not a held value: it also takes values no input gave it
    assert name_variables(_program(["x1 if x2 == 1 else a + 1"], ["a"], (0,), inputs=("x1", "x2")), digits2,
                          tuple(range(10))).state != ("x1_last",)


def test_a_delay_of_eight_names_all_nine_registers_as_lags():
    bits = RNG.integers(0, 2, (300, 20, 1))
    raw = Program(task="t", kind="symbolic", method="planted", inputs=("x",), state=tuple("abcdeghij"),
                  initial=(0,) * 9, updates=tuple(Formula(expr=e, method="shift") for e in
                                                  ["x", "a", "b", "c", "d", "e", "g", "h", "i"]),
                  outputs=(Formula(expr="j", method="linear"),))
    named = name_variables(raw, bits, (0, 1))
    assert named.state == tuple(f"last{k}" for k in range(1, 10))


def test_an_initial_value_no_step_reads_becomes_zero():
    bits = RNG.integers(0, 2, (300, 10, 1))
    raw = _program(["2 if b == x else 1", "x"], ["a"], (1, -1))       # the first step sets a = 1 anyway
    p = simplify(raw, bits)
    assert p.initial == (0, -1)
    _same_outputs(raw, p, bits)
    kept = _program(["0 if b == x else a", "x"], ["a"], (1, -1))      # read at the first step: kept
    assert simplify(kept, bits).initial == (1, -1)


def test_renaming_swapped_names_is_safe():
    p = _program(["b", "x"], ["a + b"], (0, 0))                   # a is two back, b one back
    q = polish(p, DIGITS, tuple(range(10)))
    _same_outputs(p, q, DIGITS)
    assert [f.expr for f in q.updates] == ["x", "last1"]


CFG = PipelineConfig(n_sequences=20_000)


@pytest.fixture(scope="module")
def zoo_runs():
    """Run once per test session (test_same_program.py compares Parity_Last2's with a run under load)."""
    return {t: pipeline_cache.run_pipeline(t, CFG, model=load_zoo_model(t))
            for t in ("Sum_Last3", "Parity_Last2", "Bit_Shift_Right")}


def test_zoo_programs_read_as_a_person_would_write_them(zoo_runs):
    r = zoo_runs
    assert all(run.solved for run in r.values())
    sum3 = r["Sum_Last3"].program
    assert [f.expr for f in sum3.updates] == ["x", "last1", "last2"] and sum3.outputs[0].expr == "last1 + last2 + last3"
    par = r["Parity_Last2"].program
    assert len(par.state) <= 2 and par.size <= 6 and any("^" in f.expr for f in par.updates + par.outputs)
    shift = r["Bit_Shift_Right"].program
    assert [f.expr for f in shift.updates] == ["x", "last1"] and shift.outputs[0].expr == "last2"


@pytest.mark.slow
def test_zoo_stateless_and_carry_programs():
    """Both tasks are checked on all 2**20 input sequences: slow, so with `make test-all`."""
    assert run_pipeline("Bitwise_Or", CFG, model=load_zoo_model("Bitwise_Or")).program.state == ()
    assert "carry" in run_pipeline("Binary_Addition", CFG, model=load_zoo_model("Binary_Addition")).program.state


def test_the_report_lists_the_runner_up_programs(zoo_runs):
    rep = zoo_runs["Sum_Last3"].report()
    assert rep["readability"]["flags"] == [] and rep["alternatives"]
    assert all("def f(xs):" in a["program"] for a in rep["alternatives"])
    assert min(a["readability"]["score"] for a in rep["alternatives"]) >= rep["readability"]["score"]


def test_a_threshold_on_a_residues_own_values_is_not_magic():
    allowed = task_constants((0, 1))
    div5 = _program(["(2 * a + x) % 10", "a > 4"], ["b"], (0, 0))
    assert "magic constant" not in readability(div5, allowed).flags
    assert "magic constant" in readability(_program(["(2 * a + x) % 10", "a > 12"], ["b"], (0, 0)), allowed).flags
    assert "magic constant" in readability(_program(["2 * a + x", "a > 4"], ["b"], (0, 0)), allowed).flags


def test_nested_extremes_become_one_call_in_natural_order():
    from mips.program.readable import flatten_extremes
    assert flatten_extremes("max(max(last2, last3), last1)") == "max(last1, last2, last3)"
    assert flatten_extremes("min(a, min(b, max(c, d)))") == "min(a, b, max(c, d))"    # only the same call
    assert flatten_extremes("max(a + 1, max(b, c))") == "max(a + 1, b, c)"             # order kept: not all names
    assert flatten_extremes("max(last10, last2)") == "max(last2, last10)"
    assert flatten_extremes("max(x, x)") == "x"
    rng = np.random.default_rng(0)
    env = {n: rng.integers(-5, 5, 100) for n in ("last1", "last2", "last3")}
    from mips.regression.evaluate import evaluate
    np.testing.assert_array_equal(evaluate("max(max(last2, last3), last1)", env),
                                  evaluate(flatten_extremes("max(max(last2, last3), last1)"), env))
