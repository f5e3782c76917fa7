"""Regression stage: conditional expressions, ``A if v < k else B`` (beyond the paper).

An update that does one thing in one region of a variable and another elsewhere (a depth that
freezes once it is negative, a count that saturates) is two integer linear formulas and a
threshold. The brute-force search can find an arithmetic trick that encodes the split
(``a - x + ((a < 0) == x)``); the case split itself reads better. For every variable ``v`` and every
threshold ``k`` between two of its observed values (and ``v == k`` for each value), the rows are
split in two and :func:`~mips.regression.linear.fit_linear` must fit each side exactly (up to the
problem's tolerance); the smallest such formula wins. Only targets no exact method fitted are
tried, and a conditional found here is replaced by a shorter symbolic formula unless that one hides
a comparison inside arithmetic (``max(a, x)`` is better than ``x if a < x else a``; see
:func:`mips.regression.fit.fit_formulas`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from mips.regression.formula import Formula
from mips.regression.linear import fit_linear
from mips.regression.method import Problem, RegressionMethod

MAX_THRESHOLDS = 24           # distinct values of a variable tried as thresholds


def _side(columns: Mapping[str, np.ndarray], target: np.ndarray, mask: np.ndarray,
          weights: np.ndarray | None, tolerance: float) -> Formula | None:
    cols = {n: c[mask] for n, c in columns.items() if np.unique(c[mask]).size > 1}
    return fit_linear(cols, target[mask], weights=None if weights is None else weights[mask],
                      tolerance=tolerance)


def fit_conditional(columns: Mapping[str, np.ndarray], target: np.ndarray, *,
                    weights: np.ndarray | None = None, tolerance: float = 0.0) -> Formula | None:
    """The smallest ``A if cond else B`` equal to ``target`` (A, B integer affine), or None.

    >>> import numpy as np
    >>> a = np.repeat(np.arange(-3, 8), 2); x = np.tile([0, 1], 11)
    >>> fit_conditional({"a": a, "x": x}, np.where(a < 0, a, a + 1 - 2 * x)).expr
    'a if a < 0 else a - 2*x + 1'
    """
    target = np.asarray(target, dtype=np.int64)
    if target.size == 0:
        return None
    best: Formula | None = None
    for name, values in columns.items():
        values = np.asarray(values, dtype=np.int64)
        distinct = np.unique(values)
        if distinct.size < 2 or distinct.size > MAX_THRESHOLDS:
            continue
        splits = [(f"{name} < {int(k)}", values < k) for k in distinct[1:]]
        splits += [(f"{name} == {int(k)}", values == k) for k in distinct] if distinct.size > 2 else []
        for cond, mask in splits:
            yes = _side(columns, target, mask, weights, tolerance)
            no = _side(columns, target, ~mask, weights, tolerance) if yes is not None else None
            if yes is None or no is None:
                continue
            cand = Formula(expr=f"{yes.expr} if {cond} else {no.expr}", method="conditional")
            if best is None or cand.size < best.size:
                best = cand
    return best


class ConditionalMethod(RegressionMethod):
    """``A if v < k else B`` for the targets the exact methods left without a formula."""

    name = "conditional"

    def fit(self, problem: Problem, targets: Mapping[str, np.ndarray],
            best: Mapping[str, Formula | None]) -> dict[str, Formula]:
        found = {}
        for name, target in targets.items():
            if best[name] is None:
                formula = fit_conditional(problem.columns, target, weights=problem.weights,
                                          tolerance=problem.tolerance)
                if formula is not None:
                    found[name] = formula
        return found


CONDITIONAL = ConditionalMethod()
