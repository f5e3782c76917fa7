"""Program stage: from the network's machine to candidate programs (mips-method.md §9, extended).

A program needs integer state variables. The network offers them in more than one way, and this
module tries each as a :class:`StateView` (the trajectories of integer variables over the traced
sequences), regresses one formula per update and output (:func:`mips.regression.fit_formulas`)
and keeps every view that yields a complete program:

``encoding``
    The chosen encoding's codes (lattice coordinates, modular residue, Boolean bits, cluster
    index): the network's own representation, as in the paper. Runner-up encodings are tried too.
``window``
    When the network's state is a function of its last k inputs (the machine is k-definite, which
    is checked on every step of every traced sequence, with most windows seen more than once so
    that the claim is not vacuous; or the hidden vector is an affine function of those inputs;
    or, behaviourally, the network's output is, :mod:`mips.program.window`), the state is
    re-expressed as those k inputs, a shift register ``a, b, c = x, a, b``. This is a change of
    variables of the network's own machine, not a guess from the task: the outputs come from the
    network's states (or, for the behavioural test, from its outputs).
``counts``, ``outputs``
    A running count of the inputs (plain, frozen once negative, per input value, or mod N with the
    current input), when none of the last-k-inputs tests holds and the network's outputs are a
    function of the count; the last k outputs, only when no other view gave a program
    (:mod:`mips.program.window`).
``machine``
    The minimised machine's states written as (output, memory): the state's own output value,
    plus, when several states share an output, the index of its class under Mealy equivalence
    (what it remembers beyond its output: a carry), under a few labelings; or as (remainder,
    output): a residue the machine carries, ``r <- (a*r + b*x + c) % N`` on every transition
    (:mod:`mips.program.remainder`: long division's remainder).

Updates are fitted on the steps after the first and outputs on the states after the first step
(the first step starts from the special zero state, and some networks settle onto their lattice
only then). The initial state is the code of the zero hidden state h_{-1} = 0 if the program then
reproduces the network, else the state a run of zero inputs settles in, else the nearest one that
does; a change is reported in the program (the paper lost Sum_All and Parity_Bits_Mod2 to wrong
initial states). A view whose program differs from the network on more than
``SEQUENCE_TOLERANCE`` of the traced sequences (a network may err on a training sequence) is
dropped; every program is judged on the task's whole test split afterwards.
:func:`table_program` is the fallback: the minimised machine as lookup tables.
"""

from __future__ import annotations

import itertools
import logging
import time
from dataclasses import dataclass

import numpy as np

from mips.encodings.base import Encoding
from mips.encodings.choose import EncodingChoice
from mips.encodings.data import StateData, row_keys
from mips.encodings.mdl import encode_grid
from mips.failure import Failure
from mips.machine.extract import FSMResult
from mips.machine.moore import mealy_classes
from mips.program.program import (
    Program,
    input_names,
    output_names,
    run_program,
    state_names,
)
from mips.program.exact.machine_program import machine_programs
from mips.program.remainder import remainder_tables
from mips.program.state_view import StateView
from mips.program.window import (
    MAX_WINDOW,
    linear_window_view,
    output_counter_view,
    output_history_views,
    output_window_view,
    window_view,
)
from mips.regression.fit import fit_formulas

log = logging.getLogger(__name__)

MAX_STATE_VARS = 12
TOLERANCE = 0.001                 # fraction of traced steps allowed to disagree
SEQUENCE_TOLERANCE = 0.01         # fraction of traced sequences a program may differ from the network on
MIN_VALID_SEQUENCES = 0.9       # sequences through states the minimal machine kept
MAX_MACHINE_STATES = 64
MACHINE_VIEW_ABOVE = 10          # try machine views unless a program this small was found


@dataclass(frozen=True, slots=True, kw_only=True)
class Synthesis:
    """Every program found, shortest first, and why the other views failed (``str`` of each
    view's :class:`~mips.failure.Failure`: ``"view: why"``)."""

    programs: tuple[Program, ...]
    failures: tuple[str, ...] = ()
    seconds: float = 0.0


