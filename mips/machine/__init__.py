"""Machine stage: Moore machines (:mod:`mips.machine.moore`) extracted from encoded hidden
states (:mod:`mips.machine.extract`)."""
