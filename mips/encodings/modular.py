"""Encoding stage: states on a cycle, one variable z in Z_N (beyond the paper; see mips-method.md §12.1).

Networks for running sums modulo N often place their states on a circle or as N clusters on a
closed loop, which neither a lattice nor a bit code describes well. Given a clustering of the
states, this finder looks for an input u whose transition map is a single cycle through all N
visited clusters, numbers the clusters along that cycle (the initial state gets 0), checks that
every input acts as a rotation z -> z + d(x) (mod N), and fits d(x) = x·g + c (mod N).
"""

from __future__ import annotations

import itertools

import numpy as np

from mips.encodings.base import Encoding, EncodingFailure
from mips.encodings.centres import CentreKind
from mips.encodings.cluster import majority_outputs, successors, usable_cuts
from mips.encodings.data import StateData, as_state_data
from mips.encodings.kind import Rule, Search
from mips.encodings.linkage import Cut, single_linkage_cuts
from mips.encodings.mdl import DEFAULT_EPS, finish
from mips.encodings.partition import refine_partition
from mips.network.trace import HiddenTrace

_MAX_BRUTE = 200_000


def _cycle_order(f: np.ndarray, states: np.ndarray) -> np.ndarray | None:
    """Positions along the map s -> f[s] when it is a single cycle through ``states`` (or a single
    path through all of them whose closing edge was never observed); None otherwise."""
    members = set(states.tolist())
    targets = [int(f[s]) for s in states if f[s] >= 0]
    if len(set(targets)) != len(targets) or not set(targets) <= members:
        return None
    missing = [int(s) for s in states if f[s] < 0]
    if len(missing) > 1:
        return None
    if missing:                                  # a path: start where nothing leads
        start = (members - set(targets)).pop()
    else:
        start = int(states[0])
    pos = {start: 0}
    cur = start
    for step in range(1, states.size):
        cur = int(f[cur])
        if cur < 0 or cur in pos:
            return None
        pos[cur] = step
    if len(pos) != states.size or (not missing and int(f[cur]) != start):
        return None
    out = np.full(f.size, -1, dtype=np.int64)
    for s, p in pos.items():
        out[s] = p
    return out


