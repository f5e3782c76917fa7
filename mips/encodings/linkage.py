"""Encoding stage, clustering core: single-linkage cuts at clear gaps (mips-method.md §8.5).

The minimum spanning tree of (a sample of) the distinct states gives the single-linkage merge
heights; a cut between two consecutive heights whose ratio is large separates noise inside a
cluster from the distance between clusters. Refinements for trained networks:

* the tree is built on the hidden coordinates and on whitened ones (so a change of the hidden
  basis, as the normalizers make, does not hide the clusters);
* a few long edges that only attach stragglers (a cluster's sparse tail) do not spoil a cut's
  score; they stay attached;
* clusters lighter than 0.1 % of the states (strays between clusters) get a variant of the cut
  where they join their nearest neighbour's cluster;
* points outside the sample join the cluster of their nearest sample point.

Used by the cluster, Boolean and modular encodings and, to merge noisy copies of one state, by the
lattice finders.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mips.margins import compare, compare_many, tolerant_order


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)   # arrays inside: identity equality
class Cut:
    """One way to merge points into clusters.

    Attributes
    ----------
    threshold : float
        Points closer than this (through a chain of points) share a cluster (in the coordinates
        the cut was found in: hidden or whitened).
    gap_ratio : float
        Shortest cut edge over the longest kept edge that joins two sizeable groups (larger =
        clearer); inf for "nothing merged" fallbacks and output splits without sub-clusters.
    labels : int64 array of shape (n_points,)
    centres : float64 array of shape (n_clusters, H)
    spread : float
        Longest spanning-tree edge inside a cluster, in hidden-state units (the noise scale; 0
        when nothing was merged).
    metric : float64 array of shape (H, r) or None
        The whitening the cut was found in (None: hidden coordinates).
    method : str
        ``"single-linkage"``, or ``"output-split"`` (states grouped by output first).
    """

    threshold: float
    gap_ratio: float
    labels: np.ndarray
    centres: np.ndarray
    spread: float = 0.0
    metric: np.ndarray | None = None
    method: str = "single-linkage"

    def prototypes(self, points: np.ndarray, per_cluster: int | None = None, seed: int = 0
                   ) -> tuple[np.ndarray, np.ndarray]:
        """Member points of each cluster (all of them up to about 4,000 in total, else a seeded
        sample of ``per_cluster`` each) and their cluster."""
        if per_cluster is None:
            per_cluster = max(16, 4_000 // max(self.n_clusters, 1))
        rng = np.random.default_rng(seed)
        idx = []
        for c in range(self.n_clusters):
            members = np.flatnonzero(self.labels == c)
            idx.append(members if members.size <= per_cluster else rng.choice(members, per_cluster, replace=False))
        idx = np.concatenate(idx)
        return points[idx], self.labels[idx]

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


def whitening(points: np.ndarray, rel_tol: float = 1e-10) -> tuple[np.ndarray, np.ndarray]:
    """Mean and matrix W such that (points − mean)·W has identity covariance.

    Directions without variance are dropped, so W is (H, r). Clustering in whitened coordinates
    does not depend on the hidden basis: any invertible change of basis of the network (what
    the normalizers do) gives the same clusters.
    """
    mean = points.mean(axis=0)
    centred = points - mean
    evals, evecs = np.linalg.eigh(centred.T @ centred / max(points.shape[0], 1))
    keep = compare_many("whitening: a direction's variance against the rank floor", evals, ">",
                        rel_tol * max(float(evals.max()), 1e-300), abs_margin=0.0)
    return mean, evecs[:, keep] / np.sqrt(evals[keep])


def minimum_spanning_tree(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Euclidean minimum spanning tree (Prim on the dense distance matrix, O(n^2)).

    Returns the edges' end points a, b and lengths w (the single-linkage merge heights), sorted
    by length.
    """
    n = points.shape[0]
    # squared distances coordinate by coordinate: element-wise, so the same bits on every machine
    # (the expanded form |p|² + |q|² − 2 p·q goes through BLAS and loses the last bits of near ties)
    dist = np.zeros((n, n))
    for j in range(points.shape[1]):
        d = points[:, j, None] - points[None, :, j]
        dist += d * d
    best = dist[0].copy()
    parent = np.zeros(n, dtype=np.int64)
    done = np.zeros(n, dtype=bool)
    done[0] = True
    best[0] = np.inf
    a, b, w = (np.zeros(max(n - 1, 0), dtype=np.int64), np.zeros(max(n - 1, 0), dtype=np.int64),
               np.zeros(max(n - 1, 0)))
    for k in range(n - 1):
        cur = int(np.argmin(best))
        a[k], b[k] = parent[cur], cur
        done[cur] = True
        row = dist[cur]
        closer = (row < best) & ~done
        best[closer], parent[closer] = row[closer], cur
        best[cur] = np.inf
    # exact lengths (the expanded form above loses precision for nearly equal points)
    w = np.linalg.norm(points[a] - points[b], axis=1) if n > 1 else w
    order = np.argsort(w, kind="stable")
    return a[order], b[order], w[order]


