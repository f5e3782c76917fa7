"""Program stage: one state view regressed into a program (mips-method.md §9).

:func:`regress_view` fits one formula per update and output (:func:`mips.regression.fit_formulas`)
on a :class:`~mips.program.state_view.StateView`'s traced trajectories. Updates are fitted on the
steps after the first and outputs on the states after the first step (the first step starts from
the special zero state, and some networks settle onto their lattice only then). The initial state
is the code of the zero hidden state h_{-1} = 0 if the program then reproduces the network, else
the state a run of zero inputs settles in, else the nearest one that does; a change is reported in
the program (the paper lost Sum_All and Parity_Bits_Mod2 to wrong initial states). A view whose
program differs from the network on more than ``SEQUENCE_TOLERANCE`` of the traced sequences (a
network may err on a training sequence) is dropped; every program is judged on the task's whole
test split afterwards.
"""

from __future__ import annotations

import itertools

import numpy as np

from mips.failure import Failure
from mips.program.program import Program, input_names, output_names, run_program, state_names
from mips.program.state_view import StateView
from mips.regression.fit import fit_formulas
from mips.regression.rows import lex_groups

MAX_STATE_VARS = 12
TOLERANCE = 0.001                 # fraction of traced steps allowed to disagree
SEQUENCE_TOLERANCE = 0.01         # fraction of traced sequences a program may differ from the network on


def _unique_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(rows, axis=0, return_counts=True)``: the distinct rows in lexicographic order
    and how often each occurs (:func:`mips.regression.rows.lex_groups`)."""
    if rows.shape[0] == 0 or rows.shape[1] == 0:
        return np.unique(rows, axis=0, return_counts=True)
    order, starts = lex_groups(rows)
    at = np.flatnonzero(starts)
    return rows[order[at]], np.diff(np.append(at, len(order)))


def _majority_rows(keys: np.ndarray, values: np.ndarray):
    """Distinct key rows with the most frequent value row of each, the number of keys seen with
    several values, and how often each kept (key, value) row was observed."""
    both = np.concatenate([keys, values], axis=1)
    uniq, counts = _unique_rows(both)
    kcols = keys.shape[1]
    order = np.lexsort((-counts,) + tuple(uniq[:, j] for j in reversed(range(kcols))))
    uniq = uniq[order]
    first = np.ones(len(uniq), dtype=bool)
    first[1:] = np.any(uniq[1:, :kcols] != uniq[:-1, :kcols], axis=1)
    conflicts = int(np.count_nonzero(~first))
    return uniq[first, :kcols], uniq[first, kcols:], conflicts, counts[order][first]


def _constants(x: np.ndarray, moduli: tuple[int | None, ...]) -> tuple[int, ...]:
    """Small constants plus the task's own: the alphabet size and the moduli."""
    consts = {0, 1, 2, 3}
    if x.size:
        consts.add(int(x.max()) + 1)
    consts.update(m for m in moduli if m)
    return tuple(sorted(consts))


def _fit_updates(codes: np.ndarray, x: np.ndarray, names: tuple[str, ...], ins: tuple[str, ...],
                 consts: tuple[int, ...], moduli: dict, budget: float):
    """One formula per variable's update, fitted on the steps after the first (the first starts
    from the special zero state, and some networks take a step or two to settle onto their
    lattice), and the number of nondeterministic transitions."""
    k = len(names)
    n, t_len, n_in = x.shape
    prev = codes[:, :-1].reshape(-1, k)
    nxt = codes[:, 1:].reshape(-1, k)
    xs = x.reshape(-1, n_in)
    later = np.repeat(np.arange(t_len)[None] > 0, n, axis=0).reshape(-1)   # rows after step 0
    mask = later if t_len > 1 else np.ones(len(prev), dtype=bool)
    keys, vals, conflicts, counts = _majority_rows(np.concatenate([prev[mask], xs[mask]], axis=1), nxt[mask])
    cols = {nm: keys[:, j] for j, nm in enumerate(names)}
    cols.update({nm: keys[:, k + i] for i, nm in enumerate(ins)})
    fits = fit_formulas(cols, {nm: vals[:, j] for j, nm in enumerate(names)}, moduli=moduli,
                        constants=consts, time_budget_seconds=budget, weights=counts, tolerance=TOLERANCE)
    return fits, conflicts


