"""Regression stage: one formula per target, the shortest any method finds (mips-method.md §9).

Every registered method (:data:`mips.regression.registry.REGRESSIONS`) sees the same table of
observed rows (unobserved combinations are don't-cares): integer linear regression, modular
formulas (for variables that live in Z_N), Boolean regression (when every column and the target
are bits) and the brute-force symbolic search, which only looks for formulas shorter than the
best one found so far.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence

import numpy as np

from mips.errors import ConfigError, did_you_mean
from mips.failure import Failure
from mips.regression.formula import Formula
from mips.regression.method import Problem
from mips.regression.registry import METHODS, REGRESSIONS

MAX_SYMBOLIC_SIZE = 9


def _split_in_arithmetic(expr: str) -> bool:
    """A comparison used as a number inside arithmetic (``a - x + ((a < 0) == x)``)."""
    tree = ast.parse(expr, mode="eval")
    return any(isinstance(node, ast.BinOp) and any(isinstance(sub, ast.Compare) for sub in ast.walk(node))
               for node in ast.walk(tree))


def _kept(formula: Formula, shorter: Formula, target: str, problem: Problem) -> bool:
    """``formula`` stays although ``shorter`` is shorter. A variable that lives in Z_N (N > 2) keeps
    its affine update modulo N: ``(2 * r + x) % 3`` says what long division does, the shorter
    ``(x - r) % 3`` hides it (for bits, ``a ^ x`` reads better than ``(a + x) % 2``). A case split
    (or a decision list, :mod:`mips.regression.selection`) stays against a formula that hides a
    comparison inside arithmetic: ``a if a < 0 else a + 1 - 2 * x`` over ``a - x + ((a < 0) == x)``,
    but ``max(a, x)`` over ``x if a < x else a``."""
    if formula.method in ("conditional", "selection"):
        return _split_in_arithmetic(shorter.expr)
    return formula.method == "modular" and (problem.moduli.get(target) or 0) > 2


def fit_formulas(columns: Mapping[str, np.ndarray], targets: Mapping[str, np.ndarray], *,
                 moduli: Mapping[str, int | None] | None = None, constants: Sequence[int] = (0, 1, 2, 3),
                 methods: Sequence[str] = METHODS, time_budget_seconds: float = 3.0,
                 max_symbolic_size: int = MAX_SYMBOLIC_SIZE, weights: np.ndarray | None = None,
                 tolerance: float = 0.0) -> dict[str, Formula | Failure]:
    """The shortest formula for each target over the same rows.

    Parameters
    ----------
    columns : mapping name -> int array of shape (n_rows,)
    targets : mapping name -> int array of shape (n_rows,)
    moduli : per target, N when it lives in Z_N
    constants : constants the symbolic search may use
    methods : registered method names to run (default: all of
        :data:`~mips.regression.registry.METHODS`), always in the registry's order
    time_budget_seconds : budget of the Boolean and symbolic searches (shared by all targets), in
        nominal seconds counted as work (:mod:`mips.regression.work`): the same on any machine
    max_symbolic_size : largest formula (AST nodes) the symbolic search builds
    weights, tolerance : observations per row and the fraction of them a linear formula may miss
        (the other methods are exact; see :func:`fit_linear`)

    Returns
    -------
    dict target -> Formula, or a Failure (stage ``"regress"``) when no method fits
    """
    for m in methods:
        if m not in REGRESSIONS:
            raise ConfigError(f"Unknown regression method {m!r} in the 'methods' parameter of fit_formulas; "
                              f"the registered ones are {METHODS}.{did_you_mean(str(m), METHODS)}")
    problem = Problem(columns={k: np.asarray(v, dtype=np.int64) for k, v in columns.items()},
                      moduli=dict(moduli or {}), constants=tuple(constants),
                      time_budget_seconds=time_budget_seconds, max_symbolic_size=max_symbolic_size,
                      weights=weights, tolerance=tolerance)
    wanted = {name: np.asarray(t, dtype=np.int64) for name, t in targets.items()}
    best: dict[str, Formula | None] = dict.fromkeys(wanted)
    used = [name for name in REGRESSIONS if name in methods]
    for name in used:
        for target, formula in REGRESSIONS[name].fit(problem, wanted, best).items():
            current = best[target]
            if current is None or (formula.size < current.size and not _kept(current, formula, target, problem)):
                best[target] = formula
    tried = " / ".join(used) or "no method"
    return {target: f if f is not None else Failure(stage="regress", method=tried,
                                                    message=f"no formula for {target}")
            for target, f in best.items()}
