"""Stage 2 (simplification): the normalizers' own float64 forward pass of the MIPS RNN.

It is specific to the MIPS RNN (``h_t = f([h_{t-1}; x_t])``, ``y_t = g(h_t)``, mips-method.md §3),
as the normalizers are; every other stage runs networks through the one network interface
(:mod:`mips.network.interface`), and this pass is tested equal to that interface's ``run``.

The normalizers run every candidate network over the whole test split, so this pass is the hot
loop of the chain. It keeps arrays *feature-major* (``(features, n_sequences)`` per time step),
which turns every layer into one BLAS call with a long contiguous axis: several times faster than
the batch-major torch pass for the tiny layers of MIPS networks. BLAS runs single-threaded here
(through ``threadpoolctl``, a dependency of scikit-learn, when it is installed): with inner
dimensions of 1-50 the threads only add synchronisation, and on a busy 2-core machine they made
the pass 3-6x slower. Tested against :meth:`mips.network.interface.RecurrentNetwork.run`.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass

import numpy as np

from mips.network.rnn import RNNWeights

try:
    from threadpoolctl import ThreadpoolController
except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
    ThreadpoolController = None


@functools.lru_cache(maxsize=1)
def _controller():
    return ThreadpoolController() if ThreadpoolController is not None else None


def single_threaded_blas():
    """Context manager limiting BLAS to one thread (a no-op without threadpoolctl)."""
    controller = _controller()
    return controller.limit(limits=1, user_api="blas") if controller is not None else contextlib.nullcontext()


def to_feature_major(a: np.ndarray) -> np.ndarray:
    """``(n, T, d)`` -> contiguous float64 ``(T, d, n)``."""
    return np.ascontiguousarray(np.asarray(a).transpose(1, 2, 0), dtype=np.float64)


@dataclass(frozen=True, slots=True, kw_only=True)
class ForwardPass:
    """What :func:`forward_pass` measured.

    Attributes
    ----------
    output : float64 array of shape (seq_len, output_dim, n_sequences)
    hidden : float64 array of shape (seq_len, hidden_dim, n_sequences) or None
        h_0 … h_{T-1} (h_{-1} = 0 is not included); None unless ``keep_hidden``.
    n_small_hidden : int
        Hidden values with ``|h| < small``.
    second_moment : float64 array of shape (hidden_dim, hidden_dim) or None
        ``Σ_t Σ_n h hᵀ`` over every hidden state; None unless ``second_moment``.
    """

    output: np.ndarray
    hidden: np.ndarray | None
    n_small_hidden: int
    second_moment: np.ndarray | None


def forward_pass(weights: RNNWeights, x: np.ndarray, *, keep_hidden: bool = False, small: float = 0.01,
                 second_moment: bool = False) -> ForwardPass:
    """Run one network on feature-major inputs ``x`` of shape (seq_len, input_dim, n_sequences).

    The hidden-state statistics are gathered chunk by chunk while the states are in cache, so the
    full hidden array is only materialised when ``keep_hidden`` asks for it.
    """
    with single_threaded_blas():
        return _run(weights, x, keep_hidden, small, second_moment)


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
    result = forward_pass(weights, x, keep_hidden=True)
    return result.hidden, result.output


def _augmented(w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``[W | b]``: the bias as one more input column, fed by a constant row of ones."""
    return np.ascontiguousarray(np.concatenate([np.asarray(w), np.asarray(b)[:, None]], axis=1))


def _run(weights: RNNWeights, x: np.ndarray, keep_hidden: bool, small: float, moment: bool) -> ForwardPass:
    cfg = weights.config
    H, I, O = cfg.hidden_dim, cfg.input_dim, cfg.output_dim
    T, _, n = x.shape
    f_layers = [_augmented(w, b) for w, b in zip(weights.f_weights, weights.f_biases)]
    g_layers = [_augmented(w, b) for w, b in zip(weights.g_weights, weights.g_biases)]
    widest = max(w.shape[0] for w in f_layers + g_layers) + H + I + 1
    # sequences per chunk: keep every intermediate (widest x chunk float64) within ~1 MiB of cache
    chunk = int(min(max(n, 1), max(512, min(16384, (1 << 17) // widest))))
    hidden = np.empty((T, H, n)) if keep_hidden else None
    output = np.empty((T, O, n))
    n_small = 0
    second = np.zeros((H, H)) if moment else None
    for s in range(0, n, chunk):
        e = min(s + chunk, n)
        c = e - s
        z = np.empty((H + I + 1, c))                       # [h_{t-1}; x_t; 1]
        z[:H] = 0.0
        z[H + I] = 1.0
        f_bufs = [np.empty((w.shape[0], c)) for w in f_layers]
        f_acts = [np.empty((w.shape[0] + 1, c)) for w in f_layers[:-1]]   # [relu(u); 1]
        g_bufs = [np.empty((w.shape[0], c)) for w in g_layers]
        g_acts = [np.empty((w.shape[0] + 1, c)) for w in g_layers[:-1]]
        for a in f_acts + g_acts:
            a[-1] = 1.0
        for t in range(T):
            z[H:H + I] = x[t, :, s:e]
            np.matmul(f_layers[0], z, out=f_bufs[0])
            for k in range(1, len(f_layers)):
                np.maximum(f_bufs[k - 1], 0.0, out=f_acts[k - 1][:-1])
                np.matmul(f_layers[k], f_acts[k - 1], out=f_bufs[k])
            h = f_bufs[-1]                                 # (H, c): no activation on f's output
            z[:H] = h
            if keep_hidden:
                hidden[t, :, s:e] = h
            n_small += int(np.count_nonzero((h < small) & (h > -small)))
            if moment:
                second += h @ h.T
            np.matmul(g_layers[0][:, :H], h, out=g_bufs[0])
            g_bufs[0] += g_layers[0][:, H:]
            for k in range(1, len(g_layers)):
                np.maximum(g_bufs[k - 1], 0.0, out=g_acts[k - 1][:-1])
                np.matmul(g_layers[k], g_acts[k - 1], out=g_bufs[k])
            output[t, :, s:e] = g_bufs[-1]
    return ForwardPass(output=output, hidden=hidden, n_small_hidden=n_small, second_moment=second)


def run(weights: RNNWeights, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Batch-major convenience wrapper: ``x (n, T, I)`` -> ``hidden (n, T, H)``, ``output (n, T, O)``."""
    hidden, output = run_feature_major(weights, to_feature_major(x))
    return hidden.transpose(2, 0, 1), output.transpose(2, 0, 1)
