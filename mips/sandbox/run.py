"""Parent side: run a function in an isolated child process and read its reply safely.

:func:`run_sandboxed` pickles a top-level function and its arguments (trusted data, parent to
child), starts ``python -I`` under bubblewrap (:mod:`mips.sandbox.host`), which confines itself
(:mod:`mips.sandbox.confine`) before calling the function, and reads the reply
(:mod:`mips.sandbox.wire`: JSON and raw numeric arrays, size-capped, never unpickled).

The parent survives a hostile child:

* the request goes in on stdin, the reply comes back through a file the parent created in its
  own private folder and passed as an open descriptor; the child sees neither path;
* the wall clock is enforced here, and the child's whole process group is killed on every exit
  path (bubblewrap's PID namespace and ``--die-with-parent`` take everything else with it);
* an exception in the child comes back as a class *name* and a message; the name is looked up in
  a fixed table of the project's error classes (:data:`ERRORS`), never imported;
* every way the child can end is a :class:`~mips.errors.SandboxError` whose ``kind`` is one of
  ``"timeout"``, ``"cpu"``, ``"memory"``, ``"recursion"``, ``"blocked"`` (a system call the
  filter kills), ``"crashed"``, ``"raised"``, ``"isolation"``, ``"cancelled"``.
"""

from __future__ import annotations

import os
import pickle
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mips import errors
from mips.errors import ConfigError, MipsError, SandboxError
from mips.sandbox import host, wire
from mips.sandbox.limits import SandboxLimits

__all__ = ["run_sandboxed", "ERRORS"]

_STDERR_TAIL = 2000
_CHILD = "import sys; sys.path[:0] = {path!r}; from mips.sandbox.child import main; main({fd})"
ERRORS: dict[str, type[MipsError]] = {
    name: cls for name, cls in vars(errors).items()
    if isinstance(cls, type) and issubclass(cls, MipsError) and cls is not SandboxError}


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def _tail(path: Path) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - _STDERR_TAIL))
            text = f.read().decode("utf-8", "replace").strip()
    except OSError:
        return ""
    return f" Its last output: {text}" if text else ""


def _processes_of(uid: int) -> int:
    """Processes of ``uid`` now (RLIMIT_NPROC counts them all)."""
    n = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                n += entry.stat().st_uid == uid
            except OSError:
                pass
    return n


def _package_folders(fn: Callable[..., Any]) -> tuple[str, ...]:
    """The folder of ``fn``'s top-level package (or its module file's folder), which the child must read."""
    top = sys.modules.get((getattr(fn, "__module__", None) or "").split(".")[0])
    where = getattr(top, "__path__", None)
    if where:
        return tuple(os.path.realpath(p) for p in where)
    file = getattr(top, "__file__", None)
    return (os.path.realpath(file),) if file else ()


def _refuse_without_isolation(what: str) -> None:
    iso = host.isolation()
    if not iso.complete:
        raise SandboxError(f"{what} was refused: this machine cannot isolate untrusted code, because "
                           f"{iso.remedy()}; or, only for a file you trust, opt in with --trust-task-file "
                           f"(the 'I trust this file' box in the workbench).", kind="isolation",
                           details=iso.summary())


def _memory_error(what: str, limits: SandboxLimits) -> SandboxError:
    return SandboxError(f"{what} ran out of its memory limit of {limits.memory_mb} MB. Make it use less memory.",
                        kind="memory")


def _recursion_error(what: str) -> SandboxError:
    return SandboxError(f"{what} stopped: recursion too deep. Use a loop or shallower recursion.", kind="recursion")


def _crash_error(what: str, rc: int, limits: SandboxLimits, tail: str) -> SandboxError:
    """How a child that ended without a reply (exit status ``rc``, negative for a signal) is reported."""
    if rc == -signal.SIGSYS:  # the seccomp filter, or a filter the code added itself, killed it
        return SandboxError(f"{what} was stopped: it made a blocked system call (new processes, sockets and "
                            f"access to other processes are not allowed). Remove that call.{tail}", kind="blocked")
    if rc == -signal.SIGSEGV:  # Python code overflows the C stack only through recursion
        return SandboxError(f"{what} stopped: recursion too deep (a segmentation fault: its stack overflowed). "
                            f"Use a loop or shallower recursion.{tail}", kind="recursion")
    out_of_memory = re.search(r"memory|alloc", tail, re.IGNORECASE)   # e.g. a native library that gave up
    if rc in (-signal.SIGKILL, -signal.SIGABRT, -signal.SIGBUS) or (rc != 0 and out_of_memory):
        return SandboxError(f"{what} was stopped by the memory limit of {limits.memory_mb} MB. Make it use "
                            f"less memory.{tail}", kind="memory")
    if rc >= 0:
        return SandboxError(f"{what} crashed: the sandboxed process exited with status {rc} before returning a "
                            f"result (it called exit()). Return a value instead.{tail}", kind="crashed")
    try:
        name = f"{-rc} ({signal.Signals(-rc).name})"
    except ValueError:
        name = str(-rc)
    return SandboxError(f"{what} crashed: the sandboxed process was killed by signal {name} before returning a "
                        f"result. Fix the code.{tail}", kind="crashed")


def _reply_error(what: str, status: str, value: Any, limits: SandboxLimits) -> MipsError:
    if status == "memory":
        return _memory_error(what, limits)
    if status == "recursion":
        return _recursion_error(what)
    if (status == "raised" and isinstance(value, list) and len(value) == 2
            and all(isinstance(v, str) for v in value)):
        name, message = value
        if name in ERRORS:
            return ERRORS[name](message)
        return SandboxError(f"{what} raised {name}: {message}", kind="raised")
    return SandboxError(f"{what} sent back a malformed reply.", kind="crashed")


