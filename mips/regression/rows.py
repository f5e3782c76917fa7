"""Regression stage: a table's distinct rows in lexicographic order, as ``np.unique(axis=0)`` gives
them, by one lexsort (np.unique over rows sorts a structured view, several times slower on traced
data). The regressions that deduplicate their rows share it, so each sees the same rows in the same
order, and a least-squares solve on them gives the same coefficients."""

from __future__ import annotations

import numpy as np


def lex_groups(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(order, starts)``: the row order that sorts ``table`` (2-D) lexicographically, stably, and
    where each run of equal rows starts in that order (a bool mask). ``order[starts]`` is the first
    occurrence of each distinct row, as ``np.unique(..., return_index=True)`` gives it.

    >>> order, starts = lex_groups(np.array([[1, 0], [0, 5], [1, 0]]))
    >>> order.tolist(), starts.tolist()
    ([1, 0, 2], [True, True, False])
    """
    order = np.lexsort(tuple(table[:, j] for j in reversed(range(table.shape[1]))))
    ordered = table[order]
    starts = np.ones(len(order), dtype=bool)
    starts[1:] = np.any(ordered[1:] != ordered[:-1], axis=1)
    return order, starts
