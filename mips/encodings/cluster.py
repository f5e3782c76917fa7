"""Encoding stage: clusters of hidden states, coded as bits or one categorical variable (mips-method.md §8.5).

The paper ran spectral clustering with 2^(H+k) clusters and tried every permutation of the codes
((2^(H+k))! candidates, so at most 3 bits). Here the number of clusters comes from the data:
single-linkage (minimum spanning tree) merge heights of the distinct states (in hidden and in
whitened coordinates, so a change of the hidden basis does not hide the clusters), cut where the
ratio between consecutive heights is largest (noise inside a cluster is small, the distance
between clusters large). The clusters are then coded by their rank: ``ceil(log2 m)`` bits
(``boolean``) or one variable in ``0..m-1`` (``cluster``). No permutation search: the ranks
follow the output of each cluster, then the order of first visit.
"""

from __future__ import annotations

import numpy as np

from mips.encodings.base import Encoding, EncodingFailure
from mips.encodings.centres import CentreKind
from mips.encodings.data import StateData, as_state_data, unique_rows
from mips.encodings.kind import Search
from mips.encodings.linkage import Cut, _centres, single_linkage_cuts
from mips.encodings.mdl import DEFAULT_EPS, finish
from mips.network.trace import HiddenTrace

#: Largest fraction of the states off their code's output for codes that "determine the output".
MAX_OUTPUT_EXCEPTIONS = 0.005


def state_labels(data: StateData, cut: Cut) -> np.ndarray:
    """Cluster of every (sequence, step), shape (n_sequences, n_steps)."""
    return cut.labels[data.index]


def successors(labels: np.ndarray, data: StateData, n_clusters: int) -> np.ndarray:
    """Majority successor cluster of each (cluster, input), -1 where never observed.

    Returns int64 array of shape (n_clusters, n_inputs).
    """
    n_in = data.inputs.shape[0]
    prev = labels[:, :-1].reshape(-1)
    nxt = labels[:, 1:].reshape(-1)
    x = data.x_index.reshape(-1)
    key = (prev * n_in + x) * n_clusters + nxt
    uniq, counts = np.unique(key, return_counts=True)
    pair, succ = np.divmod(uniq, n_clusters)
    order = np.lexsort((-counts, pair))                 # per pair, the most frequent successor first
    pair, succ = pair[order], succ[order]
    first = np.ones(pair.size, dtype=bool)
    first[1:] = pair[1:] != pair[:-1]
    table = np.full(n_clusters * n_in, -1, dtype=np.int64)
    table[pair[first]] = succ[first]
    return table.reshape(n_clusters, n_in)


def majority_outputs(labels: np.ndarray, data: StateData, n_clusters: int) -> np.ndarray:
    """Most frequent output class of each cluster over steps >= 1, -1 for clusters never visited there.

    Output classes number the distinct output vectors of the trace.
    """
    out = np.full(n_clusters, -1, dtype=np.int64)
    if data.outputs.shape[1] == 0:
        return out
    y = data.outputs.reshape(-1, data.outputs.shape[-1])
    _, y_class, _ = unique_rows(y)
    n_y = int(y_class.max()) + 1
    lab = labels[:, 1:].reshape(-1)
    uniq, counts = np.unique(lab * n_y + y_class, return_counts=True)
    cl, yc = np.divmod(uniq, n_y)
    order = np.lexsort((-counts, cl))
    cl, yc = cl[order], yc[order]
    first = np.ones(cl.size, dtype=bool)
    first[1:] = cl[1:] != cl[:-1]
    out[cl[first]] = yc[first]
    return out


def initial_alias(table: np.ndarray, init: int, candidates: np.ndarray) -> int | None:
    """A cluster that behaves like the initial state on every input seen from it, if any.

    The initial state h_{-1} = 0 often lies apart from every cluster the network visits later; its
    output is never observed, so it may share the code of a cluster with the same successors.
    """
    seen = table[init] >= 0
    for c in candidates:
        if c != init and np.array_equal(table[c][seen], table[init][seen]) and np.all(table[c][seen] >= 0):
            return int(c)
    return None


def _rank_clusters(labels: np.ndarray, data: StateData, members: np.ndarray, init: int) -> np.ndarray:
    """Order clusters: the initial one first, then by majority output, then by first visit."""
    m = members.size
    steps = np.broadcast_to(np.arange(data.n_steps), labels.shape)
    first_step = np.full(labels.max() + 1, np.iinfo(np.int64).max)
    np.minimum.at(first_step, labels.reshape(-1), steps.reshape(-1))
    out_key = np.zeros(labels.max() + 1)
    if data.outputs.shape[1]:
        flat_l = labels[:, 1:].reshape(-1)
        y = data.outputs[..., 0].reshape(-1)
        sums = np.bincount(flat_l, weights=y, minlength=out_key.size)
        cnt = np.bincount(flat_l, minlength=out_key.size)
        out_key = np.where(cnt > 0, sums / np.maximum(cnt, 1), -np.inf)
    keys = sorted(range(m), key=lambda i: (members[i] != init, out_key[members[i]],
                                           first_step[members[i]], members[i]))
    return members[np.array(keys, dtype=np.int64)]


