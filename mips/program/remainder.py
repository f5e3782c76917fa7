"""Remainder views: a residue that the network's machine carries, found on the machine itself.

Long division by N reads a number's bits most significant first and keeps the remainder
``r <- (2*r + x) % N``. A network trained on it has a finite machine, but the remainder is not one
of its outputs, its Mealy classes are numbered arbitrarily and its hidden states need not lie on a
cycle, so neither the encodings nor the (output, memory) view show ``r``.

:func:`residue_maps` looks for it on the minimised machine: a map phi from states to Z_N with
phi(initial) = 0 and, on every observed transition s --x--> s',

    phi(s') = (a * phi(s) + b * x + c) % N

Since the initial state's value is fixed, phi is determined by propagation along the transitions,
so each (N, a, b, c) is one pass over the machine; every N up to ``MAX_MODULUS`` is tried. A map
that ignores the state (a = 0) is a function of the last input only, which the window view covers,
so it is skipped, as are maps that take one value. Maps that split the states alike are kept once.

:func:`remainder_views` then writes each state as (phi, the state's outputs) and, when that does not
yet determine where the machine goes, adds the output the state leads to on the next step (when
that is the same for every input: the quotient bit of a network whose output lags by one step).
The view is accepted only when its variables' next values are a function of their values and the
input on every transition, so that regression can find one formula per variable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mips.machine.moore import MooreMachine

MAX_MODULUS = 16
MAX_MAPS = 3                      # residue maps turned into views, smallest modulus first
MAX_LOOKAHEAD = 2                 # outputs on the next steps added as variables


@dataclass(frozen=True, slots=True)
class ResidueMap:
    """phi(s') = (a * phi(s) + b * x + c) % modulus on every observed transition; ``values[s]`` is
    phi(s) (-1 for a state not reached from the initial one)."""

    modulus: int
    a: int
    b: int
    c: int
    values: np.ndarray

    def formula(self, var: str = "r", x: str = "x") -> str:
        terms = [t for t in (f"{self.a} * {var}" if self.a != 1 else var,
                             (f"{self.b} * {x}" if self.b != 1 else x) if self.b else "",
                             str(self.c) if self.c else "") if t]
        return f"({' + '.join(terms)}) % {self.modulus}"


def _propagate(succ: list[list[tuple[int, int]]], initial: int, n_states: int, modulus: int,
               a: int, b: int, c: int) -> np.ndarray | None:
    values = np.full(n_states, -1, dtype=np.int64)
    values[initial] = 0
    stack = [initial]
    while stack:
        s = stack.pop()
        base = a * int(values[s]) + c
        for x, t in succ[s]:
            v = (base + b * x) % modulus
            if values[t] < 0:
                values[t] = v
                stack.append(t)
            elif values[t] != v:
                return None
    return values


def residue_maps(machine: MooreMachine, max_modulus: int = MAX_MODULUS) -> list[ResidueMap]:
    """Residue maps of a machine with one integer input, smallest modulus first (see module doc)."""
    if not machine.inputs or len(machine.inputs[0]) != 1:
        return []
    n = machine.n_states
    succ = [[(int(machine.inputs[i][0]), int(t)) for i, t in enumerate(machine.transitions[s]) if t >= 0]
            for s in range(n)]
    found: list[ResidueMap] = []
    seen: set[bytes] = set()
    for modulus in range(2, max_modulus + 1):
        for c in range(modulus):
            for a in range(1, modulus):
                for b in range(modulus):
                    values = _propagate(succ, machine.initial, n, modulus, a, b, c)
                    if values is None:
                        continue
                    reached = values[values >= 0]
                    if np.unique(reached).size < 2:
                        continue
                    # the partition of the states it induces, independent of the residues' names
                    _, labels = np.unique(values, return_inverse=True)
                    first = {}
                    canon = np.array([first.setdefault(int(v), len(first)) for v in labels], dtype=np.int64)
                    key = canon.tobytes()
                    if key in seen:
                        continue
                    seen.add(key)
                    found.append(ResidueMap(modulus, a, b, c, values))
    return found


def _deterministic(table: np.ndarray, machine: MooreMachine, states: list[int]) -> bool:
    """The rows' next values are a function of (row, input) on every observed transition."""
    nxt: dict[tuple, tuple] = {}
    for s in states:
        for i, t in enumerate(machine.transitions[s]):
            if t < 0:
                continue
            key = (tuple(table[s]), i)
            if nxt.setdefault(key, tuple(table[t])) != tuple(table[t]):
                return False
    return True


def _next_output(machine: MooreMachine, col: np.ndarray) -> np.ndarray | None:
    """The value of ``col`` one step later, when it is the same whatever the input (else None)."""
    out = np.zeros(machine.n_states, dtype=np.int64)
    for s in range(machine.n_states):
        succ = {int(col[t]) for t in machine.transitions[s] if t >= 0}
        if len(succ) > 1:
            return None
        out[s] = succ.pop() if succ else 0
    return out


def remainder_tables(machine: MooreMachine, outputs: np.ndarray, max_maps: int = MAX_MAPS
                     ) -> list[tuple[np.ndarray, tuple[int | None, ...], tuple[str, ...]]]:
    """(table of shape (n_states, k), moduli, comments) per residue map that, with the outputs and
    at most ``MAX_LOOKAHEAD`` next outputs, determines the machine's next values (see module doc).

    ``outputs``: int array of shape (n_states, k_out), the varying outputs of each state."""
    states = sorted(machine.reachable())
    tables = []
    for rmap in residue_maps(machine):
        cols = [rmap.values.clip(min=0)] + [outputs[:, j] for j in range(outputs.shape[1])]
        moduli: list[int | None] = [rmap.modulus] + [None] * outputs.shape[1]
        comments = [f"a remainder: {rmap.formula()} on every transition of the machine"] + \
                   ["output of the state"] * outputs.shape[1]
        ahead = outputs[:, 0] if outputs.shape[1] else None
        for _ in range(MAX_LOOKAHEAD + 1):
            table = np.stack(cols, axis=1)
            if _deterministic(table, machine, states):
                tables.append((table, tuple(moduli), tuple(comments)))
                break
            ahead = None if ahead is None else _next_output(machine, ahead)
            if ahead is None:
                break
            cols.append(ahead)
            moduli.append(None)
            comments.append("the output of the next step (the same for every input)")
        if len(tables) == max_maps:
            break
    return tables
