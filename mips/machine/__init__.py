"""Machine stage: Moore machines (:mod:`mips.machine.moore`) extracted from encoded hidden
states (:mod:`mips.machine.extract`); the stage keeps the machine with the fewest conflicts
(:mod:`mips.machine.stage`).

Public API::

    machine_stage, conflicts           the stage
    FSMResult, extract_fsm             the artefact and how it is built
    MooreMachine, minimize             the machine
"""

from mips.machine.extract import FSMResult, extract_fsm
from mips.machine.moore import MooreMachine, minimize
from mips.machine.stage import conflicts, machine_stage

__all__ = ["FSMResult", "MooreMachine", "conflicts", "extract_fsm", "machine_stage", "minimize"]
