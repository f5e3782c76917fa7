"""State view ``machine``: the minimised machine's states written as (output, memory): the
state's own output value, plus, when several states share an output, the index of its class under
Mealy equivalence (what it remembers beyond its output: a carry), under a few labelings; or as
(remainder, output): a residue the machine carries, ``r <- (a*r + b*x + c) % N`` on every
transition (:mod:`mips.program.remainder`: long division's remainder).

Gate: tried unless a program of at most ``MACHINE_VIEW_ABOVE`` nodes was already found."""

from __future__ import annotations

import itertools

import numpy as np

from mips.encodings.data import StateData, row_keys
from mips.encodings.mdl import encode_grid
from mips.machine.extract import FSMResult
from mips.machine.moore import mealy_classes
from mips.program.program import Program
from mips.program.remainder import remainder_tables
from mips.program.state_view import StateView
from mips.program.views.context import Context

MIN_VALID_SEQUENCES = 0.9       # sequences through states the minimal machine kept
MAX_MACHINE_STATES = 64
MACHINE_VIEW_ABOVE = 10          # try machine views unless a program this small was found


def _machine_steps(fsm: FSMResult | None, data: StateData):
    """The minimised machine's state at every traced step, shape (n_sequences, seq_len + 1), which
    sequences it describes, and each state's outputs as an (n_states, output_dim) array; None when
    the machine cannot describe the trace."""
    if fsm is None or fsm.minimal is None or fsm.machine is None or fsm.minimal.n_states > MAX_MACHINE_STATES:
        return None
    m, observed = fsm.minimal, fsm.machine
    codes = encode_grid(fsm.encoding, data)
    n, steps, k = codes.shape
    keys = row_keys(codes.reshape(-1, k))
    state_keys = row_keys(np.array(observed.states[1:], dtype=np.int64).reshape(-1, k))
    order = np.argsort(state_keys)
    pos = np.clip(np.searchsorted(state_keys[order], keys), 0, max(len(order) - 1, 0))
    obs = 1 + order[pos]
    # every state after the initial one is an observed machine state (the initial state is its own
    # node, 0, whether or not its code is also reached later)
    if not np.array_equal(state_keys[order][pos].reshape(n, steps)[:, 1:], keys.reshape(n, steps)[:, 1:]):
        return None
    obs = obs.reshape(n, steps)
    obs[:, 0] = 0
    minimal = fsm.state_map[obs]
    # sequences through states the minimal machine dropped (reached only by a minority transition)
    valid = np.all(minimal >= 0, axis=1)
    if valid.mean() < MIN_VALID_SEQUENCES:
        return None
    known = [o for o in m.outputs if o is not None]
    if not known:
        return None
    o_dim = len(known[0])
    outputs = np.array([o if o is not None else (0,) * o_dim for o in m.outputs], dtype=np.int64)
    return np.maximum(minimal, 0), valid, outputs


def machine_views(fsm: FSMResult | None, data: StateData, max_labelings: int = 6
                  ) -> list[tuple[StateView, tuple[int, ...]]]:
    """The minimised machine's states written as (output, memory): the state's own output value(s)
    plus, when several states share an output, the index of its class under Mealy equivalence (what
    the state remembers beyond its output: a carry, a remainder). Small memories are tried under
    several labelings, since the index order is arbitrary. Then the machine's remainders
    (:mod:`mips.program.remainder`), when it carries one."""
    steps = _machine_steps(fsm, data)
    if steps is None:
        return []
    minimal, valid, outputs = steps
    m = fsm.minimal
    varying = [j for j in range(outputs.shape[1]) if len(np.unique(outputs[:, j])) > 1]
    reachable = sorted(m.reachable())
    injective = len({tuple(outputs[q]) for q in reachable}) == len(reachable)
    mealy = np.zeros(m.n_states, dtype=np.int64) if injective else mealy_classes(m)
    n_classes = int(mealy.max()) + 1
    # first-visit order of the Mealy classes, then other labelings of small memories
    first_seen = {}
    for c in mealy[minimal.reshape(-1)].tolist():
        first_seen.setdefault(c, len(first_seen))
    for c in range(n_classes):
        first_seen.setdefault(c, len(first_seen))
    base = np.array([first_seen[c] for c in range(n_classes)], dtype=np.int64)
    labelings = [base] if n_classes == 1 else [
        np.array(perm, dtype=np.int64)[base]
        for perm in itertools.islice(itertools.permutations(range(n_classes)), max_labelings)]
    tables = []
    for label in labelings:
        cols = [outputs[:, j] for j in varying] + ([label[mealy]] if n_classes > 1 else [])
        if cols:
            tables.append((np.stack(cols, axis=1),
                           "machine (output, memory)" if n_classes > 1 else "machine (output)",
                           (None,) * len(cols),
                           tuple(["output of the state"] * len(varying) + (["memory"] if n_classes > 1 else []))))
    if not injective:
        tables += [(table, "machine (remainder)", moduli, comments)
                   for table, moduli, comments in remainder_tables(m, outputs[:, varying])]
    return [(StateView(name=name, codes=table[minimal], moduli=moduli, comments=comments,
                       valid=None if valid.all() else valid), tuple(int(v) for v in table[m.initial]))
            for table, name, moduli, comments in tables]


def programs(ctx: Context) -> list[Program]:
    fsm = ctx.fsm
    if fsm is None or fsm.minimal is None or any(p.size <= MACHINE_VIEW_ABOVE for p in ctx.programs):
        return []
    found: list[Program] = []
    # the first (output, memory) labeling that works; every remainder view (the readability
    # score chooses among them: a remainder mod 6 may need one variable fewer than mod 3)
    for view, init in machine_views(fsm, ctx.data):
        if view.name != "machine (remainder)" and any(
                p.method.startswith("machine (output") for p in ctx.programs + found):
            continue
        found += ctx.regress_all([(view, init)], budget_share=0.5)
    return found
