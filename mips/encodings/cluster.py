"""Encoding stage: clusters of hidden states, coded as bits or one categorical variable (mips-method.md §8.5).

The paper ran spectral clustering with 2^(H+k) clusters and tried every permutation of the codes
((2^(H+k))! candidates, so at most 3 bits). Here the number of clusters comes from the data:
single-linkage (minimum spanning tree) merge heights of the distinct states, cut where the
ratio between consecutive heights is largest (noise inside a cluster is small, the distance
between clusters large). The clusters are then coded by their rank: ``ceil(log2 m)`` bits
(``boolean``) or one variable in ``0..m-1`` (``cluster``). No permutation search: the ranks
follow the output of each cluster, then the order of first visit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mips.encodings.base import Encoding, EncodingFailure
from mips.encodings.data import StateData, unique_rows
from mips.encodings.mdl import DEFAULT_EPS, finish


@dataclass(frozen=True, slots=True, kw_only=True)
class Cut:
    """One way to merge points into clusters.

    Attributes
    ----------
    threshold : float
        Points closer than this (through a chain of points) share a cluster.
    gap_ratio : float
        Merge height just above the cut over the one just below (larger = clearer).
    labels : int64 array of shape (n_points,)
    centres : float64 array of shape (n_clusters, H)
    spread : float
        Largest merge height inside a cluster (the noise scale; 0 when nothing was merged).
    """

    threshold: float
    gap_ratio: float
    labels: np.ndarray
    centres: np.ndarray
    spread: float = 0.0

    @property
    def n_clusters(self) -> int:
        return int(self.centres.shape[0])

    def noise(self, points: np.ndarray, weights: np.ndarray | None = None) -> float:
        """Noise scale: the larger of the RMS distance to the cluster centre and half the spread."""
        d2 = np.sum((points - self.centres[self.labels]) ** 2, axis=1)
        return max(float(np.sqrt(np.average(d2, weights=weights))), self.spread / 2)


def _centres(points: np.ndarray, labels: np.ndarray, weights: np.ndarray, m: int) -> np.ndarray:
    w = np.bincount(labels, weights=weights, minlength=m)
    out = np.stack([np.bincount(labels, weights=weights * points[:, j], minlength=m)
                    for j in range(points.shape[1])], axis=1)
    return out / w[:, None]


def _merge_heights(sample: np.ndarray):
    """Single-linkage tree of the sample and its merge heights (ascending)."""
    from scipy.cluster.hierarchy import linkage
    z = linkage(sample, method="single")
    return z, z[:, 2]


def _components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected component of each of n nodes given edges (a, b)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(a.size), (a, b)), shape=(n, n))
    return connected_components(graph, directed=False)[1].astype(np.int64)


def single_linkage_cuts(points: np.ndarray, weights: np.ndarray | None = None, *, min_gap: float = 3.0,
                        max_clusters: int | None = 256, max_cuts: int = 3, max_sample: int = 1000,
                        must_include: int | None = None, seed: int = 0, separation: float = 1e-4) -> list[Cut]:
    """Candidate clusterings of points: single-linkage cuts at clear gaps, best gap first.

    Parameters
    ----------
    points : float array of shape (n, H)
    weights : float array of shape (n,), optional
        Multiplicities (for the centres).
    min_gap : float
        Smallest accepted ratio between the merge heights just above and just below a cut.
    max_clusters : int or None
        Cuts with more clusters are dropped (None: no limit).
    max_cuts : int
    max_sample : int
        The linkage runs on at most this many points (a seeded sample); the others join the
        cluster of their nearest sample point.
    must_include : int, optional
        Index of a point that is always in the sample (the initial state).
    separation : float
        "Every distinct point is its own cluster" is a candidate (ranked after every real gap) only
        when no two points are closer than ``separation`` times the extent of the points.
    """
    from scipy.cluster.hierarchy import fcluster
    from scipy.spatial import cKDTree

    points = np.asarray(points, dtype=np.float64)
    n = points.shape[0]
    weights = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    if n == 1:
        return [Cut(threshold=0.0, gap_ratio=np.inf, labels=np.zeros(1, np.int64), centres=points.copy())]
    extent = float(np.max(np.ptp(points, axis=0)))
    floor = max(extent * 1e-9, 1e-300)
    if n <= max_sample:
        sample_idx = np.arange(n)
    else:
        sample_idx = np.sort(np.random.default_rng(seed).choice(n, size=max_sample, replace=False))
        if must_include is not None and must_include not in sample_idx:
            sample_idx = np.sort(np.append(sample_idx, must_include))
    n_s = sample_idx.size
    z, heights = _merge_heights(points[sample_idx])
    lower = np.concatenate([[floor], np.maximum(heights, floor)])
    upper = np.concatenate([heights, [np.inf]])
    ratios = upper[:-1] / lower[:-1]                     # cut i: the i smallest merges are applied
    # "no merge at all" is a fallback: it ranks below every real gap
    ratios[0] = min_gap if heights[0] > separation * extent else 0.0
    order = np.argsort(-ratios, kind="stable")
    # a cut that merges only a handful of pairs sits in the sparse lower tail of the noise
    min_merges = max(2, int(0.02 * n_s))
    cand = [int(i) for i in order if ratios[i] >= min_gap and (i == 0 or i >= min_merges)
            and (max_clusters is None or n_s - i <= max_clusters)]
    cuts: list[Cut] = []
    if not cand:
        return cuts
    dist, nearest = (np.zeros(n), np.arange(n)) if n_s == n else cKDTree(points[sample_idx]).query(points)
    for i in cand[: max_cuts * 3]:
        if i == 0:
            if max_clusters is not None and n > max_clusters:
                continue
            labels, thr = np.arange(n), float(heights[0]) / 2
        else:
            thr = float(np.sqrt(lower[i] * upper[i]))
            sample_labels = fcluster(z, thr, criterion="distance") - 1
            labels = sample_labels[nearest]
            # a point off the sample joins the cluster of its nearest sample point when closer
            # than the threshold; the others are linked among themselves at the threshold
            far = np.flatnonzero(dist > thr)
            if far.size:
                pairs = cKDTree(points[far]).query_pairs(thr, output_type="ndarray")
                labels = labels.copy()
                labels[far] = sample_labels.max() + 1 + _components(far.size, pairs[:, 0], pairs[:, 1])
        _, labels = np.unique(labels, return_inverse=True)
        m = int(labels.max()) + 1
        if (max_clusters is not None and m > max_clusters) or any(c.n_clusters == m for c in cuts):
            continue
        cuts.append(Cut(threshold=thr, gap_ratio=float(ratios[i]), labels=labels.astype(np.int64),
                        centres=_centres(points, labels, weights, m), spread=float(heights[i - 1]) if i else 0.0))
        if len(cuts) >= max_cuts:
            break
    return cuts


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


def encodings_from_cut(data: StateData, cut: Cut, *, eps: float = DEFAULT_EPS,
                       method: str = "single-linkage") -> list[Encoding]:
    """The Boolean and the categorical encoding of one clustering."""
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
    params = {"threshold": cut.threshold, "gap_ratio": cut.gap_ratio, "n_clusters": m,
              "initial_alias": alias}
    note = f"{m} clusters (gap ratio {cut.gap_ratio:.3g})"
    if alias is not None:
        note += ", initial state shares the code of a visited cluster"
    boolean = Encoding(kind="boolean", method=method, hidden_dim=data.hidden_dim,
                       variables=tuple(f"b{i}" for i in range(n_bits)), moduli=(None,) * n_bits,
                       centres=centres, centre_codes=bits, params=params)
    categorical = Encoding(kind="cluster", method=method, hidden_dim=data.hidden_dim, variables=("c",),
                           moduli=(None,), centres=centres, centre_codes=rank[:, None], params=params)
    return [finish(boolean, data, eps=eps, summary=note), finish(categorical, data, eps=eps, summary=note)]


def find_clusters(data: StateData, *, eps: float = DEFAULT_EPS, min_gap: float = 3.0,
                  max_clusters: int = 256, max_cuts: int = 3, seed: int = 0
                  ) -> list[Encoding] | EncodingFailure:
    """Boolean and categorical encodings of the clearest clusterings of the hidden states.

    Returns the encodings of up to ``max_cuts`` cuts (two per cut), or an EncodingFailure when the
    states show no gap of ratio ``min_gap`` with at most ``max_clusters`` clusters.
    """
    cuts = single_linkage_cuts(data.points, data.counts, min_gap=min_gap, max_clusters=max_clusters,
                               max_cuts=max_cuts, must_include=data.initial, seed=seed)
    if not cuts:
        return EncodingFailure(kind="cluster", method="single-linkage",
                               message=f"no clear cluster structure: no gap of ratio >= {min_gap:g} between "
                                       f"single-linkage merge heights with at most {max_clusters} clusters "
                                       f"({data.n_points} distinct states)")
    out: list[Encoding] = []
    for cut in cuts:
        out.extend(encodings_from_cut(data, cut, eps=eps))
    return out
