"""Families of finite machines: first-difference comparison of two streams, products of
independent components, regular languages and random minimal Moore machines."""

from __future__ import annotations

import numpy as np

from mips.machine.moore import MooreMachine, minimize
from mips.families.base import GeneratedTask, Reference, pick, seq_len


def first_difference(rng: np.random.Generator, name: str) -> GeneratedTask:
    """Two digit streams compared most significant digit first: 0 while equal, then which was
    larger at the first difference (or only whether a was)."""
    base = int(rng.integers(2, 11))
    gt, lt = pick(rng, ((1, 2), (2, 1)))
    flag = rng.random() < 0.25
    update = f"order if order else {gt} if x1 > x2 else {lt} if x1 < x2 else 0"
    body = ("    ys, order = [], 0\n    for a, b in xs:\n        if order == 0 and a != b:\n"
            "            order = GT if a > b else LT\n"
            f"        ys.append({'int(order == GT)' if flag else 'order'})\n    return ys")
    desc = (f"y_t = 0 while a and b agree so far, then {gt} if a was larger at the first difference, {lt} if b was"
            if not flag else "y_t = 1 if a was larger than b at their first differing digit so far")
    ref = Reference(state=("order",), initial=(0,), updates=(update,), outputs=(f"order == {gt}" if flag else "order",))
    return GeneratedTask(name=name, family="first_difference", params={"base": base, "gt": gt, "lt": lt, "flag": flag},
                         input_dim=2, input_values=tuple(range(base)), seq_len=seq_len(rng), output_dim=1,
                         description=desc, target_body=body, constants={"GT": gt, "LT": lt}, finite=True,
                         reference=ref)


def _component(rng: np.random.Generator, k: int, taken: set[int], index: int) -> tuple[str, str, str, str]:
    """(variable, update, target expression over the prefix ``p``, words) of one component."""
    v = int(pick(rng, [u for u in range(k) if u not in taken]))
    taken.add(v)
    hit = "x" if (k == 2 and v == 1) else "1 - x" if (k == 2 and v == 0) else f"(x == {v})"
    if rng.random() < 0.7:
        m = int(pick(rng, (2, 2, 3)))
        var = f"{'parity' if m == 2 else 'residue'}{index}"
        return var, f"({var} + {hit}) % {m}", f"p.count({v}) % {m}", f"(number of {v}s) mod {m}"
    var = f"seen{index}"
    return var, f"{var} or x == {v}", f"int({v} in p)", f"whether a {v} occurred"


def product(rng: np.random.Generator, name: str) -> GeneratedTask:
    """Two independent components of one stream, output side by side (OUTPUT_DIM = 2): e.g. the
    parity of the zeros and the parity of the ones."""
    k = int(pick(rng, (2, 2, 3)))
    taken: set[int] = set()
    parts = [_component(rng, k, taken, n) for n in (1, 2)]
    body = ("    ys = []\n    for t in range(len(xs)):\n        p = xs[: t + 1]\n"
            f"        ys.append(({parts[0][2]}, {parts[1][2]}))\n    return ys")
    ref = Reference(state=(parts[0][0], parts[1][0]), initial=(0, 0), updates=(parts[0][1], parts[1][1]),
                    outputs=(parts[0][0], parts[1][0]))
    return GeneratedTask(name=name, family="product", params={"components": [p[3] for p in parts], "values": k},
                         input_dim=1, input_values=tuple(range(k)), seq_len=seq_len(rng), output_dim=2,
                         description=f"y_t = ({parts[0][3]}, {parts[1][3]}) over x_0..x_t", target_body=body,
                         finite=True, reference=ref)


