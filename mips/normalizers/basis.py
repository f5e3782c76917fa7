"""Stage 2 (simplification): the hidden-basis symmetry shared by the normalizers (mips-method.md §7).

Replacing the hidden state h by ``h' = M h`` (M invertible) leaves the network's function
unchanged when f's last layer is multiplied by M on the left, and the hidden columns of f's
first layer and g's first layer by ``M⁻¹`` on the right (``h_{-1} = 0`` stays 0). Whitening,
Jordan normal form and Toeplitz are all such basis changes; they go through
:func:`change_basis`.
"""

from __future__ import annotations

import numpy as np

from mips.errors import ConfigError
from mips.network.rnn import RNNWeights

#: Largest condition number of a basis change accepted by :func:`change_basis`.
MAX_CONDITION = 1e12


def change_basis(weights: RNNWeights, matrix: np.ndarray, inverse: np.ndarray | None = None) -> RNNWeights:
    """Rewrite a network for the hidden basis ``h' = M h``.

    Parameters
    ----------
    weights : RNNWeights
    matrix : ndarray of shape (hidden_dim, hidden_dim)
        The invertible M.
    inverse : ndarray of shape (hidden_dim, hidden_dim), optional
        ``M⁻¹`` when the caller knows it more accurately than ``np.linalg.inv(M)``.

    Returns
    -------
    RNNWeights
        f's last layer ``(W, b) ← (M W, M b)``; the hidden columns of f's first layer
        ``← · M⁻¹``; g's first layer ``← · M⁻¹``. For f of depth 1 the two f updates compose to
        ``W_h ← M W_h M⁻¹``, ``W_x ← M W_x``, ``b ← M b``.

    Raises
    ------
    ConfigError
        If M has the wrong shape, is not finite or is singular (condition number above 1e12).
    """
    H = weights.config.hidden_dim
    m = _check_square("matrix", matrix, H)
    if inverse is None:
        cond = np.linalg.cond(m)
        if not np.isfinite(cond) or cond > MAX_CONDITION:
            raise ConfigError(f"The 'matrix' parameter of change_basis must be invertible (condition number "
                              f"at most {MAX_CONDITION:g}). Got condition number {cond:.3g} instead.")
        m_inv = np.linalg.inv(m)
    else:
        m_inv = _check_square("inverse", inverse, H)
    f_w = [np.array(w, dtype=np.float64) for w in weights.f_weights]
    f_b = [np.array(b, dtype=np.float64) for b in weights.f_biases]
    g_w = [np.array(w, dtype=np.float64) for w in weights.g_weights]
    f_w[-1] = m @ f_w[-1]                                        # (H, width or H + I)
    f_b[-1] = m @ f_b[-1]                                        # (H,)
    first = f_w[0]                                               # (out0, H + I)
    f_w[0] = np.concatenate([first[:, :H] @ m_inv, first[:, H:]], axis=1)
    g_w[0] = g_w[0] @ m_inv                                      # (out_g0, H)
    return replace_layers(weights, f_weights=f_w, f_biases=f_b, g_weights=g_w)


def replace_layers(weights: RNNWeights, **layers) -> RNNWeights:
    """A copy of ``weights`` with some of ``f_weights``, ``f_biases``, ``g_weights``, ``g_biases`` replaced."""
    fields = {name: tuple(np.array(a, dtype=np.float64) for a in layers.get(name, getattr(weights, name)))
              for name in ("f_weights", "f_biases", "g_weights", "g_biases")}
    unknown = sorted(set(layers) - set(fields))
    if unknown:
        raise ConfigError(f"Unknown layer field(s) {unknown}; allowed: {sorted(fields)}.")
    return RNNWeights(config=weights.config, **fields)


def effective_maps(weights: RNNWeights) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The linearised recurrence of f: the product of its weight matrices, split by columns.

    Biases and ReLUs are ignored, so this is exact only for f of depth 1 (§7.2 step 1).

    Returns
    -------
    W : ndarray of shape (hidden_dim, hidden_dim)
        Hidden columns of ``W_L ⋯ W_1``.
    X : ndarray of shape (hidden_dim, input_dim)
        Input columns of ``W_L ⋯ W_1``.
    b : ndarray of shape (hidden_dim,)
        The bias of f's last layer.
    """
    H = weights.config.hidden_dim
    product = np.asarray(weights.f_weights[0], dtype=np.float64)
    for w in weights.f_weights[1:]:
        product = w @ product                                    # (out_k, H + I)
    return product[:, :H].copy(), product[:, H:].copy(), np.array(weights.f_biases[-1], dtype=np.float64)


def is_explosive(before: RNNWeights, after: RNNWeights, limit: float = 1e4) -> bool:
    """True if a parameter of ``after`` is not finite, or exceeds ``limit`` in size where ``before`` did not."""
    for a, b in zip(_all(after), _all(before)):
        if not np.all(np.isfinite(a)):
            return True
        if np.any((np.abs(a) > limit) & (np.abs(b) <= limit)):
            return True
    return False


def _all(weights: RNNWeights) -> list[np.ndarray]:
    return [*weights.f_weights, *weights.f_biases, *weights.g_weights, *weights.g_biases]


def _check_square(name: str, value: object, n: int) -> np.ndarray:
    a = np.asarray(value, dtype=np.float64) if not isinstance(value, np.ndarray) else value
    if a.shape != (n, n) or not np.issubdtype(a.dtype, np.number) or np.iscomplexobj(a):
        raise ConfigError(f"The '{name}' parameter of change_basis must be a real array of shape ({n}, {n}). "
                          f"Got {getattr(a, 'dtype', type(a).__name__)} of shape {getattr(a, 'shape', '?')} "
                          f"instead.")
    a = a.astype(np.float64)
    if not np.all(np.isfinite(a)):
        raise ConfigError(f"The '{name}' parameter of change_basis must hold finite values.")
    return a
