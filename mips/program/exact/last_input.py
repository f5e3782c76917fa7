"""Exact synthesis: a machine that also remembers the last input, for programs that keep it.

A person often keeps the last input beside a flag even where the minimal machine does not need
it: "the pattern 2, 1 has occurred" is ``last, seen = x, seen or last == 2 and x == 1``, two
plain variables, while the minimal machine's three states (nothing yet, just saw a 2, seen) admit
only one opaque code. The product of the machine with "the input that entered the state" is
still a machine of the same behaviour (its states are pairs), and on it the last input *is* a
feature (:func:`mips.program.exact.features.features`), so labelings that keep it can be tried.

:func:`mips.program.exact.machine_program.machine_programs` builds it for machines that read one
number per step and do not already determine the last one, while it stays small, on a share of
the work.
"""

from __future__ import annotations

import numpy as np

from mips.machine.moore import MooreMachine


def with_last_input(m: MooreMachine, d: int, max_states: int) -> MooreMachine | None:
    """``m`` x (the value of input number ``d`` that entered the state), reachable pairs only, or
    None when it has more than ``max_states`` states. The initial state stays alone (no input has
    entered it); every state keeps its output."""
    inputs = np.array(m.inputs, dtype=np.int64).reshape(len(m.inputs), -1)
    index: dict[tuple[int, int | None], int] = {(m.initial, None): 0}
    pairs: list[tuple[int, int | None]] = [(m.initial, None)]
    rows: list[list[int]] = []
    k = 0
    while k < len(pairs):
        q, _ = pairs[k]
        row = []
        for i, t in enumerate(m.transitions[q]):
            if t < 0:
                row.append(-1)
                continue
            key = (int(t), int(inputs[i, d]))
            if key not in index:
                if len(pairs) >= max_states:
                    return None
                index[key] = len(pairs)
                pairs.append(key)
            row.append(index[key])
        rows.append(row)
        k += 1
    return MooreMachine(states=tuple((q, -1 if last is None else last) for q, last in pairs),
                        names=tuple(f"{m.names[q]}|{last}" for q, last in pairs), inputs=m.inputs,
                        outputs=tuple(m.outputs[q] for q, _ in pairs), transitions=np.array(rows, dtype=np.int64),
                        initial=0, counts=np.ones((len(pairs), len(m.inputs)), dtype=np.int64))
