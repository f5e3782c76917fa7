"""Regression stage: brute-force integer symbolic regression (mips-method.md §9.3).

The paper's search (AI-Feynman style, ``main.cpp``) walks reverse-Polish templates of length <= 6
over two state variables and the inputs. Ours enumerates expressions bottom-up by size (the number
of AST nodes of the emitted Python text, :func:`mips.regression.formula.expression_size`), by
dynamic programming: level ``s`` holds every expression of size ``s`` built from smaller levels,
evaluated at once (numpy, vectorised over the distinct rows of the table). Two expressions with
the same values on every row are observationally equivalent: only the first (smallest) is kept, so
each level holds distinct functions of the rows. Value vectors are compared by a 64-bit linear
hash, ``h(v) = sum_j v_j r_j mod 2**64``; sums and differences get their hash without evaluation
(``h(a + b) = h(a) + h(b)``), and on the last level a sum or difference equal to the target is
found by looking ``h(target) - h(a)`` up among the hashes of the other operand (meet in the
middle). Other operators on the last level are screened on a few probe rows first. Every accepted
formula is checked exactly on every row.

Values are ``int64``; a candidate with ``|value| > 2**40`` on some row is discarded, and ``//`` and
``%`` by an operand with a zero on some row are never formed (Python would raise).
"""

from __future__ import annotations

import ast
import keyword
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from mips.errors import ConfigError, check_float, check_int, did_you_mean
from mips.regression.evaluate import evaluate
from mips.regression.formula import Formula
from mips.regression.method import Problem, RegressionMethod
from mips.regression.work import SYMBOLIC_PER_SECOND

__all__ = ["DEFAULT_OPERATORS", "OPERATORS", "distinct_rows", "search_formula", "search_formulas"]

logger = logging.getLogger(__name__)

BOUND = 2 ** 40                 # largest |value| a candidate may take on a row
_BLOCK = 1 << 19                # int64 elements per evaluated tile (4 MiB)
_N_PROBE = 8                    # rows used to screen last-level candidates
_CALLS = ("abs", "min", "max")


@dataclass(frozen=True, slots=True)
class _Op:
    name: str
    arity: int
    cost: int                   # AST nodes the operator adds
    commutative: bool = False
    operand: str = "any"        # "any", "binary" (0/1 operands), "divisor" (right operand never 0)
    linear: int = 0             # +1: h(a+b) = h(a)+h(b); -1: h(a-b) = h(a)-h(b) (unary: h(-a) = -h(a))


OPERATORS: dict[str, _Op] = {op.name: op for op in (
    _Op("+", 2, 1, commutative=True, linear=1), _Op("-", 2, 1, linear=-1),
    _Op("*", 2, 1, commutative=True), _Op("//", 2, 1, operand="divisor"), _Op("%", 2, 1, operand="divisor"),
    _Op("min", 2, 1, commutative=True), _Op("max", 2, 1, commutative=True),
    _Op("==", 2, 1, commutative=True), _Op("!=", 2, 1, commutative=True),
    _Op(">", 2, 1), _Op(">=", 2, 1), _Op("<", 2, 1), _Op("<=", 2, 1),
    _Op("^", 2, 1, commutative=True, operand="binary"),
    _Op("neg", 1, 1, linear=-1), _Op("abs", 1, 1), _Op("delta", 1, 2), _Op("heaviside", 1, 2),
)}
"""Every operator :func:`search_formula` knows: binary ``+ - * // % min max == != > >= < <= ^``
(``^`` on 0/1 operands only) and unary ``neg`` (``-e``), ``abs``, ``delta`` (``(e == 0)``, two
nodes) and ``heaviside`` (``(e > 0)``, two nodes)."""

DEFAULT_OPERATORS: tuple[str, ...] = ("+", "-", "*", "==", "!=", ">", ">=", "min", "max", "%", "//", "^",
                                      "neg", "abs", "delta", "heaviside")
"""The default operator set, in the order tried within one size (so ties go to the earlier one).
``<`` and ``<=`` are left out: with both operand orders enumerated, ``a < b`` is ``b > a`` (a
constant on the left is flipped to the right when printing)."""

