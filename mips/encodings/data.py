"""Encoding stage, input side: de-duplicated hidden states of a trace (mips-method.md §8.1).

The paper kept only the last two steps; here every hidden state of every step takes part. A
trace holds millions of float vectors but far fewer distinct ones, so every finder works on
:class:`StateData`: the distinct states, how often each occurs, and an index that maps every
(sequence, step) back to its distinct state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from mips.errors import ConfigError, check_choice
from mips.network.trace import HiddenTrace

# odd 64-bit constants of the splitmix64 finaliser
_C1 = np.uint64(0xBF58476D1CE4E5B9)
_C2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(v: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser, element-wise on uint64 (wraps on overflow)."""
    with np.errstate(over="ignore"):
        v = (v ^ (v >> np.uint64(30))) * _C1
        v = (v ^ (v >> np.uint64(27))) * _C2
        return v ^ (v >> np.uint64(31))


def row_keys(a: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each row of a 2-D float64 or int64 array (equal rows, equal keys)."""
    a = np.ascontiguousarray(a)
    if a.dtype == np.float64:
        a = a + 0.0                                   # -0.0 -> 0.0
    bits = a.view(np.uint64) if a.dtype.itemsize == 8 else a.astype(np.int64).view(np.uint64)
    key = np.zeros(a.shape[0], dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(a.shape[1]):
            key = _mix(key * _GOLDEN + _mix(bits[:, j] + np.uint64(j + 1)))
    return key


def unique_rows(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct rows of a 2-D array, fast (hash, then verified; exact fallback on a collision).

    Returns
    -------
    first : (n_unique,) index of the first occurrence of each distinct row, in key order
    inverse : (n,) index of each row's distinct row
    counts : (n_unique,) occurrences
    """
    a = np.ascontiguousarray(a)
    if a.shape[0] == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    _, first, inverse, counts = np.unique(row_keys(a), return_index=True, return_inverse=True,
                                          return_counts=True)
    inverse = inverse.reshape(-1)
    same = a == a[first[inverse]]
    if a.dtype == np.float64:
        same |= np.isnan(a) & np.isnan(a[first[inverse]])
    if not same.all():                                 # a hash collision: exact (slow) path
        _, first, inverse, counts = np.unique(a, axis=0, return_index=True, return_inverse=True,
                                              return_counts=True)
        inverse = inverse.reshape(-1)
    return first.astype(np.int64), inverse.astype(np.int64), counts.astype(np.int64)


def in_first_visit_order(first: np.ndarray, inverse: np.ndarray, counts: np.ndarray
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The output of :func:`unique_rows` renumbered by first occurrence (row 0 becomes 0).

    The key order of :func:`unique_rows` follows the hash of the float bits, so the last bit of
    one state (another BLAS kernel) reshuffles every distinct state, and with them every seeded
    sample drawn from them. The order of first occurrence depends only on which rows are equal.
    """
    order = np.argsort(first, kind="stable")
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size)
    return first[order], rank[inverse], counts[order]


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)   # arrays inside: identity equality
class StateData:
    """The distinct hidden states of a trace and where each (sequence, step) lands.

    Attributes
    ----------
    task : str
    points : float64 array of shape (n_points, hidden_dim)
        Distinct hidden vectors (exact de-duplication), including the initial state h_{-1} = 0, in
        the order of their first occurrence in the trace (sequence by sequence, step by step), so
        that the seeded samples the finders draw from them do not depend on their last bits.
    counts : int64 array of shape (n_points,)
        How often each distinct vector occurs in the trace.
    index : int64 array of shape (n_sequences, seq_len + 1)
        ``points[index[i, s]]`` is ``trace.hidden[i, s]``; step ``s = 0`` is the initial state.
    inputs : int64 array of shape (n_inputs, input_dim)
        Distinct input vectors.
    x_index : int64 array of shape (n_sequences, seq_len)
        ``inputs[x_index[i, t]]`` is ``x[i, t]``.
    outputs : int64 array of shape (n_sequences, seq_len, output_dim)
        The outputs a machine must reproduce: the network's rounded outputs or the task's labels.
    output_source : {"network", "labels"}
    visited : int64 array
        Indices of the distinct points that occur after a step (t >= 0), sorted; all points when
        the sequences are empty.
    """

    task: str
    points: np.ndarray
    counts: np.ndarray
    index: np.ndarray
    inputs: np.ndarray
    x_index: np.ndarray
    outputs: np.ndarray
    output_source: str
    visited: np.ndarray

    def __post_init__(self) -> None:
        _check_finite(np.asarray(self.points, dtype=np.float64), f"The points of StateData '{self.task}'")
        for a in (self.points, self.counts, self.index, self.inputs, self.x_index, self.outputs, self.visited):
            a.flags.writeable = False

    @property
    def n_points(self) -> int:
        return int(self.points.shape[0])

    @property
    def hidden_dim(self) -> int:
        return int(self.points.shape[1])

    @property
    def n_sequences(self) -> int:
        return int(self.index.shape[0])

    @property
    def n_steps(self) -> int:
        """Steps in ``index``: seq_len + 1 (the initial state is step 0)."""
        return int(self.index.shape[1])

    @property
    def initial(self) -> int:
        """Index of the initial state h_{-1} in ``points``."""
        return int(self.index[0, 0])

    def step_points(self, step: int) -> np.ndarray:
        """Indices of the distinct points that occur at ``step`` (0 = initial state)."""
        return np.unique(self.index[:, step])


def _check_finite(values: np.ndarray, what: str) -> None:
    """Raise a ConfigError naming the first NaN/inf (encodings and machines need finite states)."""
    bad = ~np.isfinite(values)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ConfigError(f"{what} hold {int(bad.sum())} non-finite value(s) (NaN or inf), the first at index "
                          f"{where}. The network diverged or the trace is corrupt: retrain the network or drop "
                          f"those sequences before extracting states.")


def prepare_states(trace: HiddenTrace, *,
                   outputs: Literal["network", "labels"] = "network") -> StateData:
    """De-duplicate a trace's hidden states and inputs.

    Parameters
    ----------
    trace : HiddenTrace
    outputs : {"network", "labels"}
        Which outputs the machine must reproduce: the network's rounded outputs (its behaviour,
        the default) or the task's labels.
    """
    if not isinstance(trace, HiddenTrace):
        raise ConfigError(f"The 'trace' parameter of prepare_states must be a HiddenTrace. "
                          f"Got {type(trace).__name__} instead.")
    check_choice("prepare_states", "outputs", outputs, ("network", "labels"))
    if trace.n_sequences == 0:
        raise ConfigError("The 'trace' parameter of prepare_states must hold at least one sequence. "
                          "Got 0 sequences instead.")
    _check_finite(trace.hidden, f"The hidden states of trace '{trace.task}'")
    if outputs == "network":
        _check_finite(trace.output, f"The network outputs of trace '{trace.task}'")
    n, s, h = trace.hidden.shape
    first, inverse, counts = in_first_visit_order(*unique_rows(trace.hidden.reshape(-1, h)))
    points = trace.hidden.reshape(-1, h)[first].copy()
    xf, xinv, _ = unique_rows(trace.x.reshape(-1, trace.x.shape[2]))
    inputs = trace.x.reshape(-1, trace.x.shape[2])[xf].copy()
    y = trace.predictions() if outputs == "network" else np.array(trace.y, dtype=np.int64)
    index = inverse.reshape(n, s)
    visited = np.unique(index[:, 1:]) if s > 1 else np.arange(points.shape[0])
    return StateData(task=trace.task, points=points, counts=counts, index=index,
                     inputs=inputs, x_index=xinv.reshape(n, s - 1), outputs=np.ascontiguousarray(y),
                     output_source=outputs, visited=visited)


def as_state_data(source: HiddenTrace | StateData, owner: str) -> StateData:
    """A finder's input as StateData (a HiddenTrace is de-duplicated with the network's outputs)."""
    if isinstance(source, StateData):
        return source
    if isinstance(source, HiddenTrace):
        return prepare_states(source)
    raise ConfigError(f"The 'data' parameter of {owner} must be a HiddenTrace or StateData. "
                      f"Got {type(source).__name__} instead.")
