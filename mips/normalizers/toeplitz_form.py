"""Stage 2 (simplification): Toeplitz normalisation of the input weights, normalizer 3 of 5 (mips-method.md §7.3).

After the Jordan step the recurrence W is (nearly) in Jordan form, which leaves a gauge freedom:
any block-diagonal matrix whose blocks are upper-triangular Toeplitz commutes with W. Per Jordan
block, the Toeplitz matrix P built from the block's column of input weights (the input with the
largest weight into the block's last row) is used as ``h' = P⁻¹ h``; this maps that input's
weights into the block to ``(0, …, 0, 1)``. When W is not in Jordan form within tolerance the
step does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mips.errors import ConfigError
from mips.failure import Failure
from mips.margins import compare, compare_many
from mips.network.rnn import RNNWeights
from mips.normalizers.basis import change_basis, effective_maps, is_explosive
from mips.normalizers.step import NormalizerData, NormalizerStep, Proposal, run_normalizer
from mips.tasks.dataset import Dataset

NAME = "toeplitz"
DEFAULTS: dict[str, float] = {}
MIN_INPUT_WEIGHT = 1e-4


@dataclass(frozen=True, slots=True, kw_only=True)
class JordanPattern:
    """How W reads as a Jordan matrix: block sizes, block eigenvalues and the largest deviation."""

    blocks: tuple[int, ...]
    eigenvalues: tuple[float, ...]
    tolerance: float
    is_jordan: bool


def jordan_pattern(matrix: np.ndarray) -> JordanPattern:
    """Read a square matrix as a real Jordan matrix, as the paper's ``test_jordan_canonical`` does.

    A superdiagonal entry above 0.5 continues a block. ``tolerance`` is the largest deviation from
    the ideal pattern (zeros below the diagonal and beyond the superdiagonal, superdiagonal 0 or 1,
    diagonal equal to its block's mean); W is in Jordan form when ``tolerance`` is below 0.5 and
    below the smallest gap between the eigenvalues of different blocks.
    """
    w = np.asarray(matrix, dtype=np.float64)
    if w.ndim != 2 or w.shape[0] != w.shape[1] or w.shape[0] == 0:
        raise ConfigError(f"The 'matrix' parameter of jordan_pattern must be a non-empty square matrix. "
                          f"Got shape {w.shape} instead.")
    n = w.shape[0]
    sup = np.diag(w, 1)
    joins = compare_many("Toeplitz form: a superdiagonal entry against 0.5", sup, ">", 0.5)
    deviation = [np.abs(np.tril(w, -1)), np.abs(np.triu(w, 2)), np.abs(sup - joins)]
    blocks = [1]
    for join in joins:
        if join:
            blocks[-1] += 1
        else:
            blocks.append(1)
    bounds = np.cumsum([0] + blocks)
    diag = np.diag(w)
    eigenvalues = [float(np.mean(diag[a:b])) for a, b in zip(bounds[:-1], bounds[1:])]
    deviation += [np.abs(diag[a:b] - lam) for a, b, lam in zip(bounds[:-1], bounds[1:], eigenvalues)]
    tolerance = max(float(np.max(d)) if d.size else 0.0 for d in deviation)
    lam = np.array(eigenvalues)
    gaps = np.abs(lam[:, None] - lam[None, :])[np.triu_indices(len(lam), 1)]
    min_gap = float(np.min(gaps)) if gaps.size else np.inf
    is_jordan = bool(np.isfinite(tolerance) and n > 0
                     and compare("Toeplitz form: the deviation from Jordan form against the eigenvalue gap",
                                 tolerance, "<", min_gap)
                     and compare("Toeplitz form: the deviation from Jordan form against 0.5", tolerance, "<", 0.5))
    return JordanPattern(blocks=tuple(blocks), eigenvalues=tuple(eigenvalues), tolerance=tolerance,
                         is_jordan=is_jordan)


def toeplitz_matrix(inputs: np.ndarray, blocks: tuple[int, ...], tolerance: float = 0.0) -> np.ndarray:
    """The block-diagonal, upper-triangular Toeplitz P of §7.3 step 3.

    Parameters
    ----------
    inputs : ndarray of shape (n, input_dim)
        The input weights X of the effective map.
    blocks : tuple of int
        Jordan block sizes (summing to n).
    tolerance : float
        Input weights at most ``max(tolerance, 1e-4)`` count as dead; a block whose last row has
        only dead inputs gets a 1 on the diagonal there and is shrunk by one.
    """
    x = np.asarray(inputs, dtype=np.float64)
    n = x.shape[0]
    if sum(blocks) != n:
        raise ConfigError(f"The 'blocks' parameter of toeplitz_matrix must sum to {n}. Got {list(blocks)} instead.")
    p = np.zeros((n, n))
    bounds = np.cumsum([0] + list(blocks))
    threshold = max(np.nextafter(tolerance, 1.0), MIN_INPUT_WEIGHT)
    for start, end in zip(bounds[:-1], bounds[1:]):
        while end > start:
            size = end - start
            last = x[end - 1]
            col = int(np.argmax(np.abs(last))) if last.size else 0
            if last.size and compare("Toeplitz form: an input weight against the dead-input threshold",
                                     abs(last[col]), ">", threshold):
                column = x[start:end, col]
                for d in range(size):                               # P[i, i + d] = X[end - 1 - d]
                    idx = np.arange(size - d)
                    p[start + idx, start + idx + d] = column[size - 1 - d]
                break
            p[end - 1, end - 1] = 1.0
            end -= 1
    return p


def propose(weights: RNNWeights, data: NormalizerData) -> Proposal:
    """Basis change ``h' = P⁻¹ h`` when the effective recurrence is in Jordan form; else a no-op."""
    w, x, _ = effective_maps(weights)
    pattern = jordan_pattern(w)
    if not pattern.is_jordan:
        return Proposal(candidate=None,
                        message=f"no-op: the recurrence is not in Jordan form (largest deviation "
                                f"{pattern.tolerance:.3g} for blocks {list(pattern.blocks)}); run 'jnf' first")
    p = toeplitz_matrix(x, pattern.blocks, pattern.tolerance)
    if np.allclose(p, np.eye(p.shape[0]), rtol=0.0, atol=1e-15):
        return Proposal(candidate=None, matrix=np.eye(p.shape[0]),
                        message="no-op: the input weights are already in Toeplitz normal form")
    m = np.linalg.inv(p)
    candidate = change_basis(weights, m, p)
    if is_explosive(weights, candidate):
        return Proposal.failed(Failure(stage="normalize", method=NAME, message="reverted: the Toeplitz basis "
                                       "makes a parameter non-finite or larger than 1e4"), matrix=m)
    return Proposal(candidate=candidate, matrix=m,
                    message=f"Toeplitz basis for Jordan blocks {list(pattern.blocks)} "
                            f"(deviation from Jordan form {pattern.tolerance:.3g})")


def toeplitz(weights: RNNWeights, data: Dataset | NormalizerData) -> NormalizerStep:
    """Normalise the input weights within each Jordan block (§7.3).

    Parameters
    ----------
    weights : RNNWeights
        Should already be in Jordan form (run :func:`~mips.normalizers.jordan.jnf` first).
    data : Dataset or NormalizerData
        Used only to evaluate the result on the test split.
    """
    return run_normalizer(NAME, propose, weights, data, {})[0]
