"""Work budgets of the formula searches: counted in operations, never read from a clock.

A budget in seconds makes the program depend on the machine and its load (the same code, network
and seed gave Max_Seen on one run and lost it on the next). The searches here count what they do
instead, at fixed points of their loops, so where they stop depends only on their input. Budgets
keep their familiar unit, *nominal seconds*: one nominal second is :data:`SYMBOLIC_PER_SECOND`
candidate expressions of the enumeration, or :data:`BOOLEAN_PER_SECOND` units of the Boolean
minimiser (one unit is about one row-cell it reads, plus :data:`CALL_COST` per array operation),
rates measured on the project's 2-core reference machine (a nominal second takes from about 0.5
to 2 CPU seconds depending on the rows).
"""

from __future__ import annotations

from dataclasses import dataclass

SYMBOLIC_PER_SECOND = 25_000_000
BOOLEAN_PER_SECOND = 100_000_000
CALL_COST = 1_000


@dataclass(slots=True)
class Work:
    """Units a search may spend, and what it has spent.

    >>> w = Work(10)
    >>> w.spend(4); w.over, w.left
    (False, 6)
    >>> w.spend(6); w.over
    True
    """

    limit: int
    spent: int = 0

    def spend(self, units: int) -> None:
        self.spent += int(units)

    @property
    def over(self) -> bool:
        return self.spent >= self.limit

    @property
    def left(self) -> int:
        return max(0, self.limit - self.spent)
