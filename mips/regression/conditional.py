"""Regression stage: conditional expressions, ``A if v < k else B`` (beyond the paper).

An update that does one thing in one region of a variable and another elsewhere (a depth that
freezes once it is negative, a count that saturates) is two integer linear formulas and a
threshold. The brute-force search can find an arithmetic trick that encodes the split
(``a - x + ((a < 0) == x)``); the case split itself reads better. For every variable ``v`` and every
threshold ``k`` between two of its observed values (and ``v == k`` for each value), the rows are
split in two and :func:`~mips.regression.linear.fit_linear` must fit each side exactly (up to the
problem's tolerance); the smallest such formula wins. Failing that, conditions between two
variables (``a < b``, ``a <= b``) and a second level of nesting are tried (a decision tree of depth
two with affine leaves) for tables of at most ``MAX_NESTED_COLUMNS`` columns, within ``MAX_FITS``
linear fits for all the targets of one table. Only targets no exact method fitted are
tried, and a conditional found here is replaced by a shorter symbolic formula unless that one hides
a comparison inside arithmetic (``max(a, x)`` is better than ``x if a < x else a``; see
:func:`mips.regression.fit.fit_formulas`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from mips.failure import Failure
from mips.regression.formula import Formula
from mips.regression.linear import fit_distinct
from mips.regression.method import Problem, RegressionMethod
from mips.regression.rows import lex_groups

MAX_THRESHOLDS = 24           # distinct values of a variable tried as thresholds
MAX_NESTED_COLUMNS = 5        # variables and inputs, for comparisons between them and nesting
MAX_CELLS = 20_000_000       # table cells those fits may read
MAX_FITS = 6_000             # linear fits one table of targets may cost (a count: the same answer on any machine)


class _Budget:
    """Linear fits and the table cells they read, both counted (never a clock)."""

    def __init__(self, fits: int, cells: int = MAX_CELLS) -> None:
        self.left = fits
        self.cells = cells

    def take(self, cells: int) -> bool:
        self.left -= 1
        self.cells -= cells
        if self.cells < 0:
            self.left = min(self.left, -1)
        return self.left >= 0


def _conditions(columns: Mapping[str, np.ndarray], variables: bool):
    """(text, mask) of every split: ``v < k`` between observed values, ``v == k``; with
    ``variables``, also ``u < v`` and ``u <= v`` between two columns."""
    out = []
    if variables:                      # first: a tree that compares variables needs these
        names = list(columns)
        for i, u in enumerate(names):
            for v in names[i + 1:]:
                out += [(f"{u} < {v}", columns[u] < columns[v]), (f"{u} <= {v}", columns[u] <= columns[v])]
    for name, values in columns.items():
        distinct = np.unique(values)
        if distinct.size < 2 or distinct.size > MAX_THRESHOLDS:
            continue
        # equalities first: on a tie in size, `x == 1` names a case better than `x < 2`
        if distinct.size > 2:
            out += [(f"{name} == {int(k)}", values == k) for k in distinct]
        out += [(f"{name} < {int(k)}", values < k) for k in distinct[1:]]
    return out


class _Leaves:
    """Affine leaf fits on subsets of one table's rows: each is :func:`fit_linear` on those rows (the
    same distinct rows in the same order, so the same formula), with the table's rows sorted once
    instead of once per subset, and a subset met again (``x == 0`` and ``x < 1``, the two orders of
    a nested split) answered from memory. Every fit still takes its share of the budget, so the
    search stops where it would without the memory."""

    def __init__(self, columns: Mapping[str, np.ndarray], target: np.ndarray, weights: np.ndarray | None,
                 tolerance: float) -> None:
        self.names = list(columns)
        self.table = np.column_stack([columns[n] for n in self.names] + [target]).astype(np.int64)
        self.order, starts = lex_groups(self.table)
        self.group = np.cumsum(starts) - 1               # distinct-row id, in sorted order
        self.weights = (np.ones(len(target)) if weights is None else np.asarray(weights, dtype=np.float64))
        self.tolerance = tolerance
        self.memory: dict[bytes, Formula | None] = {}

    def fit(self, mask: np.ndarray) -> Formula | None:
        key = np.packbits(mask).tobytes()
        if key not in self.memory:
            self.memory[key] = self._fit(mask)
        return self.memory[key]

    def _fit(self, mask: np.ndarray) -> Formula | None:
        inside = mask[self.order]
        rows, group = self.order[inside], self.group[inside]
        starts = np.ones(len(rows), dtype=bool)
        starts[1:] = group[1:] != group[:-1]
        first = rows[starts]
        weight = np.add.reduceat(self.weights[rows], np.flatnonzero(starts))
        distinct = self.table[first]
        varies = [j for j in range(len(self.names)) if distinct[:, j].min() != distinct[:, j].max()]
        design = np.column_stack([distinct[:, varies].astype(np.float64), np.ones(len(first))])
        leaf = fit_distinct([self.names[j] for j in varies], design, distinct[:, -1].astype(np.float64), weight,
                            tolerance=self.tolerance)
        return leaf if isinstance(leaf, Formula) else None


def _leaf(leaves: _Leaves, mask: np.ndarray, n_columns: int, budget: _Budget) -> Formula | None:
    if not mask.any() or not budget.take(int(np.count_nonzero(mask)) * (n_columns + 1)):
        return None
    return leaves.fit(mask)


def _split(columns, leaves, mask, budget, depth, variables) -> Formula | None:
    """The smallest conditional of nesting ``depth`` (0: an affine leaf) on the rows in ``mask``."""
    leaf = _leaf(leaves, mask, len(columns), budget)
    if leaf is not None or depth == 0:
        return leaf
    best: Formula | None = None
    for cond, where in _conditions({n: c[mask] for n, c in columns.items()}, variables):
        inside = mask.copy()
        inside[mask] = where
        outside = mask & ~inside
        if not inside.any() or not outside.any():
            continue
        yes = _split(columns, leaves, inside, budget, depth - 1, variables)
        no = _split(columns, leaves, outside, budget, depth - 1, variables) if yes else None
        if budget.left < 0:
            break
        if yes is None or no is None:
            continue
        wrap = (lambda f: f"({f.expr})" if f.method == "conditional" else f.expr)
        cand = Formula(expr=f"{wrap(yes)} if {cond} else {wrap(no)}", method="conditional")
        if best is None or cand.size < best.size:
            best = cand
    return best


def fit_conditional(columns: Mapping[str, np.ndarray], target: np.ndarray, *,
                    weights: np.ndarray | None = None, tolerance: float = 0.0,
                    max_fits: int = MAX_FITS, budget: _Budget | None = None) -> Formula | Failure:
    """The smallest ``A if cond else B`` equal to ``target`` (A, B integer affine); then, if there
    is none, with conditions between two variables and one more level of nesting (Majority_0_2's
    output: the most frequent of three counts, ties to the smallest symbol). Without one: a
    Failure (stage ``"regress"``, method ``"conditional"``) saying why.

    >>> import numpy as np
    >>> a = np.repeat(np.arange(-3, 8), 2); x = np.tile([0, 1], 11)
    >>> fit_conditional({"a": a, "x": x}, np.where(a < 0, a, a + 1 - 2 * x)).expr
    'a if a < 0 else a - 2*x + 1'
    """
    target = np.asarray(target, dtype=np.int64)
    if target.size == 0:
        return Failure(stage="regress", method="conditional", message="no rows to fit")
    cols = {n: np.asarray(c, dtype=np.int64) for n, c in columns.items()}
    everything = np.ones(target.size, dtype=bool)
    budget = _Budget(max_fits) if budget is None else budget
    leaves = _Leaves(cols, target, weights, tolerance)
    found = _split(cols, leaves, everything, budget, 1, variables=False)
    if (found is None or found.method != "conditional") and len(cols) <= MAX_NESTED_COLUMNS:
        found = _split(cols, leaves, everything, budget, 2, variables=True)
    if found is not None and found.method == "conditional":
        return found
    why = "its budget of linear fits ran out" if budget.left < 0 else "no case split with integer affine sides fits"
    return Failure(stage="regress", method="conditional", message=why)


class ConditionalMethod(RegressionMethod):
    """``A if v < k else B`` for the targets the exact methods left without a formula."""

    name = "conditional"

    def fit(self, problem: Problem, targets: Mapping[str, np.ndarray],
            best: Mapping[str, Formula | None]) -> dict[str, Formula]:
        found = {}
        budget = _Budget(MAX_FITS)            # shared by the targets of one table
        for name, target in targets.items():
            if best[name] is None:
                formula = fit_conditional(problem.columns, target, weights=problem.weights,
                                          tolerance=problem.tolerance, budget=budget)
                if isinstance(formula, Formula):
                    found[name] = formula
        return found


CONDITIONAL = ConditionalMethod()
