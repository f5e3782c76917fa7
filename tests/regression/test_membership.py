"""Set membership ``v in (c1, c2, ...)``: the regression method, the evaluator's checks, sympy and
LaTeX, and a network of Perfect_Square_Detector read as that test."""

from __future__ import annotations

import numpy as np
import pytest

from mips.failure import Failure
from mips.paths import ASSETS
from mips.pipeline import PipelineConfig, run_pipeline
from mips.program.codegen import formula_sympy, to_latex, to_source
from mips.regression import fit_formulas
from mips.regression.evaluate import ExpressionError, evaluate
from mips.regression.membership import fit_membership
from mips.regression.registry import METHODS

X = np.arange(20)


def test_membership_is_a_registered_method_before_the_symbolic_search() -> None:
    assert METHODS.index("membership") < METHODS.index("symbolic")


def test_squares_become_one_membership_test() -> None:
    f = fit_formulas({"x": X}, {"y": np.isin(X, (0, 1, 4, 9, 16)).astype(int)})["y"]
    assert f.expr == "x in (0, 1, 4, 9, 16)" and f.method == "membership"


def test_the_smaller_side_is_listed_and_smaller_formulas_win() -> None:
    assert fit_membership({"x": X}, (~np.isin(X, (3, 7))).astype(int)).expr == "x not in (3, 7)"
    assert fit_formulas({"x": X}, {"y": (X >= 5).astype(int)})["y"].expr != "x not in (0, 1, 2, 3, 4)"


def test_not_a_function_of_one_variable_gives_nothing() -> None:
    a, b = np.meshgrid(np.arange(4), np.arange(4))
    assert fit_membership({"a": a.ravel(), "b": b.ravel()}, ((a + b).ravel() % 2)) == Failure(
        stage="regress", method="membership",
        message="no single variable decides the target (or its set has more than 64 values)")
    assert isinstance(fit_membership({"x": X}, np.full(20, 1)), Failure)     # constant: other methods
    assert fit_membership({"x": X}, X % 3).message == "the target is not 0/1"


@pytest.mark.parametrize("expr", ["x in (1, y)", "x in [1, 2]", "1 < x in (1, 2)", "x in ()", "x in (1.5,)",
                                  "x in (True,)", "x in (2**60,)", "x in " + str(tuple(range(65)))])
def test_malformed_membership_is_refused_with_the_form_to_use(expr: str) -> None:
    with pytest.raises(ExpressionError, match="must read 'p in"):
        evaluate(expr, {"x": X, "y": X}, X.shape)


def test_evaluation_sympy_and_latex() -> None:
    np.testing.assert_array_equal(evaluate("x not in (3,)", {"x": X}, X.shape), (X != 3).astype(int))
    np.testing.assert_array_equal(evaluate("(x + 1) in (1, 2)", {"x": X}, X.shape), (X < 2).astype(int))
    assert "Contains(x, {0, 1, 4})" in str(formula_sympy("x in (0, 1, 4)"))


def test_perfect_square_detector_is_solved_as_a_membership_test() -> None:
    r = run_pipeline("Perfect_Square_Detector", PipelineConfig(n_sequences=20_000, length_factor=2),
                     model=ASSETS / "zoo" / "Perfect_Square_Detector.pt")
    assert r.solved, {n: s.message for n, s in r.stages.items()}
    assert "x in (0, 1, 4, 9, 16)" in to_source(r.program)
    assert r"\in \left\{0, 1, 4, 9, 16\right\}" in to_latex(r.program)
