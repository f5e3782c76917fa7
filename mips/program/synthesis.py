"""Program stage: from the network's machine to candidate programs (mips-method.md §9, extended).

A program needs integer state variables. The network offers them in more than one way: each way is
a state view (:mod:`mips.program.views`, one module per view, tried in the registry's order): the
encoding's codes, the last k inputs, the minimised machine's (output, memory) and remainders, the
last outputs, and exact synthesis from the machine's tables. Every view that yields a complete
program adds it; :func:`table_program` is the fallback: the minimised machine as lookup tables.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from mips.encodings.choose import EncodingChoice
from mips.encodings.data import StateData
from mips.machine.extract import FSMResult
from mips.program.program import Program, input_names
from mips.program.views import VIEWS, Context


@dataclass(frozen=True, slots=True, kw_only=True)
class Synthesis:
    """Every program found, shortest first, and why the other views failed (``str`` of each
    view's :class:`~mips.failure.Failure`: ``"view: why"``)."""

    programs: tuple[Program, ...]
    failures: tuple[str, ...] = ()
    seconds: float = 0.0


def table_program(fsm: FSMResult, task: str, input_dim: int) -> Program | None:
    """The minimised machine as lookup tables (kind ``table``; never a symbolic solve)."""
    m = fsm.minimal if fsm is not None else None
    if m is None:
        return None
    transitions = {(int(s), tuple(m.inputs[i])): int(m.transitions[s, i])
                   for s in range(m.n_states) for i in range(len(m.inputs)) if m.transitions[s, i] >= 0}
    outs = {int(s): tuple(o) for s, o in enumerate(m.outputs) if o is not None}
    return Program(task=task, kind="table", method=f"state table ({m.n_states} states)",
                   inputs=input_names(input_dim), state=("s",), initial=(int(m.initial),),
                   transitions=transitions, table_outputs=outs)


def synthesize(data: StateData, choice: EncodingChoice | None, *, task: str, fsm: FSMResult | None = None,
               time_budget_seconds: float = 3.0) -> Synthesis:
    """Candidate programs from every state view, shortest first.

    Parameters
    ----------
    data : StateData
        The traced states (its outputs are the network's, which the programs must reproduce).
    choice : EncodingChoice or None
    fsm : FSMResult, optional
        Its minimised machine gives the machine views.
    time_budget_seconds : symbolic-search budget per formula set
    """
    start = time.perf_counter()
    ctx = Context(data=data, choice=choice, fsm=fsm, task=task, time_budget_seconds=time_budget_seconds,
                  x=data.inputs[data.x_index], y=np.asarray(data.outputs, dtype=np.int64))
    for _, view in VIEWS:
        ctx.programs += view(ctx)
    programs = sorted(ctx.programs, key=lambda p: p.size)
    return Synthesis(programs=tuple(programs), failures=tuple(ctx.failures),
                     seconds=time.perf_counter() - start)
