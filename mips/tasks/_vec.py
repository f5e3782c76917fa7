"""Vectorised numpy helpers shared by the built-in task definitions (mips-method.md §2.1).

All arrays are int64; x has shape (n, T, input_dim) and y has shape (n, T, output_dim).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from mips.tasks.spec import SampleInputs


def uniform_sampler(values: Sequence[int], input_dim: int = 1) -> SampleInputs:
    """Return a sampler drawing every input number independently and uniformly from ``values``."""
    alphabet = np.asarray(sorted(values), dtype=np.int64)
    low, high = int(alphabet[0]), int(alphabet[-1])
    contiguous = high - low + 1 == len(alphabet)

    def sample(rng: np.random.Generator, n: int, seq_len: int) -> np.ndarray:
        shape = (n, seq_len, input_dim)
        if contiguous:
            return rng.integers(low, high + 1, size=shape, dtype=np.int64)
        return alphabet[rng.integers(0, len(alphabet), size=shape)]

    return sample


def shift(a: np.ndarray, k: int) -> np.ndarray:
    """Delay along axis 1 by ``k`` steps with zero padding: ``out[:, t] = a[:, t - k]`` (0 if t < k)."""
    out = np.zeros_like(a)
    if k < a.shape[1]:
        out[:, k:] = a[:, : a.shape[1] - k]
    return out


def window_sum(a: np.ndarray, k: int) -> np.ndarray:
    """Sum of the last ``k`` steps along axis 1 (window truncated at the start)."""
    c = np.cumsum(a, axis=1)
    return c - shift(c, k)


def unary(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """Wrap ``fn`` mapping x[..., 0] of shape (n, T) to y of shape (n, T) into the (n, T, 1) contract."""

    def compute(x: np.ndarray) -> np.ndarray:
        return np.asarray(fn(x[:, :, 0]), dtype=np.int64)[:, :, None]

    compute.__name__ = getattr(fn, "__name__", "compute")
    compute.__doc__ = fn.__doc__
    return compute


def pairwise(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """Wrap ``fn(a, b)`` on the two input columns (each (n, T)) into the (n, T, 1) output contract."""

    def compute(x: np.ndarray) -> np.ndarray:
        return np.asarray(fn(x[:, :, 0], x[:, :, 1]), dtype=np.int64)[:, :, None]

    compute.__name__ = getattr(fn, "__name__", "compute")
    compute.__doc__ = fn.__doc__
    return compute


def linear_bounds(compute: Callable[[np.ndarray], np.ndarray], seq_len: int, input_dim: int,
                  low: int, high: int) -> tuple[int, int]:
    """Exact output range of an affine sequence map over the box ``[low, high]^(seq_len*input_dim)``.

    The map is probed with the zero sequence and unit impulses; each output is affine in the inputs,
    so its extremes are reached at corners of the box.
    """
    n_in = seq_len * input_dim
    probes = np.zeros((n_in + 1, seq_len, input_dim), dtype=np.int64)
    probes[1:].reshape(n_in, n_in)[np.arange(n_in), np.arange(n_in)] = 1
    y = compute(probes)  # (n_in + 1, T, output_dim)
    offset, gains = y[0], y[1:] - y[0]  # (T, out), (n_in, T, out)
    hi = offset + np.maximum(gains * low, gains * high).sum(axis=0)
    lo = offset + np.minimum(gains * low, gains * high).sum(axis=0)
    return int(lo.min()), int(hi.max())