def _components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected component of each of n nodes given edges (a, b)."""
    # deferred: scipy takes about a second to import, and only fits need it
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(a.size), (a, b)), shape=(n, n))
    return connected_components(graph, directed=False)[1].astype(np.int64)


def single_linkage_cuts(points: np.ndarray, weights: np.ndarray | None = None, *, min_gap: float = 3.0,
                        max_clusters: int | None = 256, max_cuts: int = 3, max_sample: int = 1000,
                        must_include: int | None = None, seed: int = 0, separation: float = 1e-4,
                        outlier_fraction: float = 1e-3) -> list[Cut]:
    """Candidate clusterings of points: single-linkage cuts at clear gaps, best gap first.

    The spanning tree is built twice, on the hidden coordinates and on whitened coordinates
    (identity covariance; a change of the hidden basis, as the normalizers make, does not change
    those), and the cuts of both compete on their gap ratio. A cut with clusters that carry less
    than ``outlier_fraction`` of the weight (stray states between clusters) is followed by a
    variant where they join the cluster of their nearest neighbour.

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
        The tree is built on at most this many points (a seeded sample); the others join the
        cluster of their nearest sample point.
    must_include : int, optional
        Index of a point that is always in the sample (the initial state).
    separation : float
        "Every distinct point is its own cluster" is a candidate (ranked after every real gap) only
        when no two points are closer than ``separation`` times the extent of the points.
    """
    points = np.asarray(points, dtype=np.float64)
    n = points.shape[0]
    weights = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    if n == 1:
        return [Cut(threshold=0.0, gap_ratio=np.inf, labels=np.zeros(1, np.int64), centres=points.copy())]
    if n <= max_sample:
        sample_idx = np.arange(n)
    else:
        sample_idx = np.sort(np.random.default_rng(seed).choice(n, size=max_sample, replace=False))
        if must_include is not None and must_include not in sample_idx:
            sample_idx = np.sort(np.append(sample_idx, must_include))
    spaces: list[tuple[np.ndarray, np.ndarray | None]] = [(points, None)]
    mean, wmat = whitening(points[sample_idx])
    if 0 < wmat.shape[1] and not np.allclose(wmat @ wmat.T, np.eye(points.shape[1]) * wmat[0, 0] ** 2):
        spaces.append(((points - mean) @ wmat, wmat))
    found: list[tuple[float, float, np.ndarray, float, np.ndarray | None]] = []
    for space, metric in spaces:
        found.extend(c + (metric,) for c in _cuts_in(space, points, sample_idx, min_gap, max_clusters, max_cuts,
                                                      separation, must_include))
    # clearest gap first; gap ratios within the float margin of each other keep the order found
    # (hidden coordinates before whitened ones)
    found = tolerant_order(found, lambda c: -c[0])
    cuts: list[Cut] = []
    keep = None if must_include is None else must_include
    for ratio, thr, labels, spread, metric in found:
        if len(cuts) >= max_cuts:
            break
        for lab in (labels, _absorb_outliers(points, weights, labels, metric, keep, outlier_fraction)):
            if lab is None or any(c.n_clusters == int(lab.max()) + 1 and np.array_equal(c.labels, lab) for c in cuts):
                continue
            m = int(lab.max()) + 1
            cuts.append(Cut(threshold=thr, gap_ratio=ratio, labels=lab, centres=_centres(points, lab, weights, m),
                            spread=spread, metric=metric))
    return cuts


def _fragment_sizes(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """For edges sorted by length, the size of the smaller group each one joins (union-find)."""
    parent = np.arange(n)
    size = np.ones(n, dtype=np.int64)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    out = np.zeros(a.size, dtype=np.int64)
    for k, (i, j) in enumerate(zip(a.tolist(), b.tolist())):
        ri, rj = root(i), root(j)
        out[k] = min(size[ri], size[rj])
        if size[ri] < size[rj]:
            ri, rj = rj, ri
        parent[rj] = ri
        size[ri] += size[rj]
    return out


def _absorb_outliers(points: np.ndarray, weights: np.ndarray, labels: np.ndarray, metric: np.ndarray | None,
                     keep: int | None, fraction: float) -> np.ndarray | None:
    """Labels with the clusters lighter than ``fraction`` of the weight joined to their nearest
    neighbour's cluster, or None when there are none (the cluster of point ``keep`` stays)."""
    # deferred: scipy takes about a second to import, and only fits need it
    from scipy.spatial import cKDTree

    w = np.bincount(labels, weights=weights)
    tiny = w < fraction * w.sum()
    if keep is not None:
        tiny[labels[keep]] = False
    if not tiny.any() or tiny.all():
        return None
    space = points if metric is None else points @ metric
    big, small = np.flatnonzero(~tiny[labels]), np.flatnonzero(tiny[labels])
    _, nearest = cKDTree(space[big]).query(space[small])
    out = labels.copy()
    out[small] = labels[big[nearest]]
    return np.unique(out, return_inverse=True)[1].reshape(-1).astype(np.int64)


