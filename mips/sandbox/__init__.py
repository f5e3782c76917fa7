"""Run untrusted work (task files, checks of edited programs) in an isolated child process.

:func:`run_sandboxed` (parent side, :mod:`mips.sandbox.run`) with :class:`SandboxLimits`;
:func:`isolation` says which operating-system layers this host offers (:mod:`mips.sandbox.host`);
the child confines itself in :mod:`mips.sandbox.confine`; replies travel as :mod:`mips.sandbox.wire`.
"""

from mips.errors import SandboxError
from mips.sandbox.host import Isolation, isolation
from mips.sandbox.limits import SandboxLimits
from mips.sandbox.run import run_sandboxed

__all__ = ["SandboxLimits", "run_sandboxed", "SandboxError", "Isolation", "isolation"]
