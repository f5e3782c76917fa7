"""Exact synthesis from a finite machine's tables (mips.program.exact)."""

from __future__ import annotations

import functools
import itertools

import numpy as np
import pytest

from mips.failure import Failure
from mips.machine.moore import MooreMachine, minimize
from mips.program.exact.machine_program import machine_programs, program_from_machine
from mips.program.exact.solve import build_bank, smallest
from mips.program.program import run_program


def machine(step, out, init, alphabet) -> MooreMachine:
    """The minimal Moore machine of ``state <- step(state, x)``, ``y = out(state)`` from ``init``
    (a pseudo-state with no output starts it, as traced networks' machines do)."""
    alphabet = [a if isinstance(a, tuple) else (a,) for a in alphabet]
    states, index, trans = ["start"], {"start": 0}, []
    k = 0
    while k < len(states):
        row = []
        for a in alphabet:
            s = states[k]
            t = step(init if s == "start" else s, a if len(a) > 1 else a[0])
            if t not in index:
                index[t] = len(states)
                states.append(t)
            row.append(index[t])
        trans.append(row)
        k += 1
    outputs = [None] + [(out(s),) for s in states[1:]]
    m = MooreMachine(states=tuple((i,) for i in range(len(states))), names=tuple(map(str, range(len(states)))),
                     inputs=tuple(alphabet), outputs=tuple(outputs), transitions=np.array(trans), initial=0,
                     counts=np.ones((len(states), len(alphabet)), dtype=np.int64))
    return minimize(m)[0]


def reproduces(program, m: MooreMachine, length: int = 5) -> bool:
    """The program's outputs equal the machine's on every input sequence of ``length`` steps (fewer
    steps where the alphabet is large: 4^8 sequences at most, yet at least three steps, which reach
    every state of these machines)."""
    while length > 3 and len(m.inputs) ** length > 4 ** 8:
        length -= 1
    x = np.array(list(itertools.product(m.inputs, repeat=length)), dtype=np.int64)
    want, defined = m.run(x)
    run = run_program(program, x)
    return run.error is None and bool(defined.all()) and np.array_equal(run.outputs, want)


def compare(s, ab):
    a, b = ab
    return s if s else 1 if a > b else 2 if a < b else 0


CASES = {
    "stream comparison": (compare, lambda s: s, 0, [(a, b) for a in range(4) for b in range(4)]),
    "difference mod 5": (lambda s, ab: (s + ab[0] - ab[1]) % 5, lambda s: s, 0,
                         [(a, b) for a in range(3) for b in range(3)]),
    "run capped at 3": (lambda s, x: (x, min(s[1] + 1, 3) if s[0] == x else 1), lambda s: s[1], (-1, 0), range(2)),
    "count mod 4": (lambda s, x: (s + x) % 4, lambda s: s, 0, range(2)),
    "no three zeros": (lambda s, x: 3 if s == 3 else s + 1 if x == 0 else 0, lambda s: int(s < 3), 0, range(2)),
    "a 1 was seen": (lambda s, x: 1 if s or x == 1 else 0, lambda s: s, 0, range(3)),
}


@functools.lru_cache(maxsize=None)
def synthesized(name: str):
    """The case's machine and its programs, synthesised once per test process."""
    step, out, init, alphabet = CASES[name]
    m = machine(step, out, init, list(alphabet))
    return m, machine_programs(m, task=name, input_dim=len(m.inputs[0]))


@pytest.mark.parametrize("name", sorted(CASES))
def test_programs_reproduce_the_machine(name):
    m, found = synthesized(name)
    assert not isinstance(found, Failure), found
    assert found == sorted(found, key=lambda p: (p.size, len(p.state)))
    for program in found:
        assert reproduces(program, m), program


def test_stream_comparison_is_one_line_over_one_variable():
    p = synthesized("stream comparison")[1][0]
    assert len(p.state) == 1 and p.outputs[0].expr == p.state[0]
    # the teacher's state if state else 1 if a > b else 2 if a < b else 0 has 14 nodes
    assert p.updates[0].size <= 14
    assert p.updates[0].expr.startswith(f"{p.state[0]} if {p.state[0]} else ")


def test_difference_mod_n_is_the_residue_itself():
    p = synthesized("difference mod 5")[1][0]
    s = p.state[0]
    assert [f.expr for f in p.updates] == [f"({s} + x1 - x2) % 5"] and p.outputs[0].expr == s


def test_run_length_keeps_the_last_input_and_the_run():
    p = synthesized("run capped at 3")[1][0]
    updates = dict(zip(p.state, (f.expr for f in p.updates)))
    assert len(p.state) == 2 and updates.get("last") == "x"
    (run,) = set(p.state) - {"last"}
    assert p.outputs[0].expr == run


def test_no_boolean_tricks_as_values():
    """Toggling a flag is written as a choice, not as flag != x."""
    m = machine(lambda s, x: 1 - s if x == 0 else s, lambda s: s, 0, [0, 1, 2])
    p = program_from_machine(m, task="toggle", input_dim=1)
    assert "!=" not in p.updates[0].expr and "==" not in p.updates[0].expr.split(" if ")[0]