def _cuts_in(space: np.ndarray, points: np.ndarray, sample_idx: np.ndarray, min_gap: float,
             max_clusters: int | None, max_cuts: int, separation: float, protect: int | None = None):
    """(gap ratio, threshold, labels, spread) of the clear cuts of the spanning tree in ``space``."""
    # deferred: scipy takes about a second to import, and only fits need it
    from scipy.spatial import cKDTree

    n, sample, n_s = space.shape[0], space[sample_idx], sample_idx.size
    extent = float(np.max(np.ptp(sample, axis=0)))
    if extent == 0:
        return [(np.inf, 0.0, np.zeros(n, dtype=np.int64), 0.0)]
    floor = extent * 1e-9
    ea, eb, heights = minimum_spanning_tree(sample)
    lower = np.concatenate([[floor], np.maximum(heights, floor)])
    upper = np.concatenate([heights, [np.inf]])
    # cut i keeps the i shortest edges. Its score compares the shortest cut edge with the longest
    # kept edge that joins two sizeable groups: an edge that only attaches a straggler (a point or
    # two of a cluster's sparse tail) is kept but does not spoil the score
    max_skip = int(0.005 * n_s) if n_s >= 200 else 0
    straggler = _fragment_sizes(n_s, ea, eb) <= max_skip
    if protect is not None and protect in sample_idx:   # the initial state is isolated on purpose
        p = int(np.searchsorted(sample_idx, protect))
        straggler &= (ea != p) & (eb != p)
    bulk = np.maximum.accumulate(np.where(straggler, 0.0, heights))
    robust = np.concatenate([[floor], np.maximum(np.where(bulk > 0, bulk, heights), floor)])
    # at most ``max_skip`` kept edges may lie above the bulk (else the plain ratio counts)
    above = np.arange(robust.size) - np.searchsorted(heights, robust, side="right")
    robust = np.where(above <= max_skip, robust, lower)
    ratios = upper[:-1] / robust[:-1]
    # "no merge at all" is a fallback: it ranks below every real gap
    ratios[0] = (min_gap if compare("single linkage: the shortest merge height against the separation", heights[0],
                                    ">", separation * extent) else 0.0)
    clear = np.concatenate([[ratios[0] >= min_gap],
                            compare_many("single linkage: a gap ratio against the smallest clear gap", ratios[1:],
                                         ">=", min_gap)])
    # clearest first; ratios within the float margin of each other are tied (a self-similar set of
    # states, Bitwise_Not's, has one gap ratio at every level) and the coarser cut (more merges)
    # goes first, so "no merge at all" (ratio min_gap) ranks below a real gap of the same ratio
    order = tolerant_order(list(range(ratios.size)), lambda i: -float(ratios[i]), lambda i: -i)
    # a cut that merges only a handful of pairs sits in the sparse lower tail of the noise
    min_merges = max(2, int(0.02 * n_s))
    cand = [int(i) for i in order if clear[i] and (i == 0 or i >= min_merges)
            and (max_clusters is None or n_s - i <= max_clusters)]
    if not cand:
        return []
    nearest_cache: list = []

    def nearest_sample():                               # only cuts that merge need it
        if not nearest_cache:
            nearest_cache.append((np.zeros(n), np.arange(n)) if n_s == n else cKDTree(sample).query(space))
        return nearest_cache[0]

    edge_len = np.linalg.norm(points[sample_idx][ea] - points[sample_idx][eb], axis=1)   # hidden units
    out = []
    for i in cand[: max_cuts * 3]:
        if i == 0:
            if max_clusters is not None and n > max_clusters:
                continue
            labels, thr = np.arange(n), float(heights[0]) / 2
        else:
            thr = float(np.sqrt(lower[i] * upper[i]))
            sample_labels = _components(n_s, ea[:i], eb[:i])
            dist, nearest = nearest_sample()
            labels = sample_labels[nearest]
            # a point off the sample joins the cluster of its nearest sample point when closer
            # than the threshold; the others are linked among themselves at the threshold
            far = np.flatnonzero(dist > thr)
            if far.size:
                pairs = cKDTree(space[far]).query_pairs(thr, output_type="ndarray")
                labels = labels.copy()
                labels[far] = sample_labels.max() + 1 + _components(far.size, pairs[:, 0], pairs[:, 1])
        _, labels = np.unique(labels, return_inverse=True)
        labels = labels.astype(np.int64)
        if max_clusters is not None and labels.max() + 1 > max_clusters:
            continue
        out.append((float(ratios[i]), thr, labels, float(edge_len[:i].max()) if i else 0.0))
        if len(out) >= max_cuts:
            break
    return out
