"""Boolean regression: planted functions come back as short formulas, every answer is exact on every
observed row (checked by Python's own eval, row by row), unobserved rows are don't-cares."""

import itertools
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mips.errors import ConfigError
from mips.failure import Failure
from mips.regression.boolean import fit_boolean
from mips.regression.formula import Formula, expression_size

SAFE = {"__builtins__": {}, "abs": abs, "min": min, "max": max}


def assert_exact(formula, columns, target):
    """The naive oracle: Python evaluates the formula on every row and gets the target."""
    assert isinstance(formula, Formula), formula
    assert formula.method == "boolean"
    assert formula.names() <= set(columns), formula.expr
    assert formula.size == expression_size(formula.expr)
    code = compile(formula.expr, "<formula>", "eval")
    for i in range(len(target)):
        row = {k: int(v[i]) for k, v in columns.items()}
        assert eval(code, SAFE, row) == target[i], (formula.expr, row)


def table(names, rng=None, keep=1.0, repeat=1, must=()):
    """Rows of all bit combinations (a random subset when ``keep`` < 1, plus the rows ``must``),
    each repeated ``repeat`` times and shuffled."""
    rows = np.array(list(itertools.product((0, 1), repeat=len(names))), dtype=np.int64)
    if keep < 1:
        chosen = rng.random(len(rows)) < keep
        for m in must:
            chosen[int("".join(map(str, m)), 2)] = True
        rows = rows[chosen]
    rows = np.repeat(rows, repeat, axis=0)
    if rng is not None:
        rows = rows[rng.permutation(len(rows))]
    return {v: rows[:, i] for i, v in enumerate(names)}, rows


def names_of(n):
    return [chr(ord("a") + i) for i in range(n)]


@pytest.mark.parametrize("n", [3, 4, 5, 6])
def test_parity_is_an_xor_chain(n):
    cols, rows = table(names_of(n), np.random.default_rng(n), repeat=2)
    found = fit_boolean(cols, rows.sum(1) % 2)
    assert_exact(found, cols, rows.sum(1) % 2)
    assert found.expr == " ^ ".join(names_of(n))


def test_negated_parity_is_short():
    cols, rows = table(["a", "b", "c"])
    target = 1 - rows.sum(1) % 2
    found = fit_boolean(cols, target)
    assert_exact(found, cols, target)
    assert found.expr == "not a ^ b ^ c"


@pytest.mark.parametrize("n, expr, target_fn", [
    (3, "a + b + c > 1", lambda r: r.sum(1) > 1),
    (5, "a + b + c + d + e > 2", lambda r: r.sum(1) > 2),
    (4, "a + b + c + d < 2", lambda r: r.sum(1) < 2),
    (3, "a + b + c == 1", lambda r: r.sum(1) == 1),
    (3, "a - b + c > 0", lambda r: r[:, 0] + (1 - r[:, 1]) + r[:, 2] > 1),
], ids=["majority3", "majority5", "at-most-one-of-4", "exactly-one-of-3", "majority-with-complement"])
def test_symmetric_functions_use_the_sum(n, expr, target_fn):
    cols, rows = table(names_of(n), np.random.default_rng(0), repeat=3)
    target = target_fn(rows).astype(np.int64)
    found = fit_boolean(cols, target)
    assert_exact(found, cols, target)
    assert found.size <= expression_size(expr), found.expr


@pytest.mark.parametrize("kind", ["and", "or"])
def test_and_or_of_eight_variables_with_dont_cares(kind):
    rng = np.random.default_rng(3)
    names = names_of(8)
    cols, rows = table(names, rng, keep=0.25, repeat=2, must=[(1,) * 8, (0,) * 8, (1,) * 7 + (0,)])
    target = (rows.all(1) if kind == "and" else rows.any(1)).astype(np.int64)
    found = fit_boolean(cols, target)
    assert_exact(found, cols, target)
    assert found.size <= expression_size(f" {kind} ".join(names))


def test_unused_variables_are_dropped():
    rng = np.random.default_rng(1)
    cols, rows = table(names_of(6), rng, repeat=2)
    target = rows[:, 0] ^ rows[:, 3]
    found = fit_boolean(cols, target)
    assert_exact(found, cols, target)
    assert found.expr == "a ^ d"


def test_dont_cares_let_a_variable_go():
    # c is always equal to a on the observed rows, so "a ^ b" and "b ^ c" are both exact
    cols = {"a": np.array([0, 0, 1, 1]), "b": np.array([0, 1, 0, 1]), "c": np.array([0, 0, 1, 1])}
    target = np.array([0, 1, 1, 0])
    found = fit_boolean(cols, target)
    assert_exact(found, cols, target)
    assert found.size == 3
    # only rows with a = b observed: the target a and b is just a (or b)
    cols = {"a": np.array([0, 1, 1, 0]), "b": np.array([0, 1, 1, 0])}
    found = fit_boolean(cols, np.array([0, 1, 1, 0]))
    assert found.expr in ("a", "b")


