"""Regression stage: formulas for state updates and outputs (mips-method.md §9).

Public API::

    Formula, expression_size, fit_linear, fit_modular, fit_boolean, search_formula,
    search_formulas, fit_formulas, evaluate, parse_expression, ExpressionError
    REGRESSIONS, METHODS, RegressionMethod     the registry (one module + one line per method)
"""

from mips.regression.boolean import fit_boolean
from mips.regression.evaluate import ExpressionError, evaluate, parse_expression
from mips.regression.fit import fit_formulas
from mips.regression.formula import Formula, expression_size
from mips.regression.linear import fit_linear
from mips.regression.method import RegressionMethod
from mips.regression.modular import fit_modular
from mips.regression.registry import METHODS, REGRESSIONS
from mips.regression.symbolic import search_formula, search_formulas

__all__ = ["METHODS", "REGRESSIONS", "ExpressionError", "Formula", "RegressionMethod", "evaluate",
           "expression_size", "fit_boolean", "fit_formulas", "fit_linear", "fit_modular", "parse_expression",
           "search_formula", "search_formulas"]
