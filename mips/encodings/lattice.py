"""Encoding stage: integer lattices h ≈ z·A + b (mips-method.md §8.2, §8.3, §8.4).

Two finders, generalised beyond the paper (any hidden size, several inputs, every step):

``linear`` (§8.2)
    Least squares h' ≈ h·W_h + x·W_x + c over all distinct transitions; the generators
    x_i·W_h^k of every input column and lag span the lattice.
``gcd`` (§8.3)
    Short difference vectors between (noise-merged) states; a multi-dimensional Euclid
    (:func:`mips.encodings.lattice_algebra.lattice_from_vectors`) turns them into a basis.
    No C(32, H+1) determinants, so any H works.

Both then round all states to the lattice, refit A and b by least squares, LLL-reduce the basis,
orient it so the initial state is z = 0 and the codes mostly grow, and, for networks whose bias
drifts during the first steps (h_t lies on a shifted copy of the lattice at each early step),
fit one offset per step. The variant with the smallest description length (§8.4) is returned.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from mips.encodings.base import Encoding, EncodingFailure
from mips.encodings.linkage import single_linkage_cuts
from mips.encodings.data import StateData, as_state_data, unique_rows
from mips.encodings.lattice_algebra import least_squares, lattice_from_vectors, lll_reduce
from mips.encodings.mdl import DEFAULT_EPS, finish
from mips.errors import check_choice
from mips.network.trace import HiddenTrace


def lattice_rank(points: np.ndarray, rank_tol: float = 1e-3, noise: float = 0.0) -> int:
    """Directions in which the points spread more than ``rank_tol`` of the widest one and more than
    three times the noise (root-mean-square, per point) left after merging noisy copies."""
    if points.shape[0] < 2:
        return 0
    centred = points - points.mean(axis=0)
    rms = np.sqrt(np.maximum(np.linalg.eigvalsh(centred.T @ centred), 0.0) / points.shape[0])[::-1]
    return int(np.sum(rms > max(rank_tol * rms[0], 3.0 * noise))) if rms[0] > 0 else 0


def difference_vectors(points: np.ndarray, *, max_sample: int = 600, n_neighbours: int | None = None,
                       seed: int = 0) -> np.ndarray:
    """Short differences between points (k nearest neighbours in a sample) and differences to point 0."""
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
    return diffs[np.linalg.norm(diffs, axis=1) > 0.2 * typical]


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
                       noise: float = 0.0) -> tuple[np.ndarray, np.ndarray] | str:
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

    Returns the pair, or a message saying why no lattice was found.
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
        return "fewer than two distinct states"
    diffs = difference_vectors(points, max_sample=max_sample, seed=seed)
    basis, msg = lattice_from_vectors(diffs, r, tol=tol, max_denominator=max_denominator,
                                      outlier_fraction=outlier_fraction, noise=noise)
    if basis is None and merge_noise:                   # noisier than ``tol`` allows: one looser try
        basis, _ = lattice_from_vectors(diffs, r, tol=min(2 * tol, 0.3), max_denominator=max_denominator,
                                        outlier_fraction=outlier_fraction, noise=noise)
    if basis is None:
        return msg
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
        if spread <= tol:
            shifts[s] = mean
    if np.abs(shifts).max() < 0.02:
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
    if np.max(np.abs(z0 - np.round(z0))) <= tol:
        origin = np.round(z0)
    else:
        origin = z.min(axis=0)
    offset = offset + origin @ basis
    flip = np.where((z - origin).mean(axis=0) < 0, -1.0, 1.0)
    return basis * flip[:, None], offset


def _linear_generators(data: StateData) -> np.ndarray:
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
    gens, norms = gens[norms > 1e-9 * norms.max()], norms[norms > 1e-9 * norms.max()]
    # a nearly nilpotent W_h leaves tiny generators x·W_h^k below the noise: drop those under the
    # widest gap (ratio >= 10) between consecutive sorted norms
    sorted_norms = np.sort(norms)
    ratios = sorted_norms[1:] / sorted_norms[:-1]
    if ratios.size and ratios.max() >= 10:
        cut = sorted_norms[int(np.argmax(ratios)) + 1]
        gens = gens[norms >= cut]
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


def _check_basis(fit: tuple[np.ndarray, np.ndarray], pts: np.ndarray) -> tuple[np.ndarray, np.ndarray] | str:
    """The fit itself, or why its basis is unusable (degenerate, not finite, ill-conditioned)."""
    a, b = fit
    extent = float(np.max(np.ptp(pts, axis=0)))
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return "the refitted basis is not finite"
    if a.shape[0] == 0 or np.linalg.norm(a, axis=1).min() <= 1e-9 * max(extent, 1e-300):
        return "the refitted basis has a zero vector"
    sv = np.linalg.svd(a, compute_uv=False)
    if sv[-1] <= 1e-8 * sv[0]:
        return "the refitted basis is singular"
    return a, b


def _build(data: StateData, a: np.ndarray, b: np.ndarray, offs: np.ndarray | None, method: str,
           params: dict) -> Encoding:
    a, b = orient(a, b, offs, data)
    k = a.shape[0]
    return Encoding(kind="lattice", method=method, hidden_dim=data.hidden_dim,
                    variables=tuple(f"z{i}" for i in range(k)), moduli=(None,) * k, basis=a, offset=b,
                    step_offsets=offs, params=params)


def _quick_bits(enc: Encoding, data: StateData, sample: tuple[np.ndarray, np.ndarray], eps: float) -> float:
    """Residual and code bits per state on a sample of (sequence, step) pairs: a cheap pre-selection."""
    rows, steps = sample
    hidden = data.points[data.index[rows, steps]]
    codes = enc.encode(hidden, steps=steps)
    residual = hidden - enc.decode(codes, steps=steps)
    code = float(np.sum(np.log2(np.ptp(codes, axis=0) + 1.0))) if codes.size else 0.0
    return float(np.mean(np.sum(np.log2(1.0 + np.abs(residual) / eps), axis=1))) + code


def find_lattice(data: StateData | HiddenTrace, *, method: Literal["gcd", "linear"] = "gcd", eps: float = DEFAULT_EPS,
                 tols: tuple[float, ...] = (0.1, 0.25), max_denominator: int = 12, rank_tol: float = 1e-3,
                 seed: int = 0, point_sets: list | None = None, max_finished: int = 2) -> Encoding | EncodingFailure:
    """The lattice encoding of smallest description length found by one method.

    Parameters
    ----------
    data : StateData or HiddenTrace
    method : {"gcd", "linear"}
    eps : float
        Resolution of the description length.
    tols : tuple of float
        Integer tolerances tried (the paper's threshold grid, much smaller).
    max_denominator : int
        Largest refinement factor per step of the lattice Euclid.
    point_sets : list, optional
        Output of :func:`lattice_point_sets` (computed when omitted; pass it to share the work
        between the two methods).
    max_finished : int
        Variants (point set, tolerance, per-step offsets) whose full description length is
        computed; the others are dropped on a cheap pre-selection (residual and code bits on a
        sample of 4,000 states).
    """
    check_choice("find_lattice", "method", method, ("gcd", "linear"))
    data = as_state_data(data, "find_lattice")
    candidates: list[tuple[Encoding, str]] = []
    reasons: list[str] = []
    sets = lattice_point_sets(data, seed) if point_sets is None else point_sets
    if not sets:
        return EncodingFailure(kind="lattice", method=method, message="fewer than two distinct states")
    gens = _linear_generators(data) if method == "linear" else None
    done: list[tuple[np.ndarray, np.ndarray]] = []
    for name, pts, w, noise in sets:
        r = lattice_rank(pts, rank_tol, noise)
        for tol in tols:
            if method == "gcd":
                fit = fit_lattice_points(pts, w, tol=tol, max_denominator=max_denominator, rank_tol=rank_tol,
                                         seed=seed, merge_noise=False, noise=noise)
            else:
                if gens is None or gens.shape[0] == 0 or r == 0:
                    fit = "the least-squares transition map has no input direction"
                else:
                    basis, msg = lattice_from_vectors(gens, r, tol=tol, max_denominator=max_denominator)
                    fit = msg if basis is None else refit(pts, w, basis, data.points[data.initial])
                    if not isinstance(fit, str):
                        fit = (lll_reduce(fit[0]), fit[1])
            if not isinstance(fit, str):
                fit = _check_basis(fit, pts)
            if isinstance(fit, str):
                reasons.append(f"{name}, tol {tol:g}: {fit}")
                continue
            if any(fit[0].shape == f0.shape and np.allclose(fit[0], f0) and np.allclose(fit[1], f1)
                   for f0, f1 in done):     # bases of different ranks are different lattices
                continue
            done.append(fit)
            params = {"tol": tol, "max_denominator": max_denominator, "fitted_on": name,
                      "n_fit_points": int(pts.shape[0])}
            offs = step_offsets(fit[0], fit[1], data)
            for o in (None, offs) if offs is not None else (None,):
                note = f"fitted on {pts.shape[0]} states ({name})" + (", per-step offsets" if o is not None else "")
                candidates.append((_build(data, fit[0], fit[1], o, method, params), note))
    if not candidates:
        unique_reasons = list(dict.fromkeys(r.split(": ", 1)[1] for r in reasons))
        return EncodingFailure(kind="lattice", method=method, message="; ".join(unique_reasons[:3]))
    if len(candidates) > max_finished:                  # pre-select on residual and code bits of a sample
        rng = np.random.default_rng(seed)
        rows = rng.integers(0, data.n_sequences, size=4000)
        steps = rng.integers(0, data.n_steps, size=4000)
        candidates.sort(key=lambda c: _quick_bits(c[0], data, (rows, steps), eps))
    finished = [finish(enc, data, eps=eps, summary=note) for enc, note in candidates[:max_finished]]
    return min(finished, key=lambda e: e.description_length.total_bits)
