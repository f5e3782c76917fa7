"""Planted hidden-state traces for the encoding tests (no network needed)."""

from __future__ import annotations

import numpy as np

from mips.network.trace import HiddenTrace


def make_trace(hidden_states: np.ndarray, x: np.ndarray, y: np.ndarray, task: str = "planted") -> HiddenTrace:
    """A HiddenTrace from states after each step (n, T, H); h_{-1} = 0 is prepended."""
    n, t, h = hidden_states.shape
    hidden = np.concatenate([np.zeros((n, 1, h)), hidden_states], axis=1)
    return HiddenTrace(task=task, x=x.astype(np.int64), y=y.astype(np.int64), hidden=hidden,
                       output=y.astype(np.float64))


def random_unimodular(k: int, rng: np.random.Generator, n_ops: int = 6) -> np.ndarray:
    """A random integer matrix with determinant ±1 (product of elementary row operations)."""
    u = np.eye(k, dtype=np.int64)
    for _ in range(n_ops):
        if k == 1:
            break
        i, j = rng.choice(k, size=2, replace=False)
        u[i] += int(rng.integers(-2, 3)) * u[j]
    if rng.random() < 0.5:
        u[0] *= -1
    return u


def well_conditioned(k: int, h: int, rng: np.random.Generator, max_cond: float = 6.0) -> np.ndarray:
    """A random (k, h) basis with condition number <= max_cond."""
    while True:
        a = rng.normal(size=(k, h))
        s = np.linalg.svd(a, compute_uv=False)
        if s[-1] > 0 and s[0] / s[-1] <= max_cond:
            return a


def cycle_trace(n_states: int, dim: int, noise: float, rng: np.random.Generator, n_seq: int = 300,
                seq_len: int = 8, max_input: int = 2) -> tuple[HiddenTrace, np.ndarray]:
    """Running sum mod N embedded as N points on a circle in a random plane of R^dim.

    Returns the trace and the true state after each step (n, T).
    """
    x = rng.integers(0, max_input + 1, size=(n_seq, seq_len, 1))
    s = np.cumsum(x[..., 0], axis=1) % n_states
    q, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
    u, v = q[:, 0], q[:, 1]
    radius = rng.uniform(0.5, 3.0)
    direction = rng.normal(size=dim)
    centre = direction / np.linalg.norm(direction) * (radius + rng.uniform(0.7, 2.0))
    phase, sign = rng.uniform(0, 2 * np.pi), rng.choice([-1, 1])
    angles = phase + sign * 2 * np.pi * np.arange(n_states) / n_states
    points = centre + radius * (np.cos(angles)[:, None] * u + np.sin(angles)[:, None] * v)
    hidden = points[s] + noise * radius * rng.normal(size=s.shape + (dim,))
    return make_trace(hidden, x, s[..., None], task=f"cycle{n_states}"), s


def separated_centres(m: int, h: int, rng: np.random.Generator, min_dist: float = 1.0) -> np.ndarray:
    """m random points in R^h, pairwise at least ``min_dist`` apart."""
    scale = 1.0
    while True:
        for _ in range(50):
            c = rng.normal(size=(m, h)) * scale
            d = np.linalg.norm(c[:, None] - c[None], axis=2) + np.eye(m) * 1e9
            if d.min() >= min_dist:
                return c
        scale *= 1.5


def shift_register_trace(rng: np.random.Generator, h: int = 3, noise: float = 0.02, n_seq: int = 400,
                         seq_len: int = 8) -> tuple[HiddenTrace, np.ndarray]:
    """State = the last two input bits (4 clusters); output = their XOR. Returns trace and centres."""
    x = rng.integers(0, 2, size=(n_seq, seq_len, 1))
    prev = np.concatenate([np.zeros((n_seq, 1), dtype=np.int64), x[:, :-1, 0]], axis=1)
    state = 2 * x[..., 0] + prev
    centres = separated_centres(4, h, rng, min_dist=1.0) + 3.0      # away from h_{-1} = 0
    hidden = centres[state] + noise * rng.normal(size=state.shape + (h,))
    return make_trace(hidden, x, (x[..., 0] ^ prev)[..., None], task="xor_last2"), centres
