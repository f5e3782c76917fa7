import numpy as np
import pytest

from mips.failure import Failure
from mips.regression.evaluate import evaluate
from mips.regression.linear import fit_linear, linear_expression
from mips.regression.modular import fit_modular


@pytest.mark.parametrize("coef, icpt, text", [({"a": 2, "b": -1, "x": 1}, 99, "2*a - b + x + 99"),
                                              ({"a": -1}, 0, "-a"), ({"a": 0}, -3, "-3"),
                                              ({"a": 1, "x": -3}, -2, "a - 3*x - 2")])
def test_linear_expression(coef, icpt, text):
    assert linear_expression(coef, icpt) == text


def test_fit_linear_recovers_integer_formula_with_two_inputs():
    rng = np.random.default_rng(1)
    cols = {"a": rng.integers(-9, 9, 500), "x1": rng.integers(0, 5, 500), "x2": rng.integers(0, 5, 500)}
    target = 3 * cols["a"] - cols["x1"] + 2 * cols["x2"] - 7
    f = fit_linear(cols, target)
    assert f is not None and f.method == "linear"
    np.testing.assert_array_equal(evaluate(f.expr, cols), target)


def test_fit_linear_refuses_nonlinear_and_fractional():
    a = np.arange(-5, 6)
    assert fit_linear({"a": a}, a * a) == Failure(stage="regress", method="linear",
                                                   message="the integer affine formula misses 11 of 11 distinct row(s)")
    assert isinstance(fit_linear({"a": a * 2}, a), Failure)   # coefficient 1/2 is not an integer
    assert fit_linear({"a": a}, a[:0]).message == "no rows to fit"


def test_fit_modular():
    rng = np.random.default_rng(2)
    a, x = rng.integers(0, 5, 400), rng.integers(0, 4, 400)
    f = fit_modular({"a": a, "x": x}, (a + 2 * x + 1) % 5, 5)
    assert f is not None
    np.testing.assert_array_equal(evaluate(f.expr, {"a": a, "x": x}), (a + 2 * x + 1) % 5)
    assert fit_modular({"a": a, "x": x}, (a * x) % 5, 5) == Failure(stage="regress", method="modular",
                                                                    message="no affine formula modulo 5 fits")
    assert fit_modular({"a": a}, a + 5, 5).message == "the target takes values outside 0..4"
