"""Budgets count work, so the same input gives the same formula on any machine and under any load."""

from __future__ import annotations

import itertools

import numpy as np

from mips.regression import fit_formulas
from mips.regression.boolean import fit_boolean
from mips.regression.formula import Formula
from mips.regression.symbolic import search_formulas
from mips.regression.work import Work


def _problem():
    rows = np.array(list(itertools.product(range(4), repeat=3)))
    cols = {f"v{i}": rows[:, i] for i in range(3)}
    hard = (rows[:, 0] * 7 + rows[:, 1] * rows[:, 2] * 3 + 11) % 13 + rows[:, 0] // 2      # beyond the budget
    easy = (rows[:, 0] + rows[:, 1]) % 4
    return cols, {"hard": hard, "easy": easy}


def _run():
    cols, targets = _problem()
    stats: dict = {}
    found = search_formulas(cols, targets, max_size=13, time_budget_seconds=0.05, stats=stats)
    return {k: (f.expr if f else None) for k, f in found.items()}, stats


def test_the_symbolic_search_stops_at_the_same_candidate_quiet_or_loaded(cpu_load) -> None:
    quiet = _QUIET
    loaded = _run()
    assert loaded == quiet
    assert quiet[1]["out_of_time"] and quiet[0]["easy"] is not None and quiet[0]["hard"] is None


_QUIET = _run()       # measured at import, before the load fixture starts


def test_work_is_counted_not_timed() -> None:
    w = Work(100)
    w.spend(60)
    assert not w.over and w.left == 40
    w.spend(40)
    assert w.over and w.left == 0


def test_boolean_budget_is_spent_and_deterministic(cpu_load) -> None:
    rng = np.random.default_rng(3)
    rows = rng.integers(0, 2, size=(300, 9))
    t = (rows[:, 0] ^ rows[:, 3]) | (rows[:, 5] & rows[:, 7] & ~rows[:, 1] & 1)
    cols = {f"b{i}": rows[:, i] for i in range(9)}
    a, b = Work(2_000_000), Work(2_000_000)
    fa = fit_boolean(cols, t, budget=a)
    fb = fit_boolean(cols, t, budget=b)
    assert a.spent == b.spent > 0
    assert isinstance(fa, Formula) and isinstance(fb, Formula) and fa.expr == fb.expr


def test_fit_formulas_shares_one_budget_the_same_way_twice(cpu_load) -> None:
    cols, targets = _problem()
    first = fit_formulas(cols, targets, time_budget_seconds=0.05)
    second = fit_formulas(cols, targets, time_budget_seconds=0.05)
    # a target no method fits is a Failure (equal by value), the others Formulas
    assert {k: getattr(f, "expr", f) for k, f in first.items()} == {k: getattr(f, "expr", f) for k, f in second.items()}
