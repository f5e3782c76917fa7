"""Stage 2 (simplification): de-biasing, normalizer 4 of 5 (mips-method.md §7.4).

The part of f's output bias that lies in hidden directions f never reads (right singular vectors
of the hidden columns of f's first layer with singular value ≤ ε, projector Π) only shifts what g
sees by a constant, so it moves into g's first bias: ``b ← (I − Π) b``, ``c ← c + W_g Π b``.
Exact when those singular values are 0, approximate otherwise.
"""

from __future__ import annotations

import numpy as np

from mips.errors import check_float
from mips.margins import compare_many
from mips.network.rnn import RNNWeights
from mips.normalizers.basis import replace_layers
from mips.normalizers.step import NormalizerData, NormalizerStep, Proposal, run_normalizer
from mips.tasks.dataset import Dataset

NAME = "debias"
DEFAULTS = {"epsilon": 0.1}


def unread_projector(weights: RNNWeights, epsilon: float = 0.1) -> np.ndarray:
    """Projector (H, H) onto the hidden directions f reads with singular value at most ``epsilon``."""
    epsilon = check_float("unread_projector", "epsilon", epsilon, 0.0, 1e12)
    H = weights.config.hidden_dim
    reads = weights.f_weights[0][:, :H]                                 # (out0, H)
    _, s, vh = np.linalg.svd(reads, full_matrices=True)
    s_full = np.zeros(H)
    s_full[:s.size] = s                                                 # missing singular values are 0
    basis = vh[compare_many("de-biasing: a singular value of what f reads against epsilon", s_full, "<=",
                            epsilon)].T                                     # (H, k)
    return basis @ basis.T


def propose(weights: RNNWeights, data: NormalizerData, *, epsilon: float) -> Proposal:
    """Move the unread part of f's last bias into g's first bias."""
    epsilon = check_float(NAME, "epsilon", epsilon, 0.0, 1e12)
    proj = unread_projector(weights, epsilon)
    bias = np.asarray(weights.f_biases[-1])
    moved = proj @ bias
    n_dirs = int(round(np.trace(proj)))
    if n_dirs == 0 or not np.any(moved):
        why = ("f reads every hidden direction" if n_dirs == 0
               else f"f's bias has no component in the {n_dirs} unread direction(s)")
        return Proposal(candidate=None, message=f"no-op: {why} (epsilon={epsilon:g})")
    f_b = list(weights.f_biases)
    g_b = list(weights.g_biases)
    f_b[-1] = bias - moved
    g_b[0] = g_b[0] + weights.g_weights[0] @ moved
    return Proposal(candidate=replace_layers(weights, f_biases=f_b, g_biases=g_b),
                    message=f"moved f's bias along {n_dirs} unread direction(s) into g "
                            f"(|moved| = {np.linalg.norm(moved):.3g}, epsilon={epsilon:g})")


def debias(weights: RNNWeights, data: Dataset | NormalizerData, *, epsilon: float = 0.1) -> NormalizerStep:
    """Move the unread part of f's output bias into g (§7.4).

    Parameters
    ----------
    weights : RNNWeights
    data : Dataset or NormalizerData
        Used only to evaluate the result on the test split.
    epsilon : float
        Singular-value threshold of "unread" (0.1 in the paper).
    """
    return run_normalizer(NAME, propose, weights, data, {"epsilon": epsilon})[0]
