"""Encoding stage: fitting a lattice h ≈ z·A + b to noisy points (mips-method.md §8.2, §8.3).

The pieces :mod:`mips.encodings.lattice` assembles into its two finders: the rank of the states,
short difference vectors, the GCD fit on arrays (:func:`fit_lattice_points`), the linear
finder's generators, least-squares refits, per-step offsets and the orientation of a basis.
"""

from __future__ import annotations

import math

import numpy as np

from mips.encodings.base import EncodingFailure
from mips.encodings.data import StateData, unique_rows
from mips.encodings.lattice_algebra import (
    lattice_from_vectors,
    least_squares,
    lll_reduce,
)
from mips.encodings.linkage import single_linkage_cuts
from mips.failure import Failure
from mips.margins import REL_MARGIN, compare, compare_many, tolerant_min


def _failed(message: str, method: str = "gcd") -> EncodingFailure:
    return EncodingFailure(kind="lattice", method=method, message=message)


def lattice_rank(points: np.ndarray, rank_tol: float = 1e-3, noise: float = 0.0) -> int:
    """Directions in which the points spread more than ``rank_tol`` of the widest one and more than
    three times the noise (root-mean-square, per point) left after merging noisy copies."""
    if points.shape[0] < 2:
        return 0
    centred = points - points.mean(axis=0)
    rms = np.sqrt(np.maximum(np.linalg.eigvalsh(centred.T @ centred), 0.0) / points.shape[0])[::-1]
    if not rms[0] > 0:
        return 0
    floor = max(rank_tol * rms[0], 3.0 * noise)
    return int(np.sum(compare_many("lattice rank: the spread of a direction against the rank floor", rms, ">", floor,
                                   abs_margin=1e-9 * rms[0])))


def difference_vectors(points: np.ndarray, *, max_sample: int = 600, n_neighbours: int | None = None,
                       seed: int = 0) -> np.ndarray:
    """Short differences between points (k nearest neighbours in a sample) and differences to point 0."""
    # deferred: scipy takes about a second to import, and only fits need it
    from scipy.spatial import cKDTree

    n = points.shape[0]
    rng = np.random.default_rng(seed)
    idx = np.arange(n) if n <= max_sample else np.concatenate([[0], rng.choice(np.arange(1, n), max_sample - 1,
                                                                                 replace=False)])
    sample = points[idx]
    k = min(n_neighbours or 2 * points.shape[1] + 2, sample.shape[0] - 1)
    _, nbr = cKDTree(sample).query(sample, k=k + 1)
    near = (sample[nbr[:, 1:]] - sample[:, None, :]).reshape(-1, points.shape[1])
    diffs = np.concatenate([near, sample[1:] - sample[0]])
    # a difference far shorter than the typical nearest-neighbour distance is leftover noise
    typical = float(np.median(np.linalg.norm(sample[nbr[:, 1]] - sample, axis=1)))
    return diffs[compare_many("lattice differences: a difference's length against a fifth of the typical one",
                              np.linalg.norm(diffs, axis=1), ">", 0.2 * typical)]


