"""Limits of one sandboxed call (CPU, memory, wall clock, reply size, open files, threads)."""

from __future__ import annotations

from dataclasses import dataclass

from mips.errors import check_float, check_int


@dataclass(frozen=True, slots=True, kw_only=True)
class SandboxLimits:
    """Limits of one sandboxed call.

    Parameters
    ----------
    cpu_seconds : float
        CPU time the call may use after the child's imports (``RLIMIT_CPU``; rounded up).
    memory_mb : int
        Address space (``RLIMIT_AS``) the call may add to what the imports already reserved.
    wall_seconds : float
        Wall-clock time of the whole child, start-up and imports included, enforced by the parent.
    reply_mb : int
        Largest reply the parent reads back (also the child's ``RLIMIT_FSIZE``).
    open_files : int
        ``RLIMIT_NOFILE`` of the child.
    threads : int
        Processes the child's uid may add (``RLIMIT_NPROC``, where the child has a uid of its own); the
        seccomp filter refuses every new thread and process in any case.
    """

    cpu_seconds: float = 30.0
    memory_mb: int = 2048
    wall_seconds: float = 90.0
    reply_mb: int = 64
    open_files: int = 64
    threads: int = 16

    def __post_init__(self) -> None:
        check_float("SandboxLimits", "cpu_seconds", self.cpu_seconds, 0.0, 86_400.0, low_open=True)
        check_int("SandboxLimits", "memory_mb", self.memory_mb, 16, 1 << 20)
        check_float("SandboxLimits", "wall_seconds", self.wall_seconds, 0.0, 86_400.0, low_open=True)
        check_int("SandboxLimits", "reply_mb", self.reply_mb, 1, 4096)
        check_int("SandboxLimits", "open_files", self.open_files, 16, 4096)
        check_int("SandboxLimits", "threads", self.threads, 1, 1024)