def _majority_rows(keys: np.ndarray, values: np.ndarray):
    """Distinct key rows with the most frequent value row of each, the number of keys seen with
    several values, and how often each kept (key, value) row was observed."""
    both = np.concatenate([keys, values], axis=1)
    uniq, counts = np.unique(both, axis=0, return_counts=True)
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
    n, t_len, n_in = x.shape
    names, ins, outs = state_names(k), input_names(n_in), output_names(y.shape[2])
    prev = codes[:, :-1].reshape(-1, k)
    nxt = codes[:, 1:].reshape(-1, k)
    xs = x.reshape(-1, n_in)
    later = np.repeat(np.arange(t_len)[None] > 0, n, axis=0).reshape(-1)   # rows after step 0
    consts = _constants(x, view.moduli)
    moduli = dict(zip(names, view.moduli))

    def fit_updates(mask):
        keys, vals, conflicts, counts = _majority_rows(np.concatenate([prev[mask], xs[mask]], axis=1),
                                                               nxt[mask])
        cols = {nm: keys[:, j] for j, nm in enumerate(names)}
        cols.update({nm: keys[:, k + i] for i, nm in enumerate(ins)})
        fits = fit_formulas(cols, {nm: vals[:, j] for j, nm in enumerate(names)}, moduli=moduli,
                            constants=consts, time_budget_seconds=time_budget_seconds,
                            weights=counts, tolerance=TOLERANCE)
        return fits, conflicts

    # fit the steps after the first: the first starts from the special zero state, and some
    # networks take a step or two to settle onto their lattice
    updates, conflicts = fit_updates(later if t_len > 1 else np.ones(len(prev), dtype=bool))
    missing = [nm for nm, f in updates.items() if isinstance(f, Failure)]
    if missing:
        return failed(f"no formula for the update of {', '.join(missing)}")
    first = 2 if t_len > 2 else 1                       # states after the settling step
    states = codes[:, first:].reshape(-1, k)
    keys, vals, out_conf, counts = _majority_rows(states, y[:, first - 1:].reshape(-1, y.shape[2]))
    cols = {nm: keys[:, j] for j, nm in enumerate(names)}
    outputs = fit_formulas(cols, {nm: vals[:, o] for o, nm in enumerate(outs)}, constants=consts,
                           time_budget_seconds=time_budget_seconds, weights=counts, tolerance=TOLERANCE)
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
    for cand in candidates:
        run = run_program(build(cand), xs)
        if run.error is None and np.count_nonzero(np.any(run.outputs != ys, axis=(1, 2))) <= limit:
            return cand
    return None


def encoding_views(choice: EncodingChoice | None, data: StateData, max_views: int = 3,
                   first: Encoding | None = None) -> list[tuple[StateView, tuple]]:
    """The encoding the machine was built from (default: the chosen one) and the best runner-ups
    of other kinds, with their initial codes."""
    if choice is None or not choice.candidates:
        return []
    picked: list[Encoding] = []
    for enc in (first, choice.chosen) + tuple(choice.candidates):
        if enc is None or any(e is enc for e in picked):
            continue
        if any(e.kind == enc.kind and e.n_vars == enc.n_vars for e in picked):
            continue
        picked.append(enc)
        if len(picked) == max_views:
            break
    views = []
    for enc in picked:
        codes = encode_grid(enc, data)
        views.append((StateView(name=enc.kind, codes=codes, moduli=tuple(enc.moduli)),
                      tuple(int(v) for v in codes[0, 0])))
    return views


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


MAX_EXACT = 3                     # exact programs kept (one per labeling, smallest first)


def exact_programs(m, x: np.ndarray, y: np.ndarray, *, task: str, failures: list[str]) -> list[Program]:
    """Programs found exactly from the minimised machine's tables (:mod:`mips.program.exact`),
    each kept when it reproduces the network on the traced sequences, as the other views must."""
    found = machine_programs(m, task=task, input_dim=x.shape[2])
    if isinstance(found, Failure):
        failures.append(str(found))
        return []
    kept = []
    for program in found[:MAX_EXACT]:
        run = run_program(program, x)
        wrong = (int(np.count_nonzero(np.any(run.outputs != y, axis=(1, 2)))) if run.error is None
                 else x.shape[0])
        if wrong > SEQUENCE_TOLERANCE * x.shape[0]:
            failures.append(f"{program.method}: differs from the network on {wrong} of {x.shape[0]} traced sequences")
            continue
        kept.append(program)
    return kept