def refit(points: np.ndarray, weights: np.ndarray, basis: np.ndarray, offset: np.ndarray,
          n_iter: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Round points to the lattice, then refit basis and offset by weighted least squares."""
    a, b = basis, offset
    sw = np.sqrt(weights)[:, None]
    for _ in range(n_iter):
        z = np.round((points - b) @ np.linalg.pinv(a))
        design = np.concatenate([z, np.ones((z.shape[0], 1))], axis=1)
        gram = design.T @ design
        if np.linalg.cond(gram) > 1e12:                  # some coordinate never varies
            break
        sol = least_squares(design * sw, points * sw)
        a, b = sol[:-1], sol[-1]
    return a, b


def fit_lattice_points(points: np.ndarray, weights: np.ndarray | None = None, *, tol: float = 0.15,
                       max_denominator: int = 12, rank_tol: float = 1e-3, max_sample: int = 600,
                       seed: int = 0, outlier_fraction: float = 0.01, merge_noise: bool = True,
                       noise: float = 0.0) -> tuple[np.ndarray, np.ndarray] | EncodingFailure:
    """Basis A (k, H) and offset b (H,) of a lattice through noisy points (the GCD finder on arrays).

    Parameters
    ----------
    points : float array of shape (n, H)
    weights : float array of shape (n,), optional
    tol, max_denominator : see :func:`mips.encodings.lattice_algebra.lattice_from_vectors`
    merge_noise : bool
        First merge points closer than the clearest single-linkage gap (noisy copies of one
        lattice point), so that noise does not pass for a finer lattice.
    noise : float
        Known noise (RMS distance to the merged centre); directions that spread less than three
        times this do not count towards the rank.

    Returns the pair, or an EncodingFailure saying why no lattice was found.
    """
    points = np.asarray(points, dtype=np.float64)
    weights = np.ones(points.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    all_points, all_weights = points, weights
    if merge_noise and points.shape[0] > 1:
        cuts = single_linkage_cuts(points, weights, max_clusters=None, max_cuts=1, seed=seed)
        if cuts and cuts[0].n_clusters > 1:
            noise = max(noise, cuts[0].noise(points, weights))
            points = cuts[0].centres
            weights = np.bincount(cuts[0].labels, weights=weights, minlength=cuts[0].n_clusters)
    r = lattice_rank(points, rank_tol, noise)
    if r == 0:
        return _failed("fewer than two distinct states")
    diffs = difference_vectors(points, max_sample=max_sample, seed=seed)
    basis = lattice_from_vectors(diffs, r, tol=tol, max_denominator=max_denominator,
                                 outlier_fraction=outlier_fraction, noise=noise)
    if isinstance(basis, Failure) and merge_noise:      # noisier than ``tol`` allows: one looser try
        looser = lattice_from_vectors(diffs, r, tol=min(2 * tol, 0.3), max_denominator=max_denominator,
                                      outlier_fraction=outlier_fraction, noise=noise)
        basis = basis if isinstance(looser, Failure) else looser
    if isinstance(basis, Failure):
        return _failed(basis.message)
    a, b = refit(all_points, all_weights, basis, points[0])
    return lll_reduce(a), b


def step_offsets(basis: np.ndarray, offset: np.ndarray, data: StateData, tol: float = 0.25) -> np.ndarray | None:
    """Per-step offsets (n_steps, H) when early states sit on shifted copies of the lattice, else None."""
    pinv = np.linalg.pinv(basis)
    shifts = np.zeros((data.n_steps, basis.shape[0]))
    for s in range(data.n_steps):
        f = (data.points[data.step_points(s)] - offset) @ pinv
        f = f - np.round(f)
        mean = np.angle(np.mean(np.exp(2j * np.pi * f), axis=0)) / (2 * np.pi)
        spread = np.abs((f - mean + 0.5) % 1.0 - 0.5).max()
        if compare(f"per-step offsets: the spread of step {s} off its shifted lattice", spread, "<=", tol):
            shifts[s] = mean
    if compare("per-step offsets: the largest shift", np.abs(shifts).max(), "<", 0.02):
        return None
    return shifts @ basis


def orient(basis: np.ndarray, offset: np.ndarray, offsets: np.ndarray | None, data: StateData,
           tol: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """Move the origin to the initial state (if on the lattice) and flip variables to grow mostly upward."""
    pinv = np.linalg.pinv(basis)
    init = data.points[data.initial] - offset - (offsets[0] if offsets is not None else 0.0)
    z0 = init @ pinv
    pts = data.points[data.visited]
    z = np.round((pts - offset) @ pinv)
    if compare("lattice origin: the initial state's distance to the lattice", np.max(np.abs(z0 - np.round(z0))),
               "<=", tol):
        origin = np.round(z0)
    else:
        origin = z.min(axis=0)
    offset = offset + origin @ basis
    # the sign of a sum of integer codes, summed exactly (a float mean of zero could come out -1e-17)
    flip = np.array([-1.0 if math.fsum(col) < 0 else 1.0 for col in (z - origin).T])
    return basis * flip[:, None], offset


def linear_generators(data: StateData) -> np.ndarray:
    """x_i·W_h^k for every input column i and lag k, from a least-squares fit of the transitions."""
    prev = data.index[:, :-1].reshape(-1)
    nxt = data.index[:, 1:].reshape(-1)
    x = data.x_index.reshape(-1)
    first, _, _ = unique_rows(np.stack([prev, x, nxt], axis=1))
    h0, xi, h1 = data.points[prev[first]], data.inputs[x[first]].astype(np.float64), data.points[nxt[first]]
    design = np.concatenate([h0, xi, np.ones((h0.shape[0], 1))], axis=1)
    sol = least_squares(design, h1)
    wh, wx = sol[:data.hidden_dim], sol[data.hidden_dim:-1]
    gens = []
    for row in wx:
        v = row.copy()
        for _ in range(max(data.n_steps, 2 * data.hidden_dim + 2)):
            gens.append(v.copy())
            v = v @ wh
    gens = np.array(gens)
    norms = np.linalg.norm(gens, axis=1)
    if norms.size == 0 or norms.max() == 0:
        return gens[:0]
    alive = compare_many("linear lattice generators: a norm against 1e-9 of the largest", norms, ">",
                         1e-9 * norms.max(), abs_margin=0.0)
    gens, norms = gens[alive], norms[alive]
    # a nearly nilpotent W_h leaves tiny generators x·W_h^k below the noise: drop those under the
    # widest gap (ratio >= 10) between consecutive sorted norms
    sorted_norms = np.sort(norms)
    ratios = sorted_norms[1:] / sorted_norms[:-1]
    if ratios.size and compare("linear lattice generators: the widest gap between their norms", ratios.max(),
                               ">=", 10):
        # gaps within the float margin of the widest are tied (a contracting W_h has the same ratio
        # between every two lags): the lowest of them, as argmax takes the first of exact ties
        widest = tolerant_min(range(ratios.size), lambda i: -float(ratios[i]))
        cut = sorted_norms[int(widest) + 1]
        gens = gens[norms >= cut * (1.0 - REL_MARGIN)]      # a norm equal to the cut's but for its last bits stays
    return gens


def lattice_point_sets(data: StateData, seed: int = 0) -> list[tuple[str, np.ndarray, np.ndarray, float]]:
    """(name, points, weights, noise) to fit: the states of all steps and of the last step, raw (when
    they are well separated) or with noisy copies merged (the clearest single-linkage cuts)."""
    sets: list[tuple[str, np.ndarray, np.ndarray, float]] = []
    all_idx = data.visited
    for name, idx in (("all steps", all_idx), ("last step", data.step_points(data.n_steps - 1))):
        if name == "last step" and idx.size == all_idx.size:
            continue
        pts, w = data.points[idx], data.counts[idx].astype(np.float64)
        if pts.shape[0] < 2:
            continue
        cuts = [c for c in single_linkage_cuts(pts, w, max_clusters=None, max_cuts=2, seed=seed)
                if c.n_clusters >= 2]
        for cut in cuts:
            wc = np.bincount(cut.labels, weights=w, minlength=cut.n_clusters)
            label = name if cut.n_clusters == pts.shape[0] else f"{name}, {cut.n_clusters} clusters"
            sets.append((label, cut.centres, wc, cut.noise(pts, w)))
        if not cuts:
            sets.append((f"{name}, no clear clusters", pts, w, 0.0))
    return sets


def check_basis(fit: tuple[np.ndarray, np.ndarray], pts: np.ndarray, method: str
                ) -> tuple[np.ndarray, np.ndarray] | EncodingFailure:
    """The fit itself, or why its basis is unusable (degenerate, not finite, ill-conditioned)."""
    a, b = fit
    extent = float(np.max(np.ptp(pts, axis=0)))
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return _failed("the refitted basis is not finite", method)
    if a.shape[0] == 0 or np.linalg.norm(a, axis=1).min() <= 1e-9 * max(extent, 1e-300):
        return _failed("the refitted basis has a zero vector", method)
    sv = np.linalg.svd(a, compute_uv=False)
    if sv[-1] <= 1e-8 * sv[0]:
        return _failed("the refitted basis is singular", method)
    return a, b
