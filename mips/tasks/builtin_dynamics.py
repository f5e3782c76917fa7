"""Built-in stateful arithmetic tasks: long division, dithering, Newtonian mechanics
(mips-method.md §2.2 Table A rows 49-51 and 58-62, plus the Div_N_NoLag variants of §2.3).

All are 80% / 20% splits with inputs of shape (n, T, 1) (Newton_Magnetic: (n, T, 2)).
"""

from __future__ import annotations

import numpy as np

from mips.tasks._vec import linear_bounds, shift, unary
from mips.tasks.paper import builtin, const_bounds
from mips.tasks.spec import ComputeOutputs, OutputBounds, Reference, TaskSpec

FORCES = range(-10, 11)  # {-10..10}


# --- long division (rows 49-51) ------------------------------------------------------------------

def _quotient_bits(x: np.ndarray, divisor: int) -> np.ndarray:
    """Quotient bits of MSB-first binary long division: c = 2r + x_t, q_t = c // N, r = c mod N."""
    q = np.empty_like(x)
    r = np.zeros(x.shape[0], dtype=np.int64)
    for t in range(x.shape[1]):
        c = 2 * r + x[:, t]
        q[:, t] = c // divisor
        r = c % divisor
    return q


def _division(divisor: int, lagged: bool) -> tuple[ComputeOutputs, Reference]:
    def compute(x: np.ndarray) -> np.ndarray:
        q = _quotient_bits(x, divisor)
        return shift(q, 1) if lagged else q

    def reference(xs: list) -> list:
        r, quotient = 0, []
        for v in xs:
            c = 2 * r + v
            quotient.append(c // divisor)
            r = c % divisor
        return ([0] + quotient)[: len(xs)] if lagged else quotient

    return unary(compute), reference


def _division_tasks() -> list[TaskSpec]:
    tasks = []
    for n in (3, 5, 7):
        for lagged in (True, False):
            compute, reference = _division(n, lagged)
            name = f"Div_{n}" if lagged else f"Div_{n}_NoLag"
            head = "y_t = q_(t-1), y_0 = 0 (paper-time, lagged)" if lagged else "y_t = q_t (repo HEAD)"
            tasks.append(builtin(
                name, f"{head}; q_t = quotient bit of MSB-first long division by {n}: "
                      f"q_t = (2 r_(t-1) + x_t) // {n}, r_t = (2 r_(t-1) + x_t) mod {n}",
                "division", (0, 1), compute, reference, bounds=const_bounds(0, 1),
                train_fraction=0.8, variant_of=None if lagged else f"Div_{n}"))
    return tasks


# --- dithering (row 58) --------------------------------------------------------------------------

def _dither(x: np.ndarray) -> np.ndarray:
    level = np.cumsum(x, axis=1) // 15
    return level - shift(level, 1)


def _dither_ref(xs: list) -> list:
    total, ys = 0, []
    for v in xs:
        ys.append((total + v) // 15 - total // 15)
        total += v
    return ys


# --- Newtonian mechanics (rows 59-62) ------------------------------------------------------------

def _freebody(x: np.ndarray) -> np.ndarray:
    return np.cumsum(np.cumsum(x, axis=1), axis=1)


def _gravity(x: np.ndarray) -> np.ndarray:
    return np.cumsum(np.cumsum(x - 1, axis=1), axis=1)


def _spring(x: np.ndarray) -> np.ndarray:
    y = np.empty_like(x)
    p = np.zeros(x.shape[0], dtype=np.int64)
    v = np.zeros(x.shape[0], dtype=np.int64)
    for t in range(x.shape[1]):
        v = v + x[:, t] - p
        p = p + v
        y[:, t] = p
    return y


def _magnetic(x: np.ndarray) -> np.ndarray:
    """2-D: a_t = x_t + (-v2, v1) of v_(t-1); v_t = v_(t-1) + a_t; p_t = p_(t-1) + v_t; y_t = p_t."""
    y = np.empty_like(x)
    p = np.zeros((x.shape[0], 2), dtype=np.int64)
    v = np.zeros((x.shape[0], 2), dtype=np.int64)
    for t in range(x.shape[1]):
        rotated = np.stack([-v[:, 1], v[:, 0]], axis=1)
        v = v + x[:, t] + rotated
        p = p + v
        y[:, t] = p
    return y


def _newton_ref(accel: str) -> Reference:
    def reference(xs: list) -> list:
        p = v = 0
        ys = []
        for f in xs:
            a = {"free": f, "gravity": f - 1, "spring": f - p}[accel]
            v += a
            p += v
            ys.append(p)
        return ys

    return reference


def _magnetic_ref(xs: list) -> list:
    p1 = p2 = v1 = v2 = 0
    ys = []
    for f1, f2 in xs:
        v1, v2 = v1 + f1 - v2, v2 + f2 + v1
        p1, p2 = p1 + v1, p2 + v2
        ys.append((p1, p2))
    return ys


def _newton_bounds(compute: ComputeOutputs, input_dim: int) -> OutputBounds:
    def bounds(seq_len: int) -> tuple[int, int]:
        return linear_bounds(compute, seq_len, input_dim, -10, 10)

    return bounds


def _physics_tasks() -> list[TaskSpec]:
    specs = []
    for name, fn, ref, desc in (
        ("Newton_Freebody", _freebody, _newton_ref("free"), "a_t = x_t"),
        ("Newton_Gravity", _gravity, _newton_ref("gravity"), "a_t = x_t - 1"),
        ("Newton_Spring", _spring, _newton_ref("spring"), "a_t = x_t - p_(t-1)"),
    ):
        compute = unary(fn)
        specs.append(builtin(name, f"y_t = p_t with {desc}, v_t = v_(t-1) + a_t, "
                                   f"p_t = p_(t-1) + v_t, v_(-1) = p_(-1) = 0",
                             "newton", FORCES, compute, ref, train_fraction=0.8,
                             bounds=_newton_bounds(compute, 1)))
    specs.append(builtin(
        "Newton_Magnetic", "y_t = p_t in 2-D with a_t = x_t + (-v_(t-1)[1], v_(t-1)[0]), "
                           "v_t = v_(t-1) + a_t, p_t = p_(t-1) + v_t, v_(-1) = p_(-1) = 0",
        "newton", FORCES, _magnetic, _magnetic_ref, input_dim=2, output_dim=2,
        train_fraction=0.8, bounds=_newton_bounds(_magnetic, 2)))
    return specs


TASKS: list[TaskSpec] = _division_tasks() + [
    builtin("Dithering", "y_t = floor(S_t / 15) - floor(S_(t-1) / 15), S_t = x_0 + ... + x_t",
            "dithering", range(16), unary(_dither), _dither_ref, bounds=const_bounds(0, 1),
            train_fraction=0.8),
] + _physics_tasks()
