"""Oracle tests for the task definitions (mips-method.md §2.2 Table A, §2.3 variants).

Every task's vectorised ``compute_outputs`` is compared with a naive per-sequence loop written here,
independently of the implementation, and with the task's own ``reference``; then hand-computed
examples pin the definitions.
"""

from __future__ import annotations

import numpy as np
import pytest

from mips.tasks import BENCHMARK_TASKS, get_task, list_tasks

ALL_TASKS = list_tasks(include_variants=True)
N_SEQUENCES = 2000


# --- naive reference semantics, one straightforward loop per task --------------------------------

def add_base(base):
    def f(xs):
        out, carry = [], 0
        for a, b in xs:
            total = a + b + carry
            out.append(total % base)
            carry = 1 if total >= base else 0
        return out
    return f


def parity_window(k):
    def f(xs):
        out = []
        for t in range(len(xs)):
            ones = 0
            for i in range(t - k + 1, t + 1):
                if i >= 0 and xs[i] == 1:
                    ones += 1
            out.append(ones % 2)
        return out
    return f


def sum_window(k):
    def f(xs):
        out = []
        for t in range(len(xs)):
            total = 0
            for i in range(t - k + 1, t + 1):
                total += xs[i] if i >= 0 else 0
            out.append(total)
        return out
    return f


def delay(k):
    def f(xs):
        return [xs[t - k] if t - k >= 0 else 0 for t in range(len(xs))]
    return f


def prev_value(xs, t):
    return xs[t - 1] if t >= 1 else 0


def running(fn):
    def f(xs):
        out, acc = [], None
        for v in xs:
            acc = v if acc is None else fn(acc, v)
            out.append(acc)
        return out
    return f


def majority(k):
    def f(xs):
        out = []
        for t in range(len(xs)):
            seen = xs[: t + 1]
            best_count = max(seen.count(s) for s in range(k))
            out.append(min(s for s in range(k) if seen.count(s) == best_count))
        return out
    return f


def palindrome_prefix(xs):
    out = []
    for t in range(len(xs)):
        prefix = xs[: t + 1]
        same = all(prefix[i] == prefix[len(prefix) - 1 - i] for i in range(len(prefix)))
        out.append(1 if same else 0)
    return out


def balanced(xs):
    out, depth, dead = [], 0, False
    for v in xs:
        depth = depth + 1 if v == 0 else depth - 1
        if depth < 0:
            dead = True
        out.append(0 if dead else (1 if depth == 0 else 0))
    return out


def alternating(k):
    def f(xs):
        out = []
        for t in range(len(xs)):
            window = [xs[i] if i >= 0 else 0 for i in range(t - k + 1, t + 1)]
            alt = all(window[i] != window[i + 1] for i in range(k - 1))
            out.append(1 if alt else 0)
        return out
    return f