def _fit_affine_mod(inputs: np.ndarray, d: np.ndarray, n: int) -> tuple[np.ndarray, int] | None:
    """Integers g (per input column) and c with d ≡ inputs·g + c (mod n), smallest |g| first."""
    n_cols = inputs.shape[1]
    if n ** (n_cols + 1) > _MAX_BRUTE:
        return None
    symmetric = sorted(range(n), key=lambda v: (min(v, n - v), v))
    for g in itertools.product(symmetric, repeat=n_cols):
        base = inputs @ np.array(g, dtype=np.int64)
        c = int((d[0] - base[0]) % n)
        if np.all((base + c - d) % n == 0):
            g = np.array([v if v <= n // 2 else v - n for v in g], dtype=np.int64)
            return g, c
    return None


def _winding(centres: np.ndarray) -> float:
    """Winding number of the closed polygon of centres around their mean, in the top-2 PCA plane."""
    if centres.shape[0] < 3:
        return 0.0
    c = centres - centres.mean(axis=0)
    _, _, vt = np.linalg.svd(c, full_matrices=False)
    p = c @ vt[:2].T if vt.shape[0] >= 2 else np.c_[c @ vt[:1].T, np.zeros(len(c))]
    ang = np.arctan2(p[:, 1], p[:, 0])
    steps = np.diff(np.append(ang, ang[0]))
    steps = (steps + np.pi) % (2 * np.pi) - np.pi
    return float(steps.sum() / (2 * np.pi))


def _rule_text(g: np.ndarray, c: int, n: int) -> str:
    names = ["x"] if g.size == 1 else [f"x{i}" for i in range(g.size)]
    terms = []
    for coef, name in zip(g, names):
        if coef:
            mag = "" if abs(coef) == 1 else f"{abs(int(coef))}*"
            terms.append(("- " if coef < 0 else "+ ") + mag + name)
    if c:
        terms.append(f"+ {c}")
    return f"z <- (z {' '.join(terms)}) mod {n}" if terms else f"z <- z mod {n}"


def cycle_from_cut(data: StateData, cut: Cut, *, eps: float = DEFAULT_EPS) -> Encoding | EncodingFailure:
    """A modular encoding of one clustering, or why it is not a cycle.

    Clusters with the same output and equivalent successors are merged first (Moore
    equivalence), so a network that keeps two clusters for one residue still yields Z_N.
    """
    fail = lambda msg: EncodingFailure(kind="modular", method=f"cycle/{cut.method}", message=msg)  # noqa: E731
    labels = cut.labels[data.index]
    m = cut.n_clusters
    table = successors(labels, data, m)
    block = refine_partition(majority_outputs(labels, data, m), table)
    n_cls = int(block.max()) + 1
    ctable = np.full((n_cls, table.shape[1]), -1, dtype=np.int64)
    rows, cols = np.nonzero(table >= 0)
    ctable[block[rows], cols] = block[table[rows, cols]]
    visited = np.unique(labels[:, 1:])
    states = np.unique(block[visited])
    n = states.size
    if n < 2:
        return fail(f"{n} visited state class(es): nothing to cycle through")
    init = int(block[labels[0, 0]])
    norms = np.abs(data.inputs).sum(axis=1)
    pos = None
    for u in np.argsort(norms, kind="stable"):
        pos = _cycle_order(ctable[:, u], states)
        if pos is not None:
            break
    if pos is None:
        return fail(f"no input value maps the {n} visited state classes ({m} clusters) onto themselves "
                    f"as a single cycle")
    shifts = np.full(data.inputs.shape[0], -1, dtype=np.int64)
    for v in range(data.inputs.shape[0]):
        seen = states[ctable[states, v] >= 0]
        if seen.size == 0:
            continue
        tgt = ctable[seen, v]
        if np.any(pos[tgt] < 0):
            return fail(f"input {data.inputs[v].tolist()} leaves the cycle")
        d = np.unique((pos[tgt] - pos[seen]) % n)
        if d.size != 1:
            return fail(f"input {data.inputs[v].tolist()} is not a rotation of the {n}-cycle "
                        f"(shifts {d.tolist()[:6]})")
        shifts[v] = d[0]
    # code of the initial state: consistent with every transition out of it
    cand = {int((pos[ctable[init, v]] - shifts[v]) % n) for v in np.flatnonzero(ctable[init] >= 0)
            if shifts[v] >= 0 and pos[ctable[init, v]] >= 0}
    if pos[init] >= 0:
        cand.add(int(pos[init]))
    if len(cand) != 1:
        return fail("the initial state is not consistent with a position on the cycle")
    z0 = cand.pop()
    pos = np.where(pos >= 0, (pos - z0) % n, -1)
    pos[init] = 0
    observed = shifts >= 0
    fit = _fit_affine_mod(data.inputs[observed], shifts[observed], n)
    params: dict = {"threshold": cut.threshold, "gap_ratio": cut.gap_ratio, "n_clusters": m}
    if fit is not None:
        g, c = fit
        params.update(generator=tuple(int(v) for v in g), shift=c)
        rule = _rule_text(g, c, n)
    else:
        params.update(rotation=tuple(int(v) for v in shifts))
        rule = f"z <- (z + d[x]) mod {n}"
    keep = np.union1d(visited, [labels[0, 0]])
    codes = pos[block[keep]]
    order = np.lexsort((keep == labels[0, 0], codes))          # visited clusters first per code
    keep, codes = keep[order], codes[order]
    reps = np.array([keep[codes == j][0] for j in range(n)])
    wind = _winding(cut.centres[reps]) if n >= 3 else 0.0
    shape = (f"on a closed loop around their centre (winding {round(wind):+d})" if abs(wind) > 0.5
             else "not winding around their centre")
    merged = f", {m} clusters merged into {n} equivalent states" if m > n + (labels[0, 0] not in visited) else ""
    position = np.full(m, -1, dtype=np.int64)
    position[keep] = np.arange(keep.size)
    protos, proto_cluster = cut.prototypes(data.points)
    enc = Encoding(kind="modular", method=f"cycle/{cut.method}", hidden_dim=data.hidden_dim, variables=("z",), moduli=(n,),
                   centres=cut.centres[keep], centre_codes=codes[:, None], update_rule=rule, params=params,
                   prototypes=protos, prototype_clusters=position[proto_cluster], metric=cut.metric)
    return finish(enc, data, eps=eps, summary=f"{n} states {shape}{merged}")


def find_modular(data: StateData | HiddenTrace, cuts: list[Cut] | None = None, *, eps: float = DEFAULT_EPS,
                 min_gap: float = 3.0, max_clusters: int = 256, seed: int = 0
                 ) -> list[Encoding] | EncodingFailure:
    """Modular encodings from the clusterings where the states form a cycle.

    Parameters
    ----------
    data : StateData or HiddenTrace
    cuts : list of Cut, optional
        Clusterings to try (default: :func:`single_linkage_cuts` of the states).
    """
    data = as_state_data(data, "find_modular")
    if cuts is None:
        cuts = single_linkage_cuts(data.points, data.counts, min_gap=min_gap, max_clusters=max_clusters,
                                   must_include=data.initial, seed=seed)
    if not cuts:
        return EncodingFailure(kind="modular", method="cycle", message="no clusters to order on a cycle")
    found, reasons = [], []
    for cut in cuts:
        res = cycle_from_cut(data, cut, eps=eps)
        (found if isinstance(res, Encoding) else reasons).append(res)
    if found:
        return found
    return EncodingFailure(kind="modular", method="cycle",
                           message="; ".join(f"{c.n_clusters} clusters: {r.message}" for c, r in zip(cuts, reasons)))


class ModularKind(CentreKind):
    """One variable z in Z_N: the N states of a cycle, z = index of the nearest cycle centre."""

    name = "modular"
    description = "one variable in Z_N: states on a cycle"

    def rule(self, enc: Encoding, codes: np.ndarray, data: StateData,
             transitions: tuple[np.ndarray, np.ndarray, np.ndarray]) -> Rule | None:
        """z' = (z + x·g + c) mod N, or z' = (z + d[x]) mod N, as the finder fitted it."""
        prev, x, nxt = transitions
        n = int(enc.moduli[0])
        if "generator" in enc.params:
            g = np.asarray(enc.params["generator"], dtype=np.int64)
            c = int(enc.params.get("shift", 0))
            pred = np.mod(prev[:, 0] + data.inputs[x] @ g + c, n)
            theta = np.concatenate([g, [c]])
        elif "rotation" in enc.params:
            d = np.asarray(enc.params["rotation"], dtype=np.int64)
            pred = np.mod(prev[:, 0] + d[x], n)
            theta = d
        else:
            return None
        return Rule(theta, int(np.sum(pred != nxt[:, 0])), None, enc.update_rule)

    def find(self, search: Search) -> list[Encoding | EncodingFailure]:
        cuts, reason = usable_cuts(search)
        if not cuts:
            return [EncodingFailure(kind=self.name, method="single-linkage", message=reason)]
        found = find_modular(search.data, cuts, eps=search.eps)
        return found if isinstance(found, list) else [found]


MODULAR = ModularKind()
