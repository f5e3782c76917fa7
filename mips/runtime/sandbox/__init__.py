"""Run untrusted work (task files, checks of edited programs) in an isolated child process.

:func:`run_sandboxed` (parent side, :mod:`mips.runtime.sandbox.run`) with :class:`SandboxLimits`;
:func:`isolation` says which operating-system layers this host offers (:mod:`mips.runtime.sandbox.host`);
the child confines itself in :mod:`mips.runtime.sandbox.confine`; replies travel as :mod:`mips.runtime.sandbox.wire`.
"""

from mips.errors import SandboxError
from mips.runtime.sandbox.host import Isolation, isolation
from mips.runtime.sandbox.limits import SandboxLimits
from mips.runtime.sandbox.run import run_sandboxed

__all__ = ["SandboxLimits", "run_sandboxed", "SandboxError", "Isolation", "isolation"]