@pytest.mark.parametrize("expr", ["a ^ (b and c)", "b if a else c", "c or a ^ b", "not a", "a and not b"])
def test_structured_functions_are_at_most_their_planted_size(expr):
    cols, rows = table(["a", "b", "c"])
    target = np.array([int(eval(expr, SAFE, dict(zip("abc", map(int, r))))) for r in rows])
    found = fit_boolean(cols, target)
    assert_exact(found, cols, target)
    assert found.size <= expression_size(expr), found.expr


def test_constants_and_literals():
    cols, rows = table(["a", "b"])
    assert fit_boolean(cols, np.zeros(4, np.int64)).expr == "0"
    assert fit_boolean(cols, np.ones(4, np.int64)).expr == "1"
    assert fit_boolean(cols, rows[:, 1]).expr == "b"
    assert fit_boolean(cols, 1 - rows[:, 0]).expr == "not a"


def test_contradictions_and_non_bits_give_a_failure():
    cols = {"a": np.array([0, 0, 1]), "b": np.array([1, 1, 0])}
    assert fit_boolean(cols, np.array([0, 1, 1])) == Failure(             # row (0, 1) maps to 0 and 1
        stage="regress", method="boolean", message="one input row has two different targets")
    assert fit_boolean(cols, np.array([0, 0, 2])).message == "a column or the target is not 0/1"
    assert fit_boolean({"a": np.array([0, 2, 1])}, np.array([0, 1, 1])).message == "a column or the target is not 0/1"


def test_max_vars_is_respected():
    cols, rows = table(names_of(5))
    too_many = fit_boolean(cols, rows.sum(1) % 2, max_vars=4)
    assert too_many.message == "the target needs 5 variables, more than max_vars=4"
    assert fit_boolean(cols, rows[:, 0] ^ rows[:, 1], max_vars=2).expr == "a ^ b"


def test_sixteen_variables_with_dont_cares():
    rng = np.random.default_rng(5)
    names = names_of(16)
    rows = rng.integers(0, 2, size=(3000, 16))
    cols = {v: rows[:, i] for i, v in enumerate(names)}
    target = ((rows[:, 2] & rows[:, 7]) | rows[:, 11]).astype(np.int64)
    start = time.process_time()
    found = fit_boolean(cols, target)
    assert time.process_time() - start < 2.5
    assert_exact(found, cols, target)
    assert found.names() == {"c", "h", "l"}
    assert found.size == 5


def test_time_budget_is_respected_and_the_answer_still_exact():
    rng = np.random.default_rng(2)
    cols, rows = table(names_of(13), rng, keep=0.5)               # ~4000 rows, ~1.7 s unbounded
    target = rng.integers(0, 2, size=len(rows))                     # no structure at all
    start = time.process_time()
    found = fit_boolean(cols, target, time_budget_seconds=0.3)
    assert time.process_time() - start < 1.0
    assert isinstance(found, Formula) and found.names() <= set(cols)
    check = rng.choice(len(rows), size=200, replace=False)          # the oracle on a sample of rows
    assert_exact(found, {k: v[check] for k, v in cols.items()}, target[check])


@pytest.mark.parametrize("kwargs, message", [
    (dict(max_vars=0), "'max_vars' parameter of fit_boolean must be an int in \\[1, 64\\]"),
    (dict(time_budget_seconds=-1.0), "'time_budget_seconds' parameter of fit_boolean"),
], ids=["max_vars", "budget"])
def test_bad_parameters_are_reported(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        fit_boolean({"a": np.array([0, 1])}, np.array([0, 1]), **kwargs)


def test_bad_tables_are_reported():
    with pytest.raises(ConfigError, match="same length"):
        fit_boolean({"a": np.array([0, 1])}, np.array([0, 1, 1]))


def naive_dnf_size(names, rows, target):
    """Size of the paper's candidate A: the DNF with one term per observed 1-row."""
    terms = {" and ".join(v if b else f"not {v}" for v, b in zip(names, r)) for r, t in zip(rows.tolist(), target)
             if t}
    return expression_size(" or ".join(sorted(terms)))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 100_000), n=st.integers(1, 6), keep=st.floats(0.2, 1.0), repeat=st.integers(1, 3))
def test_random_functions_on_random_rows_are_exact_and_beat_the_dnf(seed, n, keep, repeat):
    rng = np.random.default_rng(seed)
    names = names_of(n)
    cols, rows = table(names, rng, keep=keep, repeat=repeat, must=[(1,) * n])
    truth = rng.integers(0, 2, size=2 ** n)                                # a random function
    target = truth[rows @ (1 << np.arange(n - 1, -1, -1))]
    start = time.process_time()
    found = fit_boolean(cols, target, time_budget_seconds=1.0)
    assert time.process_time() - start < 1.5
    assert_exact(found, cols, target)
    if target.any():
        assert found.size <= naive_dnf_size(names, rows, target)
