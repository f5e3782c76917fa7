"""State view ``machine exact``: programs found exactly from the minimised machine's tables
(:mod:`mips.program.exact`), each kept when it reproduces the network on the traced sequences, as
the other views' programs must.

Gate: a minimised machine exists (its size limits are inside :mod:`mips.program.exact`) and no
view found a program of at most ``EXACT_ABOVE`` nodes (a smaller one would save a node or two at
seconds of search: the regress stage's time goes to the tasks that need it)."""

from __future__ import annotations

import numpy as np

from mips.failure import Failure
from mips.program.exact.machine_program import machine_programs
from mips.program.program import Program, run_program
from mips.program.regress_view import SEQUENCE_TOLERANCE
from mips.program.views.context import Context

MAX_EXACT = 3                     # exact programs kept (one per labeling, smallest first)
EXACT_ABOVE = 10                  # search unless a program this small was already found


def exact_programs(m, x: np.ndarray, y: np.ndarray, *, task: str, failures: list[str],
                   below: int | None = None) -> list[Program]:
    """Programs found exactly from the minimised machine's tables (:mod:`mips.program.exact`),
    each kept when it reproduces the network on the traced sequences, as the other views must.
    ``below``: only programs smaller than this are looked for."""
    found = machine_programs(m, task=task, input_dim=x.shape[2], below=below)
    if isinstance(found, Failure):
        failures.append(str(found))
        return []
    kept = []
    for program in found[:MAX_EXACT]:
        run = run_program(program, x)
        wrong = (int(np.count_nonzero(np.any(run.outputs != y, axis=(1, 2)))) if run.error is None
                 else x.shape[0])
        if wrong > SEQUENCE_TOLERANCE * x.shape[0]:
            failures.append(f"{program.method}: differs from the network on {wrong} of {x.shape[0]} traced sequences")
            continue
        kept.append(program)
    return kept


def programs(ctx: Context) -> list[Program]:
    if ctx.fsm is None or ctx.fsm.minimal is None or any(p.size <= EXACT_ABOVE for p in ctx.programs):
        return []
    # no larger than what the other views found (ties stay: the readability score chooses)
    below = min(p.size for p in ctx.programs) + 1 if ctx.programs else None
    return exact_programs(ctx.fsm.minimal, ctx.x, ctx.y, task=ctx.task, failures=ctx.failures, below=below)