def run_sandboxed(fn: Callable[..., Any], *args: Any, limits: SandboxLimits | None = None,
                  what: str = "The sandboxed code", require_isolation: bool = True,
                  cancel: threading.Event | None = None, **kwargs: Any) -> Any:
    """Call ``fn(*args, **kwargs)`` in an isolated child process and return its result.

    Parameters
    ----------
    fn : callable
        A top-level function of an importable module (pickled by reference).
    *args, **kwargs : picklable arguments
    limits : SandboxLimits, optional
        Default ``SandboxLimits()``.
    what : str
        How messages name the work (``"Task file 'x.py'"``).
    require_isolation : bool
        Refuse (``SandboxError`` of kind ``"isolation"``) when the host lacks the namespaces or
        seccomp layer. False runs with the layers that exist (a user who trusts the code).
    cancel : threading.Event, optional
        Set it (from another thread) to stop the child at once (``SandboxError`` of kind
        ``"cancelled"``), e.g. when a user presses Cancel.

    Returns
    -------
    The value ``fn`` returned: plain data (None, bool, int, float, str, list, tuple, dict) and
    numeric numpy arrays.

    Raises
    ------
    SandboxError
        ``kind`` ``"timeout"``, ``"cpu"``, ``"memory"``, ``"recursion"``, ``"blocked"``, ``"crashed"``,
        ``"raised"`` (an exception that is not one of the project's errors), ``"isolation"`` or
        ``"cancelled"``.
    MipsError
        One of the project's error classes raised in the child, with its message.
    """
    limits = SandboxLimits() if limits is None else limits
    if not isinstance(limits, SandboxLimits):
        raise ConfigError(f"The 'limits' parameter of run_sandboxed must be a SandboxLimits. "
                          f"Got {type(limits).__name__} instead.")
    if require_isolation:
        _refuse_without_isolation(what)
    iso = host.isolation()
    folder = Path(tempfile.mkdtemp(prefix="mips-sandbox-"))  # 0700, the parent's own
    reply_fd = os.open(folder / "reply", os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        packages = _package_folders(fn)
        path = list(dict.fromkeys(str(Path(p).parent) for p in (str(host.PACKAGE_DIR), *packages)))
        cmd, popen = host.child_command(_CHILD.format(path=path, fd=reply_fd), packages, limits)
        threads = limits.threads + _processes_of(host.NOBODY) if "user" in popen else None
        settings = {"limits": limits, "seccomp": iso.seccomp, "threads": threads}
        try:
            payload = pickle.dumps((fn, args, kwargs, settings), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            raise ConfigError(f"run_sandboxed needs a top-level function and picklable arguments; "
                              f"pickling failed with {type(exc).__name__}: {exc}") from exc
        return _run(cmd, popen, payload, reply_fd, folder, limits, what, cancel)
    finally:
        os.close(reply_fd)
        shutil.rmtree(folder, ignore_errors=True)


class _Cancelled(Exception):
    pass


def _wait(proc: subprocess.Popen, deadline: float, cancel: threading.Event | None) -> None:
    """Wait for the child until ``deadline`` (TimeoutExpired) or until ``cancel`` is set (_Cancelled)."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise subprocess.TimeoutExpired(proc.args, 0)
        try:
            proc.wait(timeout=left if cancel is None else min(left, 0.1))
            return
        except subprocess.TimeoutExpired:
            if cancel is not None and cancel.is_set():
                raise _Cancelled from None


def _run(cmd: list[str], popen: dict, payload: bytes, reply_fd: int, folder: Path, limits: SandboxLimits,
         what: str, cancel: threading.Event | None) -> Any:
    (folder / "in").write_bytes(payload)
    with open(folder / "in", "rb") as stdin, open(folder / "err", "wb") as stderr:
        proc = subprocess.Popen(cmd, stdin=stdin, stdout=stderr, stderr=stderr, pass_fds=(reply_fd,),
                                env=host.env(), cwd=folder, start_new_session=True, **popen)
        start = time.monotonic()
        try:
            _wait(proc, start + limits.wall_seconds, cancel)
        except subprocess.TimeoutExpired:
            raise SandboxError(f"{what} did not finish within the wall-clock limit of {limits.wall_seconds:g} s "
                               f"and was stopped. Make it finish sooner (no endless loops or waits).",
                               kind="timeout") from None
        except _Cancelled:
            raise SandboxError(f"{what} was cancelled.", kind="cancelled") from None
        finally:
            _kill_group(proc)
    seconds = time.monotonic() - start
    rc = proc.returncode
    if rc > 128 and host.BWRAP in cmd:  # bubblewrap reports a child killed by signal N as 128 + N
        rc = 128 - rc
    if rc == -signal.SIGXCPU or (rc == -signal.SIGKILL and seconds >= limits.cpu_seconds):
        raise SandboxError(f"{what} used more than the CPU-time limit of {limits.cpu_seconds:g} s and was "
                           f"stopped. Make it do less work (no endless loops).", kind="cpu")
    cap = limits.reply_mb << 20
    with open(folder / "reply", "rb") as f:
        data = f.read(cap + 1)
    if rc != 0 or not data:
        raise _crash_error(what, rc, limits, _tail(folder / "err"))
    try:
        status, value = wire.decode(data, cap)
    except (wire.WireError, TypeError, ValueError) as exc:
        raise SandboxError(f"{what} sent back a reply that cannot be read safely ({exc}). Return plain "
                           f"data (ints, floats, str, lists, dicts, tuples, numpy arrays).",
                           kind="crashed") from None
    if status == "ok":
        return value
    raise _reply_error(what, status, value, limits)
