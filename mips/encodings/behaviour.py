"""Encoding stage: states grouped by what the network does next (beyond the paper, §8).

The geometric finders group hidden states by distance. A network may keep two states that mean
the same thing far apart, or two that mean different things close together (elongated clusters,
a carry bit squeezed into a corner). This finder asks the network instead: from every distinct
hidden state it runs the network's own step function on every probe input sequence of length L
(all of them, with L as large as 256 probes allow) and records the rounded outputs, with the
state's own output. States with
the same outputs on every probe behave alike, to depth L, and share a code: a Myhill-Nerode
quotient of the network itself, cut off at depth L. The FSM stage then checks that the groups
form a deterministic machine on every traced step.
"""

from __future__ import annotations

import numpy as np

from mips.encodings.base import Encoding, EncodingFailure
from mips.encodings.data import StateData, row_keys
from mips.encodings.mdl import DEFAULT_EPS, finish
from mips.errors import check_int
from mips.margins import round_half
from mips.network.interface import RecurrentNetwork
from mips.network.mips_network import as_network
from mips.network.rnn import RNNWeights

MAX_PROBES = 256
MAX_WORK = 40_000_000          # points x probes x steps x (rough) layer width


def probe_signatures(network: RecurrentNetwork, points: np.ndarray, inputs: np.ndarray, length: int,
                     chunk: int = 4096) -> np.ndarray:
    """A 64-bit key per point: the hash of the network's rounded output at that point and its
    rounded outputs on every input sequence of ``length`` steps over ``inputs`` (m, I) started there."""
    m = inputs.shape[0]
    probes = np.array(np.meshgrid(*[np.arange(m)] * length, indexing="ij")).reshape(length, -1).T  # (P, L)
    keys = np.zeros(points.shape[0], dtype=np.uint64)
    with np.errstate(over="ignore"):
        for start in range(0, points.shape[0], chunk):
            h = points[start:start + chunk][:, None, :].repeat(probes.shape[0], axis=1)    # (c, P, H)
            outs = [_rounded(network.readout(h))]    # the state's own output too
            for t in range(length):
                h = network.step(h, inputs[probes[:, t]][None].astype(np.float64))
                outs.append(_rounded(network.readout(h)))
            sig = np.concatenate(outs, axis=2).reshape(h.shape[0], -1)                    # (c, P*L*O)
            keys[start:start + chunk] = row_keys(sig)
    return keys


def _rounded(output: np.ndarray) -> np.ndarray:
    """The network's rounded outputs; an output half-way between two integers is reported (its
    last bits decide where it rounds)."""
    return round_half("behaviour: a probed network output", output).astype(np.int64)


def _follow_the_machine(data: StateData, position: np.ndarray) -> int:
    """Give each unprobed traced state (``position`` -1) the group the probed states' machine leads
    to: the most frequent successor group of (its predecessor's group, its input) among probed
    transitions, step by step along the trace. Returns how many points were assigned."""
    index, xi = data.index, data.x_index
    n_in = data.inputs.shape[0]
    n_groups = int(position.max()) + 1
    src, dst = position[index[:, :-1]], position[index[:, 1:]]
    known = (src >= 0) & (dst >= 0)
    counts = np.zeros((n_groups, n_in, n_groups), dtype=np.int64)
    np.add.at(counts, (src[known], xi[known], dst[known]), 1)
    delta = np.where(counts.sum(axis=2) > 0, counts.argmax(axis=2), -1)          # (group, input)
    assigned = 0
    for t in range(1, index.shape[1]):
        prev, here = position[index[:, t - 1]], index[:, t]
        todo = (position[here] < 0) & (prev >= 0)
        if todo.any():
            nxt = delta[prev[todo], xi[todo, t - 1]]
            ok = nxt >= 0
            pts = here[todo][ok]
            position[pts] = nxt[ok]
            assigned += int(np.unique(pts).size)
    return assigned


