"""Regression stage: Boolean regression, the shortest Python formula of a bit (mips-method.md §9.2).

The paper's ``formula(f)`` restricts a truth table to the variables it depends on, then returns
the shorter of its disjunctive normal form and, for symmetric functions, a parity, threshold or
bit-count form (at most 3 bits). Ours works on observed rows, where every input combination that
never occurs is a don't-care, with up to ``max_vars`` variables:

1. support: the fewest variables whose values still determine the target on the observed rows
   (exhaustively while cheap, else a greedy irredundant set);
2. candidates over each support: the constant, a literal; symmetric forms of the sum of literals
   (``a ^ b ^ c``, ``not a ^ b``, ``a + b + c > 1``, ``a - b + c > 0``, ``a + b == 1``, ...);
   exact sum-of-products / product-of-sums (sympy's ``SOPform`` / ``POSform`` with the unobserved
   rows as don't-cares, i.e. what ``simplify_logic`` computes) while their worst-case cost fits
   the budget, and greedy cube covers for any number of variables; decompositions
   ``v or g`` / ``v and g`` (one value of ``v`` fixes the result), ``v ^ g`` and
   ``g1 if v else g0`` with the parts found recursively;
3. the smallest candidate by :func:`~mips.regression.formula.expression_size` that reproduces the
   target on every row (checked by evaluation).

Past the work budget the best formula found so far is returned; at worst the plain disjunctive
normal form of the observed rows, as in the paper.
"""

from __future__ import annotations

import ast
import itertools
import logging
import math
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import sympy
from sympy.logic import POSform, SOPform

from mips.errors import check_float, check_int
from mips.failure import Failure
from mips.regression.evaluate import evaluate
from mips.regression.formula import Formula, expression_size
from mips.regression.method import Problem, TargetMethod, is_bits
from mips.regression.symbolic import distinct_rows
from mips.regression.work import BOOLEAN_PER_SECOND, CALL_COST, Work

__all__ = ["fit_boolean"]

logger = logging.getLogger(__name__)

_SYMPY_SECONDS = {6: 0.05, 7: 0.4, 8: 5.0}               # worst cost of one SOPform/POSform call
_MAX_SUPPORT_WORK = 4_000_000                            # row-checks spent looking for the fewest variables
_MAX_POLARITY_WORK = 2_000_000                           # row-checks spent on sign patterns of sums
_MAX_CHECKED_SIZE = 2000        # larger formulas are covers, correct by construction, not re-evaluated


