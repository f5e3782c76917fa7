"""Regression stage: the value of the largest variable, ``v0 if a >= max(b, c) else ...`` (beyond the paper).

"The most frequent symbol so far" is the index of the largest of several counts, ties going to
the first. As a tree of pairwise comparisons it needs ``k - 1`` levels of nesting for ``k``
counts (Majority_0_3: three, where :mod:`mips.regression.conditional` stops at two), and even
Majority_0_2's two-level tree hides what it computes. Written as a decision list it says it:

    0 if count0 >= max(count1, count2, count3) else 1 if count1 >= max(count2, count3) else 2 if count2 >= count3 else 3

For a target with 3 to :data:`MAX_CHOICES` distinct values, every set of as many variables is
tried: on the rows where one of them is strictly the largest, each variable must always go with
the same value of the target, a different one for each; then the order that breaks ties (the
first largest wins) is searched among the permutations, the given order first. The method is
exact (every row) and only runs for targets no earlier method fitted; a two-way choice is a
single comparison, which the conditional method writes more plainly.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np

from mips.failure import Failure
from mips.regression.formula import Formula
from mips.regression.method import Problem, RegressionMethod

MAX_CHOICES = 5       # distinct values of the target (one variable each)
MAX_COLUMNS = 8       # variables and inputs a table may have for the search to run


def _text(names: Sequence[str], values: Sequence[int]) -> str:
    parts = []
    for i, (name, value) in enumerate(zip(names[:-1], values[:-1])):
        rest = names[i + 1:]
        other = rest[0] if len(rest) == 1 else f"max({', '.join(rest)})"
        parts.append(f"{int(value)} if {name} >= {other} else ")
    return "".join(parts) + str(int(values[-1]))


def _values_of(stack: np.ndarray, target: np.ndarray) -> list[int] | None:
    """The target value that goes with each row of ``stack`` where it alone is the largest, or
    None when some row goes with two values, two rows with one value, or a row is never alone."""
    top = stack.max(axis=0)
    is_top = stack == top
    alone = is_top.sum(axis=0) == 1
    which = is_top.argmax(axis=0)
    values = []
    for i in range(stack.shape[0]):
        seen = np.unique(target[alone & (which == i)])
        if seen.size != 1:
            return None
        values.append(int(seen[0]))
    return values if len(set(values)) == len(values) else None


def _failed(message: str) -> Failure:
    return Failure(stage="regress", method="selection", message=message)


def fit_selection(columns: Mapping[str, np.ndarray], target: np.ndarray) -> Formula | Failure:
    """The decision list equal to ``target`` on every row, or a Failure (stage ``"regress"``,
    method ``"selection"``) saying why there is none.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> c = {f"count{i}": rng.integers(0, 4, 200) for i in range(3)}
    >>> y = np.argmax(np.stack(list(c.values())), axis=0)
    >>> fit_selection(c, y).expr
    '0 if count0 >= max(count1, count2) else 1 if count1 >= count2 else 2'
    """
    target = np.asarray(target, dtype=np.int64)
    k = np.unique(target).size
    if not 3 <= k <= MAX_CHOICES:
        return _failed(f"the target takes {k} values, not 3 to {MAX_CHOICES}")
    if len(columns) > MAX_COLUMNS:
        return _failed(f"{len(columns)} variables are more than {MAX_COLUMNS} to choose from")
    cols = {n: np.asarray(c, dtype=np.int64) for n, c in columns.items()}
    best: Formula | None = None
    for subset in itertools.combinations(cols, k):
        stack = np.stack([cols[n] for n in subset])
        values = _values_of(stack, target)
        if values is None:
            continue
        for order in itertools.permutations(range(k)):
            ordered = stack[list(order)]
            chosen = np.asarray([values[i] for i in order])[ordered.argmax(axis=0)]   # first largest
            if np.array_equal(chosen, target):
                cand = Formula(expr=_text([subset[i] for i in order], [values[i] for i in order]),
                               method="selection")
                if best is None or cand.size < best.size:
                    best = cand
                break
    return best if best is not None else _failed("no decision list on the largest variable fits")


class SelectionMethod(RegressionMethod):
    """The value of the largest variable, for targets the exact methods left without a formula."""

    name = "selection"

    def fit(self, problem: Problem, targets: Mapping[str, np.ndarray],
            best: Mapping[str, Formula | None]) -> dict[str, Formula]:
        found = {}
        for name, target in targets.items():
            if best[name] is None:
                formula = fit_selection(problem.columns, target)
                if isinstance(formula, Formula):
                    found[name] = formula
        return found


SELECTION = SelectionMethod()