def point_outputs(data: StateData) -> np.ndarray:
    """Most frequent output class of each distinct point over steps >= 1 (-1: only the initial state)."""
    y = data.outputs.reshape(-1, data.outputs.shape[-1])
    out = np.full(data.n_points, -1, dtype=np.int64)
    if y.shape[0] == 0:
        return out
    _, yc, _ = unique_rows(y)
    n_y = int(yc.max()) + 1
    pid = data.index[:, 1:].reshape(-1)
    uniq, counts = np.unique(pid * n_y + yc, return_counts=True)
    p, c = np.divmod(uniq, n_y)
    order = np.lexsort((-counts, p))
    first = np.ones(order.size, dtype=bool)
    first[1:] = p[order][1:] != p[order][:-1]
    out[p[order][first]] = c[order][first]
    return out


def output_exception_fraction(data: StateData, cut: Cut) -> float:
    """Fraction of the visited states whose output differs from the usual output of their cluster."""
    out = point_outputs(data)
    seen = out >= 0
    if not seen.any():
        return 0.0
    lab, y = cut.labels[seen], out[seen]
    n_y = int(y.max()) + 1
    pair, counts = np.unique(lab * n_y + y, return_counts=True)
    c = pair // n_y
    order = np.lexsort((-counts, c))
    first = np.ones(order.size, dtype=bool)
    first[1:] = c[order][1:] != c[order][:-1]
    return float(1.0 - counts[order][first].sum() / seen.sum())


def output_split_cut(data: StateData, *, min_gap: float = 3.0, max_clusters: int = 256, seed: int = 0
                     ) -> Cut | None:
    """Clusters found inside each output class: a Moore state determines its output, so states with
    different outputs are never merged, however close (weakly separated clusters of a network
    whose hidden basis was stretched). None above ``max_clusters`` clusters."""
    group = point_outputs(data)
    if np.unique(group).size > max_clusters:
        return None
    labels = np.zeros(data.n_points, dtype=np.int64)
    ratios, spread, nxt = [], 0.0, 0
    for g in np.unique(group):
        members = np.flatnonzero(group == g)
        sub = np.zeros(members.size, dtype=np.int64)
        if members.size > 1:
            cuts = single_linkage_cuts(data.points[members], data.counts[members], min_gap=min_gap,
                                       max_clusters=max_clusters, max_cuts=1, seed=seed)
            if cuts and cuts[0].n_clusters > 1:
                sub, spread = cuts[0].labels, max(spread, cuts[0].spread)
                ratios.append(cuts[0].gap_ratio)
        labels[members] = nxt + sub
        nxt += int(sub.max()) + 1
        if nxt > max_clusters:
            return None
    return Cut(threshold=float("nan"), gap_ratio=float(min(ratios)) if ratios else float("inf"), labels=labels,
               centres=_centres(data.points, labels, data.counts.astype(np.float64), nxt), spread=spread,
               method="output-split")


def encodings_from_cut(data: StateData, cut: Cut, *, eps: float = DEFAULT_EPS) -> list[Encoding]:
    """The Boolean and the categorical encoding of one clustering."""
    method = cut.method
    labels = state_labels(data, cut)
    m = cut.n_clusters
    init = int(labels[0, 0])
    table = successors(labels, data, m)
    visited = np.unique(labels[:, 1:]) if labels.shape[1] > 1 else np.array([init])
    alias = initial_alias(table, init, visited) if init not in set(visited.tolist()) else None
    members = visited if alias is not None else np.union1d(visited, [init])
    ranked = _rank_clusters(labels, data, members, init)
    rank = np.full(m, -1, dtype=np.int64)
    rank[ranked] = np.arange(ranked.size)
    if alias is not None:
        rank[init] = rank[alias]
    rank[rank < 0] = 0                                   # clusters never visited (not expected)
    n_codes = int(ranked.size)
    n_bits = max(1, int(np.ceil(np.log2(n_codes)))) if n_codes > 1 else 1
    bits = (rank[:, None] >> np.arange(n_bits - 1, -1, -1)[None, :]) & 1
    order = np.concatenate([ranked, np.setdiff1d(np.arange(m), ranked)])   # an aliased initial cluster last
    centres, rank, bits = cut.centres[order], rank[order], bits[order]
    position = np.empty(m, dtype=np.int64)
    position[order] = np.arange(m)
    protos, proto_cluster = cut.prototypes(data.points)
    shape = dict(prototypes=protos, prototype_clusters=position[proto_cluster], metric=cut.metric)
    params = {"threshold": cut.threshold, "gap_ratio": cut.gap_ratio, "n_clusters": m,
              "initial_alias": alias}
    note = f"{m} clusters (gap ratio {cut.gap_ratio:.3g})"
    if alias is not None:
        note += ", initial state shares the code of a visited cluster"
    boolean = Encoding(kind="boolean", method=method, hidden_dim=data.hidden_dim,
                       variables=tuple(f"b{i}" for i in range(n_bits)), moduli=(None,) * n_bits,
                       centres=centres, centre_codes=bits, params=params, **shape)
    categorical = Encoding(kind="cluster", method=method, hidden_dim=data.hidden_dim, variables=("c",),
                           moduli=(None,), centres=centres, centre_codes=rank[:, None], params=params, **shape)
    assignment = boolean.nearest_centre(data.points)       # the same clusters for both codes
    return [finish(boolean, data, eps=eps, summary=note, assignment=assignment),
            finish(categorical, data, eps=eps, summary=note, assignment=assignment)]


