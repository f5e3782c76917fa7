"""Top-level functions the second-round isolation tests run in a child process (issue 22)."""

from __future__ import annotations

import ctypes
import os
import sys
import threading

_SYS_RT_SIGQUEUEINFO = 129  # x86_64
_PR_SET_PDEATHSIG = 1


def pid_one() -> dict:
    """Who PID 1 is in the child's namespace and what holds it."""
    with open("/proc/1/status") as f:
        status = dict(line.split(":", 1) for line in f.read().splitlines() if ":" in line)
    return {"me": os.getpid(), "seccomp": status["Seccomp"].strip(), "no_new_privs": status["NoNewPrivs"].strip(),
            "pids": sorted(int(n) for n in os.listdir("/proc") if n.isdigit())}


def write_pid_one_memory() -> str:
    """Open /proc/1/mem read-write: only ever the child's own memory, never an init outside the filter."""
    with open("/proc/1/mem", "r+b"):
        pass
    return f"opened the memory of pid 1, which is pid {os.getpid()}"


def start_threads(n: int) -> int:
    started = 0
    stop = threading.Event()
    try:
        for _ in range(n):
            threading.Thread(target=stop.wait, daemon=True).start()
            started += 1
    finally:
        stop.set()
    return started


def numpy_work() -> float:
    import numpy as np
    a = np.arange(300 * 300, dtype=np.float64).reshape(300, 300) / 1e4
    return float(np.trace(a @ a.T) + np.linalg.norm(np.linalg.solve(a + 300 * np.eye(300), a[:, 0])))


def seccomp_kill() -> None:
    """Load a filter of its own that kills on getppid, then call it: a real seccomp kill (SIGSYS)."""
    import pyseccomp as sc
    f = sc.SyscallFilter(defaction=sc.ALLOW)
    f.add_rule(sc.KILL_PROCESS, "getppid")
    f.load()
    os.getppid()


def deep_recursion() -> list:
    """Recursion through C (``map``) with the recursion limit lifted: the C stack overflows (SIGSEGV)."""
    sys.setrecursionlimit(10**8)

    def down(n: int) -> list:
        return list(map(down, [n + 1]))
    return down(0)


def recursion_error() -> int:
    def down(n: int) -> int:
        return down(n + 1) + 1
    return down(0)


def queue_signal(pid: int, sig: int) -> int:
    """rt_sigqueueinfo(pid, sig, info): the errno (0 when it went through)."""
    libc = ctypes.CDLL(None, use_errno=True)
    info = ctypes.create_string_buffer(128)
    info[0:4] = sig.to_bytes(4, "little")
    info[8:12] = (-1 & 0xFFFFFFFF).to_bytes(4, "little")   # si_code SI_QUEUE
    r = libc.syscall(_SYS_RT_SIGQUEUEINFO, pid, sig, info)
    return 0 if r == 0 else ctypes.get_errno()


def clear_death_signal() -> int:
    """prctl(PR_SET_PDEATHSIG, 0): the errno (0 when it went through)."""
    libc = ctypes.CDLL(None, use_errno=True)
    return 0 if libc.prctl(_PR_SET_PDEATHSIG, 0, 0, 0, 0) == 0 else ctypes.get_errno()


def read_bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def list_folder(path: str) -> list:
    return sorted(os.listdir(path))


class _RunsOnUnpickling:
    """What a hostile worker would send back: unpickling it runs a command (here: writes a marker)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"echo unpickled >> {self.marker}",))


def hostile_worker_reply(marker: str) -> object:
    """A worker function that returns a pickle-only object instead of bytes."""
    return _RunsOnUnpickling(marker)


class _ExceptionRunsOnUnpickling(Exception):
    """An exception a hostile worker raises: unpickling it on the client would write a marker."""

    def __init__(self, marker: str) -> None:
        super().__init__(marker)
        self.marker = marker

    def __reduce__(self):  # the marker gets the pid of the process that unpickled it
        return (os.system, (f"echo $PPID >> {self.marker}",))


def raising_worker(marker: str) -> bytes:
    """A worker function that fails with an exception whose unpickling runs a command."""
    raise _ExceptionRunsOnUnpickling(marker)


def honest_worker_reply(task: str) -> bytes:
    from mips.runtime.worker_reply import encode
    return encode({"task": task, "solved": True, "seconds": 1.5, "stage_seconds": {"train": 1.0}})
