"""What every state view reads: the traced data, the encodings, the machine, and the programs and
failures found so far (a view's gate may depend on them)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from mips.encodings.choose import EncodingChoice
from mips.encodings.data import StateData
from mips.machine.extract import FSMResult
from mips.program.program import Program
from mips.program.regress_view import regress_view
from mips.program.state_view import StateView

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Context:
    """The program stage's inputs and its findings so far.

    ``x``: the traced inputs (n_sequences, seq_len, input_dim); ``y``: the network's rounded
    outputs, which programs must reproduce. ``cache`` lets one view reuse another's work (the
    window view reads the encoding view's codes).
    """

    data: StateData
    choice: EncodingChoice | None
    fsm: FSMResult | None
    task: str
    time_budget_seconds: float
    x: np.ndarray
    y: np.ndarray
    programs: list[Program] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    cache: dict = field(default_factory=dict)

    def regress_all(self, views: list[tuple[StateView, tuple[int, ...]]], *, budget_share: float = 1.0,
                    first_only: bool = False) -> list[Program]:
        """Regress each view into a program (:func:`mips.program.regress_view.regress_view`);
        failures are recorded. ``first_only``: stop at the first view that gives a program."""
        found = []
        for view, init in views:
            result = regress_view(view, self.x, self.y, task=self.task, initial=init,
                                  time_budget_seconds=self.time_budget_seconds * budget_share)
            if isinstance(result, Program):
                found.append(result)
                if first_only:
                    break
            else:
                self.failures.append(str(result))
                log.info("synthesis %s: %s", self.task, result)
        return found
