"""Regression stage: what one regression method does (mips-method.md §9).

Every method (linear, modular, boolean, symbolic, ...) is one module that defines a subclass of
:class:`RegressionMethod` and one registry line in :mod:`mips.regression.registry`.
:func:`mips.regression.fit.fit_formulas` runs the registered methods in order on the same
:class:`Problem` and keeps, per target, the shortest formula.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from mips.failure import Failure
from mips.regression.formula import Formula


def is_bits(a: np.ndarray) -> bool:
    """True when every entry is 0 or 1 (and there is one)."""
    return a.size > 0 and bool(np.all((a == 0) | (a == 1)))


@dataclass(slots=True, kw_only=True)
class Problem:
    """The rows every method sees, its settings, and the work the searches spent so far.

    Attributes
    ----------
    columns : mapping name -> int64 array of shape (n_rows,)
    moduli : per target, N when it lives in Z_N
    constants : constants a search may use
    time_budget_seconds : nominal seconds the searches share (:mod:`mips.regression.work`)
    max_symbolic_size : largest formula (AST nodes) the symbolic search builds
    weights, tolerance : observations per row and the fraction of them a linear formula may miss
    """

    columns: Mapping[str, np.ndarray]
    moduli: Mapping[str, int | None]
    constants: tuple[int, ...]
    time_budget_seconds: float
    max_symbolic_size: int
    weights: np.ndarray | None = None
    tolerance: float = 0.0
    bits: bool = field(init=False)
    _units: dict[int, int] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.bits = all(is_bits(v) for v in self.columns.values())

    def spend(self, units: int, per_second: int) -> None:
        """Record work of a search counted at ``per_second`` units per nominal second."""
        self._units[per_second] = self._units.get(per_second, 0) + int(units)

    @property
    def spent_seconds(self) -> float:
        """Nominal seconds the searches spent so far."""
        return sum(units / rate for rate, units in self._units.items())


class RegressionMethod:
    """One regression method; subclasses set ``name`` and implement :meth:`fit`."""

    name: str = ""

    def fit(self, problem: Problem, targets: Mapping[str, np.ndarray],
            best: Mapping[str, Formula | None]) -> dict[str, Formula]:
        """The formulas this method finds, for the targets it applies to.

        ``best`` holds the shortest formula of each target found by the methods before it (a
        search may look only for something shorter).
        """
        raise NotImplementedError


class TargetMethod(RegressionMethod):
    """A method that fits each target on its own (:meth:`fit_target`)."""

    def fit(self, problem: Problem, targets: Mapping[str, np.ndarray],
            best: Mapping[str, Formula | None]) -> dict[str, Formula]:
        found = {}
        for name, target in targets.items():
            formula = self.fit_target(problem, name, target)
            if isinstance(formula, Formula):
                found[name] = formula
        return found

    def fit_target(self, problem: Problem, name: str, target: np.ndarray) -> Formula | Failure | None:
        """The method's formula for one target; a :class:`~mips.failure.Failure` (stage ``"regress"``)
        saying why when the method applies and no formula fits; None when the method does not apply
        to this target (a modular formula for a target with no modulus)."""
        raise NotImplementedError