def regular(rng: np.random.Generator, name: str) -> GeneratedTask:
    """y_t = 1 if the prefix x_0..x_t is in a regular language: no k equal symbols s in a row; an
    even number of a's and of b's; no symbol twice in a row; at most k occurrences of s."""
    kind = pick(rng, ("no_run", "even_even", "no_repeat", "at_most"))
    k = int(pick(rng, (2, 2, 3)))
    if kind == "no_run":
        s, n = int(rng.integers(k)), int(rng.integers(2, 5))
        ref = Reference(state=("run",), initial=(0,), updates=(f"run if run == {n} else run + 1 if x == {s} else 0",),
                        outputs=(f"run < {n}",))
        body = ("    import re\n    text = ''.join(str(v) for v in xs)\n"
                "    return [int(re.search(str(S) * N, text[: t + 1]) is None) for t in range(len(xs))]")
        desc, params, consts = f"y_t = 1 if x_0..x_t has no {n} {s}s in a row", {"symbol": s, "n": n}, {"S": s, "N": n}
    elif kind == "even_even":
        a, b = (0, 1) if k == 2 else tuple(int(v) for v in rng.choice(k, size=2, replace=False))
        hits = ["1 - x" if k == 2 else f"(x == {a})", "x" if k == 2 else f"(x == {b})"]
        ref = Reference(state=("parity1", "parity2"), initial=(0, 0),
                        updates=(f"(parity1 + {hits[0]}) % 2", f"(parity2 + {hits[1]}) % 2"),
                        outputs=("parity1 == 0 and parity2 == 0",))
        body = "    return [int(xs[: t + 1].count(A) % 2 == 0 == xs[: t + 1].count(B) % 2) for t in range(len(xs))]"
        desc, params, consts = (f"y_t = 1 if x_0..x_t holds an even number of {a}s and of {b}s", {"a": a, "b": b},
                                {"A": a, "B": b})
    elif kind == "no_repeat":
        ref = Reference(state=("last", "seen"), initial=(-1, 0), updates=("x", "seen or x == last"),
                        outputs=("not seen",))
        body = "    return [int(all(xs[s] != xs[s + 1] for s in range(t))) for t in range(len(xs))]"
        desc, params, consts = "y_t = 1 if no symbol appears twice in a row in x_0..x_t", {}, {}
    else:
        s, n = int(rng.integers(k)), int(rng.integers(1, 4))
        hit = "x" if (k == 2 and s == 1) else f"(x == {s})"
        ref = Reference(state=("count",), initial=(0,), updates=(f"min(count + {hit}, {n + 1})",),
                        outputs=(f"count <= {n}",))
        body = "    return [int(xs[: t + 1].count(S) <= N) for t in range(len(xs))]"
        desc, params, consts = f"y_t = 1 if x_0..x_t holds at most {n} {s}s", {"symbol": s, "n": n}, {"S": s, "N": n}
    return GeneratedTask(name=name, family="regular", params={"kind": kind, "values": k, **params}, input_dim=1,
                         input_values=tuple(range(k)), seq_len=seq_len(rng), output_dim=1, description=desc,
                         target_body=body, constants=consts, finite=True, reference=ref)


def table_machine(next_state, outputs, input_values) -> MooreMachine:
    """A total Moore machine from ``next_state[s][i]`` and ``outputs[s]`` (state 0 initial)."""
    n, u = len(next_state), len(input_values)
    return MooreMachine(states=tuple((s,) for s in range(n)), names=tuple(f"q{s}" for s in range(n)),
                        inputs=tuple((v,) for v in input_values), outputs=tuple((int(o),) for o in outputs),
                        transitions=np.asarray(next_state, dtype=np.int64).reshape(n, u), initial=0,
                        counts=np.ones((n, u), dtype=np.int64))


def random_machine(rng: np.random.Generator, n: int, k: int, n_out: int) -> tuple[tuple, tuple]:
    """A random Moore machine of exactly ``n`` states over ``k`` inputs: every state reachable
    from state 0 and no two equivalent (drawn again until both hold)."""
    for _ in range(10_000):
        nxt = rng.integers(0, n, size=(n, k))
        out = rng.integers(0, n_out, size=n)
        machine = table_machine(nxt.tolist(), out.tolist(), tuple(range(k)))
        if len(machine.reachable()) == n and minimize(machine)[0].n_states == n:
            return tuple(tuple(int(v) for v in row) for row in nxt), tuple(int(v) for v in out)
    raise RuntimeError(f"no minimal reachable Moore machine of {n} states over {k} inputs was drawn")


def moore(rng: np.random.Generator, name: str) -> GeneratedTask:
    """A random minimal Moore machine of 2 to 8 states, all reachable; the output is the state's."""
    n = int(rng.integers(2, 9))
    k = int(pick(rng, (2, 2, 3)))
    n_out = int(pick(rng, (2, 2, 3))) if n > 2 else 2
    nxt, out = random_machine(rng, n, k, n_out)
    body = ("    state, ys = 0, []\n    for x in xs:\n        state = NEXT[state][x]\n        ys.append(OUT[state])\n"
            "    return ys")
    return GeneratedTask(name=name, family="moore", params={"states": n, "values": k, "outputs": n_out,
                                                            "next": [list(r) for r in nxt], "out": list(out)},
                         input_dim=1, input_values=tuple(range(k)), seq_len=seq_len(rng), output_dim=1,
                         description=f"y_t = output of a random minimal Moore machine of {n} states",
                         target_body=body, constants={"NEXT": nxt, "OUT": out}, finite=True,
                         reference=Reference(next_state=nxt, table_outputs=out))
