"""The conditional regression's leaf fits (one sort of the table, subsets answered from memory) give
exactly what integer linear regression gives on the same rows."""

from __future__ import annotations

import numpy as np

from mips.regression.conditional import _Leaves
from mips.regression.formula import Formula
from mips.regression.linear import fit_linear


def _plain_leaf(columns, target, mask, weights, tolerance):
    """The leaf as integer linear regression on the masked rows, constant columns left out."""
    cols = {n: c[mask] for n, c in columns.items() if np.unique(c[mask]).size > 1}
    leaf = fit_linear(cols, target[mask], weights=None if weights is None else weights[mask], tolerance=tolerance)
    return leaf if isinstance(leaf, Formula) else None


def test_leaves_equal_linear_regression_on_the_same_rows():
    rng = np.random.default_rng(11)
    found = 0
    for trial in range(60):
        n = int(rng.integers(4, 120))
        columns = {"a": rng.integers(-3, 4, n), "x": rng.integers(0, 2, n), "b": rng.integers(0, 3, n)}
        piece = np.where(columns["a"] < 0, columns["a"] + 2 * columns["x"], 3 - columns["b"])
        target = piece if trial % 3 else rng.integers(-2, 3, n)
        if trial % 4 == 0:
            target = target.copy()
            target[0] += 5                                   # one off row: only a tolerance admits it
        weights = rng.integers(1, 40, n).astype(np.float64) if trial % 2 else None
        tolerance = 0.05 if trial % 4 == 0 else 0.0
        leaves = _Leaves(columns, target, weights, tolerance)
        masks = [columns["a"] < 0, columns["a"] >= 0, columns["x"] == 1, (columns["a"] < 0) & (columns["x"] == 0),
                 np.ones(n, dtype=bool)]
        for mask in masks + masks:                           # the second time from memory
            if not mask.any():
                continue
            got, want = leaves.fit(mask), _plain_leaf(columns, target, mask, weights, tolerance)
            assert (got is None and want is None) or (got is not None and want is not None
                                                      and got.expr == want.expr), (trial, got, want)
            found += got is not None
    assert found > 50
