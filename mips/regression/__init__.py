"""Regression stage: formulas for state updates and outputs (mips-method.md §9).

Public API::

    Formula, expression_size, fit_linear, fit_modular, fit_boolean, search_formula,
    search_formulas, fit_formulas, evaluate, parse_expression, ExpressionError
"""

from mips.regression.boolean import fit_boolean
from mips.regression.evaluate import ExpressionError, evaluate, parse_expression
from mips.regression.fit import fit_formulas
from mips.regression.formula import Formula, expression_size
from mips.regression.linear import fit_linear
from mips.regression.modular import fit_modular
from mips.regression.symbolic import search_formula, search_formulas

__all__ = ["ExpressionError", "Formula", "evaluate", "expression_size", "fit_boolean", "fit_formulas",
           "fit_linear", "fit_modular", "parse_expression", "search_formula", "search_formulas"]
