"""Exact synthesis: a finite machine's tables become the smallest program of the grammar
(:mod:`~mips.program.exact.bank` enumerates, :mod:`~mips.program.exact.solve` matches and unifies,
:mod:`~mips.program.exact.features` offers state variables, :mod:`~mips.program.exact.machine_program`
puts them together)."""

from mips.program.exact.machine_program import machine_programs, program_from_machine

__all__ = ["machine_programs", "program_from_machine"]
