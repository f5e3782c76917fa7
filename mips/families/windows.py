"""Families that look back a bounded number of steps: run lengths, operations on lagged inputs
(and plain delays), and flags of a pattern having occurred."""

from __future__ import annotations

import numpy as np

from mips.families.base import GeneratedTask, Reference, pick, seq_len


def run_length(rng: np.random.Generator, name: str) -> GeneratedTask:
    """The length of the current run of equal inputs, capped at k (or whether it reached k)."""
    k = int(rng.integers(2, 5))
    cap = int(rng.integers(2, 6))
    reached = rng.random() < 0.25
    body = ("    ys = []\n    for t in range(len(xs)):\n        run = 1\n"
            "        while run < CAP and run <= t and xs[t - run] == xs[t]:\n            run += 1\n"
            f"        ys.append({'int(run == CAP)' if reached else 'run'})\n    return ys")
    desc = (f"y_t = 1 if the last {cap} inputs are equal" if reached else
            f"y_t = length of the current run of equal inputs, capped at {cap}")
    ref = Reference(state=("last", "run"), initial=(-1, 0),
                    updates=("x", f"min(run + 1, {cap}) if x == last else 1"),
                    outputs=(f"run == {cap}" if reached else "run",))
    return GeneratedTask(name=name, family="run_length", params={"cap": cap, "reached": reached, "values": k},
                         input_dim=1, input_values=tuple(range(k)), seq_len=seq_len(rng), output_dim=1,
                         description=desc, target_body=body, constants={"CAP": cap}, finite=True, reference=ref)


_OPS = {"max": "max({a}, {b})", "min": "min({a}, {b})", "sum": "{a} + {b}", "xor": "{a} ^ {b}", "diff": "{a} - {b}"}


def _lag(i: int) -> str:
    return "x_t" if i == 0 else f"x_(t-{i})"


def lag_op(rng: np.random.Generator, name: str) -> GeneratedTask:
    """y_t = op(x_(t-i), x_(t-j)) with zero padding before the start (op: max, min, sum, xor,
    difference), or a plain delay y_t = x_(t-d) of up to 8 steps."""
    if rng.random() < 0.25:
        d = int(rng.integers(2, 9))
        k = 2 if d > 4 else int(rng.integers(2, 5))
        state = tuple(f"last{n}" for n in range(1, d + 2))
        ref = Reference(state=state, initial=(0,) * len(state), updates=("x",) + state[:-1], outputs=(state[-1],))
        body = "    padded = [0] * D + list(xs)\n    return [padded[t] for t in range(len(xs))]"
        return GeneratedTask(name=name, family="lag_op", params={"op": "delay", "i": d, "j": d, "values": k},
                             input_dim=1, input_values=tuple(range(k)), seq_len=20 if d > 4 else seq_len(rng),
                             output_dim=1, description=f"y_t = x_(t-{d}), 0 for t < {d}",
                             target_body=body, constants={"D": d}, finite=True, reference=ref)
    op = pick(rng, tuple(_OPS))
    j = int(rng.integers(1, 4))
    i = int(rng.integers(0, j))
    k = 2 if op == "xor" else int(rng.integers(2, 8))
    state = tuple(f"last{n}" for n in range(1, j + 2))          # last{n} = x_(t-n+1) after the update
    out = _OPS[op].format(a=state[i], b=state[j])
    ref = Reference(state=state, initial=(0,) * len(state), updates=("x",) + state[:-1], outputs=(out,))
    fn = {"max": "max(a, b)", "min": "min(a, b)", "sum": "a + b", "xor": "a ^ b", "diff": "a - b"}[op]
    body = (f"    padded = [0] * {j} + list(xs)\n    ys = []\n    for t in range(len(xs)):\n"
            f"        a, b = padded[t + {j} - I], padded[t + {j} - J]\n        ys.append({fn})\n    return ys")
    return GeneratedTask(name=name, family="lag_op", params={"op": op, "i": i, "j": j, "values": k},
                         input_dim=1, input_values=tuple(range(k)), seq_len=seq_len(rng), output_dim=1,
                         description=f"y_t = {_OPS[op].format(a=_lag(i), b=_lag(j))}, inputs before the start are 0",
                         target_body=body, constants={"I": i, "J": j}, finite=True, reference=ref)


def pattern_seen(rng: np.random.Generator, name: str) -> GeneratedTask:
    """y_t = 1 once the pattern (1 to 3 symbols) has occurred in x_0..x_t."""
    k = int(pick(rng, (2, 2, 3)))
    length = int(rng.integers(1, 4))
    pattern = tuple(int(v) for v in rng.integers(0, k, size=length))
    if length == 1:
        state, initial, updates = ("seen",), (0,), (f"seen or x == {pattern[0]}",)
    elif length == 2:
        state, initial = ("last", "seen"), (-1, 0)
        updates = ("x", f"seen or last == {pattern[0]} and x == {pattern[1]}")
    else:
        state, initial = ("last1", "last2", "seen"), (-1, -1, 0)
        updates = ("x", "last1", f"seen or last2 == {pattern[0]} and last1 == {pattern[1]} and x == {pattern[2]}")
    body = ("    n = len(PATTERN)\n    return [int(any(tuple(xs[s: s + n]) == PATTERN for s in range(t - n + 2)))\n"
            "            for t in range(len(xs))]")
    ref = Reference(state=state, initial=initial, updates=updates, outputs=("seen",))
    return GeneratedTask(name=name, family="pattern_seen", params={"pattern": list(pattern), "values": k},
                         input_dim=1, input_values=tuple(range(k)), seq_len=seq_len(rng), output_dim=1,
                         description=f"y_t = 1 once the pattern {list(pattern)} has occurred in x_0..x_t",
                         target_body=body, constants={"PATTERN": pattern}, finite=True, reference=ref)
