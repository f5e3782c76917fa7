"""Exact synthesis: integer features of a finite machine's states, the candidate state variables.

A program's state variables are integer functions of the machine's state. The machine's structure
offers some that a person would also choose, each checked on the machine itself, never read from
the task's name:

``output``
    the state's own output (one feature per output number);
``last``
    the input that entered the state, where every transition into it carries the same value (one
    feature per input number): a shift register's cell;
``count``
    the distance from the start (breadth-first), which is a saturating count or a run length on
    machines that count;
``residue``
    ``r <- (a*r + b*x + c) % N`` on every transition (:mod:`mips.program.remainder`);
``balance``, ``total``
    a counter: an integer label that every transition moves by an amount depending on the input
    only (``balance <- balance + x - 2``), found exactly as the integer null space of the
    constraints the machine's cycles put on the per-input steps;
``memory``
    the class of the state under Mealy equivalence: what it remembers beyond its output;
``part``
    a block of a partition with the substitution property (Hartmanis and Stearns): a component
    machine that runs on its own, numbered by its distance from the start. A product of two
    independent parities has two such partitions, one per parity;
``state``
    the state's number in order of first visit (always enough on its own: the last resort).

:func:`labelings` combines them into sets that tell every state apart, fewest variables first.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass

import numpy as np
import sympy

from mips.machine.moore import MooreMachine, mealy_classes
from mips.program.remainder import residue_maps

MAX_SP_STATES = 32              # machines larger than this skip the partition search
MAX_PARTS = 6                   # partition features kept, fewest blocks first
MAX_LABELINGS = 12              # feature sets tried per machine


@dataclass(frozen=True, slots=True)
class Feature:
    role: str                   # output, last, count, residue, memory, part, state
    values: tuple[int, ...]     # one per machine state (unreachable states: 0)
    modulus: int | None = None
    index: int = 0              # which output / input / partition

    def blocks(self, states: list[int]) -> int:
        return len({self.values[q] for q in states})


def _successors(m: MooreMachine) -> list[list[tuple[int, int]]]:
    return [[(i, int(t)) for i, t in enumerate(m.transitions[q]) if t >= 0] for q in range(m.n_states)]


def _bfs_order(m: MooreMachine, succ) -> tuple[list[int], list[int]]:
    """States in order of first visit (inputs in alphabet order) and each state's depth."""
    depth = [-1] * m.n_states
    depth[m.initial] = 0
    order, queue = [m.initial], deque([m.initial])
    while queue:
        q = queue.popleft()
        for _, t in succ[q]:
            if depth[t] < 0:
                depth[t] = depth[q] + 1
                order.append(t)
                queue.append(t)
    return order, depth


def _sp_partition(m: MooreMachine, succ, states: list[int], p: int, q: int) -> tuple[int, ...]:
    """The smallest partition with the substitution property that puts p and q together."""
    parent = list(range(m.n_states))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    pending = [(p, q)]
    while pending:
        a, b = pending.pop()
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        parent[max(ra, rb)] = min(ra, rb)
        ta, tb = dict(succ[a]), dict(succ[b])
        pending += [(ta[i], tb[i]) for i in ta if i in tb]
    return tuple(find(s) for s in range(m.n_states))


def _depth_labels(m: MooreMachine, succ, block: tuple[int, ...]) -> tuple[int, ...]:
    """Each block's distance from the start block in the quotient machine."""
    dist = {block[m.initial]: 0}
    queue = deque([m.initial])
    visited = {m.initial}
    while queue:
        q = queue.popleft()
        for _, t in succ[q]:
            if t not in visited:
                visited.add(t)
                queue.append(t)
            dist.setdefault(block[t], dist[block[q]] + 1)
    # breadth-first over states gives each block its first (smallest) distance
    return tuple(dist.get(block[s], 0) for s in range(m.n_states))


def _initial_output(m: MooreMachine, succ, col: list[int]) -> list[int]:
    """``col`` with the initial state labelled as most of the states it leads to show (ties: the
    smaller value), when the initial state shows no output of its own: the output an empty prefix
    would have (1 for "no symbol twice in a row", 0 for a count), so that the program's variable
    starts there instead of at a value it must tell apart from a real state's by other means."""
    if m.outputs[m.initial] is not None:
        return col
    shown: dict[int, int] = {}
    for _, t in succ[m.initial]:
        if m.outputs[t] is not None:
            shown[col[t]] = shown.get(col[t], 0) + 1
    if shown:
        col[m.initial] = min(shown, key=lambda v: (-shown[v], v))
    return col


