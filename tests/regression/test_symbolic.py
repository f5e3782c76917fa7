"""Brute-force symbolic regression: planted formulas are recovered, every answer is exact on every
row (checked by Python's own eval, row by row), and the size is minimal (naive enumeration)."""

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mips.errors import ConfigError
from mips.regression.formula import expression_size
from mips.regression.symbolic import search_formula, search_formulas

SAFE = {"__builtins__": {}, "abs": abs, "min": min, "max": max}


def python_eval(expr, columns, i):
    return eval(expr, SAFE, {k: int(v[i]) for k, v in columns.items()})


def assert_exact(formula, columns, target):
    """The naive oracle: Python evaluates the formula on every row and gets the target."""
    assert formula is not None
    assert formula.names() <= set(columns), formula.expr
    assert formula.size == expression_size(formula.expr)
    n = len(target)
    for i in range(n):
        assert python_eval(formula.expr, columns, i) == target[i], (formula.expr, i)


def grid(rng=None, keep=1.0, repeat=1, **domains):
    """All combinations of the domains (a random subset when ``keep`` < 1), rows repeated."""
    mesh = np.meshgrid(*[np.arange(d) for d in domains.values()], indexing="ij")
    cols = {k: m.ravel().astype(np.int64) for k, m in zip(domains, mesh)}
    n = len(next(iter(cols.values())))
    idx = np.arange(n)
    if keep < 1:
        idx = idx[rng.random(n) < keep]
    idx = np.repeat(idx, repeat)
    if rng is not None:
        idx = rng.permutation(idx)
    return {k: v[idx] for k, v in cols.items()}


def planted(expr, columns):
    return np.array([python_eval(expr, columns, i) for i in range(len(next(iter(columns.values()))))],
                    dtype=np.int64)


PLANTED = [
    ("(a + x) % 3", dict(a=3, x=3), (0, 1, 2, 3)),
    ("(a + x) % 5", dict(a=5, x=5), (0, 1, 2, 5)),
    ("abs(b - a)", dict(a=12, b=12), (0, 1, 2, 3)),
    ("x == b", dict(b=10, x=10), (0, 1, 2, 3)),
    ("max(a, x)", dict(a=9, x=9), (0, 1, 2, 3)),
    ("min(a, x)", dict(a=9, x=9), (0, 1, 2, 3)),
    ("a + x1 + x2 > 4", dict(a=2, x1=5, x2=5), (0, 1, 2, 3, 4, 5)),
    ("(a + x1 + x2) % 5", dict(a=2, x1=5, x2=5), (0, 1, 2, 3, 5)),
    ("(c + x1 + x2) // 10", dict(c=2, x1=10, x2=10), (0, 1, 2, 3, 10)),
    ("(c + x1 + x2) % 10", dict(c=2, x1=10, x2=10), (0, 1, 2, 3, 10)),
    ("(c + x1 + x2) // 3", dict(c=2, x1=3, x2=3), (0, 1, 2, 3)),
    ("a * (x == 0) + x", dict(a=8, x=8), (0, 1, 2, 3)),
    ("99 - x", dict(x=10, a=3), (99,)),
    ("a - 1", dict(a=6), (-1, 0)),
]


@pytest.mark.parametrize("expr, domains, constants", PLANTED, ids=[p[0] for p in PLANTED])
def test_planted_formula_is_recovered_at_most_as_large(expr, domains, constants):
    rng = np.random.default_rng(7)
    cols = grid(rng, keep=0.8, repeat=2, **domains)          # don't-cares and repeated rows
    target = planted(expr, cols)
    start = time.process_time()
    found = search_formula(cols, target, constants=constants, time_budget_seconds=5.0)
    assert time.process_time() - start < 5.5
    assert_exact(found, cols, target)
    assert found.size <= expression_size(expr), found.expr
    assert found.method == "symbolic"


