"""Stage 2 (simplification): whitening, normalizer 1 of 5 (mips-method.md §7.1).

ZCA whitening of the hidden state with the *uncentred* second moment ``C = E[h hᵀ]`` over the
hidden states of training sequences: ``M = U diag(m) Uᵀ`` with ``m_i = s_i^{-1/2}`` where the
eigenvalue ``s_i > ε`` and 1 otherwise, applied as the basis change ``h' = M h``.
"""

from __future__ import annotations

import numpy as np

from mips.errors import ConfigError, check_float
from mips.failure import Failure
from mips.margins import compare_many
from mips.network.rnn import RNNWeights
from mips.normalizers.basis import change_basis
from mips.normalizers.forward import forward_pass
from mips.normalizers.step import NormalizerData, NormalizerStep, Proposal, run_normalizer
from mips.tasks.dataset import Dataset

NAME = "whiten"
DEFAULTS = {"epsilon": 0.1}


def whitening_matrix(hidden: np.ndarray, epsilon: float = 0.1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ZCA whitening matrix of hidden states.

    Parameters
    ----------
    hidden : ndarray of shape (n_states, hidden_dim)
    epsilon : float
        Directions whose second-moment eigenvalue is at most ``epsilon`` are left unscaled.

    Returns
    -------
    M, M_inv : ndarrays of shape (hidden_dim, hidden_dim)
        Symmetric; ``M⁻¹ = U diag(1/m) Uᵀ``.
    eigenvalues : ndarray of shape (hidden_dim,)
        Eigenvalues of the second moment, ascending.
    """
    h = np.asarray(hidden, dtype=np.float64)
    if h.ndim != 2 or h.shape[0] == 0:
        raise ConfigError(f"The 'hidden' parameter of whitening_matrix must have shape (n_states, hidden_dim) "
                          f"with n_states >= 1. Got {h.shape} instead.")
    return whitening_from_moment(h.T @ h / h.shape[0], epsilon)


def whitening_from_moment(second: np.ndarray, epsilon: float = 0.1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`whitening_matrix` from the second moment ``E[h hᵀ]`` (hidden_dim, hidden_dim) itself."""
    epsilon = check_float("whitening_matrix", "epsilon", epsilon, 0.0, 1e12)
    s, u = np.linalg.eigh(second)
    scaled = compare_many("whitening: a second-moment eigenvalue against epsilon", s, ">", epsilon)
    scale = np.where(scaled, 1.0 / np.sqrt(np.maximum(s, epsilon)), 1.0)
    return (u * scale) @ u.T, (u / scale) @ u.T, s


def propose(weights: RNNWeights, data: NormalizerData, *, epsilon: float) -> Proposal:
    """Whitening of ``weights`` fitted on the hidden states of ``data.x_fit``."""
    epsilon = check_float(NAME, "epsilon", epsilon, 0.0, 1e12)
    H = weights.config.hidden_dim
    with np.errstate(over="ignore", invalid="ignore"):
        run = forward_pass(weights, data.x_fit_fm, second_moment=True)
    T, _, n = data.x_fit_fm.shape
    second = run.second_moment / (T * n)                                   # over h_0 … h_{T-1}
    if not np.all(np.isfinite(second)):
        return Proposal.failed(Failure(stage="normalize", method=NAME,
                                        message="hidden states are not finite; nothing whitened"))
    m, m_inv, s = whitening_from_moment(second, epsilon)
    n_scaled = int(np.sum(compare_many("whitening: a second-moment eigenvalue against epsilon", s, ">", epsilon)))
    if n_scaled == 0:
        return Proposal(candidate=None, matrix=m,
                        message=f"no-op: every second-moment eigenvalue is at most epsilon={epsilon:g}")
    return Proposal(candidate=change_basis(weights, m, m_inv), matrix=m,
                    message=f"whitened {n_scaled} of {H} directions (second-moment eigenvalues "
                            f"{np.array2string(s[::-1], precision=3)} from {T * n} states; "
                            f"epsilon={epsilon:g})")


def whiten(weights: RNNWeights, data: Dataset | NormalizerData, *, epsilon: float = 0.1) -> NormalizerStep:
    """Whiten the hidden space (§7.1).

    Parameters
    ----------
    weights : RNNWeights
    data : Dataset or NormalizerData
        Whitening fits on the first 20,000 training sequences (see :func:`prepare_data`); the
        result is evaluated on the test split.
    epsilon : float
        Eigenvalue threshold of the second moment (0.1 in the paper).
    """
    return run_normalizer(NAME, propose, weights, data, {"epsilon": epsilon})[0]