def features(m: MooreMachine, outputs: np.ndarray) -> list[Feature]:
    """The candidate features of ``m``'s reachable states (outputs: (n_states, output_dim))."""
    succ = _successors(m)
    order, depth = _bfs_order(m, succ)
    states = sorted(order)
    n = m.n_states
    feats: list[Feature] = []
    for j in range(outputs.shape[1]):
        col = tuple(_initial_output(m, succ, [int(v) for v in outputs[:, j]]))
        if len({col[q] for q in states}) > 1:
            feats.append(Feature("output", col, index=j))
    inputs = np.array(m.inputs, dtype=np.int64).reshape(len(m.inputs), -1)
    for d in range(inputs.shape[1]):
        entering: dict[int, set[int]] = {}
        for q in states:
            for i, t in succ[q]:
                entering.setdefault(t, set()).add(int(inputs[i, d]))
        if all(len(v) == 1 for t, v in entering.items() if t != m.initial) and \
                len({next(iter(v)) for v in entering.values()}) > 1:
            vals = [0] * n
            for t, v in entering.items():
                if t != m.initial or len(v) == 1:
                    vals[t] = next(iter(v))
            if m.initial in entering and len(entering[m.initial]) > 1:
                vals[m.initial] = 0
            elif m.initial not in entering:             # no input yet: a value no input takes
                low = int(inputs[:, d].min())
                vals[m.initial] = low - 1 if low <= 0 else 0
            feats.append(Feature("last", tuple(vals), index=d))
    feats.append(Feature("count", tuple(max(v, 0) for v in depth)))
    counter = _counter(m, succ, order, inputs)
    if counter is not None:
        feats.append(counter)
    for r in residue_maps(m):
        feats.append(Feature("residue", tuple(int(v) for v in r.values), modulus=r.modulus))
    reach_outputs = {tuple(outputs[q]) for q in states}
    if len(reach_outputs) < len(states):
        mealy = mealy_classes(m)
        first: dict[int, int] = {}
        for q in order:
            first.setdefault(int(mealy[q]), len(first))
        feats.append(Feature("memory", tuple(first.get(int(mealy[s]), 0) for s in range(n))))
    if len(states) <= MAX_SP_STATES:
        parts: dict[tuple[int, ...], None] = {}
        for p, q in itertools.combinations(states, 2):
            block = _sp_partition(m, succ, states, p, q)
            k = len({block[s] for s in states})
            if 1 < k < len(states):
                parts.setdefault(block)
        ranked = sorted(parts, key=lambda b: (len({b[s] for s in states}), b))[:MAX_PARTS]
        for idx, block in enumerate(ranked):
            feats.append(Feature("part", _depth_labels(m, succ, block), index=idx))
    rank = {q: k for k, q in enumerate(order)}
    feats.append(Feature("state", tuple(rank.get(s, 0) for s in range(n))))
    # drop features equal to an earlier one up to relabelling order (keep the first role)
    kept, seen = [], set()
    for f in feats:
        key = tuple(f.values[q] for q in states)
        if key in seen:
            continue
        seen.add(key)
        kept.append(f)
    return kept


MAX_COUNTER_INPUTS = 64          # input letters of a machine searched for a counter


def _counter(m: MooreMachine, succ, order: list[int], inputs: np.ndarray) -> Feature | None:
    """A label moved by a step per input letter on every transition, when exactly one exists."""
    n_in = len(m.inputs)
    if n_in > MAX_COUNTER_INPUTS or len(order) < 3:
        return None
    counts: dict[int, np.ndarray] = {m.initial: np.zeros(n_in, dtype=np.int64)}
    for q in order:                                   # breadth-first: a spanning tree of paths
        for i, t in succ[q]:
            if t not in counts:
                counts[t] = counts[q] + np.eye(n_in, dtype=np.int64)[i]
    rows = {tuple(counts[q] + np.eye(n_in, dtype=np.int64)[i] - counts[t]) for q in order for i, t in succ[q]}
    rows.discard((0,) * n_in)
    basis = sympy.Matrix(sorted(rows)).nullspace() if rows else [sympy.eye(n_in)[:, j] for j in range(n_in)]
    if len(basis) != 1:
        return None
    vec = basis[0]
    scale = sympy.ilcm(*[sympy.fraction(v)[1] for v in vec])
    step = np.array([int(v * scale) for v in vec], dtype=np.int64)
    step //= np.gcd.reduce(np.abs(step)) or 1
    # the sign that makes the step grow with the input (balance + x - 2, not 2 - x - balance)
    if inputs.shape[1] == 1 and np.corrcoef(inputs[:, 0], step)[0, 1] < 0 if len(set(step)) > 1 else step[0] < 0:
        step = -step
    labels = {q: int(counts[q] @ step) for q in order}
    if len(set(labels.values())) < len(order):
        return None
    role = "total" if step.min() >= 0 else "balance"
    return Feature(role, tuple(labels.get(s, 0) for s in range(m.n_states)))


def _injective(feats: tuple[Feature, ...], states: list[int]) -> bool:
    return len({tuple(f.values[q] for f in feats) for q in states}) == len(states)


def labelings(feats: list[Feature], states: list[int], max_vars: int = 3,
              max_labelings: int = MAX_LABELINGS) -> list[tuple[Feature, ...]]:
    """Sets of features that tell the states apart, with no feature that could be left out;
    fewest variables first, then in feature order."""
    found: list[tuple[Feature, ...]] = []
    for k in range(1, max_vars + 1):
        for combo in itertools.combinations(feats, k):
            if not _injective(combo, states):
                continue
            if any(_injective(tuple(f for f in combo if f is not g), states) for g in combo if k > 1):
                continue
            found.append(combo)
            if len(found) >= max_labelings:
                return found
    return found
