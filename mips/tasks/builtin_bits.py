"""Built-in bit and digit tasks: addition, bitwise, parity and pattern families (mips-method.md §2.2).

Table A rows 1-15, 42-48. Conventions (§2.1): one label per step, positions before 0 count as 0.
Each task has a vectorised ``compute_outputs`` (loops over time steps only) and a naive
per-sequence ``reference``.
"""

from __future__ import annotations

import numpy as np

from mips.tasks._vec import pairwise, shift, unary, window_sum
from mips.tasks.paper import builtin, const_bounds
from mips.tasks.spec import ComputeOutputs, Reference, TaskSpec

BITS = (0, 1)
BIT01 = const_bounds(0, 1)


# --- addition (rows 1-6) -------------------------------------------------------------------------

def _addition(base: int) -> tuple[ComputeOutputs, Reference]:
    def compute(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        y = np.empty_like(a)
        carry = np.zeros(a.shape[0], dtype=np.int64)
        for t in range(a.shape[1]):
            s = a[:, t] + b[:, t] + carry
            y[:, t] = s % base
            carry = s // base
        return y

    def reference(xs: list) -> list:
        carry, ys = 0, []
        for a, b in xs:
            s = a + b + carry
            ys.append(s % base)
            carry = s // base
        return ys

    return pairwise(compute), reference


def _addition_tasks() -> list[TaskSpec]:
    tasks = []
    for base in range(2, 8):
        name = "Binary_Addition" if base == 2 else f"Base_{base}_Addition"
        compute, reference = _addition(base)
        tasks.append(builtin(
            name, f"y_t = (a_t + b_t + c_t) mod {base}, carry c_(t+1) = (a_t + b_t + c_t) // "
                  f"{base}, c_0 = 0; digits LSB first",
            "addition", range(base), compute, reference, input_dim=2,
            bounds=const_bounds(0, base - 1)))
    return tasks


# --- bitwise (rows 7-10, 47) ---------------------------------------------------------------------

def _bitwise_tasks() -> list[TaskSpec]:
    return [
        builtin("Bitwise_Xor", "y_t = a_t XOR b_t", "bitwise", BITS, pairwise(np.bitwise_xor),
                lambda xs: [a ^ b for a, b in xs], input_dim=2, bounds=BIT01),
        builtin("Bitwise_Or", "y_t = a_t OR b_t", "bitwise", BITS, pairwise(np.bitwise_or),
                lambda xs: [a | b for a, b in xs], input_dim=2, bounds=BIT01),
        builtin("Bitwise_And", "y_t = a_t AND b_t", "bitwise", BITS, pairwise(np.bitwise_and),
                lambda xs: [a & b for a, b in xs], input_dim=2, bounds=BIT01),
        builtin("Bitwise_Not", "y_t = 1 - x_t", "bitwise", BITS, unary(lambda x: 1 - x),
                lambda xs: [1 - v for v in xs], bounds=BIT01),
        builtin("Bit_Shift_Right", "y_t = x_(t-1), y_0 = 0", "bitwise", BITS,
                unary(lambda x: shift(x, 1)), lambda xs: ([0] + list(xs))[: len(xs)],
                bounds=BIT01),
    ]


# --- parity (rows 11-15, 44, 48) -----------------------------------------------------------------

def _parity_last(k: int) -> tuple[ComputeOutputs, Reference]:
    def reference(xs: list) -> list:
        return [sum(xs[max(0, t - k + 1): t + 1]) % 2 for t in range(len(xs))]

    return unary(lambda x: window_sum(x, k) % 2), reference


def _parity_tasks() -> list[TaskSpec]:
    tasks = []
    for k in (2, 3, 4):
        compute, reference = _parity_last(k)
        tasks.append(builtin(f"Parity_Last{k}", f"y_t = (x_(t-{k - 1}) + ... + x_t) mod 2, "
                                                f"zero padding before t = 0", "parity", BITS,
                             compute, reference, bounds=BIT01))

    def parity_all_ref(xs: list) -> list:
        return [sum(xs[: t + 1]) % 2 for t in range(len(xs))]

    def parity_zeros_ref(xs: list) -> list:
        return [xs[: t + 1].count(0) % 2 for t in range(len(xs))]

    def dot_ref(xs: list) -> list:
        return [sum(a * b for a, b in xs[: t + 1]) % 2 for t in range(len(xs))]

    def index_parity(x: np.ndarray) -> np.ndarray:
        return np.broadcast_to(np.arange(x.shape[1], dtype=np.int64) % 2, x.shape).copy()

    tasks += [
        builtin("Parity_All", "y_t = (x_0 + ... + x_t) mod 2", "parity", BITS,
                unary(lambda x: np.cumsum(x, axis=1) % 2), parity_all_ref, bounds=BIT01),
        builtin("Parity_Zeros", "y_t = (number of zeros in x_0..x_t) mod 2", "parity", BITS,
                unary(lambda x: np.cumsum(1 - x, axis=1) % 2), parity_zeros_ref, bounds=BIT01),
        builtin("Parity_Bits_Mod2", "y_t = t mod 2 (input ignored)", "parity", BITS,
                unary(index_parity), lambda xs: [t % 2 for t in range(len(xs))], bounds=BIT01),
        builtin("Bit_Dot_Prod_Mod2", "y_t = (a_0*b_0 + ... + a_t*b_t) mod 2", "parity", BITS,
                pairwise(lambda a, b: np.cumsum(a * b, axis=1) % 2), dot_ref, input_dim=2,
                bounds=BIT01),
    ]
    return tasks


# --- patterns (rows 42, 43, 45, 46) --------------------------------------------------------------

def _sample_palindrome_prefix(rng: np.random.Generator, n: int, seq_len: int) -> np.ndarray:
    """Bits whose first L positions form a random palindrome, L ~ U{2..seq_len}; the rest uniform.

    The paper draws L ~ U{2..10} for T = 10 (mips-method.md §2.2 row 42); for other lengths the
    upper end follows T, and T = 1 gives L = 1.
    """
    bits = rng.integers(0, 2, size=(n, seq_len), dtype=np.int64)
    low = min(2, seq_len)
    length = rng.integers(low, seq_len + 1, size=(n, 1), dtype=np.int64)
    j = np.arange(seq_len, dtype=np.int64)
    mirror = np.maximum(np.minimum(j, length - 1 - j), 0)  # (n, T): index of the mirrored source
    x = np.where(j < length, np.take_along_axis(bits, mirror, axis=1), bits)
    return x[:, :, None]


def _palindrome_prefixes(x: np.ndarray) -> np.ndarray:
    y = np.empty_like(x)
    for t in range(x.shape[1]):
        y[:, t] = np.all(x[:, : t + 1] == x[:, t::-1], axis=1)
    return y


def _balanced(x: np.ndarray) -> np.ndarray:
    depth = np.cumsum(1 - 2 * x, axis=1)  # 0 = "(" -> +1, 1 = ")" -> -1
    went_negative = np.maximum.accumulate(depth < 0, axis=1)
    return (depth == 0) & ~went_negative


def _alternating(k: int) -> tuple[ComputeOutputs, Reference]:
    def compute(x: np.ndarray) -> np.ndarray:
        ok = np.ones(x.shape, dtype=bool)
        for d in range(k - 1):  # pairs (x_(t-d-1), x_(t-d)) must differ, zero padding
            ok &= shift(x, d) != shift(x, d + 1)
        return ok

    def reference(xs: list) -> list:
        padded = [0] * (k - 1) + list(xs)
        patterns = [[(i + s) % 2 for i in range(k)] for s in (0, 1)]
        return [int(padded[t: t + k] in patterns) for t in range(len(xs))]

    return unary(compute), reference


def _balanced_ref(xs: list) -> list:
    depth, ys, broken = 0, [], False
    for v in xs:
        depth += 1 if v == 0 else -1
        broken = broken or depth < 0
        ys.append(int(depth == 0 and not broken))
    return ys


def _pattern_tasks() -> list[TaskSpec]:
    alt3, alt3_ref = _alternating(3)
    alt4, alt4_ref = _alternating(4)
    return [
        builtin("Bit_Palindrome", "y_t = 1 if x_0..x_t reads the same reversed; inputs start with "
                                  "a random palindrome of length L ~ U{2..T}", "pattern", BITS,
                unary(_palindrome_prefixes),
                lambda xs: [int(xs[: t + 1] == xs[: t + 1][::-1]) for t in range(len(xs))],
                sampler=_sample_palindrome_prefix, bounds=BIT01),
        builtin("Balanced_Parenthesis", "0 = '(', 1 = ')'; y_t = 1 if depth after x_t is 0 and "
                                        "depth never went negative (then 0 forever)", "pattern",
                BITS, unary(_balanced), _balanced_ref, bounds=BIT01),
        builtin("Alternating_Last3", "y_t = 1 if (x_(t-2), x_(t-1), x_t) is 010 or 101, zero "
                                     "padding", "pattern", BITS, alt3, alt3_ref, bounds=BIT01),
        builtin("Alternating_Last4", "y_t = 1 if (x_(t-3), ..., x_t) is 0101 or 1010, zero "
                                     "padding", "pattern", BITS, alt4, alt4_ref, bounds=BIT01),
    ]


TASKS: list[TaskSpec] = _addition_tasks() + _bitwise_tasks() + _parity_tasks() + _pattern_tasks()
