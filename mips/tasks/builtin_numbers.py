"""Built-in integer-stream tasks: counting, sums, delays, differences, extrema, majority, detectors,
modular sums (mips-method.md §2.2 Table A rows 16-41 and 52-57, plus the Max_Seen_0_99 variant).

Conventions (§2.1): one label per step, positions before 0 count as 0, windows are truncated.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mips.tasks._vec import shift, unary, window_sum
from mips.tasks.paper import builtin, const_bounds
from mips.tasks.spec import ComputeOutputs, OutputBounds, Reference, TaskSpec

DIGITS = range(10)
PERCENT = range(100)  # {0..99}
SIGNED = range(-100, 100)  # {-100..99}
BIT01 = const_bounds(0, 1)
SQUARES = (0, 1, 4, 9, 16)


def _sum_last(k: int) -> tuple[ComputeOutputs, Reference, OutputBounds]:
    def reference(xs: list) -> list:
        return [sum(xs[max(0, t - k + 1): t + 1]) for t in range(len(xs))]

    def bounds(seq_len: int) -> tuple[int, int]:
        return (0, 99 * min(k, seq_len))

    return unary(lambda x: window_sum(x, k)), reference, bounds


def _prev(k: int) -> tuple[ComputeOutputs, Reference]:
    def reference(xs: list) -> list:
        return [xs[t - k] if t >= k else 0 for t in range(len(xs))]

    return unary(lambda x: shift(x, k)), reference


def _sum_tasks() -> list[TaskSpec]:
    tasks = [
        builtin("Evens_Counter", "y_t = number of even values in x_0..x_t", "counting", DIGITS,
                unary(lambda x: np.cumsum(x % 2 == 0, axis=1)),
                lambda xs: [sum(1 for v in xs[: t + 1] if v % 2 == 0) for t in range(len(xs))],
                bounds=lambda seq_len: (0, seq_len)),
        builtin("Sum_All", "y_t = x_0 + ... + x_t", "sum", PERCENT,
                unary(lambda x: np.cumsum(x, axis=1)),
                lambda xs: [sum(xs[: t + 1]) for t in range(len(xs))],
                bounds=lambda seq_len: (0, 99 * seq_len)),
    ]
    for k in range(2, 8):
        compute, reference, bounds = _sum_last(k)
        tasks.append(builtin(f"Sum_Last{k}", f"y_t = x_(t-{k - 1}) + ... + x_t, window truncated",
                             "sum", PERCENT, compute, reference, bounds=bounds,
                             seq_len=20 if k >= 5 else 10))
    return tasks


def _prev_tasks() -> list[TaskSpec]:
    tasks = [builtin("Current_Number", "y_t = x_t", "prev", PERCENT, unary(lambda x: x),
                     lambda xs: list(xs), bounds=const_bounds(0, 99))]
    for k in range(1, 6):
        compute, reference = _prev(k)
        tasks.append(builtin(f"Prev{k}", f"y_t = x_(t-{k}), 0 for t < {k}", "prev", PERCENT,
                             compute, reference, bounds=const_bounds(0, 99),
                             seq_len=20 if k == 5 else 10))
    return tasks


def _difference_tasks() -> list[TaskSpec]:
    def prev_eq_ref(xs: list) -> list:
        return [int(xs[t] == (xs[t - 1] if t > 0 else 0)) for t in range(len(xs))]

    def diff_ref(xs: list) -> list:
        return [xs[t] - (xs[t - 1] if t > 0 else 0) for t in range(len(xs))]

    def diff_abs_ref(xs: list) -> list:
        return [abs(xs[t]) - (abs(xs[t - 1]) if t > 0 else 0) for t in range(len(xs))]

    return [
        builtin("Previous_Equals_Current", "y_t = 1 if x_t == x_(t-1) else 0, x_(-1) = 0; "
                                           "duplicate sequences removed, then shuffled",
                "difference", range(8), unary(lambda x: x == shift(x, 1)), prev_eq_ref,
                bounds=BIT01, deduplicate=True),
        builtin("Diff_Last2", "y_t = x_t - x_(t-1), x_(-1) = 0", "difference", SIGNED,
                unary(lambda x: x - shift(x, 1)), diff_ref, bounds=const_bounds(-199, 199)),
        builtin("Abs_Diff", "y_t = |x_t - x_(t-1)|, x_(-1) = 0", "difference", SIGNED,
                unary(lambda x: np.abs(x - shift(x, 1))),
                lambda xs: [abs(v) for v in diff_ref(xs)], bounds=const_bounds(0, 199)),
        builtin("Abs_Current", "y_t = |x_t|", "difference", SIGNED, unary(np.abs),
                lambda xs: [abs(v) for v in xs], bounds=const_bounds(0, 100)),
        builtin("Diff_Abs_Values", "y_t = |x_t| - |x_(t-1)|, x_(-1) = 0", "difference", SIGNED,
                unary(lambda x: np.abs(x) - shift(np.abs(x), 1)), diff_abs_ref,
                bounds=const_bounds(-100, 100)),
    ]


def _majority(k: int) -> tuple[ComputeOutputs, Reference]:
    def compute(x: np.ndarray) -> np.ndarray:
        one_hot = x[:, :, None] == np.arange(k)  # (n, T, k)
        counts = np.cumsum(one_hot, axis=1, dtype=np.int32)
        return np.argmax(counts, axis=2)  # first maximum = smallest symbol on ties

    def reference(xs: list) -> list:
        counts, ys = [0] * k, []
        for v in xs:
            counts[v] += 1
            best = 0
            for s in range(1, k):
                if counts[s] > counts[best]:
                    best = s
            ys.append(best)
        return ys

    return unary(compute), reference


def _seen_tasks() -> list[TaskSpec]:
    def running(fn: Callable[[list], int]) -> Reference:
        return lambda xs: [fn(xs[: t + 1]) for t in range(len(xs))]

    tasks = [
        builtin("Min_Seen", "y_t = min(x_0..x_t)", "extremum", DIGITS,
                unary(lambda x: np.minimum.accumulate(x, axis=1)), running(min),
                bounds=const_bounds(0, 9)),
        builtin("Max_Seen", "y_t = max(x_0..x_t), x in {0..9} (paper-time data)", "extremum",
                DIGITS, unary(lambda x: np.maximum.accumulate(x, axis=1)), running(max),
                bounds=const_bounds(0, 9)),
        builtin("Max_Seen_0_99", "y_t = max(x_0..x_t), x in {0..99} (repo HEAD data)",
                "extremum", PERCENT, unary(lambda x: np.maximum.accumulate(x, axis=1)),
                running(max), bounds=const_bounds(0, 99), variant_of="Max_Seen"),
    ]
    for k in (2, 3, 4):
        compute, reference = _majority(k)
        tasks.append(builtin(f"Majority_0_{k - 1}", f"y_t = most frequent symbol of x_0..x_t "
                                                    f"over {{0..{k - 1}}}, ties -> smallest",
                             "majority", range(k), compute, reference,
                             bounds=const_bounds(0, k - 1)))
    tasks += [
        builtin("Evens_Detector", "y_t = 1 if x_t is even else 0", "detector", DIGITS,
                unary(lambda x: x % 2 == 0), lambda xs: [int(v % 2 == 0) for v in xs],
                bounds=BIT01),
        builtin("Perfect_Square_Detector", "y_t = 1 if x_t in {0, 1, 4, 9, 16} else 0",
                "detector", range(20), unary(lambda x: np.isin(x, SQUARES)),
                lambda xs: [int(v in SQUARES) for v in xs], bounds=BIT01),
    ]
    return tasks


def _modular_tasks() -> list[TaskSpec]:
    tasks = []
    for m in range(3, 9):
        def reference(xs: list, m: int = m) -> list:
            return [sum(xs[: t + 1]) % m for t in range(len(xs))]

        tasks.append(builtin(f"Add_Mod_{m}", f"y_t = (x_0 + ... + x_t) mod {m}", "modular",
                             range(m), unary(lambda x, m=m: np.cumsum(x, axis=1) % m), reference,
                             bounds=const_bounds(0, m - 1), train_fraction=0.8))
    return tasks


TASKS: list[TaskSpec] = (_sum_tasks() + _prev_tasks() + _difference_tasks() + _seen_tasks()
                         + _modular_tasks())
