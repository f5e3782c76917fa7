"""Regression stage: the registry of regression methods (mips-method.md §9).

Method name -> its :class:`~mips.regression.method.RegressionMethod`, in the order
:func:`~mips.regression.fit.fit_formulas` runs them (on a tie in size the earlier one's formula
is kept). A new method is one module defining a ``RegressionMethod`` subclass plus one line here.
"""

from __future__ import annotations

from types import MappingProxyType

from mips.regression.boolean import BOOLEAN
from mips.regression.conditional import CONDITIONAL
from mips.regression.linear import LINEAR
from mips.regression.membership import MEMBERSHIP
from mips.regression.method import RegressionMethod
from mips.regression.modular import MODULAR
from mips.regression.selection import SELECTION
from mips.regression.symbolic import SYMBOLIC

REGRESSIONS: MappingProxyType[str, RegressionMethod] = MappingProxyType({method.name: method for method in (
    LINEAR,
    MODULAR,
    BOOLEAN,
    MEMBERSHIP,
    SELECTION,
    CONDITIONAL,
    SYMBOLIC,
)})
METHODS: tuple[str, ...] = tuple(REGRESSIONS)
