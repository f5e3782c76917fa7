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

from mips.encodings.base import Encoding, EncodingFailure, readonly
from mips.encodings.data import StateData, as_state_data
from mips.encodings.kind import EncodingKind, Rule, Search
from mips.encodings.lattice_algebra import (
    lattice_from_vectors,
    least_squares,
    lll_reduce,
)
from mips.encodings.lattice_fit import (
    check_basis,
    fit_lattice_points,
    lattice_point_sets,
    lattice_rank,
    linear_generators,
    orient,
    refit,
    step_offsets,
)
from mips.encodings.mdl import DEFAULT_EPS, distinct_transitions, encode_grid, finish
from mips.errors import ConfigError, check_choice
from mips.failure import Failure
from mips.margins import round_half, tolerant_min, tolerant_order
from mips.network.trace import HiddenTrace

__all__ = ["LATTICE", "LatticeKind", "find_lattice", "fit_lattice_points", "lattice_point_sets"]


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
    gens = linear_generators(data) if method == "linear" else None
    done: list[tuple[np.ndarray, np.ndarray]] = []
    for name, pts, w, noise in sets:
        r = lattice_rank(pts, rank_tol, noise)
        for tol in tols:
            if method == "gcd":
                fit = fit_lattice_points(pts, w, tol=tol, max_denominator=max_denominator, rank_tol=rank_tol,
                                         seed=seed, merge_noise=False, noise=noise)
            else:
                if gens is None or gens.shape[0] == 0 or r == 0:
                    fit = Failure(stage="encode", method=method,
                                  message="the least-squares transition map has no input direction")
                else:
                    basis = lattice_from_vectors(gens, r, tol=tol, max_denominator=max_denominator)
                    if not isinstance(basis, Failure):
                        a, b = refit(pts, w, basis, data.points[data.initial])
                        fit = (lll_reduce(a), b)
                    else:
                        fit = basis
            if not isinstance(fit, Failure):
                fit = check_basis(fit, pts, method)
            if isinstance(fit, Failure):
                reasons.append(f"{name}, tol {tol:g}: {fit.message}")
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
        bits = {id(c): _quick_bits(c[0], data, (rows, steps), eps) for c in candidates}
        candidates = tolerant_order(candidates, lambda c: bits[id(c)])     # near-ties: the order found
    finished = [finish(enc, data, eps=eps, summary=note) for enc, note in candidates[:max_finished]]
    return tolerant_min(finished, lambda e: e.description_length.total_bits)


# -- the kind ---------------------------------------------------------------------------------------
def _affine_rule(prev: np.ndarray, x: np.ndarray, nxt: np.ndarray, inputs: np.ndarray):
    """Best integer-affine rule z' = z·M + x·W + c on distinct triples: (theta, n_exceptions)."""
    design = np.concatenate([prev, inputs[x], np.ones((prev.shape[0], 1))], axis=1).astype(np.float64)
    theta = round_half("lattice update rule: a least-squares coefficient",
                       least_squares(design, nxt.astype(np.float64)))
    pred = np.round(design @ theta).astype(np.int64)
    return theta.astype(np.int64), int(np.sum(np.any(pred != nxt, axis=1)))


def _lattice_rule(codes: np.ndarray, data: StateData):
    """Affine rule fitted on the steps after the first, and the initial code it implies.

    The initial state h_{-1} = 0 often lies off the lattice; like its output, its code is free,
    so the rule is fitted without it and the initial code is the one the rule maps onto the
    observed first states (when one exists).

    Returns (theta, n_exceptions, initial_code or None).
    """
    k = codes.shape[-1]
    if codes.shape[1] > 2:
        prev, x, nxt = distinct_transitions(codes[:, 1:], data.x_index[:, 1:])
    else:
        prev, x, nxt = distinct_transitions(codes, data.x_index)
    theta, n_exc = _affine_rule(prev, x, nxt, data.inputs)
    m, w, c = theta[:k], theta[k:-1], theta[-1]
    x0, first = np.unique(data.x_index[:, 0], return_index=True)
    nxt0 = codes[first, 1]
    own = codes[0, 0]
    rhs = nxt0 - data.inputs[x0] @ w - c                              # must equal z0·M
    if np.all(own @ m == rhs):
        return theta, n_exc, None
    z0 = np.round(rhs[0].astype(np.float64) @ np.linalg.pinv(m.astype(np.float64))).astype(np.int64)
    if np.all(z0 @ m == rhs):
        return theta, n_exc, z0
    return theta, n_exc + int(np.sum(np.any(own @ m != rhs, axis=1))), None