def test_expected_texts_for_simple_formulas():
    cols = grid(a=4, x=4)
    assert search_formula(cols, planted("(a + x) % 3", cols)).expr == "(a + x) % 3"
    assert search_formula(cols, planted("max(a, x)", cols)).expr == "max(a, x)"
    assert search_formula(cols, planted("abs(a - x)", cols)).expr == "abs(a - x)"
    assert search_formula(cols, planted("x < 2", cols)).expr in ("x < 2", "x <= 1")
    assert search_formula(cols, planted("a + x + 3", cols)).expr == "a + x + 3"


def test_contradictory_rows_give_none():
    cols = {"a": np.array([0, 1, 0]), "x": np.array([1, 1, 1])}
    assert search_formula(cols, np.array([0, 1, 5])) is None


def test_nothing_fits_within_the_size_gives_none():
    rng = np.random.default_rng(0)
    cols = grid(a=6, x=6)
    target = rng.integers(0, 50, size=36)
    assert search_formula(cols, target, max_size=5) is None


def test_time_budget_is_respected():
    rng = np.random.default_rng(1)
    cols = grid(a=7, x1=7, x2=7)
    target = rng.integers(0, 50, size=7 ** 3)
    start = time.process_time()
    assert search_formula(cols, target, max_size=15, time_budget_seconds=0.3) is None
    assert time.process_time() - start < 0.8


def test_never_divides_by_zero():
    cols = grid(a=5, x=5)                                   # x is 0 on some rows
    target = planted("a // x if x else 7", cols)
    found = search_formula(cols, target, max_size=7, time_budget_seconds=1.0)
    if found is not None:
        assert_exact(found, cols, target)                   # Python would raise on a zero divisor


def test_several_targets_share_one_enumeration():
    cols = grid(c=2, x1=4, x2=4)
    targets = {"digit": planted("(c + x1 + x2) % 4", cols), "carry": planted("(c + x1 + x2) // 4", cols),
               "same": planted("x1", cols), "bad": np.arange(32) % 3}
    targets["bad"][0], targets["bad"][1] = 0, 1            # and rows 0 and 1 differ only in c
    found = search_formulas(cols, targets, constants=(0, 1, 2, 3, 4))
    for k in ("digit", "carry", "same"):
        assert_exact(found[k], cols, targets[k])
    assert found["same"].expr == "x1"
    assert found["digit"].size <= 7 and found["carry"].size <= 7


def test_contradiction_only_removes_that_target():
    cols = {"a": np.array([0, 0, 1])}
    found = search_formulas(cols, {"bad": np.array([0, 1, 1]), "good": np.array([1, 1, 2])})
    assert found["bad"] is None
    assert_exact(found["good"], cols, np.array([1, 1, 2]))


def test_store_cap_bounds_memory_and_answers_stay_exact():
    cols = grid(c=2, x1=5, x2=5)
    target = planted("(c + x1 + x2) % 5", cols)
    for cap in (2_000, 20_000):
        stats = {}
        found = search_formula(cols, target, constants=(0, 1, 5), max_stored_values=cap, stats=stats)
        assert stats["stored_values"] <= cap
        if cap == 20_000 or found is not None:
            assert_exact(found, cols, target)


