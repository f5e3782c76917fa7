"""Regression stage: set membership, ``v in (c1, c2, ...)`` (beyond the paper).

A 0/1 target that is a function of one integer variable is the indicator of a set of its values:
Perfect_Square_Detector is ``x in (0, 1, 4, 9, 16)``, which no comparison, Boolean form or small
arithmetic formula states as plainly. For each variable that determines the target on every row,
the method writes the smaller of ``v in (values giving 1)`` and ``v not in (values giving 0)``;
values the rows never show are don't-cares (verification then checks every input). A set above
(or below) every other observed value is written as the threshold it is (``r > 2``, not
``r in (3, 4, 5)``); smaller formulas from the other methods win.
"""

from __future__ import annotations

import numpy as np

from mips.regression.evaluate import MAX_SET_SIZE
from mips.failure import Failure
from mips.regression.formula import Formula
from mips.regression.method import Problem, TargetMethod, is_bits


def fit_membership(columns: dict[str, np.ndarray], target: np.ndarray) -> Formula | Failure:
    """The shortest membership test equal to ``target`` on every row, or a Failure (stage
    ``"regress"``, method ``"membership"``) saying why there is none.

    >>> import numpy as np
    >>> x = np.arange(20)
    >>> fit_membership({"x": x}, np.isin(x, (0, 1, 4, 9, 16)).astype(int)).expr
    'x in (0, 1, 4, 9, 16)'
    """
    target = np.asarray(target, dtype=np.int64)
    if not is_bits(target):
        return Failure(stage="regress", method="membership", message="the target is not 0/1")
    best: Formula | None = None
    for name, values in columns.items():
        vals, inverse = np.unique(np.asarray(values, dtype=np.int64), return_inverse=True)
        ones = np.zeros(len(vals), dtype=bool)
        zeros = np.zeros(len(vals), dtype=bool)
        np.logical_or.at(ones, inverse.reshape(-1), target == 1)
        np.logical_or.at(zeros, inverse.reshape(-1), target == 0)
        if np.any(ones & zeros) or not ones.any() or not zeros.any():
            continue                       # not a function of this variable, or constant
        inside, outside = vals[ones], vals[zeros]
        # a set on one side of every other observed value is a threshold: `r > 2`, not `r in (3, 4, 5)`
        if inside.min() > outside.max() or inside.max() < outside.min():
            above = inside.min() > outside.max()
            cand = Formula(expr=f"{name} > {int(outside.max())}" if above else f"{name} < {int(outside.min())}",
                           method="membership")
            if best is None or cand.size < best.size:
                best = cand
            continue
        chosen, op = (inside, "in") if len(inside) <= len(outside) else (outside, "not in")
        if len(chosen) > MAX_SET_SIZE:
            continue
        if len(chosen) == 1:                        # a set of one value is an equality
            cand = Formula(expr=f"{name} {'==' if op == 'in' else '!='} {int(chosen[0])}", method="membership")
        else:
            cand = Formula(expr=f"{name} {op} ({', '.join(str(int(v)) for v in chosen)})", method="membership")
        if best is None or cand.size < best.size:
            best = cand
    if best is None:
        return Failure(stage="regress", method="membership",
                       message=f"no single variable decides the target (or its set has more than {MAX_SET_SIZE} "
                               f"values)")
    return best


class MembershipMethod(TargetMethod):
    """``v in (...)`` for 0/1 targets determined by one variable."""

    name = "membership"

    def fit_target(self, problem: Problem, name: str, target: np.ndarray) -> Formula | Failure:
        return fit_membership(dict(problem.columns), target)


MEMBERSHIP = MembershipMethod()
