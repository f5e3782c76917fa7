"""What a training run or a search may spend, and why it stopped: one budget and one vocabulary
for every trainer (:mod:`mips.network.loop`) and both searches.

A budget counts *work* (:mod:`mips.network.work`), so the same run stops at the same step on any
machine under any load; a wall-clock limit applies only when the caller gives one, and
``should_stop`` is the caller's cancel button (the app's Stop).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from mips.errors import check_float

#: Why a network, a group, a polish or a search stopped.
#:
#: perfect: a network is right on every output; polished: perfect after polishing (a search's record);
#: max_steps: its schedule ended; plateau: no progress for a while; dropped: halved away (successive
#: halving); companion: a network trained beside it was perfect; exhausted: nothing left to train;
#: work_budget / time_budget: the budget's work or seconds are spent; cancelled: ``should_stop``
#: said so; done: a search ended with its plan (the best network found is its result).
StopReason = Literal["perfect", "polished", "max_steps", "plateau", "dropped", "companion", "exhausted",
                     "work_budget", "time_budget", "cancelled", "done"]

#: the reasons a budget gives; a search that meets one stops too
BUDGET_REASONS: tuple[StopReason, ...] = ("cancelled", "work_budget", "time_budget")


@dataclass(frozen=True, slots=True, kw_only=True)
class Budget:
    """At most ``work`` work units and ``seconds`` of wall-clock time (None: no limit), and
    ``should_stop`` polled at every evaluation (True cancels)."""

    work: float | None = None
    seconds: float | None = None
    should_stop: Callable[[], bool] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.work is not None:
            check_float("Budget", "work", self.work, 0.0, 1e15, low_open=True)
        if self.seconds is not None:
            check_float("Budget", "seconds", self.seconds, 0.0, 1e9, low_open=True)

    def start(self) -> Meter:
        """A meter that counts the work spent against this budget from now."""
        return Meter(self)


class Meter:
    """The work spent and the time passed since a budget started."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.work = 0.0
        self.started = time.perf_counter()

    def add(self, work: float) -> None:
        self.work += work

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def reason(self) -> StopReason | None:
        """Why to stop now (cancelled, then work, then seconds), or None to go on."""
        b = self.budget
        if b.should_stop is not None and b.should_stop():
            return "cancelled"
        if b.work is not None and self.work >= b.work:
            return "work_budget"
        if b.seconds is not None and self.elapsed() >= b.seconds:
            return "time_budget"
        return None

    def remaining(self) -> Budget:
        """What is left, as a budget for a part of the run (call only while :meth:`reason` is None)."""
        b = self.budget
        work = None if b.work is None else b.work - self.work
        seconds = None if b.seconds is None else b.seconds - self.elapsed()
        return Budget(work=work, seconds=None if seconds is None else max(seconds, 1e-6),
                      should_stop=b.should_stop)