def table_program(fsm: FSMResult, task: str, input_dim: int) -> Program | None:
    """The minimised machine as lookup tables (kind ``table``; never a symbolic solve)."""
    m = fsm.minimal if fsm is not None else None
    if m is None:
        return None
    transitions = {(int(s), tuple(m.inputs[i])): int(m.transitions[s, i])
                   for s in range(m.n_states) for i in range(len(m.inputs)) if m.transitions[s, i] >= 0}
    outs = {int(s): tuple(o) for s, o in enumerate(m.outputs) if o is not None}
    return Program(task=task, kind="table", method=f"state table ({m.n_states} states)",
                   inputs=input_names(input_dim), state=("s",), initial=(int(m.initial),),
                   transitions=transitions, table_outputs=outs)


def synthesize(data: StateData, choice: EncodingChoice | None, *, task: str, fsm: FSMResult | None = None,
               time_budget_seconds: float = 3.0) -> Synthesis:
    """Candidate programs from every state view, shortest first.

    Parameters
    ----------
    data : StateData
        The traced states (its outputs are the network's, which the programs must reproduce).
    choice : EncodingChoice or None
    fsm : FSMResult, optional
        Its minimised machine gives the (output, memory) views.
    time_budget_seconds : symbolic-search budget per formula set
    """
    start = time.perf_counter()
    x = data.inputs[data.x_index]
    y = np.asarray(data.outputs, dtype=np.int64)
    programs: list[Program] = []
    failures: list[str] = []
    views = encoding_views(choice, data, first=fsm.encoding if fsm is not None else None)
    # the network's state identified by its code (its exact hidden vector without an encoding)
    state_ids = (row_keys(views[0][0].codes.reshape(-1, views[0][0].n_vars)).reshape(data.index.shape)
                 if views else data.index)
    window = window_view(state_ids.astype(np.int64), x)
    if window is None:
        window = linear_window_view(data.points[data.index], x)
    if window is None:
        window = output_window_view(y, x)
    if window is None:
        window = output_counter_view(y, x)
    if window is not None:
        views.append((window, (0,) * window.n_vars))
    else:
        failures.append(f"last k inputs: the network's state is not a function of its last "
                        f"{MAX_WINDOW} inputs (neither its code nor, linearly, its hidden vector)")
    for view, init in views:
        result = regress_view(view, x, y, task=task, initial=init, time_budget_seconds=time_budget_seconds)
        if isinstance(result, Program):
            programs.append(result)
        else:
            failures.append(str(result))
            log.info("synthesis %s: %s", task, result)
    if not programs:
        # the state as the last outputs (a position and the one before it give the velocity)
        for view in output_history_views(y):
            result = regress_view(view, x, y, task=task, initial=(0,) * view.n_vars,
                                  time_budget_seconds=time_budget_seconds / 2)
            if isinstance(result, Program):
                programs.append(result)
                break
            failures.append(str(result))
    if fsm is not None and fsm.minimal is not None and not any(p.size <= MACHINE_VIEW_ABOVE for p in programs):
        # the first (output, memory) labeling that works; every remainder view (the readability
        # score chooses among them: a remainder mod 6 may need one variable fewer than mod 3)
        for view, init in machine_views(fsm, data):
            if view.name != "machine (remainder)" and any(p.method.startswith("machine (output") for p in programs):
                continue
            result = regress_view(view, x, y, task=task, initial=init,
                                  time_budget_seconds=time_budget_seconds / 2)
            if isinstance(result, Program):
                programs.append(result)
            else:
                failures.append(str(result))
    if fsm is not None and fsm.minimal is not None:
        programs += exact_programs(fsm.minimal, x, y, task=task, failures=failures)
    programs.sort(key=lambda p: p.size)
    return Synthesis(programs=tuple(programs), failures=tuple(failures),
                     seconds=time.perf_counter() - start)
