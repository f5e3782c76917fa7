"""The registry of regression methods: fit_formulas runs each registered method in order; a new
method is one class plus one registry entry; a target no method fits is a Failure."""

import numpy as np
import pytest

from mips.errors import ConfigError
from mips.failure import Failure
from mips.regression import (
    METHODS,
    REGRESSIONS,
    Formula,
    RegressionMethod,
    fit_formulas,
)
from mips.regression import fit as fit_module
from mips.regression.method import TargetMethod


def test_registry_holds_the_methods_in_order():
    assert METHODS == ("linear", "modular", "boolean", "membership", "selection", "conditional", "symbolic") \
        == tuple(REGRESSIONS)
    assert all(isinstance(m, RegressionMethod) and m.name == n for n, m in REGRESSIONS.items())


def test_a_target_no_method_fits_is_a_regress_failure():
    a = np.array([0, 1, 2, 3])
    found = fit_formulas({"a": a}, {"lin": 2 * a + 1, "odd": np.array([5, -3, 9, 0])}, methods=("linear",))
    assert isinstance(found["lin"], Formula) and found["lin"].expr == "2*a + 1"
    fail = found["odd"]
    assert isinstance(fail, Failure) and fail.stage == "regress" and fail.method == "linear"
    assert "odd" in fail.message


def test_an_unknown_method_is_refused():
    with pytest.raises(ConfigError, match="Unknown regression method 'linaer'.*Did you mean 'linear'"):
        fit_formulas({"a": np.array([0, 1])}, {"t": np.array([0, 1])}, methods=("linaer",))


class _Square(TargetMethod):
    """t = c * a * a (for this test only)."""

    name = "square"

    def fit_target(self, problem, name, target):
        a = problem.columns["a"]
        if not np.any(a):
            return None
        c = int(target[np.flatnonzero(a)[0]] // (a[np.flatnonzero(a)[0]] ** 2))
        return Formula(expr=f"{c}*a*a", method=self.name) if np.array_equal(c * a * a, target) else None


def test_a_new_method_is_one_class_and_one_registry_entry(monkeypatch):
    methods = dict(REGRESSIONS, square=_Square())
    monkeypatch.setattr(fit_module, "REGRESSIONS", methods)         # what one more line in registry.py does
    a = np.arange(6)
    found = fit_formulas({"a": a}, {"t": 3 * a * a}, methods=("linear", "square"))
    assert found["t"].method == "square" and found["t"].expr == "3*a*a"


def test_a_case_split_is_kept_against_a_comparison_hidden_in_arithmetic():
    from mips.regression.fit import fit_formulas
    a = np.repeat(np.arange(-3, 8), 2)
    x = np.tile([0, 1], 11)
    frozen = fit_formulas({"a": a, "x": x}, {"t": np.where(a < 0, a, a + 1 - 2 * x)}, constants=(0, 1, 2, 3))
    assert frozen["t"].expr == "a if a < 0 else a - 2*x + 1" and frozen["t"].method == "conditional"
    biggest = fit_formulas({"a": a, "x": x}, {"t": np.maximum(a, x)}, constants=(0, 1, 2, 3))
    assert biggest["t"].expr == "max(a, x)"                      # shorter and plain: it replaces the split


def test_a_two_level_case_split_between_variables():
    from mips.regression.conditional import fit_conditional
    c = np.random.default_rng(0).integers(0, 6, (2000, 3))
    most = np.argmax(c, axis=1)                                       # ties to the first
    f = fit_conditional({"a": c[:, 0], "b": c[:, 1], "c": c[:, 2]}, most)
    assert f is not None and f.method == "conditional" and f.expr.count(" if ") == 3
    none = fit_conditional({"a": c[:, 0], "b": c[:, 1]}, c[:, 0] * c[:, 1], max_fits=500)     # no split fits
    assert isinstance(none, Failure) and (none.stage, none.method) == ("regress", "conditional")