def find_behavioural(data: StateData, network: RecurrentNetwork | RNNWeights, *, length: int | None = None, max_clusters: int = 256,
                     max_points: int = 20_000, eps: float = DEFAULT_EPS, seed: int = 0,
                     within_length: bool = False) -> Encoding | EncodingFailure:
    """Group the traced hidden states by the network's outputs on all probe sequences.

    Parameters
    ----------
    data : StateData
        The traced states (of ``network``).
    network : RecurrentNetwork (or the RNNWeights of a MIPS RNN)
        The network whose step function is probed.
    length : int, optional
        Probe length (default: as long as ``MAX_PROBES`` probes allow). Keep it short: from a
        state late in a sequence, long probes run the network past the length it was trained on,
        where its outputs need not be right, and split states that are really the same.
    max_clusters : int
        More behaviours than this is not a small finite machine (failure).
    max_points : int
        Distinct states probed (a random sample beyond it; the others take the group of their
        nearest probed state).
    within_length : bool
        Probe only states reached early enough that the probe ends within the traced length (the
        length the network was trained on); later states take the group of their nearest probed
        state. For networks whose states never collapse (Div_3: every prefix its own point), the
        late states' long probes are where the network's outputs stop being right. A later state
        takes the group that the machine of the probed states leads to from its predecessor's
        group on its input (the majority successor), else the group of its nearest probed state;
        the program found from it is checked against the network on every step later.
    """
    owner = "find_behavioural"
    check_int(owner, "max_clusters", max_clusters, 2)
    check_int(owner, "max_points", max_points, 10)
    network = as_network(network)
    if network.hidden_dim != data.hidden_dim:
        return EncodingFailure(kind="cluster", method="behaviour",
                               message=f"the network has H = {network.hidden_dim}, the trace {data.hidden_dim}")
    inputs = np.asarray(data.inputs, dtype=np.float64)
    length = _probe_length(inputs.shape[0], length)
    n_probes = inputs.shape[0] ** length
    sample = _probed_states(data, n_probes * length * max(network.step_width, 1), length,
                            max_points=max_points, within_length=within_length, seed=seed)
    keys = probe_signatures(network, data.points[sample], inputs, length)
    uniq, groups = np.unique(keys, return_inverse=True)
    n_groups = uniq.size
    if n_groups > max_clusters:
        return EncodingFailure(kind="cluster", method="behaviour",
                               message=f"{n_groups} distinct behaviours on {n_probes} probes of length {length} "
                                       f"(more than {max_clusters}): not a small finite machine")
    position = np.full(data.n_points, -1, dtype=np.int64)
    position[sample] = groups
    if within_length:
        n_late = _follow_the_machine(data, position)
        sample = np.flatnonzero(position >= 0)
        groups = position[sample]
    rank = _codes_by_first_visit(data, position, n_groups)
    enc = Encoding(kind="cluster", method="behaviour", hidden_dim=data.hidden_dim, variables=("c",),
                   moduli=(None,), centres=_group_means(data.points[sample], rank[groups], n_groups),
                   centre_codes=np.arange(n_groups)[:, None],
                   prototypes=data.points[sample], prototype_clusters=rank[groups],
                   params={"probe_length": length, "n_probes": n_probes, "n_probed_points": int(sample.size)})
    note = (f"{n_groups} behaviours of {sample.size} probed states on all {n_probes} input sequences "
            f"of length {length}" + (f", states probed only where the probe stays within the traced length "
                                      f"({n_late} later states given the group the probed machine leads to)"
                                      if within_length else ""))
    return finish(enc, data, eps=eps, summary=note)


def _probe_length(m: int, length: int | None) -> int:
    """The probe length: ``length`` (at least 1), at most the longest whose ``m`` ** length probes
    stay within ``MAX_PROBES`` (and that longest when ``length`` is None)."""
    longest = 1
    while m ** (longest + 1) <= MAX_PROBES:
        longest += 1
    return longest if length is None else max(1, min(int(length), longest))


def _probed_states(data: StateData, work_per_state: int, length: int, *, max_points: int,
                   within_length: bool, seed: int) -> np.ndarray:
    """The indices of the traced states to probe (``work_per_state``: probes x steps x layer width):
    all of them (only those whose probes of ``length`` end within the traced length when
    ``within_length``), or a sample weighted by visits, within ``max_points`` and ``MAX_WORK``."""
    budget = max(100, int(MAX_WORK // max(1, work_per_state)))
    pool = np.arange(data.n_points)
    if within_length:
        pool = np.unique(data.index[:, : max(1, data.index.shape[1] - length)])
    n_sample = min(max_points, budget, pool.size)
    rng = np.random.default_rng(seed)
    if n_sample < pool.size:
        # weight by visits so that common states are always probed; keep the initial state
        p = data.counts[pool] / data.counts[pool].sum()
        sample = rng.choice(pool, size=n_sample, replace=False, p=p)
        return np.union1d(sample, [data.initial])
    return pool


def _codes_by_first_visit(data: StateData, position: np.ndarray, n_groups: int) -> np.ndarray:
    """The code of each group (``position``: group of each traced state, -1 if none): groups
    numbered in the order the trace first visits them (the initial state's group first), then
    the groups it never visits."""
    order = []
    for idx in data.index.reshape(-1):           # first visits along the trace
        g = position[idx]
        if g >= 0 and g not in order:
            order.append(int(g))
            if len(order) == n_groups:
                break
    order += [g for g in range(n_groups) if g not in order]
    rank = np.empty(n_groups, dtype=np.int64)
    rank[order] = np.arange(n_groups)
    return rank


def _group_means(points: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """The centre of each code: the mean of its ``points``."""
    centres = np.zeros((n_groups, points.shape[1]))
    np.add.at(centres, codes, points)
    centres /= np.bincount(codes, minlength=n_groups)[:, None]
    return centres