_FUNCS: dict[str, Callable[..., np.ndarray]] = {
    "+": np.add, "-": np.subtract, "*": np.multiply, "//": np.floor_divide, "%": np.mod,
    "min": np.minimum, "max": np.maximum, "==": np.equal, "!=": np.not_equal, ">": np.greater,
    ">=": np.greater_equal, "<": np.less, "<=": np.less_equal, "^": np.bitwise_xor,
    "neg": np.negative, "abs": np.abs, "delta": lambda v: v == 0, "heaviside": lambda v: v > 0,
}


def _apply(name: str, *args: np.ndarray) -> np.ndarray:
    out = _FUNCS[name](*args)
    return out.astype(np.int64) if out.dtype != np.int64 else out


# ----------------------------------------------------------------------------------------- tables

def distinct_rows(columns: Mapping[str, np.ndarray], targets: Mapping[str, np.ndarray], owner: str
                  ) -> tuple[list[str], np.ndarray, dict[str, np.ndarray | None]]:
    """Validate a table and deduplicate its rows.

    Parameters
    ----------
    columns : mapping of str to ndarray of shape (n_rows,)
        Integer input columns, keyed by variable name.
    targets : mapping of str to ndarray of shape (n_rows,)
        Integer target columns.
    owner : str
        The public function name, for error messages.

    Returns
    -------
    names : list of str
    rows : ndarray of shape (n_distinct, n_names), int64
        The distinct input rows, in order of first appearance.
    targets : dict of str to ndarray of shape (n_distinct,) or None
        Each target on the distinct rows; None where one input row has two different targets.
    """
    names = list(columns)
    for name in names:
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name) or name in _CALLS:
            raise ConfigError(f"The column names of {owner} must be Python identifiers other than keywords "
                              f"and abs/min/max. Got {name!r} instead.")
    arrays = {k: _as_int_vector(owner, f"columns[{k!r}]", v) for k, v in columns.items()}
    tarrays = {k: _as_int_vector(owner, f"target {k!r}", v) for k, v in targets.items()}
    lengths = {a.shape[0] for a in (*arrays.values(), *tarrays.values())}
    if len(lengths) > 1:
        raise ConfigError(f"Every column and target of {owner} must have the same length. "
                          f"Got lengths {sorted(lengths)} instead.")
    n = lengths.pop() if lengths else 0
    table = np.stack([arrays[k] for k in names], axis=1) if names else np.zeros((n, 0), np.int64)
    if n == 0:
        return names, table[:0], {k: None for k in tarrays}
    if names:
        _, first, inverse = np.unique(table, axis=0, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
    else:
        first, inverse = np.zeros(1, np.int64), np.zeros(n, np.int64)
    order = np.argsort(first, kind="stable")            # distinct rows in order of first appearance
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    rows = table[first[order]]
    out: dict[str, np.ndarray | None] = {}
    for k, t in tarrays.items():
        tv = t[first[order]]
        out[k] = tv if np.array_equal(tv[rank[inverse]], t) else None
    return names, rows, out


def _as_int_vector(owner: str, what: str, value: object) -> np.ndarray:
    arr = np.asarray(value)
    if arr.ndim != 1 or not (np.issubdtype(arr.dtype, np.integer) or arr.dtype == np.bool_):
        raise ConfigError(f"Each of {what} of {owner} must be a 1-d integer array. "
                          f"Got dtype {arr.dtype} and shape {arr.shape} instead.")
    if arr.size and np.abs(arr.astype(np.float64)).max() > BOUND:
        raise ConfigError(f"The values of {what} of {owner} must lie in [-2**40, 2**40].")
    return arr.astype(np.int64)


# ----------------------------------------------------------------------------------- enumeration

class _HashSet:
    """A set of uint64 hashes kept as a few sorted runs (merged like a log-structured tree)."""

    def __init__(self) -> None:
        self._runs: list[np.ndarray] = []

    def contains(self, h: np.ndarray) -> np.ndarray:
        found = np.zeros(h.shape, dtype=bool)
        for run in self._runs:
            idx = np.minimum(np.searchsorted(run, h), run.size - 1)
            found |= run[idx] == h
        return found

    def add(self, sorted_unique: np.ndarray) -> None:
        if sorted_unique.size == 0:
            return
        self._runs.append(sorted_unique)
        while len(self._runs) > 1 and self._runs[-2].size <= 2 * self._runs[-1].size:
            last = self._runs.pop()
            self._runs[-1] = np.sort(np.concatenate([self._runs[-1], last]))


@dataclass(slots=True)
class _Level:
    """The kept expressions of one size: values on the rows, hashes and how each was built."""

    values: np.ndarray          # (n, n_rows) int64
    hashes: np.ndarray          # (n,) uint64
    op: np.ndarray              # (n,) int16: -1 variable, -2 constant, else index into the op list
    left: np.ndarray            # (n,) int64: global id of the left operand (variable/constant index)
    right: np.ndarray           # (n,) int64: global id of the right operand, -1 for unary
    max_abs: int = 0
    _cache: dict | None = None

    def __len__(self) -> int:
        return self.values.shape[0]

    def cached(self, key: str, make: Callable[[], np.ndarray]) -> np.ndarray:
        if self._cache is None:
            self._cache = {}
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def select(self, operand: str, side: str) -> np.ndarray:
        """Indices usable as an operand ("binary": 0/1 vectors; "divisor" right side: no zero)."""
        if operand == "binary":
            return self.cached("binary", lambda: np.flatnonzero(((self.values == 0) | (self.values == 1)).all(1)))
        if operand == "divisor" and side == "right":
            return self.cached("divisor", lambda: np.flatnonzero((self.values != 0).all(1)))
        return self.cached("all", lambda: np.arange(len(self)))


def _probe_first(rng: np.random.Generator, n_rows: int, targets: Mapping[str, np.ndarray]) -> np.ndarray:
    """A row order whose first ``_N_PROBE`` rows show each target's rarest values (random otherwise),
    so that screening on them rejects most wrong candidates."""
    order = rng.permutation(n_rows)
    chosen: list[int] = []
    for _ in range(_N_PROBE):
        for t in targets.values():
            rest = np.setdiff1d(order, chosen, assume_unique=True) if chosen else order
            values, counts = np.unique(t[rest], return_counts=True)
            unseen = [v for v in values[np.argsort(counts, kind="stable")] if v not in t[chosen]]
            if unseen and len(chosen) < _N_PROBE:
                chosen.append(int(rest[np.flatnonzero(t[rest] == unseen[0])[0]]))
    head = np.array(chosen, dtype=np.int64)
    return np.concatenate([head, order[~np.isin(order, head)]])


class _Search:
    """One bottom-up enumeration over fixed distinct rows, checked against every target."""

    def __init__(self, names: Sequence[str], rows: np.ndarray, targets: Mapping[str, np.ndarray],
                 constants: Sequence[int], operators: Sequence[str], max_size: int, max_work: int,
                 max_stored_values: int) -> None:
        rng = np.random.default_rng(0x5EED)
        perm = _probe_first(rng, rows.shape[0], targets)
        self.rows = rows[perm]
        self.names, self.constants = list(names), list(dict.fromkeys(int(c) for c in constants))
        self.ops = [OPERATORS[o] for o in operators]
        self.r = rng.integers(0, 2 ** 62, size=self.rows.shape[0], dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        self.targets = {k: np.ascontiguousarray(v[perm]) for k, v in targets.items()}
        self.thash = {k: self._hash(v[None, :])[0] for k, v in self.targets.items()}
        self.max_size, self.max_work, self.cap = max_size, max_work, max_stored_values
        self.levels: dict[int, _Level] = {}
        self.first_id: dict[int, int] = {}                  # size -> global id of its first expression
        self.n_ids = 0
        self.seen = _HashSet()
        self.found: dict[str, int] = {}                     # target -> global id (< 0: into self.extra)
        self.extra: list[tuple[int, int, int]] = []         # (op, left id, right id) of unstored hits
        self.n_enumerated = 0
        self.buffer = np.empty((max(1, max_stored_values // max(1, self.rows.shape[0])), self.rows.shape[0]),
                               np.int64)                     # every stored level is a slice of it
        self.stored = 0                                      # rows of the buffer in use
        self.storing = True
        self.out_of_time = False

    def _hash(self, values: np.ndarray) -> np.ndarray:
        return values.view(np.uint64) @ self.r

    def _done(self) -> bool:
        if self.n_enumerated >= self.max_work:
            self.out_of_time = True
        return self.out_of_time or len(self.found) == len(self.targets)

    def _open(self) -> list[str]:
        return [k for k in self.targets if k not in self.found]

    # -- levels -----------------------------------------------------------------------------------
    def run(self) -> None:
        """Enumerate sizes 1, 2, ... up to ``max_size`` until every target is found or time is up."""
        n = self.rows.shape[0]
        leaves = [(1 if c >= 0 else 2, -2, i, np.full(n, c, np.int64)) for i, c in enumerate(self.constants)]
        leaves += [(1, -1, i, np.ascontiguousarray(self.rows[:, i])) for i in range(len(self.names))]
        for size in range(1, self.max_size + 1):
            if self._done():
                return
            store = self.storing and size < self.max_size
            parts: list[tuple[np.ndarray, ...]] = []
            mine = [leaf for leaf in leaves if leaf[0] == size]
            if mine:
                vals = np.stack([leaf[3] for leaf in mine])
                self._collect(parts, store, vals, self._hash(vals), np.array([leaf[1] for leaf in mine]),
                              np.array([leaf[2] for leaf in mine]), np.full(len(mine), -1), None)
            for op_index, op in enumerate(self.ops):
                if op.arity == 1 and size - op.cost in self.levels and not self._done():
                    self._unary(parts, store, op_index, op, size)
                for s1 in range(size - 2, 0, -1) if op.arity == 2 else ():     # larger left operand first
                    s2 = size - 1 - s1
                    if (op.commutative and s1 > s2) or s1 not in self.levels or s2 not in self.levels or self._done():
                        continue
                    if store and self.storing:
                        self._binary(parts, op_index, op, s1, s2)
                    elif op.linear:
                        self._meet(op_index, op, s1, s2)
                    else:
                        self._probe(op_index, op, s1, s2)
            if parts:
                self._add_level(size, parts)

    def _add_level(self, size: int, parts: list[tuple[np.ndarray, ...]]) -> None:
        n = sum(p[0].size for p in parts)
        if n == 0:
            return
        self.levels[size] = _Level(values=self.buffer[self.n_ids:self.n_ids + n],
                                   hashes=np.concatenate([p[0] for p in parts]),
                                   op=np.concatenate([p[1] for p in parts]).astype(np.int16),
                                   left=np.concatenate([p[2] for p in parts]),
                                   right=np.concatenate([p[3] for p in parts]),
                                   max_abs=max(p[4] for p in parts))
        self.first_id[size] = self.n_ids
        self.n_ids += n

    def _collect(self, parts: list, store: bool, values: np.ndarray, hashes: np.ndarray, op: np.ndarray,
                 left: np.ndarray, right: np.ndarray, mask: np.ndarray | None) -> None:
        """Take one tile of candidates (``mask``: the valid ones): keep the new ones, or when not
        storing only look for the targets."""
        self.n_enumerated += hashes.size
        valid = np.arange(hashes.size) if mask is None else np.flatnonzero(mask)
        if store and self.storing:
            u, first = np.unique(hashes[valid], return_index=True)
            new = ~self.seen.contains(u)
            keep = np.sort(valid[first[new]])
            fit = min(keep.size, self.buffer.shape[0] - self.stored)
            kept = np.take(values, keep[:fit], axis=0, out=self.buffer[self.stored:self.stored + fit])
            self.seen.add(np.sort(hashes[keep[:fit]]))
            parts.append((hashes[keep[:fit]], op[keep[:fit]], left[keep[:fit]], right[keep[:fit]],
                          int(max(kept.max(initial=0), -kept.min(initial=0)))))
            for k, i in self._hits(values[keep], hashes[keep]):
                if i < fit:
                    self.found[k] = self.stored + i
                else:
                    self._extra(k, op[keep[i]], left[keep[i]], right[keep[i]])
            self.stored += fit
            self.storing = self.stored < self.buffer.shape[0]
            return
        for k, i in self._hits(values[valid], hashes[valid]):
            self._extra(k, op[valid[i]], left[valid[i]], right[valid[i]])

    def _extra(self, target: str, op: int, left: int, right: int) -> None:
        """Record a hit that is not stored in a level."""
        self.extra.append((int(op), int(left), int(right)))
        self.found[target] = -len(self.extra)

    def _hits(self, values: np.ndarray, hashes: np.ndarray) -> list[tuple[str, int]]:
        hits = []
        for k in self._open():
            for i in np.flatnonzero(hashes == self.thash[k]):
                if np.array_equal(values[i], self.targets[k]):
                    hits.append((k, int(i)))
                    break
        return hits

    def _unary(self, parts: list, store: bool, op_index: int, op: _Op, size: int) -> None:
        child, base = self.levels[size - op.cost], self.first_id[size - op.cost]
        step = max(1, _BLOCK // self.rows.shape[0])
        for i0 in range(0, len(child), step):
            if self._done():
                return
            vals = _apply(op.name, child.values[i0:i0 + step])
            hashes = np.uint64(0) - child.hashes[i0:i0 + step] if op.linear else self._hash(vals)
            m = vals.shape[0]
            self._collect(parts, store, vals, hashes, np.full(m, op_index), base + np.arange(i0, i0 + m),
                          np.full(m, -1), None)

    def _tiles(self, la: np.ndarray, lb: np.ndarray, width: int, triangular: bool):
        """Blocks (ia, ib) of operand indices with at most _BLOCK values per block."""
        nb_tile = max(1, min(lb.size, _BLOCK // max(1, width)))
        for j0 in range(0, lb.size, nb_tile):
            ib = lb[j0:j0 + nb_tile]
            na_tile = max(1, _BLOCK // max(1, width * ib.size))
            for i0 in range(0, la.size, na_tile):
                ia = la[i0:i0 + na_tile]
                if triangular and ia[0] > ib[-1]:
                    break
                yield ia, ib

    def _binary(self, parts: list, op_index: int, op: _Op, s1: int, s2: int) -> None:
        A, B = self.levels[s1], self.levels[s2]
        la, lb = A.select(op.operand, "left"), B.select(op.operand, "right")
        grow = A.max_abs * B.max_abs if op.name == "*" else A.max_abs + B.max_abs
        check = op.name in ("+", "-", "*") and grow > BOUND
        tri = op.commutative and s1 == s2
        n_rows = self.rows.shape[0]
        for ia, ib in self._tiles(la, lb, n_rows, tri):
            if self._done() or not self.storing:
                if not self._done():           # the store cap was hit: finish this pair unstored
                    (self._meet if op.linear else self._probe)(op_index, op, s1, s2)
                return
            pa, pb = np.repeat(ia, ib.size), np.tile(ib, ia.size)
            mask = pa <= pb if tri else None
            if op.linear:                                   # hash first, evaluate only the new ones
                if mask is not None:
                    pa, pb = pa[mask], pb[mask]
                hashes = A.hashes[pa] + B.hashes[pb] if op.linear > 0 else A.hashes[pa] - B.hashes[pb]
                u, first = np.unique(hashes, return_index=True)
                new = np.sort(first[~self.seen.contains(u)])
                self.n_enumerated += hashes.size - new.size
                pa, pb, hashes = pa[new], pb[new], hashes[new]
                vals = _apply(op.name, A.values[pa], B.values[pb])
                mask = (np.abs(vals) <= BOUND).all(1) if check else None
            else:                                           # every pair of the tile, by broadcasting
                va, vb = A.values[ia][:, None, :], B.values[ib][None, :, :]
                if check:
                    ok = (np.abs(va.astype(np.float64)) * np.abs(vb) <= BOUND).all(-1).reshape(-1)
                    mask = ok if mask is None else mask & ok
                vals = _apply(op.name, va, vb).reshape(-1, n_rows)
                hashes = self._hash(vals)
            self._collect(parts, True, vals, hashes, np.full(pa.size, op_index), self.first_id[s1] + pa,
                          self.first_id[s2] + pb, mask)

    def _meet(self, op_index: int, op: _Op, s1: int, s2: int) -> None:
        """Unstored ``a + b`` / ``a - b``: look ``h(t) - h(a)`` (``h(a) - h(t)``) up among level s2."""
        A, B = self.levels[s1], self.levels[s2]
        order = B.cached("order", lambda: np.argsort(B.hashes, kind="stable"))
        sorted_h = B.cached("sorted", lambda: B.hashes[order])
        self.n_enumerated += len(A) * len(B)
        for k in self._open():
            want = self.thash[k] - A.hashes if op.linear > 0 else A.hashes - self.thash[k]
            pos = np.minimum(np.searchsorted(sorted_h, want), len(B) - 1)
            for i in np.flatnonzero(sorted_h[pos] == want):
                j = int(order[pos[i]])
                if np.array_equal(_apply(op.name, A.values[i], B.values[j]), self.targets[k]):
                    self._extra(k, op_index, self.first_id[s1] + i, self.first_id[s2] + j)
                    break

    def _probe(self, op_index: int, op: _Op, s1: int, s2: int) -> None:
        """Unstored other operators: screen every pair on the probe rows, then check the survivors in full."""
        A, B = self.levels[s1], self.levels[s2]
        p = min(_N_PROBE, self.rows.shape[0])
        pa_vals = A.cached("probe", lambda: np.ascontiguousarray(A.values[:, :p]))
        pb_vals = B.cached("probe", lambda: np.ascontiguousarray(B.values[:, :p]))
        la, lb = A.select(op.operand, "left"), B.select(op.operand, "right")
        tri = op.commutative and s1 == s2
        for ia, ib in self._tiles(la, lb, p, tri):
            if self._done():
                return
            first = _FUNCS[op.name](pa_vals[ia, 0][:, None], pb_vals[ib, 0][None, :])
            self.n_enumerated += ia.size * ib.size
            screened: dict[int, tuple[np.ndarray, np.ndarray]] = {}     # targets sharing a first value
            for k in self._open():
                # the first probe row screens every pair, each further probe row only the survivors
                # of the rows before it (0/1 targets keep half the pairs at each row)
                v0 = int(self.targets[k][0])
                if v0 not in screened:
                    screened[v0] = np.nonzero(first == v0)
                hit_i, hit_j = screened[v0]
                for r in range(1, p):
                    if not hit_i.size:
                        break
                    keep = _FUNCS[op.name](pa_vals[ia[hit_i], r], pb_vals[ib[hit_j], r]) == self.targets[k][r]
                    hit_i, hit_j = hit_i[keep], hit_j[keep]
                I, J = ia[hit_i], ib[hit_j]
                if tri:
                    I, J = I[I <= J], J[I <= J]
                step = max(1, _BLOCK // self.rows.shape[0])
                for c0 in range(0, I.size, step):           # survivors, checked in full in batches
                    a, b = A.values[I[c0:c0 + step]], B.values[J[c0:c0 + step]]
                    ok = (np.abs(a * 1.0) * np.abs(b) <= BOUND).all(1) if op.name == "*" else True
                    match = np.flatnonzero(ok & (_apply(op.name, a, b) == self.targets[k]).all(1))
                    if match.size:
                        m = c0 + int(match[0])
                        self._extra(k, op_index, self.first_id[s1] + int(I[m]), self.first_id[s2] + int(J[m]))
                        break

    # -- printing ---------------------------------------------------------------------------------
    def tree(self, gid: int) -> tuple[ast.expr, int]:
        """The AST of expression ``gid`` and its size."""
        if gid < 0:
            return self._node(*self.extra[-gid - 1])
        size = max(s for s, first in self.first_id.items() if first <= gid and s in self.levels
                   and gid < first + len(self.levels[s]))
        lvl, i = self.levels[size], gid - self.first_id[size]
        return self._node(int(lvl.op[i]), int(lvl.left[i]), int(lvl.right[i]))

    def _node(self, op: int, left: int, right: int) -> tuple[ast.expr, int]:
        if op == -1:
            return ast.Name(self.names[left], ast.Load()), 1
        if op == -2:
            c = self.constants[left]
            return (ast.Constant(c), 1) if c >= 0 else (ast.UnaryOp(ast.USub(), ast.Constant(-c)), 2)
        o = self.ops[op]
        a, sa = self.tree(left)
        if o.name == "neg":
            return ast.UnaryOp(ast.USub(), a), sa + 1
        if o.name == "abs":
            return ast.Call(ast.Name("abs", ast.Load()), [a], []), sa + 1
        if o.name in ("delta", "heaviside"):
            return ast.Compare(a, [ast.Eq() if o.name == "delta" else ast.Gt()], [ast.Constant(0)]), sa + 2
        b, sb = self.tree(right)
        name = o.name
        if name == "+" and _negative(a) and not _negative(b):
            a, b, sa, sb = b, a, sb, sa
        if name in ("+", "-") and _negative(b):             # print "a - 1" rather than "a + -1"
            b, sb, name = b.operand, sb - 1, "-" if name == "+" else "+"
            if name == "-":
                return ast.BinOp(a, ast.Sub(), b), sa + sb + 1
        if name == "+":                                     # print "a + x1 + x2", "x - y + 3"
            return (_sum(a, b) if sa <= sb else _sum(b, a)), sa + sb + 1
        if (o.commutative and (sa < sb or (isinstance(a, ast.Constant) and not isinstance(b, ast.Constant)))
                or name in _FLIP and isinstance(a, ast.Constant) and not isinstance(b, ast.Constant)):
            a, b, name = b, a, _FLIP.get(name, name)       # print "x < 4", "max(a + x, b)"
        if name in ("min", "max"):
            return ast.Call(ast.Name(name, ast.Load()), [a, b], []), sa + sb + 1
        if name in _AST_BINOPS:
            return ast.BinOp(a, _AST_BINOPS[name](), b), sa + sb + 1
        return ast.Compare(a, [_AST_CMPOPS[name]()], [b]), sa + sb + 1


def _negative(node: ast.expr) -> bool:
    return isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant)


def _sum(a: ast.expr, b: ast.expr) -> ast.expr:
    """``a + b`` (``a`` the smaller) printed left to right: ``a + (x - y)`` as ``a + x - y``, a constant
    last."""
    if isinstance(a, ast.Constant) and not isinstance(b, ast.Constant):
        a, b = b, a
        if not (isinstance(a, ast.BinOp) and isinstance(a.op, (ast.Add, ast.Sub))):
            return ast.BinOp(a, ast.Add(), b)
    if isinstance(b, ast.BinOp) and isinstance(b.op, (ast.Add, ast.Sub)) and not isinstance(a, ast.Constant):
        return ast.BinOp(_sum(a, b.left), b.op, b.right)
    return ast.BinOp(a, ast.Add(), b)


_FLIP = {">": "<", ">=": "<=", "<": ">", "<=": ">="}
_AST_BINOPS = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult, "//": ast.FloorDiv, "%": ast.Mod, "^": ast.BitXor}
_AST_CMPOPS = {"==": ast.Eq, "!=": ast.NotEq, ">": ast.Gt, ">=": ast.GtE, "<": ast.Lt, "<=": ast.LtE}


def search_formulas(columns: Mapping[str, np.ndarray], targets: Mapping[str, np.ndarray], *, max_size: int = 9,
                    time_budget_seconds: float = 2.0, constants: Sequence[int] = (0, 1, 2, 3),
                    operators: Sequence[str] = DEFAULT_OPERATORS, max_stored_values: int = 1 << 23,
                    stats: dict[str, object] | None = None) -> dict[str, Formula | None]:
    """Smallest integer formulas for several targets over the same rows, from one enumeration.

    Parameters
    ----------
    columns : mapping of str to ndarray of shape (n_rows,)
        Integer input columns keyed by variable name (the only names a formula may read).
    targets : mapping of str to ndarray of shape (n_rows,)
        Integer targets, one formula each.
    max_size : int
        Largest formula size (AST nodes) searched.
    time_budget_seconds : float
        Budget of the whole search in nominal seconds, counted as candidates formed or screened
        (:data:`mips.regression.work.SYMBOLIC_PER_SECOND` per second), so the result does not
        depend on the machine or its load; targets not found by then get None.
    constants : sequence of int
        Integer constants the formulas may use (e.g. the alphabet size).
    operators : sequence of str
        Names from :data:`OPERATORS`.
    max_stored_values : int
        Cap on stored ``int64`` values (expressions times distinct rows). Past it, the remaining
        levels are only checked against the targets, so a larger formula may then be missed.
    stats : dict, optional
        Filled with ``n_enumerated`` (candidates formed or screened), ``stored_values`` and
        ``out_of_time``.

    Returns
    -------
    dict of str to Formula or None
        For each target a formula (method ``"symbolic"``) equal to it on every row, the smallest
        one within ``max_size`` (while levels fit in ``max_stored_values``); None when the rows
        contradict each other, or nothing fits within the size or time budget.
    """
    owner = "search_formulas"
    check_int(owner, "max_size", max_size, 1, 64)
    check_float(owner, "time_budget_seconds", time_budget_seconds, 0.0, 1e6, low_open=True)
    check_int(owner, "max_stored_values", max_stored_values, 1)
    consts = [check_int(owner, "constants", c if not isinstance(c, np.integer) else int(c), -BOUND, BOUND)
              for c in constants]
    for o in operators:
        if o not in OPERATORS:
            raise ConfigError(f"Unknown operator {o!r} for {owner}; known: {', '.join(OPERATORS)}."
                              + did_you_mean(o, OPERATORS))
    max_work = int(time_budget_seconds * SYMBOLIC_PER_SECOND)
    names, rows, tvals = distinct_rows(columns, targets, owner)
    live = {k: v for k, v in tvals.items() if v is not None}
    result: dict[str, Formula | None] = {k: None for k in targets}
    if stats is not None:
        stats.update(n_enumerated=0, stored_values=0, out_of_time=False)
    if not live:
        return result
    search = _Search(names, rows, live, consts, list(dict.fromkeys(operators)), max_size, max_work,
                     max_stored_values)
    search.run()
    if stats is not None:
        stats.update(n_enumerated=search.n_enumerated, stored_values=search.stored * rows.shape[0],
                     out_of_time=search.out_of_time)
    for k, gid in search.found.items():
        expr = ast.unparse(search.tree(gid)[0])
        if np.array_equal(evaluate(expr, dict(zip(names, rows.T)), (rows.shape[0],)), tvals[k]):
            result[k] = Formula(expr=expr, method="symbolic")
        else:
            logger.warning("search_formulas: %r does not reproduce target %r; dropped", expr, k)
    return result


def search_formula(columns: Mapping[str, np.ndarray], target: np.ndarray, *, max_size: int = 9,
                   time_budget_seconds: float = 2.0, constants: Sequence[int] = (0, 1, 2, 3),
                   operators: Sequence[str] = DEFAULT_OPERATORS, max_stored_values: int = 1 << 23,
                   stats: dict[str, object] | None = None) -> Formula | None:
    """The smallest integer formula equal to ``target`` on every row (brute-force enumeration).

    See :func:`search_formulas` for the parameters; ``target`` is one ndarray of shape (n_rows,).

    Examples
    --------
    >>> import numpy as np
    >>> a, x = np.meshgrid(np.arange(3), np.arange(3))
    >>> search_formula({"a": a.ravel(), "x": x.ravel()}, (a.ravel() + x.ravel()) % 3).expr
    '(a + x) % 3'
    """
    return search_formulas(columns, {"target": target}, max_size=max_size, time_budget_seconds=time_budget_seconds,
                           constants=constants, operators=operators, max_stored_values=max_stored_values,
                           stats=stats)["target"]


class SymbolicMethod(RegressionMethod):
    """The brute-force search, run once for every target whose best formula so far is missing or
    larger than ``IMPROVE_ABOVE``, for something shorter, on the budget the others left."""

    name = "symbolic"
    IMPROVE_ABOVE = 5

    def fit(self, problem: Problem, targets: Mapping[str, np.ndarray],
            best: Mapping[str, Formula | None]) -> dict[str, Formula]:
        wanted = {n: t for n, t in targets.items() if best[n] is None or best[n].size > self.IMPROVE_ABOVE}
        if not wanted:
            return {}
        limit = max((best[n].size - 1 if best[n] is not None else problem.max_symbolic_size) for n in wanted)
        budget = max(0.1, problem.time_budget_seconds - problem.spent_seconds)
        hits = search_formulas(problem.columns, wanted, max_size=min(limit, problem.max_symbolic_size),
                               time_budget_seconds=budget, constants=problem.constants)
        return {n: f for n, f in hits.items() if f is not None}


SYMBOLIC = SymbolicMethod()
