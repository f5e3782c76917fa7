"""Stage 2 (simplification): the simplicity metrics recorded after every normalizer (mips-method.md §7).

Every count uses one tolerance (0.01 in the paper): a parameter is *non-zero* when
``|θ| > tol`` and *integer* when ``|θ − round(θ)| < tol``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from mips.errors import check_float
from mips.margins import round_half
from mips.network.rnn import RNNWeights

TOLERANCE = 0.01


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkMetrics:
    """The §7 metrics table for one network.

    Attributes
    ----------
    n_neurons : int
        Hidden MLP units (of f and g) with an incoming and an outgoing weight above tol.
    n_weights, n_biases : int
        Weights / biases with ``|θ| > tol``.
    n_integer_weights, n_integer_biases : int
        Weights / biases within tol of an integer (zeros included).
    n_parameters : int
        All weights and biases.
    weight_l2_norm : float
        L2 norm of all weights (biases excluded).
    effective_hidden_dim : int
        Hidden coordinates written by f (a row of f's last weight above tol) and read by f or g
        (a hidden column of f's or g's first weight above tol).
    activation_sparsity : float or None
        Fraction of hidden-state values ``h_t`` (t ≥ 0) with ``|h| < tol`` on the evaluation data.
    loss : float or None
        Mean log loss ``½·log(1 + (ŷ − y)²)`` on the evaluation data.
    accuracy : float or None
        Element accuracy (rounded outputs equal to labels) on the evaluation data.
    """

    n_neurons: int
    n_weights: int
    n_biases: int
    n_integer_weights: int
    n_integer_biases: int
    n_parameters: int
    weight_l2_norm: float
    effective_hidden_dim: int
    activation_sparsity: float | None = None
    loss: float | None = None
    accuracy: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def compute_metrics(weights: RNNWeights, *, hidden: np.ndarray | None = None, output: np.ndarray | None = None,
                    labels: np.ndarray | None = None, tol: float = TOLERANCE) -> NetworkMetrics:
    """Measure a network.

    Parameters
    ----------
    weights : RNNWeights
    hidden : ndarray of shape (n_sequences, seq_len, hidden_dim), optional
        Hidden states h_0 … h_{T-1} on some data (for the activation sparsity).
    output : ndarray of shape (n_sequences, seq_len, output_dim), optional
        The network's raw outputs on the same data.
    labels : ndarray of shape (n_sequences, seq_len, output_dim), optional
        The task's labels (for loss and accuracy, together with ``output``).
    tol : float
        The tolerance of every count.
    """
    tol = check_float("compute_metrics", "tol", tol, 0.0, 0.5)
    weights_all = [*weights.f_weights, *weights.g_weights]
    biases_all = [*weights.f_biases, *weights.g_biases]
    n_neurons = sum(_live_units(a, b, tol) for mlp in (weights.f_weights, weights.g_weights)
                    for a, b in zip(mlp[:-1], mlp[1:]))
    H = weights.config.hidden_dim
    written = np.any(np.abs(weights.f_weights[-1]) > tol, axis=1)                       # (H,)
    read = (np.any(np.abs(weights.f_weights[0][:, :H]) > tol, axis=0)
            | np.any(np.abs(weights.g_weights[0]) > tol, axis=0))                       # (H,)
    sparsity = loss = accuracy = None
    if hidden is not None:
        sparsity = float(np.mean(np.abs(hidden) < tol)) if hidden.size else 0.0
    if output is not None and labels is not None:
        diff = np.asarray(output, dtype=np.float64) - labels
        loss = float(np.mean(0.5 * np.log1p(diff * diff))) if diff.size else 0.0
        accuracy = (float(np.mean(round_half("normalizers: a network output", output) == labels))
                    if diff.size else 1.0)
    return NetworkMetrics(
        n_neurons=int(n_neurons),
        n_weights=_count(weights_all, lambda a: np.abs(a) > tol),
        n_biases=_count(biases_all, lambda a: np.abs(a) > tol),
        n_integer_weights=_count(weights_all, lambda a: np.abs(a - np.round(a)) < tol),
        n_integer_biases=_count(biases_all, lambda a: np.abs(a - np.round(a)) < tol),
        n_parameters=int(sum(a.size for a in weights_all + biases_all)),
        weight_l2_norm=float(np.sqrt(sum(np.sum(np.square(a)) for a in weights_all))),
        effective_hidden_dim=int(np.sum(written & read)),
        activation_sparsity=sparsity, loss=loss, accuracy=accuracy)


def _live_units(w_in: np.ndarray, w_out: np.ndarray, tol: float) -> int:
    """Units between two layers with some incoming (row of w_in) and outgoing (column of w_out) weight > tol."""
    return int(np.sum(np.any(np.abs(w_in) > tol, axis=1) & np.any(np.abs(w_out) > tol, axis=0)))


def _count(arrays: list[np.ndarray], predicate) -> int:
    return int(sum(np.count_nonzero(predicate(a)) for a in arrays))
