"""Exact synthesis: the smallest expression equal to a target column, plain or conditional.

:func:`smallest` grows a :class:`~mips.program.exact.bank.Bank` size by size until an expression
matches the target on every row, and then looks for a smaller conditional
``a if p else b`` (``b`` itself may be conditional, up to ``MAX_DEPTH`` tests): decision-tree
unification, as in EUSolver. Each kept expression's rows of agreement with the target are packed
into bit sets once, so "the smallest expression right on every row where ``p`` holds" is one
vectorised test over the bank. Row sets are Python integers (bit i: row i), so splitting and the
memo keys cost no array calls, and each row set's first covering branch is remembered (the
recursion meets the same row sets under many tests). Tests are the bank's Boolean expressions
and the integer names themselves (``a if a else ...``: a nonzero state).

Budgets count work: candidates evaluated while growing the bank, and bank rows scanned while
unifying.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

from mips.program.exact.bank import Bank, Term, grow, leaves
from mips.regression.formula import expression_size

MAX_SIZE = 11                   # largest plain expression looked for
MAX_CANDIDATES = 250_000        # candidate expressions evaluated per bank
MAX_DEPTH = 3                   # nested tests in a conditional
MAX_TEST_SIZE = 5               # largest test in a conditional
MAX_TESTS = 600                 # tests tried at each split, smallest first
MAX_BRANCH_SIZE = 5             # largest branch of a conditional
UNIFY_WORK = 60_000_000         # bank rows x words scanned while unifying, per target


@dataclass(frozen=True, slots=True)
class Found:
    expr: str
    size: int


def build_bank(names: dict[str, np.ndarray], constants: list[int], *, max_size: int = MAX_SIZE,
               max_candidates: int = MAX_CANDIDATES, targets: list[np.ndarray] = (),
               moduli: frozenset[int] = frozenset()) -> Bank:
    """Every distinct expression up to ``max_size`` within the budget; with ``targets``, growth
    stops once each target equals some expression (smaller conditionals need only what is there)."""
    n_rows = len(next(iter(names.values()))) if names else 1
    bank = Bank(n_rows=n_rows)
    leaves(bank, names, constants)
    for size in range(2, max_size + 1):
        if targets and all(_plain(bank, np.asarray(t, dtype=np.int64)) is not None for t in targets):
            break
        if bank.candidates >= max_candidates:
            break
        grow(bank, size, max_candidates=max_candidates, moduli=moduli)
    return bank


def _plain(bank: Bank, target: np.ndarray) -> int | None:
    i = bank.find(target)
    return None if i is None or bank.terms[i].trick else i


def _pack(mask: np.ndarray) -> np.ndarray:
    """Boolean rows packed into uint64 words (padding bits zero)."""
    mask = np.atleast_2d(mask.astype(bool))
    pad = (-mask.shape[1]) % 64
    if pad:
        mask = np.concatenate([mask, np.zeros((len(mask), pad), dtype=bool)], axis=1)
    return np.packbits(mask, axis=1, bitorder="little").view(np.uint64)


def _as_int(words: np.ndarray) -> int:
    """Packed words (:func:`_pack`) as one integer, bit i for row i."""
    return int.from_bytes(words.tobytes(), "little")


class _Unifier:
    """Decision-tree unification over a bank: tests split the rows, branches cover each part."""

    def __init__(self, bank: Bank, target: np.ndarray, work: int):
        self.bank = bank
        flag = bool(np.all((target == 0) | (target == 1)))
        # a branch is a value: no Boolean trick, and a comparison only where the target is 0/1;
        # a 0/1 target takes 0/1 values only (``seen if seen or last <= x else x`` gives a flag
        # the input x where x happens to be 0 or 1: a riddle)
        order = [i for s in sorted(bank.by_size) if s <= MAX_BRANCH_SIZE for i in bank.by_size[s]
                 if not bank.terms[i].trick and (flag or bank.terms[i].kind == "int")]
        values = bank.matrix(order)
        if flag:
            binary = np.all((values == 0) | (values == 1), axis=1)
            order = [i for i, b in zip(order, binary.tolist()) if b]
            values = values[binary]
        self.order = order
        # cost: 8 per node, plus 12 for a branch that is not a name or a constant (leaves read better:
        # ``1 if a > b else 0`` rather than ``min(1, a - b)``, one node larger), and 1 for a name
        # (a constant says more: ``1 if x == 1 else seen`` rather than ``x if x == 1 else seen``)
        self.costs = np.array([8 * bank.terms[i].size + (1 if bank.terms[i].name else 0 if bank.terms[i].atom and "(" not in bank.terms[i].expr else 12)
                               for i in order])
        resort = np.argsort(self.costs, kind="stable")
        self.order = [order[k] for k in resort]
        self.costs = self.costs[resort]
        values = values[resort]
        self.miss = _pack(values != target[None])             # rows where each branch is wrong
        tests = [i for s in sorted(bank.by_size) if s <= MAX_TEST_SIZE for i in bank.by_size[s]
                 if bank.terms[i].kind == "bool" or bank.terms[i].name]
        cols = bank.matrix(tests) != 0
        self.tests = [(i, _as_int(yes), _as_int(no))
                      for i, yes, no in list(zip(tests, _pack(cols), _pack(~cols)))[:MAX_TESTS]]
        self.cost_list = self.costs.tolist()
        self.n_words = self.miss.shape[1]
        self.work = work
        self.memo: dict[tuple[int, int], tuple[tuple[int, str] | None, int]] = {}
        # row set -> (branches scanned, the first right on it or None): a later scan goes on from there
        self.covering: dict[int, tuple[int, int | None]] = {}

    def first_covering(self, rows: int, below: int) -> int | None:
        """Position (in cost order) of the cheapest branch right on ``rows``, of cost < below.
        The work counted is the scan's, remembered or not (the budget does not depend on the memo)."""
        limit = bisect.bisect_left(self.cost_list, below)
        if limit == 0:
            return None
        self.work -= limit * self.n_words
        scanned, found = self.covering.get(rows, (0, None))
        if found is not None:
            return found if found < limit else None
        if limit <= scanned:
            return None
        words = np.frombuffer(rows.to_bytes(8 * self.n_words, "little"), dtype=np.uint64)
        hit = ~np.any(self.miss[scanned:limit] & words[None], axis=1)
        k = int(np.argmax(hit))
        found = scanned + k if hit[k] else None
        self.covering[rows] = (limit, found)
        return found if found is not None and found < limit else None

    def solve(self, rows: int, depth: int, below: int) -> tuple[int, str] | None:
        """The smallest (size, expression) right on ``rows`` (a bit set), of size < below."""
        key = (rows, depth)
        if key in self.memo:
            hit, bound = self.memo[key]
            if hit is not None:
                return hit if hit[0] < below else None
            if bound >= below:
                return None
        bound = below
        best = None
        k = self.first_covering(rows, below)
        if k is not None:
            t = self.bank.terms[self.order[k]]
            best = (int(self.costs[k]), t.expr)
            below = best[0]
        if depth > 0:
            for i, yes, no in self.tests:
                p = self.bank.terms[i]
                if 8 * (p.size + 3) >= below:
                    break                               # tests come smallest first
                if self.work <= 0:
                    break
                on, off = rows & yes, rows & no
                if not on or not off:
                    continue
                a = self.first_covering(on, below - 8 * (p.size + 2))
                if a is None:
                    continue
                ta = self.bank.terms[self.order[a]]
                rest = self.solve(off, depth - 1, below - 8 * (p.size + 1) - int(self.costs[a]))
                if rest is None:
                    continue
                cost = 8 * (p.size + 1) + int(self.costs[a]) + rest[0]
                if cost < below:
                    cond = f"({p.expr})" if p.prec <= 3 else p.expr
                    then = f"({ta.expr})" if ta.prec <= 3 else ta.expr
                    best, below = (cost, f"{then} if {cond} else {rest[1]}"), cost
        self.memo[key] = (best, bound)
        return best


def smallest(bank: Bank, target: np.ndarray, *, conditional: bool = True, work: int = UNIFY_WORK) -> Found | None:
    """The smallest expression of the bank, or conditional over it, equal to ``target``."""
    target = np.asarray(target, dtype=np.int64)
    plain = _plain(bank, target)
    best = Found(bank.terms[plain].expr, bank.terms[plain].size) if plain is not None else None
    if not conditional or (best is not None and best.size <= 4):
        return best
    unifier = _Unifier(bank, target, work)
    rows = (1 << bank.n_rows) - 1                          # padding bits are zero: never a miss
    hit = unifier.solve(rows, MAX_DEPTH, 8 * best.size + 8 if best is not None else 10 ** 9)
    if hit is not None:
        size = expression_size(hit[1])
        if best is None or size < best.size:
            return Found(hit[1], size)
    return best


__all__ = ["Bank", "Found", "Term", "build_bank", "smallest"]
