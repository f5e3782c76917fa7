"""Families of counters and sums: weighted modular sums, saturating, resetting and threshold
counters, counters of a function of the input, and sample-and-hold values."""

from __future__ import annotations

import numpy as np

from mips.families.base import GeneratedTask, Reference, linear_terms, pick, seq_len


def mod_sum(rng: np.random.Generator, name: str) -> GeneratedTask:
    """y_t = (w_1 a_0 + w_2 b_0 + ... ) mod m over one to three input streams; the output is the
    residue, or whether it equals one value."""
    dim = int(pick(rng, (1, 1, 2, 2, 3)))
    m = int(rng.integers(2, 8))
    k = int(rng.integers(2, min(m, 4) + 2))
    weights = [int(rng.integers(1, m)) if m > 2 else 1 for _ in range(dim)]
    if dim >= 2 and m > 2 and rng.random() < 0.3:
        weights[-1] = -1                               # a running difference of two streams
    one_value = int(rng.integers(m)) if rng.random() < 0.25 else None
    names = ("x",) if dim == 1 else tuple(f"x{i + 1}" for i in range(dim))
    var = "parity" if m == 2 else "residue"          # a running total mod 2 is a parity
    update = f"({linear_terms(var, weights, names)}) % {m}"
    out = var if one_value is None else f"{var} == {one_value}"
    terms = linear_terms("", weights, [f"x{i + 1}_s" for i in range(dim)]) if dim > 1 else linear_terms("", weights, ["x_s"])
    what = f"({terms} summed over s <= t) mod {m}"
    total = ("sum(WEIGHTS[0] * v for v in xs[: t + 1])" if dim == 1
             else "sum(sum(w * v for w, v in zip(WEIGHTS, step)) for step in xs[: t + 1])")
    label = f"{total} % M" if one_value is None else f"int({total} % M == ONE)"
    body = f"    return [{label} for t in range(len(xs))]"
    desc = f"y_t = {what}" + ("" if one_value is None else f" == {one_value}")
    consts = {"WEIGHTS": tuple(weights), "M": m} | ({"ONE": one_value} if one_value is not None else {})
    return GeneratedTask(name=name, family="mod_sum", params={"weights": weights, "m": m, "one_value": one_value},
                         input_dim=dim, input_values=tuple(range(k)), seq_len=seq_len(rng), output_dim=1,
                         description=desc, target_body=body, constants=consts, finite=True,
                         reference=Reference(state=(var,), initial=(0,), updates=(update,), outputs=(out,)))


def saturating(rng: np.random.Generator, name: str) -> GeneratedTask:
    """How many times one value was seen, capped; or an up/down counter kept within [0, cap]."""
    cap = int(rng.integers(2, 6))
    if rng.random() < 0.6:
        k = int(rng.integers(2, 6))
        v = int(rng.integers(k)) if k > 2 else 1
        inc = "x" if (k == 2 and v == 1) else f"(x == {v})"
        update = f"min(count + {inc}, {cap})"
        body = "    return [min(xs[: t + 1].count(V), CAP) for t in range(len(xs))]"
        desc = f"y_t = min(number of {v}s in x_0..x_t, {cap})"
        params, consts = {"kind": "count", "value": v, "cap": cap}, {"V": v, "CAP": cap}
    else:
        k = 2
        update = f"min(max(count + 2 * x - 1, 0), {cap})"
        body = ("    count, ys = 0, []\n    for x in xs:\n        count = count + 1 if x == 1 else count - 1\n"
                "        count = min(max(count, 0), CAP)\n        ys.append(count)\n    return ys")
        desc = f"y_t = a counter: up on 1, down on 0, kept within 0..{cap}"
        params, consts = {"kind": "updown", "cap": cap}, {"CAP": cap}
    return GeneratedTask(name=name, family="saturating", params=params, input_dim=1, input_values=tuple(range(k)),
                         seq_len=seq_len(rng), output_dim=1, description=desc, target_body=body, constants=consts,
                         finite=True, reference=Reference(state=("count",), initial=(0,), updates=(update,),
                                                          outputs=("count",)))


def resetting(rng: np.random.Generator, name: str) -> GeneratedTask:
    """Steps since the last reset value (optionally capped), or how often one value came since."""
    k = int(rng.integers(2, 6))
    r = int(rng.integers(k))
    if k > 2 and rng.random() < 0.4:
        v = int(pick(rng, [u for u in range(k) if u != r]))
        update = f"0 if x == {r} else count + (x == {v})"
        body = ("    ys = []\n    for t in range(len(xs)):\n        since = xs[: t + 1]\n"
                "        if R in since:\n            since = since[len(since) - since[::-1].index(R):]\n"
                "        ys.append(since.count(V))\n    return ys")
        desc = f"y_t = number of {v}s since the last {r} (or since the start)"
        params, consts, finite = {"reset": r, "value": v}, {"R": r, "V": v}, False
    else:
        cap = pick(rng, (3, 4, 5, None))
        step = "count + 1" if cap is None else f"min(count + 1, {cap})"
        update = f"0 if x == {r} else {step}"
        body = ("    ys = []\n    for t in range(len(xs)):\n        run = 0\n"
                "        while run <= t and xs[t - run] != R:\n            run += 1\n"
                f"        ys.append({'run' if cap is None else 'min(run, CAP)'})\n    return ys")
        desc = f"y_t = steps since the last {r} (0 at a {r})" + ("" if cap is None else f", capped at {cap}")
        params, consts, finite = {"reset": r, "cap": cap}, {"R": r} | ({"CAP": cap} if cap else {}), cap is not None
    return GeneratedTask(name=name, family="resetting", params=params, input_dim=1, input_values=tuple(range(k)),
                         seq_len=seq_len(rng), output_dim=1, description=desc, target_body=body, constants=consts,
                         finite=finite, reference=Reference(state=("count",), initial=(0,), updates=(update,),
                                                            outputs=("count",)))


