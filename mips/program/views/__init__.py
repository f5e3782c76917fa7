"""The program stage's state views, one module each, tried in the order of :data:`VIEWS`.

A view turns what the earlier stages found (the traced states, the chosen encoding, the minimised
machine) into integer state variables and then into candidate programs. Each module has one
function, ``programs(ctx) -> list[Program]``, with its gate inside (it returns ``[]`` when it does
not apply, and records why in ``ctx.failures`` when that is worth saying). A new view is one module
plus one line here; the order is the order of ties between programs of the same size.
"""

from __future__ import annotations

from typing import Callable

from mips.program.program import Program
from mips.program.views import encoding, exact, history, machine, window
from mips.program.views.context import Context

View = Callable[[Context], list[Program]]

VIEWS: tuple[tuple[str, View], ...] = (
    ("encoding", encoding.programs),          # the network's own codes, as in the paper
    ("window", window.programs),              # the last k inputs, or a running count of them
    ("machine", machine.programs),            # (output, memory) and remainders of the machine
    ("last outputs", history.programs),       # only when nothing else worked
    ("machine exact", exact.programs),        # smallest formulas from the machine's tables
)

__all__ = ["Context", "VIEWS", "View"]
