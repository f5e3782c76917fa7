"""FSM stage: Moore machines from encoded hidden states (mips-method.md §8.6).

The paper learned its machine from the last transition only. Here every step of every sequence
adds a transition: the states are the codes of an :class:`~mips.encodings.Encoding`, the
initial state is the encoding of h_{-1} = 0 (kept as its own node, since the network never emits
an output there), and each state's output is the network's (or the task's) output after reaching
it. The machine is then minimised (Moore partition refinement). Before any of this the stage
checks whether the number of distinct states saturates with the step: a counter (Sum_All) keeps
producing new states and is reported as such instead of being enumerated.

The machine type, its minimisation and exports are in :mod:`mips.machine.moore` (re-exported here).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import numpy as np

from mips.encodings.base import Encoding
from mips.encodings.choose import EncodingChoice
from mips.encodings.data import StateData, prepare_states, row_keys, unique_rows
from mips.encodings.mdl import encode_grid
from mips.errors import ConfigError, check_int
from mips.machine.moore import FORMAT, MooreMachine, minimize, n_mealy_states
from mips.network.trace import HiddenTrace

__all__ = ["FORMAT", "FSMResult", "MooreMachine", "build_machine", "extract_fsm", "minimize",
           "n_mealy_states"]

log = logging.getLogger(__name__)

Status = Literal["finite", "counter", "unsaturated"]


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)   # arrays inside: identity equality
class FSMResult:
    """The machine read off an encoded trace, or why there is no finite one.

    Attributes
    ----------
    status : {"finite", "counter", "unsaturated"}
        ``finite``: the distinct states stop growing within the sequence length. ``counter``: new
        states keep appearing and some state variable's range keeps widening with the step.
        ``unsaturated``: new states keep appearing although every variable stays bounded (the
        data does not cover the machine).
    message : str
    encoding : Encoding
    machine : MooreMachine or None
        Observed machine (state 0 is the initial pseudo-state); None above ``max_states``.
    minimal : MooreMachine or None
    state_map : int64 array of shape (machine.n_states,)
        Index in ``minimal`` of each state of ``machine`` (-1: unreachable).
    output_conflicts : tuple of (state, {output: count})
        States of ``machine`` reached with more than one output (the majority is kept).
    transition_conflicts : tuple of (state, input, {successor: count})
        (state, input) pairs seen with more than one successor (the majority is kept).
    unobserved : tuple of (state, input)
        Transitions of the minimal machine that never occurred.
    states_by_step : int64 array of shape (seq_len + 1,)
        Distinct states seen at steps 0..s (cumulative).
    n_mealy_states : int
        States of the minimal Mealy machine (outputs on transitions), for comparison.
    growing_variables : tuple of str
    """

    status: str
    message: str
    encoding: Encoding
    machine: MooreMachine | None
    minimal: MooreMachine | None
    state_map: np.ndarray | None
    output_conflicts: tuple
    transition_conflicts: tuple
    unobserved: tuple
    states_by_step: np.ndarray
    n_mealy_states: int
    growing_variables: tuple[str, ...] = ()


def _growth(codes: np.ndarray, enc: Encoding, window_fraction: float, growth_fraction: float):
    """Cumulative distinct codes per step, whether they still grow, and which variables widen."""
    n, s, k = codes.shape
    keys = row_keys(codes.reshape(-1, k)).reshape(n, s)
    seen: set = set()
    cumulative = np.zeros(s, dtype=np.int64)
    for t in range(s):
        seen.update(np.unique(keys[:, t]).tolist())
        cumulative[t] = len(seen)
    window = max(1, int(round(window_fraction * (s - 1))))
    new = int(cumulative[-1] - cumulative[max(s - 1 - window, 0)])
    growing = s > 2 and new >= max(2.0, growth_fraction * cumulative[-1])
    widening = []
    if growing:
        half = max(1, (s - 1) // 2)
        for j, name in enumerate(enc.variables):
            if enc.moduli[j]:
                continue
            r_end = np.ptp(codes[:, -1, j])
            r_mid = np.ptp(codes[:, half, j])
            if r_end >= 1.2 * r_mid and r_end - r_mid >= 2:
                widening.append(name)
    return cumulative, growing, new, window, tuple(widening)


def _majority(keys: np.ndarray, values: np.ndarray, n_keys: int, n_values: int):
    """Per key the most frequent value (-1 if none), and the keys seen with several values."""
    uniq, counts = np.unique(keys * n_values + values, return_counts=True)
    k, v = np.divmod(uniq, n_values)
    order = np.lexsort((-counts, k))
    k, v, counts = k[order], v[order], counts[order]
    first = np.ones(k.size, dtype=bool)
    first[1:] = k[1:] != k[:-1]
    best = np.full(n_keys, -1, dtype=np.int64)
    best[k[first]] = v[first]
    total = np.bincount(k, weights=counts, minlength=n_keys).astype(np.int64)
    conflicts = {}
    for key in np.unique(k[~first]):
        sel = k == key
        conflicts[int(key)] = {int(a): int(b) for a, b in zip(v[sel], counts[sel])}
    return best, total, conflicts


def build_machine(codes: np.ndarray, data: StateData, initial_code: tuple[int, ...] | None = None
                  ) -> tuple[MooreMachine, tuple, tuple]:
    """Observed Moore machine of a code grid (n, seq_len + 1, k); state 0 is the initial pseudo-state
    (labelled ``initial_code``, default the code of h_{-1} in the grid)."""
    n, s, k = codes.shape
    visited = codes[:, 1:].reshape(-1, k)
    first, inverse, _ = unique_rows(visited)
    order = np.argsort(first, kind="stable")            # states numbered by first visit
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size)
    ids = np.concatenate([np.zeros((n, 1), dtype=np.int64), 1 + rank[inverse].reshape(n, s - 1)], axis=1)
    n_states = order.size + 1
    n_in = data.inputs.shape[0]
    succ, counts_flat, t_conf = _majority(ids[:, :-1].reshape(-1) * n_in + data.x_index.reshape(-1),
                                          ids[:, 1:].reshape(-1), n_states * n_in, n_states)
    y = data.outputs.reshape(-1, data.outputs.shape[-1])
    yf, y_class, _ = unique_rows(y)
    out, _, o_conf = _majority(ids[:, 1:].reshape(-1), y_class, n_states, yf.size)
    outputs = tuple(None if c < 0 else tuple(int(v) for v in y[yf[c]]) for c in out)
    init = tuple(int(v) for v in (codes[0, 0] if initial_code is None else initial_code))
    states = (init,) + tuple(tuple(int(v) for v in visited[first[o]]) for o in order)
    machine = MooreMachine(states=states, names=("init",) + tuple(f"s{i}" for i in range(1, n_states)),
                           inputs=tuple(tuple(int(v) for v in row) for row in data.inputs), outputs=outputs,
                           transitions=succ.reshape(n_states, n_in), initial=0,
                           counts=counts_flat.reshape(n_states, n_in))
    out_conf = tuple((st, {tuple(int(v) for v in y[yf[c]]): cnt for c, cnt in d.items()}) for st, d in o_conf.items())
    tr_conf = tuple((key // n_in, machine.inputs[key % n_in], d) for key, d in t_conf.items())
    return machine, out_conf, tr_conf


def extract_fsm(source: HiddenTrace | StateData | EncodingChoice, encoding: Encoding | None = None, *,
                outputs: Literal["network", "labels"] = "network", max_states: int = 5000,
                window_fraction: float = 0.25, growth_fraction: float = 0.02) -> FSMResult:
    """Build, check and minimise the Moore machine of an encoded trace.

    Parameters
    ----------
    source : HiddenTrace, StateData or EncodingChoice
    encoding : Encoding, optional
        Defaults to ``source.chosen`` when ``source`` is an EncodingChoice.
    outputs : {"network", "labels"}
        Outputs the states must determine (ignored unless ``source`` is a HiddenTrace).
    max_states : int
        Above this many distinct states no machine is built.
    window_fraction, growth_fraction : float
        The states "keep growing" when the last ``window_fraction`` of the steps added at least
        ``max(2, growth_fraction * total)`` new states.
    """
    check_int("extract_fsm", "max_states", max_states, 1)
    if isinstance(source, EncodingChoice):
        data = source.data
        encoding = encoding if encoding is not None else source.chosen
    elif isinstance(source, StateData):
        data = source
    elif isinstance(source, HiddenTrace):
        data = prepare_states(source, outputs=outputs)
    else:
        raise ConfigError(f"The 'source' parameter of extract_fsm must be a HiddenTrace, StateData or "
                          f"EncodingChoice. Got {type(source).__name__} instead.")
    if not isinstance(encoding, Encoding):
        raise ConfigError("extract_fsm needs an Encoding (none was given and the choice has none). "
                          f"Got {type(encoding).__name__} instead.")
    if encoding.hidden_dim != data.hidden_dim:
        raise ConfigError(f"The encoding is for hidden_dim {encoding.hidden_dim}; the trace has {data.hidden_dim}.")
    codes = encode_grid(encoding, data)
    cumulative, growing, new, window, widening = _growth(codes, encoding, window_fraction, growth_fraction)
    n_distinct = int(cumulative[-1])
    status: Status = "finite"
    msg = f"{n_distinct} distinct states (saturated by step {int(np.argmax(cumulative == n_distinct))})"
    if growing and widening:
        status = "counter"
        msg = (f"not a finite machine: distinct states keep growing with the step ({new} new in the last "
               f"{window} step(s), {n_distinct} in all) and {', '.join(widening)} keep(s) widening: a counter")
    elif growing:
        status = "unsaturated"
        msg = (f"distinct states keep growing with the step ({new} new in the last {window} step(s), "
               f"{n_distinct} in all) while every variable stays bounded: the data does not cover the machine")
    empty = np.zeros(0, dtype=np.int64)
    if n_distinct + 1 > max_states:
        log.info("FSM for %s: %s; no machine (more than %d states)", data.task, msg, max_states)
        return FSMResult(status=status, message=msg + f"; no machine built (more than {max_states} states)",
                         encoding=encoding, machine=None, minimal=None, state_map=None, output_conflicts=(),
                         transition_conflicts=(), unobserved=(), states_by_step=cumulative, n_mealy_states=0,
                         growing_variables=widening)
    machine, out_conf, tr_conf = build_machine(codes, data, encoding.initial_code or None)
    minimal, state_map = minimize(machine)
    msg += f"; {machine.n_states} observed states (with the initial one) minimise to {minimal.n_states}"
    if out_conf:
        msg += f"; {len(out_conf)} state(s) with conflicting outputs"
    if tr_conf:
        msg += f"; {len(tr_conf)} nondeterministic (state, input) pair(s)"
    unobserved = minimal.unobserved()
    if unobserved:
        msg += f"; {len(unobserved)} transition(s) never observed"
    return FSMResult(status=status, message=msg, encoding=encoding, machine=machine, minimal=minimal,
                     state_map=state_map if state_map.size else empty, output_conflicts=out_conf,
                     transition_conflicts=tr_conf, unobserved=unobserved, states_by_step=cumulative,
                     n_mealy_states=n_mealy_states(minimal), growing_variables=widening)
