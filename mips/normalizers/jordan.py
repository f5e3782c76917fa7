"""Stage 2 (simplification): Jordan normal form of the recurrence, normalizer 2 of 5 (mips-method.md §7.2).

The effective recurrence ``W`` (hidden columns of the product of f's weight matrices) is brought
to *real* Jordan form by the basis change ``h' = T⁻¹ h``:

1. eigenvalues closer than ε are grouped. The paper required the relation to be transitive
   and gave up otherwise (``grouping="clique"``); by default the transitive closure is used
   (``"linkage"``), because a slightly perturbed nilpotent block (a trained shift register)
   has its eigenvalues spread on a circle of radius ~δ^(1/k), which is rarely a clique;
2. each group gets its invariant subspace, the range of ``∏_{j outside} (W − λ_j I)``;
3. on that subspace ``N = W − λ̄ I`` (λ̄ the group mean) is reduced to a unitary staircase form
   (Kublanovskaya): singular values ≤ a rank tolerance count as kernel, level by level; dropping
   the parts below the staircase makes N exactly nilpotent, and its Jordan chains are read off
   level by level (a group with N ≈ 0 is diagonalised by its eigenvectors when they are well
   conditioned). The paper's rank tolerance was ε itself; by default several tolerances are
   tried and the basis closest to its ideal Jordan matrix wins;
4. a complex chain ``v`` (eigenvalue ``a + ib``, b > 0) becomes the real columns
   ``√2 Re v, √2 Im v``, i.e. 2×2 blocks ``[[a, b], [−b, a]]`` with ``I₂`` above them.

Blocks are ordered by decreasing |λ|, then decreasing Re λ; within a group, longer chains first.
The paper repeated its construction three times; this one is exact up to the dropped parts, so
one pass suffices. A basis that is singular, or that makes a parameter non-finite or larger than
1e4, is reverted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from mips.errors import ConfigError, check_choice, check_float
from mips.failure import Failure
from mips.margins import compare, compare_many, is_near
from mips.network.rnn import RNNWeights
from mips.normalizers.basis import MAX_CONDITION, change_basis, effective_maps, is_explosive
from mips.normalizers.step import NormalizerData, NormalizerStep, Proposal, run_normalizer
from mips.tasks.dataset import Dataset

NAME = "jnf"
DEFAULTS = {"epsilon": 0.7, "rank_tolerance": None, "grouping": "linkage"}
_EIGVEC_MAX_CONDITION = 1e6


@dataclass(frozen=True, slots=True)
class JordanBlock:
    """One Jordan block: eigenvalue and chain length (a complex block spans ``2 * size`` real dims)."""

    eigenvalue: complex
    size: int

    @property
    def is_complex(self) -> bool:
        return self.eigenvalue.imag != 0.0

    @property
    def real_size(self) -> int:
        return 2 * self.size if self.is_complex else self.size

    def describe(self) -> str:
        lam = self.eigenvalue
        value = f"{lam.real:.3g}" if not self.is_complex else f"{lam.real:.3g}±{lam.imag:.3g}i"
        return f"J{self.size}({value})"


@dataclass(frozen=True, slots=True, kw_only=True)
class JordanForm:
    """Result of :func:`real_jordan_basis` when a Jordan basis was found."""

    basis: np.ndarray
    blocks: tuple[JordanBlock, ...]
    message: str
    deviation: float = float("nan")     # max |T⁻¹WT − ideal Jordan matrix|


def jordan_matrix(blocks: tuple[JordanBlock, ...] | list[JordanBlock]) -> np.ndarray:
    """The ideal real Jordan matrix of ``blocks`` (the target of :func:`real_jordan_basis`)."""
    n = sum(b.real_size for b in blocks)
    j = np.zeros((n, n))
    at = 0
    for b in blocks:
        a, w = b.eigenvalue.real, b.eigenvalue.imag
        if b.is_complex:
            for i in range(b.size):
                k = at + 2 * i
                j[k:k + 2, k:k + 2] = [[a, w], [-w, a]]
                if i > 0:
                    j[k - 2:k, k:k + 2] = np.eye(2)
        else:
            j[at:at + b.size, at:at + b.size] = a * np.eye(b.size) + np.eye(b.size, k=1)
        at += b.real_size
    return j


def real_jordan_basis(matrix: np.ndarray, epsilon: float = 0.7, rank_tolerance: float | None = None,
                      grouping: Literal["linkage", "clique"] = "linkage") -> JordanForm:
    """A real basis T in which ``T⁻¹ W T`` is (approximately) the real Jordan form of W.

    Parameters
    ----------
    matrix : ndarray of shape (n, n)
        The recurrence W.
    epsilon : float
        Eigenvalues closer than this are treated as equal (grouped).
    rank_tolerance : float, optional
        Singular values at most this count as zero when the Jordan chains are built. The paper
        used ``epsilon`` for both; by default (None) every tolerance ``epsilon · 10^(-k/2)``,
        k = 0 … 6, is tried and the basis closest to its ideal Jordan matrix is kept.
    grouping : "linkage" or "clique"
        "linkage" groups by the transitive closure of "closer than epsilon"; "clique" (the
        paper) gives up when that closure joins two eigenvalues further apart than epsilon.

    Returns
    -------
    JordanForm or Failure
        ``basis`` (n, n) and the blocks, or a Failure (stage ``"normalize"``, method ``"jnf"``)
        saying why no Jordan basis was found.
    """
    owner = "real_jordan_basis"
    epsilon = check_float(owner, "epsilon", epsilon, 0.0, 1e12, low_open=True)
    if rank_tolerance is not None:
        rank_tolerance = check_float(owner, "rank_tolerance", rank_tolerance, 0.0, 1e12, low_open=True)
    check_choice(owner, "grouping", grouping, ("linkage", "clique"))
    w = np.asarray(matrix, dtype=np.float64)
    if w.ndim != 2 or w.shape[0] != w.shape[1] or w.shape[0] == 0:
        raise ConfigError(f"The 'matrix' parameter of real_jordan_basis must be a non-empty square matrix. "
                          f"Got shape {w.shape} instead.")
    if not np.all(np.isfinite(w)):
        return _failed("the recurrence matrix is not finite")
    ev = np.linalg.eigvals(w)
    groups, merged = _group(ev, epsilon)
    if merged and grouping == "clique":
        return _failed(merged)
    note = f"; {merged}, merged" if merged else ""
    if rank_tolerance is not None:
        attempts = [(rank_tolerance, True)]
    else:   # strict attempts first (every staircase level has a singular value within tolerance)
        attempts = [(epsilon * 10 ** (-k / 2), False) for k in range(7)] + [(epsilon, True)]
    best: tuple[float, np.ndarray, tuple[JordanBlock, ...]] | None = None
    failure = ""
    for tol, force in attempts:
        if force and best is not None:
            break
        found = _basis(w, ev, groups, tol, force)
        if isinstance(found, Failure):
            failure = found.message
            continue
        basis, blocks = found
        deviation = float(np.max(np.abs(np.linalg.solve(basis, w @ basis) - jordan_matrix(blocks))))
        # a later tolerance must be closer to its ideal form beyond the float margin (near ties: the first)
        if best is None or (deviation < best[0] and not is_near(deviation, best[0], abs_margin=1e-12)):
            best = (deviation, basis, blocks)
    if best is None:
        return _failed(failure + note)
    deviation, basis, blocks = best
    basis.flags.writeable = False
    return JordanForm(basis=basis, blocks=blocks, deviation=deviation,
                      message="blocks " + " ".join(b.describe() for b in blocks) + note)


def _failed(message: str) -> Failure:
    return Failure(stage="normalize", method=NAME, message=message)


def _basis(w: np.ndarray, ev: np.ndarray, groups: list[np.ndarray], tol: float, force: bool
           ) -> tuple[np.ndarray, tuple[JordanBlock, ...]] | Failure:
    """Jordan basis for fixed eigenvalue groups and rank tolerance, or a Failure saying why none."""
    n = w.shape[0]
    partner = np.array([int(np.argmin(np.abs(ev - np.conj(lam)))) for lam in ev])
    group_of = {int(i): g for g, members in enumerate(groups) for i in members}
    means = [complex(np.mean(ev[g])) for g in groups]
    order = sorted(range(len(groups)), key=lambda g: (-round(abs(means[g]), 12), -round(means[g].real, 12),
                                                      -means[g].imag))
    done: set[int] = set()
    columns: list[np.ndarray] = []
    blocks: list[JordanBlock] = []
    for g in order:
        if g in done:
            continue
        twin = group_of[int(partner[groups[g][0]])]
        is_real = bool(np.all(np.isin(partner[groups[g]], groups[g])))
        if not is_real and means[g].imag < 0:
            g, twin = twin, g
        done.update((g, twin))
        lam = means[g].real if is_real else means[g]
        members = groups[g]
        outside = np.setdiff1d(np.arange(n), members)
        q = _invariant_subspace(w, ev, outside, len(members), is_real)       # (n, m)
        b = q.conj().T @ w @ q                                                # (m, m)
        found = _jordan_chains(b - lam * np.eye(len(members)), tol, is_real, force)
        if isinstance(found, Failure):
            return found
        chains, sizes = found
        vectors = q @ chains                                                  # (n, m)
        if is_real:
            columns.extend(vectors.real.T)
        else:
            for v in vectors.T:
                columns.extend((np.sqrt(2) * v.real, np.sqrt(2) * v.imag))
        blocks.extend(JordanBlock(complex(lam), k) for k in sizes)
    basis = np.column_stack(columns) if columns else np.zeros((n, 0))
    if basis.shape != (n, n) or not np.all(np.isfinite(basis)):
        return _failed(f"the Jordan chains span {basis.shape[1]} of {n} dimensions")
    cond = np.linalg.cond(basis)
    if not np.isfinite(cond) or cond > MAX_CONDITION:
        return _failed(f"the Jordan basis is singular (condition number {cond:.3g})")
    return basis, tuple(blocks)


def _group(ev: np.ndarray, epsilon: float) -> tuple[list[np.ndarray], str]:
    """Connected components of ``|λ_i − λ_j| < ε``, and a note on components that are not cliques."""
    close = compare_many("Jordan form: the distance between two eigenvalues against epsilon",
                         np.abs(ev[:, None] - ev[None, :]), "<", epsilon)
    label = np.full(len(ev), -1)
    groups = []
    note = ""
    for i in range(len(ev)):
        if label[i] >= 0:
            continue
        stack, members = [i], []
        label[i] = len(groups)
        while stack:
            k = stack.pop()
            members.append(k)
            for j in np.flatnonzero(close[k] & (label < 0)):
                label[j] = len(groups)
                stack.append(int(j))
        members = np.array(sorted(members))
        if not np.all(close[np.ix_(members, members)]) and not note:
            values = ", ".join(f"{v:.3g}" for v in ev[members])
            note = f"eigenvalue grouping with epsilon={epsilon:g} is not transitive (eigenvalues {values})"
        groups.append(members)
    return groups, note


def _invariant_subspace(w: np.ndarray, ev: np.ndarray, outside: np.ndarray, m: int, real: bool) -> np.ndarray:
    """Orthonormal basis (n, m) of the range of ``∏_{j in outside} (W − λ_j I)``."""
    n = w.shape[0]
    if len(outside) == 0:
        return np.eye(n) if real else np.eye(n, dtype=complex)
    p = np.eye(n, dtype=complex)
    for j in outside:
        p = (w - ev[j] * np.eye(n)) @ p
        norm = np.linalg.norm(p)
        if norm > 0:
            p /= norm
    if real:
        p = p.real
    u, _, _ = np.linalg.svd(p)
    return u[:, :m]


def _jordan_chains(nil: np.ndarray, epsilon: float, real: bool, force: bool = True
                   ) -> tuple[np.ndarray, list[int]] | Failure:
    """Jordan chains of an (almost) nilpotent ``nil`` (m, m): columns ``[Sᵏ⁻¹h, …, Sh, h]`` per chain.

    With ``force`` every staircase level takes at least its smallest singular direction as kernel;
    without it, a level with no singular value within ``epsilon`` gives a :class:`Failure`.
    """
    m = nil.shape[0]
    dtype = np.float64 if real else complex
    nil = nil.real if real else nil.astype(complex)
    if m == 1 or compare("Jordan form: the norm of a group's nilpotent part against the rank tolerance",
                         np.linalg.norm(nil, 2), "<=", epsilon):
        return _diagonal_basis(nil, real), [1] * m
    qs = np.eye(m, dtype=dtype)
    levels: list[tuple[int, int]] = []
    offset = 0
    while offset < m:
        s_mat = qs.conj().T @ nil @ qs
        _, sv, vh = np.linalg.svd(s_mat[offset:, offset:])
        r = m - offset
        k = int(np.sum(compare_many("Jordan form: a staircase singular value against the rank tolerance", sv, "<=",
                                    epsilon)))
        if k == 0 and not force:
            return _failed(f"the recurrence is not nilpotent within {epsilon:.3g} on an eigenvalue group")
        k = max(1, k)
        if levels:
            k = min(k, levels[-1][1])
        v = vh.conj().T
        qs[:, offset:] = qs[:, offset:] @ np.concatenate([v[:, r - k:], v[:, :r - k]], axis=1)
        levels.append((offset, k))
        offset += k
    s_mat = qs.conj().T @ nil @ qs
    exact = np.zeros_like(s_mat)
    for i, (oi, ki) in enumerate(levels):
        for oj, kj in levels[i + 1:]:
            exact[oi:oi + ki, oj:oj + kj] = s_mat[oi:oi + ki, oj:oj + kj]
    chains: list[tuple[int, np.ndarray]] = []
    for level in range(len(levels) - 1, -1, -1):
        start, size = levels[level]
        existing = []
        for length, head in chains:
            vec = head
            for _ in range(length - 1 - level):
                vec = exact @ vec
            existing.append(vec[start:start + size])
        if existing:
            u, _, _ = np.linalg.svd(np.column_stack(existing), full_matrices=True)
            complement = u[:, min(len(existing), size):]
        else:
            complement = np.eye(size, dtype=dtype)
        for c in complement.T:
            head = np.zeros(m, dtype=dtype)
            head[start:start + size] = c
            chains.append((level + 1, head))
    columns, sizes = [], []
    for length, head in chains:
        vecs = [head]
        for _ in range(length - 1):
            vecs.append(exact @ vecs[-1])
        columns.extend(reversed(vecs))
        sizes.append(length)
    if len(columns) != m:
        return _failed(f"the Jordan chains of a {m}-dimensional eigenvalue group span {len(columns)} "
                       f"dimensions (epsilon={epsilon:g} is too small or too large)")
    return qs @ np.column_stack(columns), sizes


def _diagonal_basis(nil: np.ndarray, real: bool) -> np.ndarray:
    """Eigenvectors of a group with ``N ≈ 0`` when they are real (if needed) and well conditioned."""
    m = nil.shape[0]
    identity = np.eye(m, dtype=np.float64 if real else complex)
    if m == 1:
        return identity
    d, v = np.linalg.eig(nil)
    if real and np.any(np.abs(d.imag) > 0):
        return identity
    if real:
        v = v.real
    if not np.all(np.isfinite(v)) or np.linalg.cond(v) > _EIGVEC_MAX_CONDITION:
        return identity
    order = np.lexsort((-d.imag, -d.real))
    return v[:, order]


def propose(weights: RNNWeights, data: NormalizerData, *, epsilon: float, rank_tolerance: float | None,
            grouping: Literal["linkage", "clique"]) -> Proposal:
    """Basis change ``h' = T⁻¹ h`` to the real Jordan basis T of the effective recurrence."""
    epsilon = check_float(NAME, "epsilon", epsilon, 0.0, 1e12, low_open=True)
    if rank_tolerance is not None:
        rank_tolerance = check_float(NAME, "rank_tolerance", rank_tolerance, 0.0, 1e12, low_open=True)
    check_choice(NAME, "grouping", grouping, ("linkage", "clique"))
    w, _, _ = effective_maps(weights)
    form = real_jordan_basis(w, epsilon, rank_tolerance, grouping)
    if isinstance(form, Failure):
        return Proposal.failed(_failed(f"no Jordan basis: {form.message}"))
    t = form.basis
    m = np.linalg.inv(t)
    candidate = change_basis(weights, m, t)
    if is_explosive(weights, candidate):
        return Proposal.failed(_failed(f"reverted: the Jordan basis ({form.message}) makes a parameter "
                                       f"non-finite or larger than 1e4"), matrix=m)
    return Proposal(candidate=candidate, matrix=m,
                    message=f"Jordan form with {form.message} (epsilon={epsilon:g}; "
                            f"largest deviation from the ideal form {form.deviation:.3g})")


def jnf(weights: RNNWeights, data: Dataset | NormalizerData, *, epsilon: float = 0.7,
        rank_tolerance: float | None = None, grouping: Literal["linkage", "clique"] = "linkage") -> NormalizerStep:
    """Bring the hidden-to-hidden map to real Jordan normal form (§7.2).

    Parameters
    ----------
    weights : RNNWeights
    data : Dataset or NormalizerData
        Used only to evaluate the result on the test split.
    epsilon : float
        Eigenvalue grouping tolerance (0.7 in the paper's pipeline).
    rank_tolerance : float, optional
        Kernel tolerance of the Jordan chains; None tries several (see :func:`real_jordan_basis`).
        The paper's behaviour is ``rank_tolerance=epsilon, grouping="clique"``.
    grouping : "linkage" or "clique"
    """
    params = {"epsilon": epsilon, "rank_tolerance": rank_tolerance, "grouping": grouping}
    return run_normalizer(NAME, propose, weights, data, params)[0]