def _affine_text(enc: Encoding, theta: np.ndarray, n_inputs: int) -> str:
    k = enc.n_vars
    names = list(enc.variables)
    xs = ["x"] if n_inputs == 1 else [f"x{i}" for i in range(n_inputs)]
    terms_all = names + xs + ["1"]
    lines = []
    for j in range(k):
        terms = []
        for coef, name in zip(theta[:, j], terms_all):
            if coef == 0:
                continue
            mag = "" if abs(coef) == 1 and name != "1" else str(abs(int(coef)))
            body = mag if name == "1" else (f"{mag}*{name}" if mag else name)
            terms.append(("- " if coef < 0 else "+ ") + body)
        rhs = " ".join(terms).lstrip("+ ") if terms else "0"
        if rhs.startswith("- "):
            rhs = "-" + rhs[2:]
        lines.append(f"{names[j]} <- {rhs}")
    return "; ".join(lines)


class LatticeKind(EncodingKind):
    """h ≈ z·A + b (+ a per-step offset), z = round((h − b)·A⁺); A is (k × H)."""

    name = "lattice"
    description = "integer coordinates on a lattice h ≈ z·A + b"
    #: the linear finder's basis comes from the network's own transition map; the GCD finder's from
    #: a sample of differences: of two equally short descriptions, the linear one is kept
    tie_order = ("linear", "gcd")

    def validate(self, enc: Encoding) -> None:
        if enc.basis is None or enc.offset is None:
            raise ConfigError("A lattice Encoding needs 'basis' and 'offset'.")
        for field in ("basis", "offset", "step_offsets"):
            object.__setattr__(enc, field, readonly(getattr(enc, field), np.float64))
        if enc.basis.shape != (enc.n_vars, enc.hidden_dim) or enc.offset.shape != (enc.hidden_dim,):
            raise ConfigError(f"Lattice basis must be ({enc.n_vars}, {enc.hidden_dim}) and offset "
                              f"({enc.hidden_dim},); got {enc.basis.shape} and {enc.offset.shape}.")

    def _offsets(self, enc: Encoding, shape: tuple[int, ...], steps) -> np.ndarray:
        if enc.step_offsets is None or steps is None:
            return enc.offset
        s = np.minimum(np.asarray(steps, dtype=np.int64), enc.step_offsets.shape[0] - 1)
        return enc.offset + enc.step_offsets[np.broadcast_to(s, shape)]

    def coordinates(self, enc: Encoding, hidden: np.ndarray, steps) -> np.ndarray:
        return (hidden - self._offsets(enc, hidden.shape[:-1], steps)) @ np.linalg.pinv(enc.basis)

    def encode(self, enc: Encoding, hidden: np.ndarray, steps) -> np.ndarray:
        return round_half("lattice code: a coordinate", self.coordinates(enc, hidden, steps)).astype(np.int64)

    def decode(self, enc: Encoding, codes: np.ndarray, steps) -> np.ndarray:
        return codes @ enc.basis + self._offsets(enc, codes.shape[:-1], steps)

    def codes_and_residuals(self, enc: Encoding, data: StateData, assignment: np.ndarray | None
                            ) -> tuple[np.ndarray, np.ndarray]:
        """h is reconstructed as z·A + b (with the offset of the step where it first occurs)."""
        if enc.step_offsets is not None:
            _, first = np.unique(data.index.reshape(-1), return_index=True)
            steps = first % data.n_steps
            residual = data.points - enc.decode(enc.encode(data.points, steps=steps), steps=steps)
        else:
            residual = data.points - enc.decode(enc.encode(data.points))
        return encode_grid(enc, data), residual

    def parameters(self, enc: Encoding) -> tuple[np.ndarray | None, ...]:
        return (enc.basis, enc.offset, enc.step_offsets)

    def rule(self, enc: Encoding, codes: np.ndarray, data: StateData,
             transitions: tuple[np.ndarray, np.ndarray, np.ndarray]) -> Rule:
        theta, n_exc, init = _lattice_rule(codes, data)
        return Rule(theta, n_exc, init, _affine_text(enc, theta, data.inputs.shape[1]))

    def project(self, enc: Encoding, hidden: np.ndarray, steps: np.ndarray, codes: np.ndarray,
                mean: np.ndarray, components: np.ndarray) -> dict[str, np.ndarray | None]:
        _, cluster = np.unique(codes, axis=0, return_inverse=True)
        return {"cluster": cluster.reshape(-1).astype(np.int64),
                "lattice": enc.coordinates(hidden, steps=steps),
                "basis": enc.basis @ components.T, "offset": (enc.offset - mean) @ components.T}

    def find(self, search: Search) -> list[Encoding | EncodingFailure]:
        """Both finders on the same point sets: the GCD finder, then the linear one."""
        sets = lattice_point_sets(search.data, search.seed)
        return [find_lattice(search.data, method=method, eps=search.eps, seed=search.seed, point_sets=sets)
                for method in ("gcd", "linear")]


LATTICE = LatticeKind()
