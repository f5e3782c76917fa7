"""Regression stage: modular formulas for modular encodings (beyond the paper).

For a target that lives in Z_N (a state variable of a cycle encoding), search
``(c_1*v_1 + ... + c_k*v_k + d) % N`` with every coefficient in ``0 .. N-1``: exhaustive,
vectorised, smallest formula first (fewest non-zero terms, then smallest coefficients).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import numpy as np

from mips.failure import Failure
from mips.regression.formula import Formula
from mips.regression.linear import linear_expression
from mips.regression.method import Problem, TargetMethod

MAX_COMBINATIONS = 2_000_000


def _failed(message: str) -> Failure:
    return Failure(stage="regress", method="modular", message=message)


def fit_modular(columns: Mapping[str, np.ndarray], target: np.ndarray, modulus: int) -> Formula | Failure:
    """Affine formula modulo ``modulus`` equal to ``target`` on every row.

    Returns
    -------
    Formula (method ``"modular"``), or a Failure (stage ``"regress"``, method ``"modular"``): no
    affine formula fits, the target is outside ``0..N-1``, or there are too many combinations to try.
    """
    target = np.asarray(target, dtype=np.int64)
    n = int(modulus)
    if n < 2:
        return _failed(f"the modulus {n} is below 2")
    if target.size == 0:
        return _failed("no rows to fit")
    if target.min() < 0 or target.max() >= n:
        return _failed(f"the target takes values outside 0..{n - 1}")
    names = list(columns)
    values = np.unique(np.column_stack([np.asarray(columns[c], dtype=np.int64) for c in names] + [target]),
                       axis=0)
    cols, y = values[:, :-1] % n, values[:, -1]
    k = len(names)
    if n ** (k + 1) > MAX_COMBINATIONS:
        return _failed(f"{n}^{k + 1} coefficient combinations are more than {MAX_COMBINATIONS:,} to try")
    best = None
    # fewest non-zero coefficients first, then lexicographically small ones
    for support in range(0, k + 1):
        for chosen in itertools.combinations(range(k), support):
            grids = np.array(list(itertools.product(range(1, n), repeat=support)),
                             dtype=np.int64).reshape(-1, max(support, 1))[:, :support]
            partial = (cols[:, list(chosen)] @ grids.T) % n if support else np.zeros((len(y), 1), np.int64)
            for d in range(n):
                ok = np.all((partial + d) % n == y[:, None], axis=0)
                if ok.any():
                    coef = dict.fromkeys(names, 0)
                    for j, c in zip(chosen, grids[int(np.argmax(ok))].tolist() if support else []):
                        coef[names[j]] = c
                    inner = linear_expression(coef, d)
                    cand = Formula(expr=f"({inner}) % {n}" if support else str(d), method="modular")
                    if best is None or cand.size < best.size:
                        best = cand
        if best is not None:
            return best
    return _failed(f"no affine formula modulo {n} fits")


class ModularMethod(TargetMethod):
    """Affine formulas modulo N, for the targets that live in Z_N."""

    name = "modular"

    def fit_target(self, problem: Problem, name: str, target: np.ndarray) -> Formula | Failure | None:
        modulus = problem.moduli.get(name)
        return fit_modular(problem.columns, target, modulus) if modulus else None   # None: not in Z_N


MODULAR = ModularMethod()
