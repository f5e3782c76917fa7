"""Regression stage: integer linear regression (mips-method.md §9.1, for any number of inputs).

Least squares with an intercept, coefficients rounded to integers, and the rounded formula checked
exactly on every row (the paper rounded and checked 10 sequences afterwards). The paper's version
took one input column; here every column given takes part.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from mips.errors import ConfigError
from mips.margins import report, snap_half
from mips.failure import Failure
from mips.regression.formula import Formula
from mips.regression.method import Problem, TargetMethod
from mips.regression.rows import lex_groups


def linear_expression(coefficients: Mapping[str, int], intercept: int) -> str:
    """``2*a - b + x + 99`` from integer coefficients (zero terms dropped)."""
    parts: list[str] = []
    for name, c in coefficients.items():
        c = int(c)
        if c == 0:
            continue
        mag = "" if abs(c) == 1 else f"{abs(c)}*"
        if not parts:
            parts.append(("-" if c < 0 else "") + mag + name)
        else:
            parts.append((" - " if c < 0 else " + ") + mag + name)
    if intercept or not parts:
        if not parts:
            parts.append(str(int(intercept)))
        else:
            parts.append((" - " if intercept < 0 else " + ") + str(abs(int(intercept))))
    return "".join(parts)


def fit_linear(columns: Mapping[str, np.ndarray], target: np.ndarray, *,
               max_coefficient: int = 10_000, weights: np.ndarray | None = None,
               tolerance: float = 0.0) -> Formula | Failure:
    """Integer affine formula ``sum_i c_i * column_i + d`` equal to ``target`` on every row.

    Parameters
    ----------
    columns : mapping name -> int array of shape (n_rows,)
    target : int array of shape (n_rows,)
    max_coefficient : int
        Larger rounded coefficients are rejected (an ill-conditioned fit, not a formula).
    weights : array of shape (n_rows,), optional
        How many observations each row stands for (default 1 each).
    tolerance : float
        Fraction of the total weight allowed off the formula (0: exact on every row). For rows
        read from a network, where a rare state may be mis-encoded or mis-rounded; the program
        is verified on the whole test split afterwards.

    Returns
    -------
    Formula (method ``"linear"``), or a Failure (stage ``"regress"``, method ``"linear"``) saying
    why no integer affine formula fits.
    """
    target = np.asarray(target, dtype=np.int64)
    if target.size == 0:
        return _failed("no rows to fit")
    names = list(columns)
    design = np.column_stack([np.asarray(columns[n], dtype=np.float64) for n in names]
                             + [np.ones(target.size)])
    if not np.isfinite(design).all():  # hardening guard: NaN/inf columns make lstsq raise LinAlgError
        raise ConfigError("The 'columns' parameter of fit_linear must hold finite numbers. Got NaN or inf.")
    w = np.ones(target.size) if weights is None else np.asarray(weights, dtype=np.float64)
    # distinct rows make the solve cheap and weight every observed case equally
    order, starts = lex_groups(np.column_stack([design, target]))
    first = order[starts]
    w = np.add.reduceat(w[order], np.flatnonzero(starts))
    return fit_distinct(names, design[first], target[first].astype(np.float64), w,
                        max_coefficient=max_coefficient, tolerance=tolerance)


def fit_distinct(names: list[str], design: np.ndarray, y: np.ndarray, w: np.ndarray, *,
                 max_coefficient: int = 10_000, tolerance: float = 0.0) -> Formula | Failure:
    """:func:`fit_linear` on distinct rows already found: ``design`` (one column per name, then a
    column of ones) and ``y`` as floats, ``w`` the weight of each row."""
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    rounded, near_half = snap_half(coef)
    rounded = rounded.astype(np.int64)
    if np.abs(rounded).max(initial=0) > max_coefficient:
        return _failed(f"a coefficient rounds to more than {max_coefficient} (an ill-conditioned fit)")
    off = design @ rounded != y
    if off.any() and (tolerance <= 0 or w[off].sum() > tolerance * w.sum()):
        missed = (f"{w[off].sum() / w.sum():.3g} of the weight (at most {tolerance:g} allowed)" if tolerance > 0
                  else f"{int(off.sum())} of {len(y)} distinct row(s)")
        return _failed(f"the integer affine formula misses {missed}")
    if near_half.any():     # the formula holds with a coefficient the last bits could have rounded either way
        report("integer regression: a least-squares coefficient half-way between two integers: rounded half to "
               "even", f"{int(near_half.sum())} coefficient(s)")
    expr = linear_expression(dict(zip(names, rounded[:-1].tolist())), int(rounded[-1]))
    return Formula(expr=expr, method="linear")


def _failed(message: str) -> Failure:
    return Failure(stage="regress", method="linear", message=message)


class LinearMethod(TargetMethod):
    """Integer linear regression on every target (up to ``problem.tolerance`` of the weight)."""

    name = "linear"

    def fit_target(self, problem: Problem, name: str, target: np.ndarray) -> Formula | Failure:
        return fit_linear(problem.columns, target, weights=problem.weights, tolerance=problem.tolerance)


LINEAR = LinearMethod()
