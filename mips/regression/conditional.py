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
from mips.regression.linear import fit_linear
from mips.regression.method import Problem, RegressionMethod

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


def _leaf(columns: Mapping[str, np.ndarray], target: np.ndarray, mask: np.ndarray,
          weights: np.ndarray | None, tolerance: float, budget: _Budget) -> Formula | None:
    if not mask.any() or not budget.take(int(np.count_nonzero(mask)) * (len(columns) + 1)):
        return None
    cols = {n: c[mask] for n, c in columns.items() if np.unique(c[mask]).size > 1}
    leaf = fit_linear(cols, target[mask], weights=None if weights is None else weights[mask], tolerance=tolerance)
    return leaf if isinstance(leaf, Formula) else None


def _split(columns, target, mask, weights, tolerance, budget, depth, variables) -> Formula | None:
    """The smallest conditional of nesting ``depth`` (0: an affine leaf) on the rows in ``mask``."""
    leaf = _leaf(columns, target, mask, weights, tolerance, budget)
    if leaf is not None or depth == 0:
        return leaf
    best: Formula | None = None
    for cond, where in _conditions({n: c[mask] for n, c in columns.items()}, variables):
        inside = mask.copy()
        inside[mask] = where
        outside = mask & ~inside
        if not inside.any() or not outside.any():
            continue
        yes = _split(columns, target, inside, weights, tolerance, budget, depth - 1, variables)
        no = _split(columns, target, outside, weights, tolerance, budget, depth - 1, variables) if yes else None
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
    found = _split(cols, target, everything, weights, tolerance, budget, 1, variables=False)
    if (found is None or found.method != "conditional") and len(cols) <= MAX_NESTED_COLUMNS:
        found = _split(cols, target, everything, weights, tolerance, budget, 2, variables=True)
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
