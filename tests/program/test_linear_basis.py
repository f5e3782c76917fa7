"""Linear programs rewritten in the basis their output reads (mips/program/linear_basis.py)."""

import numpy as np

from mips.program.linear_basis import output_basis
from mips.program.program import Program, run_program
from mips.program.readable import polish
from mips.regression.formula import Formula

FORCES = np.random.default_rng(0).integers(-10, 11, (400, 10, 1))


def _program(updates, outputs, initial, inputs=("x",)):
    return Program(task="t", kind="symbolic", method="lattice + linear", inputs=inputs,
                   state=tuple("abc"[:len(updates)]), initial=tuple(initial),
                   updates=tuple(Formula(expr=e, method="linear") for e in updates),
                   outputs=tuple(Formula(expr=e, method="linear") for e in outputs))


def _same(p, q, x):
    np.testing.assert_array_equal(run_program(p, x).outputs, run_program(q, x).outputs)


def test_a_double_sum_in_the_networks_basis_reads_as_position_and_velocity():
    raw = _program(["a - x", "a + b"], ["-a - b"], (0, 0))          # Newton_Freebody's lattice basis
    p = polish(raw, FORCES, tuple(range(-10, 11)))
    _same(raw, p, FORCES)
    assert p.state == ("position", "velocity") and p.size < raw.size
    assert [f.expr for f in p.updates] == ["position + velocity + x", "velocity + x"]
    assert [f.expr for f in p.outputs] == ["position"]
    spring = polish(_program(["-b + x", "a + b"], ["a + b"], (0, 0)), FORCES, tuple(range(-10, 11)))
    assert spring.state == ("position", "velocity") and [f.expr for f in spring.outputs] == ["position"]


def test_shift_registers_and_nonlinear_programs_are_left_alone():
    register = _program(["x", "a", "b"], ["a + b + c"], (0, 0, 0))
    assert output_basis(register) is register                        # no smaller, no velocity
    for raw in (_program(["max(a, x)", "a + b"], ["a - b"], (0, 0)), _program(["a + x", "b"], ["a"], (0, 0)),
                _program(["(a + x) % 3", "a"], ["a + b"], (0, 0))):
        assert output_basis(raw) is raw


def test_random_integer_linear_recurrences_keep_their_outputs_and_never_grow():
    """A family: 2- and 3-variable recurrences s' = A s + B x + c, y = C s' with small random
    integer coefficients, in random unimodular bases."""
    rng = np.random.default_rng(1)
    changed = 0
    for _ in range(40):
        k = int(rng.integers(2, 4))
        names = "abc"[:k]
        a = rng.integers(-1, 2, (k, k))
        b = rng.integers(-1, 2, k)
        c = rng.integers(-1, 2, k)
        out = rng.integers(-1, 2, k)
        if not out.any():
            continue
        term = lambda row, const, xs: " + ".join([f"({int(v)}) * {n}" for v, n in zip(row, names) if v]  # noqa: E731
                                                 + ([f"({int(xs)}) * x"] if xs else []) + [str(int(const))])
        raw = _program([term(a[j], c[j], b[j]) for j in range(k)], [term(out, 0, 0)],
                       tuple(int(v) for v in rng.integers(-2, 3, k)))
        x = rng.integers(-3, 4, (200, 8, 1))
        if run_program(raw, x).error is not None:
            continue
        new = output_basis(raw)
        _same(raw, new, x)
        assert new.size <= raw.size
        if new is not raw:
            changed += 1
            assert new.outputs[0].expr in new.state               # the output read directly
    assert changed > 6