def _fit_outputs(codes: np.ndarray, y: np.ndarray, names: tuple[str, ...], outs: tuple[str, ...],
                 consts: tuple[int, ...], budget: float):
    """One formula per output, fitted on the states after the settling step, and the number of
    states seen with several outputs."""
    t_len = y.shape[1]
    first = 2 if t_len > 2 else 1                       # states after the settling step
    states = codes[:, first:].reshape(-1, len(names))
    keys, vals, out_conf, counts = _majority_rows(states, y[:, first - 1:].reshape(-1, y.shape[2]))
    cols = {nm: keys[:, j] for j, nm in enumerate(names)}
    outputs = fit_formulas(cols, {nm: vals[:, o] for o, nm in enumerate(outs)}, constants=consts,
                           time_budget_seconds=budget, weights=counts, tolerance=TOLERANCE)
    return outputs, out_conf


def regress_view(view: StateView, x: np.ndarray, y: np.ndarray, *, task: str, initial: tuple[int, ...],
                 time_budget_seconds: float = 3.0) -> Program | Failure:
    """One program from a state view, or a Failure (stage ``"regress"``, method: the view's name)
    saying why there is none.

    Parameters
    ----------
    view : StateView
    x : int array of shape (n_sequences, seq_len, input_dim)
    y : int array of shape (n_sequences, seq_len, output_dim)
        The outputs to reproduce (the network's rounded outputs).
    initial : the code of the zero hidden state in this view
    """
    def failed(message: str) -> Failure:
        return Failure(stage="regress", method=view.name, message=message)

    k = view.n_vars
    if k > MAX_STATE_VARS:
        return failed(f"{k} state variables (more than {MAX_STATE_VARS})")
    codes = view.codes
    if view.valid is not None:
        codes, x, y = codes[view.valid], x[view.valid], y[view.valid]
    n = x.shape[0]
    names, ins, outs = state_names(k), input_names(x.shape[2]), output_names(y.shape[2])
    consts = _constants(x, view.moduli)
    updates, conflicts = _fit_updates(codes, x, names, ins, consts, dict(zip(names, view.moduli)),
                                      time_budget_seconds)
    missing = [nm for nm, f in updates.items() if isinstance(f, Failure)]
    if missing:
        return failed(f"no formula for the update of {', '.join(missing)}")
    outputs, out_conf = _fit_outputs(codes, y, names, outs, consts, time_budget_seconds)
    missing = [nm for nm, f in outputs.items() if isinstance(f, Failure)]
    if missing:
        return failed(f"no formula for the output {', '.join(missing)}")
    methods = sorted({f.method for f in list(updates.values()) + list(outputs.values())})
    comments = dict(zip(names, view.comments)) if view.comments else {}

    def build(init_state: tuple[int, ...]) -> Program:
        return Program(task=task, kind="symbolic", method=f"{view.name} + {' / '.join(methods)}",
                       inputs=ins, state=names, initial=init_state, updates=tuple(updates[nm] for nm in names),
                       outputs=tuple(outputs[nm] for nm in outs), comments=comments)

    # the initial state: the zero hidden state's code if the program then reproduces the network,
    # else the nearest state that does (the paper lost Sum_All and Parity_Bits_Mod2 here)
    guess = tuple(int(v) for v in initial)
    init = _initial_for(build, x, y, guess)
    if init is None:
        return failed(f"no initial state near {guess} reproduces the network's first steps")
    read = set().union(*(f.names() for f in updates.values()))
    # a variable no update reads is overwritten before any use: its initial value is irrelevant
    init = tuple(v if nm in read else 0 for nm, v in zip(names, init))
    if tuple(v for nm, v in zip(names, init) if nm in read) != tuple(v for nm, v in zip(names, guess) if nm in read):
        comments["__init__"] = f"initial state {init} instead of the zero hidden state's code {guess}"
    program = build(init)
    run = run_program(program, x)
    if run.error is not None:
        return failed(f"the program fails on a traced sequence ({run.error})")
    wrong = int(np.count_nonzero(np.any(run.outputs != y, axis=(1, 2))))
    # a network perfect on the test split may still err on a training sequence, and a zoo network
    # that is not perfect errs more: the program is judged on the task's whole test split later
    if wrong > SEQUENCE_TOLERANCE * n:
        return failed(f"the program differs from the network on {wrong} of {n} traced sequences "
                      f"({conflicts} nondeterministic transitions, {out_conf} states with several outputs)")
    return program


