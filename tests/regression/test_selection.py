"""The value of the largest variable as a decision list (mips/regression/selection.py)."""

import numpy as np

from mips.failure import Failure
from mips.regression.evaluate import evaluate
from mips.regression.fit import fit_formulas
from mips.regression.selection import fit_selection


def _counts(k, n=400, seed=0):
    rng = np.random.default_rng(seed)
    return {f"count{i}": rng.integers(0, 5, n) for i in range(k)}


def test_the_most_frequent_of_four_counts():
    c = _counts(4)
    y = np.argmax(np.stack(list(c.values())), axis=0)          # ties to the smallest symbol
    f = fit_selection({**c, "x": np.arange(400) % 4}, y)
    assert f.expr == ("0 if count0 >= max(count1, count2, count3) else 1 if count1 >= max(count2, count3) "
                      "else 2 if count2 >= count3 else 3")
    assert np.array_equal(evaluate(f.expr, c), y)             # the program's own evaluator agrees


def test_ties_decide_the_order_and_values_follow_the_variables():
    c = _counts(3, seed=1)
    stack = np.stack([c["count2"], c["count0"], c["count1"]])   # ties go to count2, then count0
    y = np.asarray([7, 5, 9])[np.argmax(stack, axis=0)]
    f = fit_selection(c, y)
    assert f.expr == "7 if count2 >= max(count0, count1) else 5 if count0 >= count1 else 9"


def test_no_decision_list_where_there_is_none():
    c = _counts(3, seed=2)
    y = np.argmin(np.stack(list(c.values())), axis=0)          # the smallest, not the largest
    assert fit_selection(c, y) == Failure(stage="regress", method="selection",
                                          message="no decision list on the largest variable fits")
    two = fit_selection(c, np.argmax(np.stack(list(c.values())), axis=0) % 2)       # two values
    assert isinstance(two, Failure) and two.message == "the target takes 2 values, not 3 to 5"
    y = np.argmax(np.stack(list(c.values())), axis=0)
    y[0] = (y[0] + 1) % 3                                       # one row off
    assert isinstance(fit_selection(c, y), Failure)


def test_fit_formulas_prefers_it_to_a_tree_and_leaves_other_targets_alone():
    c = _counts(3, seed=3)
    y = np.argmax(np.stack(list(c.values())), axis=0)
    out = fit_formulas(c, {"y": y, "z": c["count0"] + 1})
    assert out["y"].method == "selection" and out["z"].expr == "count0 + 1"