def test_same_program_every_time_and_work_is_counted():
    m, found = synthesized("no three zeros")
    assert program_from_machine(m, task="no three zeros", input_dim=1) == found[0]
    # with no work at all there is no program, and the failure says why
    none = machine_programs(m, task="z", input_dim=1, work=0)
    assert isinstance(none, Failure) and "budget" in none.message


def test_smallest_expression_and_conditional():
    s = np.repeat(np.arange(3), 9)
    a = np.tile(np.repeat(np.arange(3), 3), 3)
    b = np.tile(np.arange(3), 9)
    bank = build_bank({"s": s, "a": a, "b": b}, [0, 1, 2, 3, 5], moduli=frozenset({3}))
    assert smallest(bank, (s + a) % 3).expr == "(s + a) % 3"
    assert smallest(bank, np.where(a > b, a, b)).expr in ("max(a, b)", "max(b, a)")
    found = smallest(bank, np.where(s > 0, s, a + b + 5))
    assert found.size == 8 and found.expr.startswith("s if s else ")


def test_a_flag_comment_never_contradicts_its_initial_value():
    from mips.program.program import Program
    from mips.program.readable import name_variables
    from mips.regression.formula import Formula

    # a flag that starts at -1 and holds 0 or 1 after the first step
    p = Program(task="t", kind="symbolic", method="m", inputs=("x",), state=("a",), initial=(-1,),
                updates=(Formula(expr="max(a, x)", method="m"),), outputs=(Formula(expr="a", method="m"),))
    x = np.array(list(itertools.product([0, 1, 2], repeat=4)), dtype=np.int64)[..., None] % 2
    named = name_variables(p, x, (0, 1))
    (name,) = named.state
    assert "starts at -1" in named.comments[name]


def test_huge_input_values_are_refused_with_a_reason():
    m = machine(lambda s, x: x, lambda s: s % 7, 0, [0, 2 ** 40])
    found = machine_programs(m, task="big", input_dim=1)
    assert isinstance(found, Failure) and "input values reach" in found.message


def test_a_machine_with_no_transition_is_refused_with_a_reason():
    m = MooreMachine(states=((0,),), names=("0",), inputs=((0,), (1,)), outputs=((0,),),
                     transitions=np.array([[-1, -1]]), initial=0, counts=np.zeros((1, 2), dtype=np.int64))
    found = machine_programs(m, task="none", input_dim=1)
    assert isinstance(found, Failure) and "no observed transition" in found.message


def test_a_pattern_flag_keeps_the_last_input_beside_it():
    """"2 then 1 has occurred": the minimal machine's three states admit one opaque code only; its
    product with the last input offers the teacher's two variables."""
    from mips.program.exact.last_input import with_last_input

    m = machine(lambda s, x: (x, s[1] or (s[0] == 2 and x == 1)), lambda s: int(s[1]), (-1, False), [0, 1, 2])
    assert m.n_states == 3                               # nothing yet (the start), just saw a 2, seen
    product = with_last_input(m, 0, 64)
    assert product.n_states > m.n_states and product.transitions.shape[1] == 3
    assert with_last_input(m, 0, 3) is None             # larger than allowed
    found = machine_programs(m, task="seen 2 then 1", input_dim=1)
    assert any(set(p.state) == {"state", "last"} for p in found), [p.state for p in found]
    for program in found:
        assert reproduces(program, m), program
        text = " ".join(f.expr for f in program.updates + program.outputs)
        assert "x * (" not in text and ") * x" not in text     # no condition computed as arithmetic


def test_products_multiply_plain_names_only():
    import ast

    s = np.repeat(np.arange(4), 4)
    x = np.tile(np.arange(4), 4)
    bank = build_bank({"s": s, "x": x}, [0, 1, 2, 3], max_size=7)
    products = 0
    for t in bank.terms:
        for node in ast.walk(ast.parse(t.expr, mode="eval")):
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
                sides = (node.left, node.right)
                products += 1
                assert (any(isinstance(v, ast.Constant) for v in sides)
                        or all(isinstance(v, ast.Name) for v in sides)), t.expr
    assert products


def test_the_start_is_labelled_as_the_output_an_empty_prefix_would_have():
    """"No symbol twice in a row": every state the start leads to outputs 1, so the output label of
    the start is 1 too, and the flag needs no help from the last input's start value to be told
    apart from the state where a repeat was seen (``abs(min(flag, last - flag * x))``)."""
    from mips.program.exact.features import features
    from mips.program.exact.machine_program import _outputs

    m = machine(lambda s, x: (x, s[1] and x != s[0]), lambda s: int(s[1]), (-1, True), [0, 1, 2])
    out = [f for f in features(m, _outputs(m, 1)) if f.role == "output"]
    assert out and out[0].values[m.initial] == 1
    found = machine_programs(m, task="no repeat", input_dim=1)
    assert not isinstance(found, Failure)
    best = found[0]
    assert reproduces(best, m)
    text = " ".join(f.expr for f in best.updates)
    assert "abs(" not in text and "min(" not in text, text
    # a count starts at 0 (its successors show 0 and 1: the tie goes to the smaller value)
    counter = machine(lambda s, x: min(s + x, 3), lambda s: s, 0, [0, 1])
    assert [f for f in features(counter, _outputs(counter, 1)) if f.role == "output"][0].values[counter.initial] == 0
