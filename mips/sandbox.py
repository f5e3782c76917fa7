"""Sandbox: run untrusted or pathological work (task files, edited programs) in a child process
with CPU-time, memory and wall-clock limits and no network.

:func:`run_sandboxed` pickles a top-level function and its arguments, starts a fresh Python
(``sys.executable``) in a temporary folder, and there

1. unpickles the function (importing its trusted module),
2. sets ``RLIMIT_CPU`` (CPU seconds from now), ``RLIMIT_AS`` (address space beyond what the
   imports already use) and ``RLIMIT_CORE = 0``,
3. replaces the socket constructors and resolvers (``socket.socket``, ``create_connection``,
   ``getaddrinfo``, ...) and, unless ``allow_subprocesses``, the process launchers (``os.system``,
   ``os.fork``, ``subprocess.Popen``, ...) with functions that raise ``PermissionError``,
4. calls the function and writes its result (or the exception's type and message) back.

The parent enforces the wall clock (it kills the child's whole process group), reads the reply
with an unpickler that only accepts plain data, numpy arrays and the classes the caller names, and
turns every way the child can end into a :class:`~mips.errors.SandboxError` whose ``kind`` is one
of ``"timeout"``, ``"cpu"``, ``"memory"``, ``"crashed"``, ``"raised"`` and whose message names the
limit and the fix. A ``MipsError`` raised in the child is raised again, same class and message.

This is a *Python-level* sandbox, not an operating-system one: the network and process blocks are
attribute replacements that code in the child could undo (e.g. through ``ctypes``), and a root
child may lift its own rlimits. What it guarantees is that the parent (the workbench, the command
line) survives: nothing from the child is executed in the parent, and the wall clock always fires.
Use containers or a separate user for real isolation of hostile code.
"""

from __future__ import annotations

import io
import math
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mips.errors import ConfigError, MipsError, SandboxError, check_float, check_int

__all__ = ["SandboxLimits", "run_sandboxed", "SandboxError"]

MAX_REPLY_BYTES = 1 << 30          # a reply larger than this is refused unread
_STDERR_TAIL = 2000
_CHILD = "import mips.sandbox as s; s._child_main()"
_NUMPY_GLOBALS = {(m, n) for m in ("numpy.core.multiarray", "numpy._core.multiarray")
                  for n in ("_reconstruct", "scalar")} | {
    (m, "_frombuffer") for m in ("numpy.core.numeric", "numpy._core.numeric")} | {
    ("numpy", "dtype"), ("numpy", "ndarray")}
