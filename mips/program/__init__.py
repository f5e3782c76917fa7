"""Program stage: the program type (:mod:`mips.program.program`), candidates from the network's
machine and state views (:mod:`mips.program.synthesis`), readable forms (:mod:`mips.program.readable`),
Python source (:mod:`mips.program.codegen`) and verification (:mod:`mips.program.verify`), and the
choice among the verified candidates (:mod:`mips.program.choose`).

Public API::

    synthesize, Synthesis                     candidates from every state view
    choose_program, ProgramChoice             the stage: verify, most readable first
    Program, run_program                      the artefact
    verify_program, Verification              the three checks
    to_source, parse_program, readability, task_constants
"""

from mips.program.choose import ProgramChoice, choose_program
from mips.program.codegen import parse_program, to_source
from mips.program.program import Program, run_program
from mips.program.readable import readability, task_constants
from mips.program.synthesis import Synthesis, synthesize
from mips.program.verify import Verification, verify_program

__all__ = ["Program", "ProgramChoice", "Synthesis", "Verification", "choose_program", "parse_program", "readability",
           "run_program", "synthesize", "task_constants", "to_source", "verify_program"]