def find_clusters(data: StateData | HiddenTrace, *, eps: float = DEFAULT_EPS, min_gap: float = 3.0,
                  max_clusters: int = 256, max_cuts: int = 3, seed: int = 0
                  ) -> list[Encoding] | EncodingFailure:
    """Boolean and categorical encodings of the clearest clusterings of the hidden states.

    Returns the encodings of up to ``max_cuts`` cuts (two per cut), or an EncodingFailure when the
    states show no gap of ratio ``min_gap`` with at most ``max_clusters`` clusters.
    """
    data = as_state_data(data, "find_clusters")
    cuts = single_linkage_cuts(data.points, data.counts, min_gap=min_gap, max_clusters=max_clusters,
                               max_cuts=max_cuts, must_include=data.initial, seed=seed)
    split = output_split_cut(data, min_gap=min_gap, max_clusters=max_clusters, seed=seed)
    cuts += [split] if split is not None else []
    if not cuts:
        return EncodingFailure(kind="cluster", method="single-linkage",
                               message=f"no clear cluster structure: no gap of ratio >= {min_gap:g} between "
                                       f"single-linkage merge heights with at most {max_clusters} clusters "
                                       f"({data.n_points} distinct states)")
    out: list[Encoding] = []
    for cut in cuts:
        out.extend(encodings_from_cut(data, cut, eps=eps))
    return out


def _usable_cuts(data: StateData, min_gap: float, max_clusters: int, seed: int) -> tuple[list[Cut], str]:
    cuts = single_linkage_cuts(data.points, data.counts, min_gap=min_gap, max_clusters=max_clusters,
                               must_include=data.initial, seed=seed)
    split = output_split_cut(data, min_gap=min_gap, max_clusters=max_clusters, seed=seed)
    if split is not None and not any(np.array_equal(split.labels, c.labels) for c in cuts):
        cuts.append(split)
    if not cuts:
        return [], (f"no clear cluster structure: no gap of ratio >= {min_gap:g} between single-linkage merge "
                    f"heights with at most {max_clusters} clusters ({data.n_points} distinct states)")
    off = [output_exception_fraction(data, c) for c in cuts]
    usable = [c for c, f in zip(cuts, off) if f <= MAX_OUTPUT_EXCEPTIONS]
    if usable:
        return usable, ""
    best = int(np.argmin(off))
    return [], (f"no clustering determines the output: the best ({cuts[best].n_clusters} clusters, "
                f"{cuts[best].method}) leaves {100 * off[best]:.1f} % of the states off their cluster's output")


def usable_cuts(search: Search) -> tuple[list[Cut], str]:
    """Clusterings worth encoding (single-linkage cuts and the output split) that determine the
    output, else the reason there are none; computed once per search for every centre-based kind."""
    return search.shared("usable cuts", lambda: _usable_cuts(search.data, search.min_gap, search.max_clusters,
                                                              search.seed))


class _CutKind(CentreKind):
    """A kind that codes each usable clustering by the ranks of its clusters (``index`` into the
    pair :func:`encodings_from_cut` builds)."""

    index = 0

    def find(self, search: Search) -> list[Encoding | EncodingFailure]:
        cuts, reason = usable_cuts(search)
        if not cuts:
            return [EncodingFailure(kind=self.name, method="single-linkage", message=reason)]
        pairs = search.shared("cut encodings", lambda: [encodings_from_cut(search.data, cut, eps=search.eps)
                                                         for cut in cuts])
        return [pair[self.index] for pair in pairs]


class BooleanKind(_CutKind):
    """ceil(log2 m) bits: the binary code of the nearest of m cluster centres."""

    name = "boolean"
    description = "bits: the binary code of the nearest cluster"
    index = 0

    def variable_bits(self, values: np.ndarray) -> float:
        return 1.0


class ClusterKind(_CutKind):
    """One categorical variable: the index of the nearest of m cluster centres."""

    name = "cluster"
    description = "one categorical variable: the index of the nearest cluster"
    index = 1


BOOLEAN = BooleanKind()
CLUSTER = ClusterKind()