_SAFE_BUILTINS = {("builtins", n) for n in ("complex", "slice", "range", "set", "frozenset", "bytearray")}


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
    allow_subprocesses : bool
        Leave ``os.fork``/``subprocess`` usable (needed when the call itself uses the sandbox).
    """

    cpu_seconds: float = 30.0
    memory_mb: int = 2048
    wall_seconds: float = 90.0
    allow_subprocesses: bool = False

    def __post_init__(self) -> None:
        check_float("SandboxLimits", "cpu_seconds", self.cpu_seconds, 0.0, 86_400.0, low_open=True)
        check_int("SandboxLimits", "memory_mb", self.memory_mb, 16, 1 << 20)
        check_float("SandboxLimits", "wall_seconds", self.wall_seconds, 0.0, 86_400.0, low_open=True)
        if not isinstance(self.allow_subprocesses, bool):
            raise ConfigError(f"The 'allow_subprocesses' parameter of SandboxLimits must be a bool. "
                              f"Got {self.allow_subprocesses!r} instead.")


# -- parent side ----------------------------------------------------------------------------------
class _ReplyUnpickler(pickle.Unpickler):
    """Unpickles plain data, numpy arrays and the named classes; refuses every other global."""

    def __init__(self, file: io.BufferedIOBase, allowed: set[tuple[str, str]]) -> None:
        super().__init__(file)
        self._allowed = allowed

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self._allowed:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"the reply refers to {module}.{name}, which is not allowed")


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    paths = [os.path.abspath(p) for p in sys.path if p]
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys([root, *paths]))
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = "1"
    env["PYTHONHASHSEED"] = env.get("PYTHONHASHSEED", "0")
    env.pop("PYTHONSTARTUP", None)
    return env


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
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


def _reraise(what: str, module: str, qualname: str, message: str) -> SandboxError | MipsError:
    """The exception to raise for an exception the child reported (a MipsError keeps its class)."""
    if module == "mips" or module.startswith("mips."):
        try:
            import importlib
            cls: Any = importlib.import_module(module)
            for part in qualname.split("."):
                cls = getattr(cls, part)
            if isinstance(cls, type) and issubclass(cls, MipsError):
                return cls(message)
        except Exception:  # noqa: BLE001 - an unknown or odd class is reported as a plain error below
            pass
    return SandboxError(f"{what} raised {qualname}: {message}", kind="raised")


def run_sandboxed(fn: Callable[..., Any], *args: Any, limits: SandboxLimits | None = None,
                  what: str = "The sandboxed code", allowed_types: Iterable[type] = (),
                  **kwargs: Any) -> Any:
    """Call ``fn(*args, **kwargs)`` in a sandboxed child process and return its result.

    Parameters
    ----------
    fn : callable
        A top-level function of an importable module (it is pickled by reference).
    *args, **kwargs : picklable arguments
    limits : SandboxLimits, optional
        Default ``SandboxLimits()``.
    what : str
        How messages name the work (``"Task file 'x.py'"``).
    allowed_types : iterable of type
        Classes the result may contain besides plain data and numpy arrays.

    Returns
    -------
    The value ``fn`` returned.

    Raises
    ------
    SandboxError
        ``kind`` ``"timeout"``, ``"cpu"``, ``"memory"``, ``"crashed"`` or ``"raised"`` (an exception
        that is not a ``MipsError``).
    MipsError
        Any ``MipsError`` subclass raised in the child, with its message.
    """
    limits = SandboxLimits() if limits is None else limits
    if not isinstance(limits, SandboxLimits):
        raise ConfigError(f"The 'limits' parameter of run_sandboxed must be a SandboxLimits. "
                          f"Got {type(limits).__name__} instead.")
    try:
        payload = pickle.dumps((fn, args, kwargs, limits), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:
        raise ConfigError(f"run_sandboxed needs a top-level function and picklable arguments; "
                          f"pickling failed with {type(exc).__name__}: {exc}") from exc
    allowed = _NUMPY_GLOBALS | _SAFE_BUILTINS | {(t.__module__, t.__qualname__) for t in allowed_types}
    with tempfile.TemporaryDirectory(prefix="mips-sandbox-") as tmp:
        folder = Path(tmp)
        (folder / "in").write_bytes(payload)
        with open(folder / "in", "rb") as stdin, open(folder / "out", "wb") as stdout, \
                open(folder / "err", "wb") as stderr:
            proc = subprocess.Popen([sys.executable, "-c", _CHILD], stdin=stdin, stdout=stdout, stderr=stderr,
                                    cwd=folder, env=_child_env(), start_new_session=True)
            start = time.monotonic()
            try:
                proc.wait(timeout=limits.wall_seconds)
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                raise SandboxError(f"{what} did not finish within the wall-clock limit of "
                                   f"{limits.wall_seconds:g} s and was stopped. Make it finish sooner "
                                   f"(no endless loops or waits) or raise wall_seconds.",
                                   kind="timeout") from None
            finally:
                if proc.poll() is None:  # pragma: no cover - an interrupt of the parent
                    _kill_group(proc)
        seconds = time.monotonic() - start
        rc = proc.returncode
        if rc == -signal.SIGXCPU or (rc == -signal.SIGKILL and seconds >= limits.cpu_seconds):
            raise SandboxError(f"{what} used more than the CPU-time limit of {limits.cpu_seconds:g} s and was "
                               f"stopped. Make it do less work (no endless loops) or raise cpu_seconds.",
                               kind="cpu")
        size = (folder / "out").stat().st_size
        if rc != 0 or size == 0:
            how = f"was killed by signal {-rc}" if rc < 0 else f"exited with status {rc}"
            raise SandboxError(f"{what} crashed: the sandboxed process {how} before returning a result "
                               f"(e.g. it ran out of its {limits.memory_mb} MB memory limit or called exit()). "
                               f"Fix the code or raise memory_mb.{_tail(folder / 'err')}", kind="crashed")
        if size > MAX_REPLY_BYTES:
            raise SandboxError(f"{what} returned {size:,} bytes, more than the {MAX_REPLY_BYTES:,} allowed. "
                               f"Return less data.", kind="crashed")
        try:
            with open(folder / "out", "rb") as f:
                reply = _ReplyUnpickler(f, allowed).load()
            status, value = reply
        except Exception as exc:
            raise SandboxError(f"{what} sent back a reply that cannot be read safely ({exc}). Return plain "
                               f"data (ints, floats, str, lists, dicts, tuples, numpy arrays).",
                               kind="crashed") from None
    if status == "ok":
        return value
    if status == "memory":
        raise SandboxError(f"{what} ran out of its memory limit of {limits.memory_mb} MB. Make it use less "
                           f"memory or raise memory_mb.", kind="memory")
    if status == "raised" and isinstance(value, tuple) and len(value) == 3 and all(isinstance(v, str) for v in value):
        raise _reraise(what, *value)
    raise SandboxError(f"{what} sent back a malformed reply. Fix the code.", kind="crashed")


# -- child side ------------------------------------------------------------------------------------
def _refuse(what: str) -> Callable[..., Any]:
    def refused(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(f"{what} is not allowed in the MIPS sandbox.")
    return refused


def _block_network() -> None:
    import socket

    import _socket
    for module in (socket, _socket):
        for name in ("socket", "SocketType", "create_connection", "create_server", "socketpair", "fromfd",
                     "getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr", "getnameinfo"):
            if hasattr(module, name):
                setattr(module, name, _refuse(f"network access (socket.{name})"))


def _block_subprocesses() -> None:
    import subprocess as sp
    for name in ("system", "popen", "fork", "forkpty", "execv", "execve", "execvp", "execvpe", "execl", "execle",
                 "execlp", "execlpe", "spawnv", "spawnve", "spawnvp", "spawnvpe", "spawnl", "spawnle", "posix_spawn",
                 "posix_spawnp"):
        if hasattr(os, name):
            setattr(os, name, _refuse(f"starting a process (os.{name})"))
    for name in ("Popen", "run", "call", "check_call", "check_output", "getoutput", "getstatusoutput"):
        setattr(sp, name, _refuse(f"starting a process (subprocess.{name})"))
    try:
        import _posixsubprocess
        _posixsubprocess.fork_exec = _refuse("starting a process (_posixsubprocess.fork_exec)")
    except ImportError:  # pragma: no cover - not POSIX
        pass


def _address_space_bytes() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover - no /proc
        pass
    return 0


def _apply_limits(limits: SandboxLimits) -> None:
    import resource
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = math.ceil(usage.ru_utime + usage.ru_stime + limits.cpu_seconds)
    memory = _address_space_bytes() + limits.memory_mb * (1 << 20)
    for which, soft, hard in ((resource.RLIMIT_CPU, cpu, cpu + 2), (resource.RLIMIT_AS, memory, memory),
                              (resource.RLIMIT_CORE, 0, 0)):
        _, old_hard = resource.getrlimit(which)
        if old_hard != resource.RLIM_INFINITY:
            soft, hard = min(soft, old_hard), min(hard, old_hard)
        resource.setrlimit(which, (soft, hard))


def _child_main() -> None:  # pragma: no cover - runs in the child process
    reply_fd = os.dup(1)
    os.dup2(2, 1)  # anything the code prints goes to stderr, never into the reply
    fn, args, kwargs, limits = pickle.loads(sys.stdin.buffer.read())
    _apply_limits(limits)
    _block_network()
    if not limits.allow_subprocesses:
        _block_subprocesses()
    try:
        reply: tuple = ("ok", fn(*args, **kwargs))
        data = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        data = pickle.dumps(("memory", None))
    except BaseException as exc:  # noqa: BLE001 - everything is reported to the parent
        cls = type(exc)
        try:
            message = str(exc)
        except Exception:  # noqa: BLE001
            message = "(unprintable message)"
        data = pickle.dumps(("raised", (cls.__module__, cls.__qualname__, message[:20_000])))
    with os.fdopen(reply_fd, "wb") as out:
        out.write(data)
    os._exit(0)