INITIAL_WORK = 40_000_000         # formula nodes x traced steps evaluated while looking for an initial state


def _offsets(k: int, radius: int):
    """Integer offsets of k variables, each within ``radius``, by L1 norm, then lexicographically."""
    def with_norm(n: int, d: int):
        if n == 0:
            if d == 0:
                yield ()
            return
        for first in range(-min(d, radius), min(d, radius) + 1):
            for rest in with_norm(n - 1, d - abs(first)):
                yield (first,) + rest
    for d in range(radius * k + 1):
        yield from with_norm(k, d)


def _initial_for(build, x: np.ndarray, y: np.ndarray, guess: tuple[int, ...], radius: int = 3,
                 n_sample: int = 256, max_candidates: int = 1500) -> tuple[int, ...] | None:
    """The initial state nearest ``guess`` (L1, then lexicographic) whose program reproduces the
    network's outputs on a sample of traced sequences (all but ``SEQUENCE_TOLERANCE`` of them).
    At most ``max_candidates`` states are tried, fewer for a large program: the evaluation work is
    bounded by ``INITIAL_WORK`` (a count, so the answer does not depend on the machine)."""
    xs, ys = x[:n_sample], y[:n_sample]
    limit = SEQUENCE_TOLERANCE * xs.shape[0]
    first = build(guess)
    cost = max(1, first.size * xs.shape[0] * xs.shape[1])
    max_candidates = max(1, min(max_candidates, INITIAL_WORK // cost))
    # first the state a long run of zero inputs leads to (the x_{-k} = 0 convention of windowed
    # tasks: a shift register settles there), then the neighbourhood of the zero state's code
    zeros = np.zeros((1, 4 * x.shape[1] + 8, x.shape[2]), dtype=np.int64)
    settled = run_program(first, zeros)
    candidates = [] if settled.error else [tuple(int(v) for v in settled.states[0, -1])]
    candidates += [tuple(g + o for g, o in zip(guess, off))
                   for off in itertools.islice(_offsets(len(guess), radius), max_candidates)]
    per_run = max(1, xs.shape[0] // SCREEN)          # a screening run is no larger than one full check
    for lo in range(0, len(candidates), per_run):
        batch = candidates[lo:lo + per_run]
        for cand, maybe in zip(batch, _screen(first, batch, xs[:SCREEN], ys[:SCREEN], limit)):
            if not maybe:
                continue
            run = run_program(build(cand), xs)
            if run.error is None and np.count_nonzero(np.any(run.outputs != ys, axis=(1, 2))) <= limit:
                return cand
    return None


SCREEN = 16                 # sequences every candidate initial state is screened on first


def _screen(program: Program, candidates: list[tuple[int, ...]], xs: np.ndarray, ys: np.ndarray,
            limit: float) -> list[bool]:
    """For each candidate initial state, False where the program from it already errs or misses on
    more than ``limit`` of the first sequences (then it misses on more than ``limit`` of all of
    them: the answer is the same as checking every candidate on every sequence). One run for all
    the candidates, each on its own copy of the sequences; if that run stops on an error, each
    candidate is screened on its own."""
    k, m = len(candidates), xs.shape[0]
    run = run_program(program, np.tile(xs, (k, 1, 1)), initial=np.repeat(np.array(candidates), m, axis=0))
    if run.error is None:
        wrong = np.any(run.outputs != np.tile(ys, (k, 1, 1)), axis=(1, 2)).reshape(k, m)
        return (np.count_nonzero(wrong, axis=1) <= limit).tolist()
    out = []
    for cand in candidates:
        one = run_program(program, xs, initial=np.repeat(np.array([cand]), m, axis=0))
        out.append(one.error is None and np.count_nonzero(np.any(one.outputs != ys, axis=(1, 2))) <= limit)
    return out