def fit_boolean(columns: Mapping[str, np.ndarray], target: np.ndarray, *, max_vars: int = 16,
                time_budget_seconds: float = 2.0, budget: Work | None = None) -> Formula | Failure:
    """The shortest Boolean formula equal to a 0/1 target on every observed row.

    Parameters
    ----------
    columns : mapping of str to ndarray of shape (n_rows,)
        0/1 input columns keyed by variable name. Rows may repeat; combinations that never occur
        are don't-cares.
    target : ndarray of shape (n_rows,)
        The 0/1 target.
    max_vars : int
        Most variables the formula may read (after dropping the ones it does not need).
    time_budget_seconds : float
        Budget in nominal seconds, counted as work (:mod:`mips.regression.work`), so the formula
        does not depend on the machine or its load; past it the best candidate found so far is
        returned (at worst a plain disjunctive normal form of the observed rows).
    budget : Work, optional
        Spend from this budget instead (the caller then reads what was spent).

    Returns
    -------
    Formula or Failure
        Method ``"boolean"``; a Failure (stage ``"regress"``, method ``"boolean"``) saying why when
        a column or the target is not 0/1, when one input row has two different targets, or when
        more than ``max_vars`` variables are needed.

    Examples
    --------
    >>> import numpy as np
    >>> bits = np.array(list(np.ndindex(2, 2, 2))).T
    >>> fit_boolean({"c": bits[0], "x1": bits[1], "x2": bits[2]}, (bits.sum(0) > 1) * 1).expr
    'c + x1 + x2 > 1'
    """
    owner = "fit_boolean"
    check_int(owner, "max_vars", max_vars, 1, 64)
    check_float(owner, "time_budget_seconds", time_budget_seconds, 0.0, 1e6, low_open=True)
    deadline = budget if budget is not None else Work(int(0.85 * time_budget_seconds * BOOLEAN_PER_SECOND))
    names, rows, tv = distinct_rows(columns, {"target": target}, owner)
    t = tv["target"]
    bits = lambda a: bool(np.all((a == 0) | (a == 1)))      # noqa: E731
    if t is None:
        return _failed("one input row has two different targets")
    if not bits(t) or not bits(rows):
        return _failed("a column or the target is not 0/1")
    if t.size == 0 or np.all(t == t[0]):
        return Formula(expr=str(int(t[0])) if t.size else "0", method="boolean")
    supports = _supports(rows, t, deadline)
    if len(supports[0]) > max_vars:
        return _failed(f"the target needs {len(supports[0])} variables, more than max_vars={max_vars}")
    cands: list[_Cand] = []
    for cols in supports:
        sub, st = _restrict(rows, t, cols)
        cands += _candidates(sub, st, [names[c] for c in cols], deadline, 0, {})
        if deadline.over and cands:
            break
    env = dict(zip(names, rows.T))
    for _, i in sorted((c[0], i) for i, c in enumerate(cands)):     # ties: the first built
        size, expr, _ = cands[i]
        if size > _MAX_CHECKED_SIZE or np.array_equal(evaluate(expr, env, t.shape), t):
            return Formula(expr=expr, method="boolean", size=size)
        logger.warning("fit_boolean: candidate %r does not reproduce the target; skipped", expr)
    return _failed("no candidate reproduces the target")


def _failed(message: str) -> Failure:
    return Failure(stage="regress", method="boolean", message=message)


# ---------------------------------------------------------------------------------------- support

def _sufficient(rows: np.ndarray, t: np.ndarray, cols: Sequence[int]) -> bool:
    """Whether the columns ``cols`` determine ``t`` on the rows."""
    if not cols:
        return bool(np.all(t == t[0]))
    sub = rows[:, list(cols)]
    keys = sub @ (1 << np.arange(len(cols), dtype=np.int64)) if len(cols) < 62 else \
        np.unique(sub, axis=0, return_inverse=True)[1].reshape(-1)
    return np.unique(keys).size == np.unique(keys * 2 + t).size


def _supports(rows: np.ndarray, t: np.ndarray, deadline: Work) -> list[list[int]]:
    """Smallest sufficient column sets (up to 4, fewest first), and a greedy irredundant one."""
    n, m = rows.shape[1], rows.shape[0]
    greedy = list(range(n))
    for c in reversed(range(n)):
        if _sufficient(rows, t, [g for g in greedy if g != c]):
            greedy.remove(c)
    found: list[list[int]] = []
    work = 0
    for r in range(len(greedy)):
        work += math.comb(n, r) * m
        if work > _MAX_SUPPORT_WORK or deadline.over:
            break
        found = []
        for c in itertools.combinations(range(n), r):
            if deadline.over or len(found) == 4:
                break
            deadline.spend(m * max(r, 1) + CALL_COST)
            if _sufficient(rows, t, c):
                found.append(list(c))
        if found:
            break
    if greedy not in found:
        found.append(greedy)
    return sorted(found, key=len)


