"""State view ``window``: when the network's state is a function of its last k inputs (the machine
is k-definite, checked on every step of every traced sequence, with most windows seen more than
once so that the claim is not vacuous; or the hidden vector is an affine function of those inputs;
or, behaviourally, the network's output is), the state is re-expressed as those k inputs, a shift
register ``a, b, c = x, a, b``; else a running count of the inputs when the outputs are a function
of it (:mod:`mips.program.window`). This is a change of variables of the network's own machine,
not a guess from the task.

Gate: the first of those tests that holds; none holding is recorded as a failure."""

from __future__ import annotations

import numpy as np

from mips.encodings.data import row_keys
from mips.program.program import Program
from mips.program.views.context import Context
from mips.program.views.encoding import encoded
from mips.program.window import (
    MAX_WINDOW,
    largest_window,
    linear_window_view,
    output_counter_view,
    output_window_view,
    window_view,
)


def programs(ctx: Context) -> list[Program]:
    views = encoded(ctx)
    data, x, y = ctx.data, ctx.x, ctx.y
    # the network's state identified by its code (its exact hidden vector without an encoding)
    state_ids = (row_keys(views[0][0].codes.reshape(-1, views[0][0].n_vars)).reshape(data.index.shape)
                 if views else data.index)
    window = window_view(state_ids.astype(np.int64), x)
    if window is None:
        window = linear_window_view(data.points[data.index], x)
    if window is None:
        window = output_window_view(y, x)
    if window is None:
        window = output_counter_view(y, x)
    if window is None:
        ctx.failures.append(f"last k inputs: the network's state is not a function of its last "
                            f"{largest_window(MAX_WINDOW, x.shape[1])} inputs (neither its code nor, linearly, its hidden "
                            f"vector)")
        return []
    return ctx.regress_all([(window, (0,) * window.n_vars)])