def threshold(rng: np.random.Generator, name: str) -> GeneratedTask:
    """balance_t = balance_(t-1) + x_t - c (x in 0..2c), output balance > k or >= k."""
    c = int(pick(rng, (1, 1, 1, 2)))
    k = int(rng.integers(-2, 4))
    op = pick(rng, (">", ">="))
    step = "2 * x - 1" if c == 1 and rng.random() < 0.7 else f"x - {c}"
    values = (0, 1) if step == "2 * x - 1" else tuple(range(2 * c + 1))
    update = f"balance + {step}"
    body = (f"    return [int(sum({step.replace('x', 'v')} for v in xs[: t + 1]) {op} K) "
            f"for t in range(len(xs))]")
    desc = f"y_t = 1 if the sum of ({step}) over x_0..x_t is {op} {k}"
    return GeneratedTask(name=name, family="threshold", params={"step": step, "op": op, "k": k},
                         input_dim=1, input_values=values, seq_len=seq_len(rng), output_dim=1, description=desc,
                         target_body=body, constants={"K": k}, finite=False,
                         reference=Reference(state=("balance",), initial=(0,), updates=(update,),
                                             outputs=(f"balance {op} {k}",)))


def mapped_counter(rng: np.random.Generator, name: str) -> GeneratedTask:
    """A running count of a function of the input: +1 for small values, 0 for middle ones, -1 for
    large; how many inputs fall in a set; or a running sum of the product of two inputs."""
    kind = pick(rng, ("step", "step", "set", "product"))
    dim = 1
    if kind == "step":
        k = int(rng.integers(5, 14))
        lo = int(rng.integers(1, k // 2))
        hi = int(rng.integers(lo + 1, k - 1))
        values = tuple(range(k))
        update, out = f"count + (x < {lo}) - (x > {hi})", "count"
        body = ("    count, ys = 0, []\n    for x in xs:\n        if x < LO:\n            count += 1\n"
                "        elif x > HI:\n            count -= 1\n        ys.append(count)\n    return ys")
        desc = f"y_t = running count: +1 for x < {lo}, -1 for x > {hi}, else 0"
        params, consts = {"kind": kind, "lo": lo, "hi": hi}, {"LO": lo, "HI": hi}
    elif kind == "set":
        k = int(rng.integers(5, 11))
        chosen = tuple(sorted(int(v) for v in rng.choice(k, size=int(rng.integers(2, 4)), replace=False)))
        values = tuple(range(k))
        update, out = f"count + (x in {chosen})", "count"
        body = "    return [sum(1 for v in xs[: t + 1] if v in SET) for t in range(len(xs))]"
        desc = f"y_t = how many of x_0..x_t are in {set(chosen)}"
        params, consts = {"kind": kind, "set": list(chosen)}, {"SET": chosen}
    else:
        r = int(pick(rng, (2, 3, 5, 10)))
        dim, values = 2, tuple(range(-r, r + 1))
        update, out = "total + x1 * x2", "total"
        body = "    return [sum(a * b for a, b in xs[: t + 1]) for t in range(len(xs))]"
        desc = f"y_t = sum of a_s * b_s over s <= t, inputs in -{r}..{r}"
        params, consts = {"kind": kind, "range": r}, {}
    var = "total" if kind == "product" else "count"
    return GeneratedTask(name=name, family="mapped_counter", params=params, input_dim=dim, input_values=values,
                         seq_len=seq_len(rng), output_dim=1, description=desc, target_body=body, constants=consts,
                         finite=False, reference=Reference(state=(var,), initial=(0,), updates=(update,), outputs=(out,)))


def hold(rng: np.random.Generator, name: str) -> GeneratedTask:
    """The last non-zero input; the value of x1 at the last step x2 was 1; the largest or
    smallest input so far."""
    kind = pick(rng, ("nonzero", "trigger", "extreme"))
    k = int(rng.integers(3, 10))
    dim, values = 1, tuple(range(k))
    if kind == "nonzero":
        var, update = "last", "last if x == 0 else x"
        body = ("    ys, held = [], 0\n    for x in xs:\n        held = x if x != 0 else held\n        ys.append(held)\n"
                "    return ys")
        desc = "y_t = the last non-zero input so far (0 before any)"
        initial = 0
    elif kind == "trigger":
        dim, values = 2, tuple(range(k))
        var, update = "last", "x1 if x2 == 1 else last"
        body = ("    ys = []\n    for t in range(len(xs)):\n        hits = [a for a, b in xs[: t + 1] if b == 1]\n"
                "        ys.append(hits[-1] if hits else 0)\n    return ys")
        desc = "y_t = a_s at the last step s <= t with b_s == 1 (0 before any)"
        initial = 0
    else:
        big = rng.random() < 0.5
        var = "largest" if big else "smallest"
        update = f"{'max' if big else 'min'}({var}, x)"
        initial = 0 if big else k - 1
        body = f"    return [{'max' if big else 'min'}(xs[: t + 1]) for t in range(len(xs))]"
        desc = f"y_t = the {var} of x_0..x_t"
    return GeneratedTask(name=name, family="hold", params={"kind": kind, "values": k}, input_dim=dim,
                         input_values=values, seq_len=seq_len(rng), output_dim=1, description=desc, target_body=body,
                         finite=True, reference=Reference(state=(var,), initial=(initial,), updates=(update,),
                                                          outputs=(var,)))