def divide(n, lag):
    def f(xs):
        # whole-number long division of the prefix read MSB first: q_t = bit of (prefix value // n)
        quotient_bits = []
        for t in range(len(xs)):
            value = int("".join(str(b) for b in xs[: t + 1]), 2)
            quotient_bits.append((value // n) % 2)
        return ([0] + quotient_bits)[: len(xs)] if lag else quotient_bits
    return f


def dithering(xs):
    out = []
    for t in range(len(xs)):
        now = sum(xs[: t + 1]) // 15
        before = sum(xs[:t]) // 15
        out.append(now - before)
    return out


def newton(kind):
    def f(xs):
        out, pos, vel = [], 0, 0
        for force in xs:
            acc = force if kind == "free" else force - 1 if kind == "gravity" else force - pos
            vel = vel + acc
            pos = pos + vel
            out.append(pos)
        return out
    return f


def magnetic(xs):
    out, px, py, vx, vy = [], 0, 0, 0, 0
    for fx, fy in xs:
        ax, ay = fx - vy, fy + vx
        vx, vy = vx + ax, vy + ay
        px, py = px + vx, py + vy
        out.append((px, py))
    return out


NAIVE = {
    "Binary_Addition": add_base(2),
    **{f"Base_{k}_Addition": add_base(k) for k in range(3, 8)},
    "Bitwise_Xor": lambda xs: [1 if a != b else 0 for a, b in xs],
    "Bitwise_Or": lambda xs: [1 if (a == 1 or b == 1) else 0 for a, b in xs],
    "Bitwise_And": lambda xs: [1 if (a == 1 and b == 1) else 0 for a, b in xs],
    "Bitwise_Not": lambda xs: [0 if v == 1 else 1 for v in xs],
    "Parity_Last2": parity_window(2),
    "Parity_Last3": parity_window(3),
    "Parity_Last4": parity_window(4),
    "Parity_All": lambda xs: [sum(xs[: t + 1]) % 2 for t in range(len(xs))],
    "Parity_Zeros": lambda xs: [sum(1 for v in xs[: t + 1] if v == 0) % 2 for t in range(len(xs))],
    "Evens_Counter": lambda xs: [len([v for v in xs[: t + 1] if v in (0, 2, 4, 6, 8)])
                                 for t in range(len(xs))],
    "Sum_All": lambda xs: [sum(xs[: t + 1]) for t in range(len(xs))],
    **{f"Sum_Last{k}": sum_window(k) for k in range(2, 8)},
    "Current_Number": delay(0),
    **{f"Prev{k}": delay(k) for k in range(1, 6)},
    "Previous_Equals_Current": lambda xs: [1 if xs[t] == prev_value(xs, t) else 0
                                           for t in range(len(xs))],
    "Diff_Last2": lambda xs: [xs[t] - prev_value(xs, t) for t in range(len(xs))],
    "Abs_Diff": lambda xs: [abs(xs[t] - prev_value(xs, t)) for t in range(len(xs))],
    "Abs_Current": lambda xs: [v if v >= 0 else -v for v in xs],
    "Diff_Abs_Values": lambda xs: [abs(xs[t]) - abs(prev_value(xs, t)) for t in range(len(xs))],
    "Min_Seen": running(min),
    "Max_Seen": running(max),
    "Max_Seen_0_99": running(max),
    "Majority_0_1": majority(2),
    "Majority_0_2": majority(3),
    "Majority_0_3": majority(4),
    "Evens_Detector": lambda xs: [1 if v % 2 == 0 else 0 for v in xs],
    "Perfect_Square_Detector": lambda xs: [1 if any(r * r == v for r in range(5)) else 0 for v in xs],
    "Bit_Palindrome": palindrome_prefix,
    "Balanced_Parenthesis": balanced,
    "Parity_Bits_Mod2": lambda xs: [t % 2 for t in range(len(xs))],
    "Alternating_Last3": alternating(3),
    "Alternating_Last4": alternating(4),
    "Bit_Shift_Right": delay(1),
    "Bit_Dot_Prod_Mod2": lambda xs: [sum(a * b for a, b in xs[: t + 1]) % 2 for t in range(len(xs))],
    "Div_3": divide(3, lag=True),
    "Div_5": divide(5, lag=True),
    "Div_7": divide(7, lag=True),
    "Div_3_NoLag": divide(3, lag=False),
    "Div_5_NoLag": divide(5, lag=False),
    "Div_7_NoLag": divide(7, lag=False),
    **{f"Add_Mod_{m}": (lambda m: lambda xs: [sum(xs[: t + 1]) % m for t in range(len(xs))])(m)
       for m in range(3, 9)},
    "Dithering": dithering,
    "Newton_Freebody": newton("free"),
    "Newton_Gravity": newton("gravity"),
    "Newton_Spring": newton("spring"),
    "Newton_Magnetic": magnetic,
}


def as_lists(x: np.ndarray) -> list[list]:
    """(n, T, d) array -> per-sequence lists of ints (d == 1) or tuples (d > 1)."""
    if x.shape[2] == 1:
        return [[step[0] for step in row] for row in x.tolist()]
    return [[tuple(step) for step in row] for row in x.tolist()]


def sample(spec, n: int, seq_len: int, seed: int) -> np.ndarray:
    return spec.sample_inputs(np.random.default_rng(seed), n, seq_len)


def test_naive_table_covers_every_task() -> None:
    assert set(NAIVE) == {s.name for s in ALL_TASKS}
    assert set(BENCHMARK_TASKS) < set(NAIVE)


@pytest.mark.parametrize("spec", ALL_TASKS, ids=[s.name for s in ALL_TASKS])
def test_naive_loop_agrees_with_compute_outputs(spec) -> None:
    x = sample(spec, N_SEQUENCES, spec.seq_len, seed=spec.seq_len * 7 + spec.input_dim)
    y = spec.compute_outputs(x)
    assert y.dtype == np.int64 and y.shape == (N_SEQUENCES, spec.seq_len, spec.output_dim)
    naive = NAIVE[spec.name]
    for xs, ys in zip(as_lists(x), as_lists(y)):
        assert naive(xs) == ys, f"{spec.name}: x={xs}"


@pytest.mark.parametrize("seq_len", [1, 2, 13])
@pytest.mark.parametrize("spec", ALL_TASKS, ids=[s.name for s in ALL_TASKS])
def test_compute_outputs_works_for_other_lengths(spec, seq_len: int) -> None:
    x = sample(spec, 200, seq_len, seed=seq_len)
    y = spec.compute_outputs(x)
    assert y.shape == (200, seq_len, spec.output_dim)
    naive = NAIVE[spec.name]
    for xs, ys in zip(as_lists(x), as_lists(y)):
        assert naive(xs) == ys, f"{spec.name}: x={xs}"


@pytest.mark.parametrize("spec", ALL_TASKS, ids=[s.name for s in ALL_TASKS])
def test_reference_agrees_with_compute_outputs(spec) -> None:
    x = sample(spec, N_SEQUENCES, spec.seq_len, seed=1)
    y = spec.compute_outputs(x)
    for xs, ys in zip(as_lists(x), as_lists(y)):
        assert spec.reference(xs) == ys, f"{spec.name}: x={xs}"


# --- hand-computed examples, worked out from the definitions --------------------------------------

HAND = [
    # addition: LSB first, carry, final carry dropped
    ("Binary_Addition", [(1, 1), (1, 0), (0, 0)], [0, 0, 1]),
    ("Binary_Addition", [(1, 1), (1, 1), (0, 0)], [0, 1, 1]),  # 3 + 3 = 6 = 110b
    ("Binary_Addition", [(1, 1)], [0]),  # the final carry is dropped
    ("Base_3_Addition", [(2, 2), (1, 0), (2, 2)], [1, 2, 1]),  # 23 + 20 = 43 = 1121_3
    ("Base_7_Addition", [(6, 6), (6, 0)], [5, 0]),
    # bitwise
    ("Bitwise_Xor", [(0, 0), (0, 1), (1, 0), (1, 1)], [0, 1, 1, 0]),
    ("Bitwise_Or", [(0, 0), (0, 1), (1, 0), (1, 1)], [0, 1, 1, 1]),
    ("Bitwise_And", [(0, 0), (0, 1), (1, 0), (1, 1)], [0, 0, 0, 1]),
    ("Bitwise_Not", [0, 1, 1], [1, 0, 0]),
    ("Bit_Shift_Right", [1, 1, 0, 1], [0, 1, 1, 0]),
    # parity
    ("Parity_Last2", [1, 1, 0, 1], [1, 0, 1, 1]),
    ("Parity_Last3", [1, 1, 1, 0, 0], [1, 0, 1, 0, 1]),
    ("Parity_Last4", [1, 0, 1, 1, 1, 0], [1, 1, 0, 1, 1, 1]),
    ("Parity_All", [1, 0, 1, 1], [1, 1, 0, 1]),
    ("Parity_Zeros", [1, 0, 0, 1, 0], [0, 1, 0, 0, 1]),
    ("Parity_Bits_Mod2", [1, 1, 1, 1, 1], [0, 1, 0, 1, 0]),
    ("Bit_Dot_Prod_Mod2", [(1, 1), (1, 0), (1, 1), (1, 1)], [1, 1, 0, 1]),
    # counting, sums, delays
    ("Evens_Counter", [2, 3, 4, 0, 7], [1, 1, 2, 3, 3]),
    ("Sum_All", [5, 10, 99], [5, 15, 114]),
    ("Sum_Last2", [5, 10, 99, 1], [5, 15, 109, 100]),
    ("Sum_Last3", [5, 10, 99, 1], [5, 15, 114, 110]),
    ("Sum_Last5", [1, 2, 3, 4, 5, 6, 7], [1, 3, 6, 10, 15, 20, 25]),
    ("Current_Number", [7, 8], [7, 8]),
    ("Prev1", [7, 8, 9], [0, 7, 8]),
    ("Prev3", [1, 2, 3, 4, 5], [0, 0, 0, 1, 2]),
    ("Prev5", [1, 2, 3, 4, 5, 6, 7], [0, 0, 0, 0, 0, 1, 2]),
    # differences: x_(-1) = 0
    ("Previous_Equals_Current", [0, 0, 3, 3, 5], [1, 1, 0, 1, 0]),
    ("Previous_Equals_Current", [4, 4], [0, 1]),
    ("Diff_Last2", [-100, 99, 50], [-100, 199, -49]),
    ("Abs_Diff", [-100, 99, 50], [100, 199, 49]),
    ("Abs_Current", [-100, 0, 99], [100, 0, 99]),
    ("Diff_Abs_Values", [-100, 99, -5], [100, -1, -94]),
    # extrema, majority (ties -> smallest symbol), detectors
    ("Min_Seen", [5, 7, 3, 9], [5, 5, 3, 3]),
    ("Max_Seen", [5, 7, 3, 9], [5, 7, 7, 9]),
    ("Max_Seen_0_99", [50, 99, 3], [50, 99, 99]),
    ("Majority_0_1", [1, 0, 0, 1], [1, 0, 0, 0]),
    ("Majority_0_2", [2, 1, 1, 2, 0, 0], [2, 1, 1, 1, 1, 0]),
    ("Majority_0_3", [3, 2, 3, 2, 1], [3, 2, 3, 2, 2]),
    ("Evens_Detector", [0, 1, 8, 9], [1, 0, 1, 0]),
    ("Perfect_Square_Detector", [0, 1, 2, 4, 9, 15, 16, 19], [1, 1, 0, 1, 1, 0, 1, 0]),
    # patterns
    ("Bit_Palindrome", [1, 0, 1, 1, 0, 1], [1, 0, 1, 0, 0, 1]),
    ("Bit_Palindrome", [0, 0, 0], [1, 1, 1]),
    ("Balanced_Parenthesis", [0, 1, 0, 1], [0, 1, 0, 1]),
    ("Balanced_Parenthesis", [1, 0, 1, 0, 1], [0, 0, 0, 0, 0]),  # negative at once: dead
    ("Balanced_Parenthesis", [0, 1, 1, 0, 0, 1], [0, 1, 0, 0, 0, 0]),  # depth 0 again, but dead
    ("Alternating_Last3", [1, 0, 1, 0, 0], [0, 1, 1, 1, 0]),  # (0,1,0) at t=1 uses padding
    ("Alternating_Last4", [1, 0, 1, 0, 1, 1], [0, 0, 1, 1, 1, 0]),
    ("Alternating_Last4", [0, 1, 0, 1], [0, 0, 0, 1]),
    # long division, MSB first: 25 // 3 = 8 = 01000b; 15 // 5 = 3 = 0011b; 14 // 7 = 2 = 0010b
    ("Div_3_NoLag", [1, 1, 0, 0, 1], [0, 1, 0, 0, 0]),
    ("Div_3", [1, 1, 0, 0, 1], [0, 0, 1, 0, 0]),  # paper-time: lagged one step, y_0 = 0
    ("Div_5_NoLag", [1, 1, 1, 1], [0, 0, 1, 1]),
    ("Div_5", [1, 1, 1, 1], [0, 0, 0, 1]),
    ("Div_7_NoLag", [1, 1, 1, 0], [0, 0, 1, 0]),
    ("Div_7", [1, 1, 1, 0], [0, 0, 0, 1]),
    # modular sums, dithering
    ("Add_Mod_3", [2, 2, 2, 1], [2, 1, 0, 1]),
    ("Add_Mod_8", [7, 7, 2], [7, 6, 0]),
    ("Dithering", [15, 7, 7, 1, 0, 15], [1, 0, 0, 1, 0, 1]),  # S = 15, 22, 29, 30, 30, 45
    # Newtonian mechanics
    ("Newton_Freebody", [1, 0, -1], [1, 2, 2]),
    ("Newton_Gravity", [1, 0, -1], [0, -1, -4]),
    ("Newton_Spring", [1, 0, 0, 0], [1, 1, 0, -1]),
    ("Newton_Magnetic", [(1, 0), (0, 0), (0, 0)], [(1, 0), (2, 1), (2, 3)]),
]


@pytest.mark.parametrize(("name", "xs", "expected"), HAND,
                         ids=[f"{name}-{i}" for i, (name, _, _) in enumerate(HAND)])
def test_hand_computed_example(name: str, xs: list, expected: list) -> None:
    spec = get_task(name)
    x = np.array(xs, dtype=np.int64).reshape(1, len(xs), spec.input_dim)
    y = spec.compute_outputs(x)
    assert as_lists(y)[0] == expected
    assert spec.reference(list(xs)) == expected
    assert NAIVE[name](list(xs)) == expected


def test_every_family_has_a_hand_example() -> None:
    families = {s.family for s in ALL_TASKS}
    covered = {get_task(name).family for name, _, _ in HAND}
    assert covered == families
