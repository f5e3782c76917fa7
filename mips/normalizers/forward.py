"""Stage 2 (simplification): a float64 numpy forward pass for evaluating normalized networks.

The normalizers run every candidate network over the whole test split, so this pass is the hot
loop of the chain. It keeps arrays *feature-major* (``(features, n_sequences)`` per time step),
which turns every layer into one BLAS call with a long contiguous axis: several times faster than
the batch-major torch pass for the tiny layers of MIPS networks. Tested against
:func:`mips.trace.trace`.
"""

from __future__ import annotations

import numpy as np

from mips.models.rnn import RNNWeights


def to_feature_major(a: np.ndarray) -> np.ndarray:
    """``(n, T, d)`` -> contiguous float64 ``(T, d, n)``."""
    return np.ascontiguousarray(np.asarray(a).transpose(1, 2, 0), dtype=np.float64)


def run_feature_major(weights: RNNWeights, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Run one network on feature-major inputs.

    Parameters
    ----------
    weights : RNNWeights
    x : float64 array of shape (seq_len, input_dim, n_sequences)

    Returns
    -------
    hidden : float64 array of shape (seq_len, hidden_dim, n_sequences)
        h_0 … h_{T-1} (the initial state h_{-1} = 0 is not included).
    output : float64 array of shape (seq_len, output_dim, n_sequences)
    """
    H = weights.config.hidden_dim
    T, _, n = x.shape
    w0 = np.asarray(weights.f_weights[0])
    w0h, w0x = np.ascontiguousarray(w0[:, :H]), np.ascontiguousarray(w0[:, H:])
    b0 = np.asarray(weights.f_biases[0])[:, None]
    rest = [(np.asarray(w), np.asarray(b)[:, None]) for w, b in zip(weights.f_weights[1:], weights.f_biases[1:])]
    hidden = np.empty((T, H, n))
    for t in range(T):
        u = w0x @ x[t]                                      # (out0, n)
        u += b0
        if t:
            u += w0h @ hidden[t - 1]
        for w, b in rest:
            np.maximum(u, 0.0, out=u)
            u = w @ u
            u += b
        hidden[t] = u
    output = np.empty((T, weights.config.output_dim, n))
    for t in range(T):
        u = hidden[t]
        for k, (w, b) in enumerate(zip(weights.g_weights, weights.g_biases)):
            if k:
                u = np.maximum(u, 0.0)
            u = w @ u
            u += np.asarray(b)[:, None]
        output[t] = u
    return hidden, output


def run(weights: RNNWeights, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Batch-major convenience wrapper: ``x (n, T, I)`` -> ``hidden (n, T, H)``, ``output (n, T, O)``."""
    hidden, output = run_feature_major(weights, to_feature_major(x))
    return hidden.transpose(2, 0, 1), output.transpose(2, 0, 1)
