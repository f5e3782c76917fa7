"""Remainder views: a residue carried by a machine, found on the machine itself."""

import numpy as np

from mips.machine.moore import MooreMachine
from mips.program.remainder import remainder_tables, residue_maps


def _division_machine(n: int, lagged: bool = True) -> MooreMachine:
    """Long division by n of a binary number read most significant bit first, as a Moore machine:
    state (remainder, quotient bit, output); the output lags the quotient bit by one step if lagged."""
    start = (0, 0, 0)
    states, index, trans = [start], {start: 0}, []
    i = 0
    while i < len(states):
        r, q, _ = states[i]
        row = []
        for x in (0, 1):
            c = 2 * r + x
            nxt = (c % n, c // n, q if lagged else c // n)
            if nxt not in index:
                index[nxt] = len(states)
                states.append(nxt)
            row.append(index[nxt])
        trans.append(row)
        i += 1
    k = len(states)
    return MooreMachine(states=tuple(states), names=tuple(f"q{j}" for j in range(k)), inputs=((0,), (1,)),
                        outputs=tuple((s[2],) for s in states), transitions=np.array(trans),
                        initial=0, counts=np.ones((k, 2), dtype=np.int64))


def test_long_division_carries_its_remainder():
    for n in (3, 5, 7):
        m = _division_machine(n)
        maps = {(r.modulus, r.a, r.b, r.c): r for r in residue_maps(m)}
        assert (n, 2, 1, 0) in maps and maps[n, 2, 1, 0].formula() == f"(2 * r + x) % {n}"
        np.testing.assert_array_equal(maps[n, 2, 1, 0].values, [s[0] for s in m.states])
        assert (4, 2, 1, 0) in maps                       # the number mod 4: its last two bits
        assert all(r.modulus <= 16 for r in maps.values())


def test_the_lagged_quotient_needs_the_next_output_as_a_variable():
    m = _division_machine(3)
    outputs = np.array([o for o in m.outputs])
    tables = remainder_tables(m, outputs)
    table, moduli, comments = tables[0]
    assert moduli[0] == 3 and table.shape[1] == 3 and "next step" in comments[2]
    # without the lag, (remainder, output) already determines the machine
    nolag = _division_machine(3, lagged=False)
    table, moduli, _ = remainder_tables(nolag, np.array([o for o in nolag.outputs]))[0]
    assert table.shape[1] == 2


def test_a_machine_without_a_residue_has_none():
    # "has a 1 been seen": an absorbing flag is no affine map modulo anything
    m = MooreMachine(states=((0,), (1,)), names=("q0", "q1"), inputs=((0,), (1,)), outputs=((0,), (1,)),
                     transitions=np.array([[0, 1], [1, 1]]), initial=0, counts=np.ones((2, 2), dtype=np.int64))
    assert residue_maps(m) == []
    two_inputs = MooreMachine(states=((0,),), names=("q0",), inputs=((0, 0), (1, 1)), outputs=((0,),),
                              transitions=np.array([[0, 0]]), initial=0, counts=np.ones((1, 2), dtype=np.int64))
    assert residue_maps(two_inputs) == []