@pytest.mark.parametrize("kwargs, message", [
    (dict(operators=("+", "mod")), "Unknown operator 'mod'"),
    (dict(max_size=0), "'max_size' parameter of search_formulas must be an int in \\[1, 64\\]"),
    (dict(time_budget_seconds=0), "'time_budget_seconds' parameter"),
], ids=["operator", "max_size", "budget"])
def test_bad_parameters_are_reported(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        search_formula({"a": np.arange(3)}, np.arange(3), **kwargs)


def test_bad_tables_are_reported():
    with pytest.raises(ConfigError, match="same length"):
        search_formula({"a": np.arange(3)}, np.arange(4))
    with pytest.raises(ConfigError, match="1-d integer array"):
        search_formula({"a": np.linspace(0, 1, 3)}, np.arange(3))
    with pytest.raises(ConfigError, match="Python identifiers"):
        search_formula({"not": np.arange(3)}, np.arange(3))


# ---------------------------------------------------------------------- minimality, naive oracle

NAIVE_BINARY = {"+": "({} + {})", "-": "({} - {})", "*": "({} * {})", "//": "({} // {})", "%": "({} % {})",
                "==": "({} == {})", ">": "({} > {})", "min": "min({}, {})", "max": "max({}, {})"}
NAIVE_UNARY = {"neg": "(-{})", "abs": "abs({})"}


def naive_smallest(columns, target, constants, max_size):
    """Size of the smallest expression equal to the target: every expression text, by size."""
    n = len(target)
    by_size = {1: [str(c) for c in constants] + list(columns)}
    for size in range(1, max_size + 1):
        if size > 1:
            exprs = [f.format(e) for f in NAIVE_UNARY.values() for e in by_size[size - 1]]
            for s1 in range(1, size - 1):
                for f in NAIVE_BINARY.values():
                    exprs += [f.format(x, y) for x in by_size[s1] for y in by_size[size - 1 - s1]]
            by_size[size] = exprs
        for e in by_size[size]:
            try:
                if all(python_eval(e, columns, i) == target[i] for i in range(n)):
                    return size
            except ZeroDivisionError:
                pass
    return None


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), n_rows=st.integers(1, 6), planted_size=st.sampled_from(["random", "small"]))
def test_size_is_minimal_against_naive_enumeration(seed, n_rows, planted_size):
    rng = np.random.default_rng(seed)
    cols = {"a": rng.integers(-2, 4, size=n_rows), "x": rng.integers(0, 3, size=n_rows)}
    if planted_size == "random":
        target = rng.integers(-3, 5, size=n_rows)
    else:
        target = planted(["a * x - 1", "max(a, x) % 2", "abs(a - x) + 1", "(a > x) - a"][seed % 4], cols)
    rows = {tuple(r) for r in np.stack([cols["a"], cols["x"]], 1).tolist()}
    if len(rows) < n_rows:                                  # keep the table consistent
        keys = list(zip(cols["a"].tolist(), cols["x"].tolist()))
        first = {k: target[keys.index(k)] for k in keys}
        target = np.array([first[k] for k in keys])
    ops = ("+", "-", "*", "//", "%", "==", ">", "min", "max", "neg", "abs")
    found = search_formula(cols, target, constants=(0, 1), operators=ops, max_size=4)
    expected = naive_smallest(cols, target, (0, 1), 4)
    assert (found is None) == (expected is None)
    if found is not None:
        assert_exact(found, cols, target)
        assert found.size == expected, found.expr


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), n_vars=st.integers(1, 3), n_rows=st.integers(1, 40),
       high=st.integers(1, 6))
def test_random_tables_give_none_or_an_exact_formula(seed, n_vars, n_rows, high):
    rng = np.random.default_rng(seed)
    names = ["a", "x1", "x2"][:n_vars]
    cols = {v: rng.integers(-high, high + 1, size=n_rows) for v in names}
    table = list(zip(*(cols[v].tolist() for v in names)))
    values = {row: int(rng.integers(-4, 5)) for row in table}            # a consistent random target
    target = np.array([values[row] for row in table])
    start = time.process_time()
    found = search_formula(cols, target, max_size=7, time_budget_seconds=0.3)
    assert time.process_time() - start < 0.8
    if found is not None:
        assert_exact(found, cols, target)
        assert found.size <= 7


def test_all_rows_identical_and_constant_targets():
    cols = {"a": np.array([2, 2, 2])}
    assert_exact(search_formula(cols, np.array([3, 3, 3])), cols, [3, 3, 3])
    assert search_formula(cols, np.array([3, 3, 3])).expr == "3"
    assert search_formula({}, np.array([1, 1])).expr == "1"
    assert search_formula({}, np.array([1, 2])) is None


def test_int64_wraparound_is_never_taken_for_a_fit():
    cols = {"a": np.array([2 ** 32, 2 ** 32 + 1, 3])}
    wrapped = (cols["a"] * cols["a"]).astype(np.int64)         # int64 wraps: [0, 2**33 + 1, 9]
    found = search_formula(cols, wrapped, max_size=5, time_budget_seconds=1.0)
    if found is not None:
        assert_exact(found, cols, wrapped)
    with pytest.raises(ConfigError, match="must lie in"):
        search_formula(cols, np.array([2 ** 41, 0, 0]))
