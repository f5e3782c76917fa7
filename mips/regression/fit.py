"""Regression stage: one formula per target, the shortest any method finds (mips-method.md §9).

Every method sees the same table of observed rows (unobserved combinations are don't-cares):
integer linear regression, modular formulas (for variables that live in Z_N), Boolean regression
(when every column and the target are bits) and the brute-force symbolic search, which only
looks for formulas shorter than the best one found so far.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from mips.regression.boolean import fit_boolean
from mips.regression.formula import Formula
from mips.regression.linear import fit_linear
from mips.regression.modular import fit_modular
from mips.regression.symbolic import search_formulas
from mips.regression.work import BOOLEAN_PER_SECOND, Work

METHODS = ("linear", "modular", "boolean", "symbolic")
MAX_SYMBOLIC_SIZE = 9
IMPROVE_ABOVE = 5        # look for a shorter formula than linear/modular/boolean found above this size


def _is_bits(a: np.ndarray) -> bool:
    return a.size > 0 and bool(np.all((a == 0) | (a == 1)))


def fit_formulas(columns: Mapping[str, np.ndarray], targets: Mapping[str, np.ndarray], *,
                 moduli: Mapping[str, int | None] | None = None, constants: Sequence[int] = (0, 1, 2, 3),
                 methods: Sequence[str] = METHODS, time_budget_seconds: float = 3.0,
                 max_symbolic_size: int = MAX_SYMBOLIC_SIZE, weights: np.ndarray | None = None,
                 tolerance: float = 0.0) -> dict[str, Formula | None]:
    """The shortest formula for each target over the same rows.

    Parameters
    ----------
    columns : mapping name -> int array of shape (n_rows,)
    targets : mapping name -> int array of shape (n_rows,)
    moduli : per target, N when it lives in Z_N
    constants : constants the symbolic search may use
    methods : subset of ``("linear", "modular", "boolean", "symbolic")``
    time_budget_seconds : budget of the Boolean and symbolic searches (shared by all targets), in
        nominal seconds counted as work (:mod:`mips.regression.work`): the same on any machine
    max_symbolic_size : largest formula (AST nodes) the symbolic search builds
    weights, tolerance : observations per row and the fraction of them a linear formula may miss
        (the other methods are exact; see :func:`fit_linear`)

    Returns
    -------
    dict target -> Formula or None (no method fits)
    """
    boolean_work = 0                    # nominal seconds the Boolean minimiser spent, in its units
    moduli = dict(moduli or {})
    cols = {k: np.asarray(v, dtype=np.int64) for k, v in columns.items()}
    bits = all(_is_bits(v) for v in cols.values())
    best: dict[str, Formula | None] = {}
    for name, target in targets.items():
        target = np.asarray(target, dtype=np.int64)
        found = []
        if "linear" in methods:
            found.append(fit_linear(cols, target, weights=weights, tolerance=tolerance))
        if "modular" in methods and moduli.get(name):
            found.append(fit_modular(cols, target, moduli[name]))
        if "boolean" in methods and bits and _is_bits(target):
            work = Work(int(0.85 * max(0.2, time_budget_seconds / 4) * BOOLEAN_PER_SECOND))
            found.append(fit_boolean(cols, target, budget=work))
            boolean_work += work.spent
        found = [f for f in found if f is not None]
        best[name] = min(found, key=lambda f: f.size) if found else None
    if "symbolic" in methods:
        # only look for something shorter than what the cheap methods found
        wanted = {n: np.asarray(t, dtype=np.int64) for n, t in targets.items()
                  if best[n] is None or best[n].size > IMPROVE_ABOVE}
        if wanted:
            limit = max((best[n].size - 1 if best[n] is not None else max_symbolic_size) for n in wanted)
            budget = max(0.1, time_budget_seconds - boolean_work / BOOLEAN_PER_SECOND)
            hits = search_formulas(cols, wanted, max_size=min(limit, max_symbolic_size),
                                   time_budget_seconds=budget, constants=tuple(constants))
            for n, f in hits.items():
                if f is not None and (best[n] is None or f.size < best[n].size):
                    best[n] = f
    return best
