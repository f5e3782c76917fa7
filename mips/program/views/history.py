"""State view ``last outputs``: the state as the network's last k outputs (a position and the one
before it give the velocity; :func:`mips.program.window.output_history_views`).

Gate: only when no earlier view gave a program."""

from __future__ import annotations

from mips.program.program import Program
from mips.program.views.context import Context
from mips.program.window import output_history_views


def programs(ctx: Context) -> list[Program]:
    if ctx.programs:
        return []
    views = [(view, (0,) * view.n_vars) for view in output_history_views(ctx.y)]
    return ctx.regress_all(views, budget_share=0.5, first_only=True)