def _restrict(rows: np.ndarray, t: np.ndarray, cols: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of the columns ``cols`` and their (consistent) targets."""
    sub, first = np.unique(rows[:, list(cols)], axis=0, return_index=True)
    return sub, t[first]


# ------------------------------------------------------------------------------------- candidates
# A candidate is (size, text, precedence of its top operator): 0 if-else, 1 or, 2 and, 3 not,
# 4 comparison, 6 ^, 9 a name or constant. Composing texts adds parentheses only where needed.

_Cand = tuple[int, str, int]
_PREC = {ast.IfExp: 0, ast.Or: 1, ast.And: 2, ast.Not: 3, ast.Compare: 4, ast.BitXor: 6}


def _cand(text: str) -> _Cand:
    node = ast.parse(text, mode="eval").body
    kind = type(node.op) if isinstance(node, (ast.BoolOp, ast.UnaryOp, ast.BinOp)) else type(node)
    return expression_size(text), text, _PREC.get(kind, 9)


def _wrap(c: _Cand, prec: int) -> str:
    """The text of ``c`` as an operand of an operator of precedence ``prec``."""
    return c[1] if c[2] >= prec else f"({c[1]})"


def _lit(v: str, positive: bool) -> str:
    return v if positive else f"not {v}"


class _Problem(NamedTuple):
    """One sub-problem of :func:`_candidates`."""

    rows: np.ndarray
    t: np.ndarray
    names: list[str]
    deadline: Work
    depth: int
    memo: dict


def _candidates(rows: np.ndarray, t: np.ndarray, names: list[str], deadline: Work, depth: int,
                memo: dict) -> list[_Cand]:
    """Formulas over ``names`` (the columns of ``rows``, all needed) reproducing ``t`` on the rows.

    ``depth`` counts the decompositions above this call: ``v or g``, ``v and g`` (when fixing
    ``v`` fixes the result), and at the top ``v ^ g`` and ``g1 if v else g0``, with ``g``, ``g0``,
    ``g1`` found recursively (``memo`` keeps the best formula of each sub-problem). Stops early
    at a formula of ``2k - 1`` nodes, the least that reads ``k`` needed variables.
    """
    k = len(names)
    if np.all(t == t[0]):
        return [(1, str(int(t[0])), 9)]
    if k == 1:                                    # both values occur, or t would be constant
        return [_cand(_lit(names[0], bool(t[rows[:, 0] == 1][0])))]
    out = [_cand(x) for x in _symmetric(rows, t, names)]
    for stage in (_sympy_stage, _cover_stage, _unate_stage, _xor_stage, _ite_stage):
        if deadline.over or (out and _best(out)[0] <= 2 * k - 1):
            break
        out += stage(_Problem(rows, t, names, deadline, depth, memo), out)
    if not out:                                                  # out of time: the observed rows
        on, off = rows[t == 1].astype(bool), rows[t == 0].astype(bool)
        out.append(_sop([(np.ones(k, bool), r) for r in on], names) if len(on) <= len(off)
                   else _pos([(np.ones(k, bool), r) for r in off], names))
    return out


def _sympy_stage(p: _Problem, out: list[_Cand]) -> list[_Cand]:
    """Exact two-level minimisation (sympy), while its worst-case cost fits the time left."""
    rows, t, names, deadline, depth, memo = p
    k = len(names)
    cost = _SYMPY_SECONDS.get(k, 0.01 if k < 6 else np.inf) * BOOLEAN_PER_SECOND
    if (depth == 0 or k <= 7 - depth) and cost < deadline.left / 3:
        deadline.spend(cost)
        return [_cand(x) for x in _sympy_forms(rows, t, names)]
    return []


def _cover_stage(p: _Problem, out: list[_Cand]) -> list[_Cand]:
    """Greedy sum-of-products and product-of-sums covers (any number of variables)."""
    rows, t, names, deadline, depth, memo = p
    on, off = rows[t == 1].astype(bool), rows[t == 0].astype(bool)
    best = _best(out)[0] if out else np.inf
    cubes_on, cubes_off = _cover(on, off, deadline, best), _cover(off, on, deadline, best)
    found = [] if cubes_on is None else [_sop(cubes_on, names)]
    if cubes_off is not None:
        found += [_pos(cubes_off, names), _not(_sop(cubes_off, names))]
    return found


def _unate_stage(p: _Problem, out: list[_Cand]) -> list[_Cand]:
    """``lit or g`` / ``lit and g`` where one value of a variable fixes the result."""
    rows, t, names, deadline, depth, memo = p
    k, found = len(names), []
    for c, v in enumerate(names if depth < 2 and k <= 8 else ()):
        for value in (0, 1):
            fixed = rows[:, c] == value
            deadline.spend(rows.shape[0] + CALL_COST)
            if deadline.over or not np.all(t[fixed] == t[fixed][0]):
                continue
            others = [i for i in range(k) if i != c]
            g = _reduced(rows[~fixed], t[~fixed], names, others, deadline, depth + 1, memo)
            if t[fixed][0]:                               # v == value gives 1
                found.append(_cand(f"{_lit(v, bool(value))} or {_wrap(g, 1)}"))
            else:                                         # v == value gives 0
                found.append(_cand(f"{_lit(v, not value)} and {_wrap(g, 2)}"))
    return found


def _xor_stage(p: _Problem, out: list[_Cand]) -> list[_Cand]:
    """``v ^ g`` with ``g = t ^ v`` simpler than ``t``."""
    rows, t, names, deadline, depth, memo = p
    found = []
    for c, v in enumerate(names if depth == 0 and len(names) <= 6 else ()):
        if deadline.over:
            break
        g = _reduced(rows, t ^ rows[:, c], names, list(range(len(names))), deadline, depth + 1, memo)
        if g[1] not in ("0", "1"):
            found.append(_cand(f"{v} ^ {_wrap(g, 7)}"))
    return found


def _ite_stage(p: _Problem, out: list[_Cand]) -> list[_Cand]:
    """``g1 if v else g0`` (Shannon expansion) with both cofactors found without decomposing."""
    rows, t, names, deadline, depth, memo = p
    k, found = len(names), []
    for c, v in enumerate(names if depth == 0 and k <= 6 else ()):
        sel, others = rows[:, c] == 1, [i for i in range(k) if i != c]
        deadline.spend(rows.shape[0] + CALL_COST)
        if deadline.over or sel.all() or not sel.any():
            continue
        g1 = _reduced(rows[sel], t[sel], names, others, deadline, 2, memo)
        g0 = _reduced(rows[~sel], t[~sel], names, others, deadline, 2, memo)
        found.append(_cand(f"{_wrap(g1, 1)} if {v} else {g0[1]}"))
    return found


def _best(cands: list[_Cand]) -> _Cand:
    return min(cands, key=lambda c: c[0])


def _not(c: _Cand) -> _Cand:
    return c[0] + 1, f"not {_wrap(c, 3)}", 3


def _reduced(rows: np.ndarray, t: np.ndarray, names: list[str], cols: list[int], deadline: Work, depth: int,
             memo: dict) -> _Cand:
    """The best candidate for ``t`` over the columns ``cols``, after dropping the ones it does not need."""
    for c in reversed(list(cols)):
        deadline.spend(rows.shape[0] * len(cols) + CALL_COST)
        if _sufficient(rows, t, [i for i in cols if i != c]):
            cols = [i for i in cols if i != c]
    sub, st = _restrict(rows, t, cols)
    key = (depth, tuple(names[i] for i in cols), sub.tobytes(), st.tobytes())
    if key not in memo:
        memo[key] = _best(_candidates(sub, st, [names[i] for i in cols], deadline, depth, memo))
    return memo[key]


def _symmetric(rows: np.ndarray, t: np.ndarray, names: list[str]) -> list[str]:
    """Forms of a function of the sum of literals (each variable or its complement)."""
    k, m = len(names), rows.shape[0]
    out: list[str] = []
    parity = rows.sum(1) % 2
    if np.array_equal(parity, t) or np.array_equal(1 - parity, t):
        out.append(("" if parity[0] == t[0] else "not ") + " ^ ".join(names))
    one, zero = t == 1, t == 0
    corr = rows[one].mean(0) - rows[zero].mean(0)                 # both occur: t is not constant
    signs = np.where(corr < 0, -1, 1)
    pols = [np.ones(k, np.int64), signs * signs[0]]                # sign patterns, first variable +
    if 2 ** (k - 1) * m <= _MAX_POLARITY_WORK:
        pols += [np.array((1,) + p) for p in itertools.product((1, -1), repeat=k - 1)]
    pols = np.unique(np.array(pols), axis=0)[::-1]                 # all-positive first
    n_neg = (pols < 0).sum(1)
    lsum = rows @ pols.T + n_neg                                   # (m, n_pols): true literals, 0..k
    idx = lsum + (k + 1) * np.arange(len(pols))
    size = (k + 1) * len(pols)
    mixed = (np.bincount(idx[one].ravel(), minlength=size) > 0) & (np.bincount(idx[zero].ravel(), minlength=size) > 0)
    for p in np.flatnonzero(~mixed.reshape(len(pols), k + 1).any(1)):      # t is a function of the sum
        g = dict(zip(lsum[:, p].tolist(), t.tolist()))
        out += _sum_forms(g, names, pols[p], int(n_neg[p]), k)
    return out


def _sum_forms(g: dict[int, int], names: list[str], pol: np.ndarray, n_neg: int, k: int) -> list[str]:
    """Comparisons of ``E = sum(positive) - sum(negative)`` (the literal sum is ``E + n_neg``) that
    agree with ``g`` (observed literal sum -> bit)."""
    e = names[0] + "".join((" + " if p > 0 else " - ") + v for v, p in zip(names[1:], pol[1:]))
    ones = sorted(s - n_neg for s, v in g.items() if v)
    zeros = sorted(s - n_neg for s, v in g.items() if not v)
    texts = []
    for thr in range(-1 - n_neg, k + 1 - n_neg):
        if all(s > thr for s in ones) and all(s <= thr for s in zeros):
            texts += [f"{e} > {thr}", f"{e} >= {thr + 1}"]
        if all(s < thr for s in ones) and all(s >= thr for s in zeros):
            texts += [f"{e} < {thr}", f"{e} <= {thr - 1}"]
    if not any(ones[0] <= s <= ones[-1] for s in zeros):
        texts.append(f"{e} == {ones[0]}" if len(ones) == 1 else f"{ones[0]} <= {e} <= {ones[-1]}")
    if len(zeros) == 1:
        texts.append(f"{e} != {zeros[0]}")
    texts.append(" or ".join(f"{e} == {s}" for s in ones))
    texts.append(" and ".join(f"{e} != {s}" for s in zeros))
    return texts


def _cover(on: np.ndarray, off: np.ndarray, deadline: Work, limit: float
           ) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """A greedy irredundant cover of the rows ``on`` by cubes that avoid every row of ``off``.

    Each cube is ``(fixed, values)``: the variables it fixes and their values. Each uncovered row
    is grown into a cube by freeing variables while no ``off`` row falls inside (unobserved points
    are don't-cares). None when the deadline passes first, or when the cover written out would
    exceed ``limit`` nodes.
    """
    cubes: list[tuple[np.ndarray, np.ndarray]] = []
    uncovered = np.ones(len(on), bool)
    covers, size = [], -1
    for i in range(len(on)):
        if not uncovered[i]:
            continue
        deadline.spend(off.size + CALL_COST)
        if deadline.over or size > limit:
            return None
        p = on[i]
        diff = off != p                                  # (n_off, k): where each off row differs
        count = diff.sum(1)
        fixed = np.ones(on.shape[1], bool)
        for v in np.argsort(diff.sum(0), kind="stable"):  # free the least constraining first
            if not np.any((count == 1) & diff[:, v]):
                fixed[v] = False
                count -= diff[:, v]
        cov = np.all(on[:, fixed] == p[fixed], axis=1)
        uncovered &= ~cov
        cubes.append((fixed, p))
        covers.append(cov)
        size += 2 * int(fixed.sum())                     # literals, their 'and' / 'or' links
    if size > limit:
        return None
    count = np.sum(covers, axis=0) if covers else np.zeros(0, np.int64)
    keep = np.ones(len(cubes), bool)
    for c in reversed(range(len(cubes))):                # drop cubes the others already cover
        if np.all(count[covers[c]] >= 2):
            keep[c] = False
            count -= covers[c]
    return [cube for cube, k in zip(cubes, keep) if k]


def _sop(cubes: list[tuple[np.ndarray, np.ndarray]], names: list[str]) -> _Cand:
    """``(size, text)`` of the sum of products of the cubes (``not`` binds tighter than ``and``)."""
    terms = [[_lit(names[v], bool(p[v])) for v in np.flatnonzero(fixed)] for fixed, p in cubes]
    n_lits = sum(len(x) for x in terms)
    n_not = sum(int((~p[fixed]).sum()) for fixed, p in cubes)
    size = n_lits + n_not + (n_lits - len(terms)) + (len(terms) - 1)
    prec = 1 if len(terms) > 1 else 2 if len(terms[0]) > 1 else 3 if n_not else 9
    return size, " or ".join(" and ".join(x) for x in terms), prec


def _pos(cubes_off: list[tuple[np.ndarray, np.ndarray]], names: list[str]) -> _Cand:
    """``(size, text)`` of ``not (cube or cube ...)`` written as a product of sums."""
    terms = [[_lit(names[v], not p[v]) for v in np.flatnonzero(fixed)] for fixed, p in cubes_off]
    n_lits = sum(len(x) for x in terms)
    n_not = sum(int(p[fixed].sum()) for fixed, p in cubes_off)
    size = n_lits + n_not + (n_lits - len(terms)) + (len(terms) - 1)
    prec = 2 if len(terms) > 1 else 1 if len(terms[0]) > 1 else 3 if n_not else 9
    return size, " and ".join(x[0] if len(x) == 1 else "(" + " or ".join(x) + ")" for x in terms), prec


def _sympy_forms(rows: np.ndarray, t: np.ndarray, names: list[str]) -> list[str]:
    """Minimal sum-of-products and product-of-sums from sympy, unobserved rows as don't-cares."""
    k = len(names)
    syms = [sympy.Symbol(v) for v in names]
    observed = {tuple(r) for r in rows.tolist()}
    dontcares = [list(r) for r in itertools.product((0, 1), repeat=k) if r not in observed]
    minterms = rows[t == 1].tolist()
    return [_from_sympy(SOPform(syms, minterms, dontcares)), _from_sympy(POSform(syms, minterms, dontcares))]


def _from_sympy(e: sympy.Basic) -> str:
    """Python text of a sympy sum of products or product of sums."""
    if e is sympy.true or e is sympy.false:
        return str(int(bool(e)))
    if isinstance(e, sympy.Symbol):
        return e.name
    if isinstance(e, sympy.Not):
        return "not " + _from_sympy(e.args[0])
    if isinstance(e, sympy.Or):
        return " or ".join(_from_sympy(a) for a in e.args)
    if isinstance(e, sympy.And):
        return " and ".join(f"({_from_sympy(a)})" if isinstance(a, sympy.Or) else _from_sympy(a) for a in e.args)
    raise TypeError(f"unexpected sympy node {type(e).__name__}")


class BooleanMethod(TargetMethod):
    """Boolean regression, when every column and the target are bits; each target gets its own
    work budget (a quarter of the shared one, at least 0.2 nominal seconds), and what it spends
    is taken from the searches after it."""

    name = "boolean"

    def fit_target(self, problem: Problem, name: str, target: np.ndarray) -> Formula | Failure | None:
        if not (problem.bits and is_bits(target)):
            return None                 # not applicable: the table is not all bits
        work = Work(int(0.85 * max(0.2, problem.time_budget_seconds / 4) * BOOLEAN_PER_SECOND))
        formula = fit_boolean(problem.columns, target, budget=work)
        problem.spend(work.spent, BOOLEAN_PER_SECOND)
        return formula


BOOLEAN = BooleanMethod()
