"""What this host offers for isolating a child, and the command line that starts one.

Layers (each probed once per process by really starting a child with it):

* ``namespaces``: bubblewrap (``bwrap``, Debian/Ubuntu package ``bubblewrap``) starts the child in
  new user, PID, network, IPC, UTS and cgroup namespaces, as PID 1 of its namespace (no init of
  bubblewrap's own), with a read-only view of ``/usr``, the interpreter, its standard library and
  site-packages and, of the project, only the ``mips`` package folder (and the sandboxed function's
  own package), of ``/etc`` only ``ld.so.cache``; a private ``/tmp`` of ``TMP_BYTES``, its own ``/proc``,
  no capabilities, no environment but the few variables set here, a new session, and death with its
  parent. It runs
  without root wherever unprivileged user namespaces are allowed (stock Debian and Ubuntu).
* ``seccomp``: the child loads a syscall filter (libseccomp through ``pyseccomp``) before it runs
  untrusted code; see :mod:`mips.sandbox.confine`.
* ``uid``: when the parent is root, the child runs as ``nobody`` (65534) where the Python
  installation is readable by that user; otherwise (a Python under ``/root``) it keeps uid 0 outside
  its user namespace, as ``nobody`` inside, without any capability and with read-only mounts.
* ``rlimits``: CPU, address space, file size, open files, core dumps (always available): set by
  ``prlimit`` before bubblewrap starts, so every process of the sandbox inherits them, and tightened
  by the child once its imports are done.

:func:`isolation` reports which layers hold here. Untrusted task files are refused when the
namespaces or seccomp are missing, unless the caller opts in (``--trust-task-file``).
"""

from __future__ import annotations

import functools
import math
import os
import resource
import shutil
import site
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from mips.paths import PACKAGE_DIR, PROJECT_ROOT

NOBODY = 65534
_SUDO = "" if os.geteuid() == 0 else "sudo "
BWRAP = shutil.which("bwrap", path="/usr/bin:/bin:/usr/local/bin")   # never from a caller's PATH
PRLIMIT = shutil.which("prlimit", path="/usr/bin:/bin")              # util-linux, on every Debian/Ubuntu
START_CPU_SECONDS = 30        # CPU for start-up and imports, on top of a call's own limit
START_MEMORY_MB = 4096        # address space of the interpreter and its imports, on top of a call's own limit
START_OPEN_FILES = 256
TMP_BYTES = 64 << 20          # the child's private /tmp (memory-backed)
_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "HOME": "/tmp", "TMPDIR": "/tmp",
        "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@dataclass(frozen=True, slots=True)
class Isolation:
    """The isolation layers available on this host.

    Attributes
    ----------
    namespaces, seccomp, unprivileged_uid : bool
    notes : tuple of str
        One sentence per layer saying what holds and, for a missing layer, why and the fix (the
        details behind ``--verbose`` and the workbench's expander).
    problem : str
        What is missing, in a few words (``"bubblewrap is not installed"``); empty when complete.
    fix : str
        The one command or setting that supplies it; empty when complete.
    """

    namespaces: bool
    seccomp: bool
    unprivileged_uid: bool
    notes: tuple[str, ...]
    problem: str = ""
    fix: str = ""

    @property
    def complete(self) -> bool:
        """True when the layers that contain hostile code (namespaces and seccomp) both hold."""
        return self.namespaces and self.seccomp

    def missing(self) -> list[str]:
        return [n for n, ok in (("namespaces (bubblewrap)", self.namespaces), ("seccomp", self.seccomp)) if not ok]

    def summary(self) -> str:
        return " ".join(self.notes)

    def remedy(self) -> str:
        """One line: what is missing and how to install it (empty when isolation is complete)."""
        return f"{self.problem} (install: {self.fix})" if self.problem else ""


def env() -> dict[str, str]:
    """The whole environment of a child: none of the parent's variables."""
    return dict(_ENV)


def _python_files() -> list[str]:
    """What the interpreter needs: its executable, its shared library, the standard library and the
    site-packages folders (a virtual environment's ``pyvenv.cfg`` too), nothing else of their parents."""
    found = [sys.executable, os.path.realpath(sys.executable), sysconfig.get_paths()["stdlib"],
             sysconfig.get_paths()["platstdlib"], *site.getsitepackages(), os.path.join(sys.prefix, "pyvenv.cfg")]
    libdir, soname = sysconfig.get_config_var("LIBDIR"), sysconfig.get_config_var("INSTSONAME")
    if libdir and soname:
        found.append(os.path.join(libdir, soname))
    return [p for p in found if p and os.path.exists(p)]


def _roots(packages: tuple[str, ...] = ()) -> list[str]:
    """Paths the child may read: the Python installation (:func:`_python_files`), the ``mips`` package
    folder and ``packages`` (folders of the sandboxed function's own package), never a whole project
    folder (no ``.git``, ``.streamlit``, secrets, home directory)."""
    found = [*_python_files(), str(PACKAGE_DIR), *packages]
    folders = {os.path.abspath(p) for p in found} | {os.path.realpath(p) for p in found}
    out: list[str] = []
    for f in sorted(folders, key=len):
        if f != "/" and os.path.exists(f) and not any(f == o or f.startswith(o.rstrip("/") + "/") for o in out):
            out.append(f)
    return out


def bwrap_args(packages: tuple[str, ...] = ()) -> list[str]:
    """The bubblewrap options of every child (the Python command follows them).

    ``--as-pid-1``: the child itself is PID 1 of its namespace (no init of bubblewrap's own, which
    would run without the filter and the limits), so nothing in the sandbox outlives or outranks it.
    """
    args = [BWRAP or "bwrap", "--unshare-all", "--as-pid-1", "--die-with-parent", "--new-session", "--cap-drop",
            "ALL", "--clearenv", "--uid", str(NOBODY), "--gid", str(NOBODY), "--ro-bind", "/usr", "/usr",
            "--proc", "/proc", "--dev", "/dev", "--size", str(TMP_BYTES), "--tmpfs", "/tmp", "--chdir", "/tmp"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    if os.path.isfile("/etc/ld.so.cache"):  # how ctypes finds libseccomp; nothing else of /etc
        args += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    for path in _roots(packages):
        if not path.startswith("/usr/"):
            args += ["--ro-bind", path, path]
    for name, value in _ENV.items():
        args += ["--setenv", name, value]
    # the root and /dev are memory-backed: read-only, so only the size-capped /tmp takes writes
    return args + ["--remount-ro", "/dev", "--remount-ro", "/"]


def rlimit_args(cpu_seconds: float, memory_mb: int, reply_mb: int) -> list[str]:
    """``prlimit`` options that bound bubblewrap and everything it starts before any of it runs: CPU
    (the call's seconds plus :data:`START_CPU_SECONDS` for start-up and imports), address space (the
    call's memory plus :data:`START_MEMORY_MB`), file size, open files, no core dumps. The child
    tightens them further once its imports are done (:mod:`mips.sandbox.confine`)."""
    cpu = math.ceil(cpu_seconds) + START_CPU_SECONDS
    address = (memory_mb + START_MEMORY_MB) << 20
    return [PRLIMIT or "prlimit", f"--cpu={cpu}:{cpu + 2}", f"--as={address}:{address}",
            f"--fsize={(reply_mb + 1) << 20}", f"--nofile={START_OPEN_FILES}", "--core=0", "--"]


def python_args(code: str) -> list[str]:
    """``python -I -c CODE``: isolated mode (no PYTHON* variables, no user site, no cwd on the path)."""
    return [sys.executable, "-I", "-c", code]


def _probe(cmd: list[str], **popen: object) -> tuple[bool, str]:
    try:
        r = subprocess.run(cmd, capture_output=True, timeout=60, env=env(), **popen)  # type: ignore[arg-type]
    except (OSError, subprocess.SubprocessError) as exc:
        return False, f"{type(exc).__name__}: {exc}"
    tail = (r.stdout + r.stderr).decode("utf-8", "replace").strip()[-300:]
    return r.returncode == 0 and tail.endswith("ok"), tail


@functools.lru_cache(maxsize=1)
def isolation() -> Isolation:
    """Probe the layers once (a child is really started with each)."""
    notes, problems, fixes = [], [], []
    check = "import os, sys; sys.path.insert(0, %r); from mips.sandbox import confine; confine.filter_ok(); print('ok')"
    code = check % str(PROJECT_ROOT)
    namespaces = as_nobody = False
    if BWRAP is None:
        notes.append("Namespaces: missing (bubblewrap is not installed; install the 'bubblewrap' package, "
                     "e.g. `apt-get install bubblewrap`).")
        problems.append("bubblewrap is not installed")
        fixes.append(f"{_SUDO}apt-get install bubblewrap")
    else:
        namespaces, why = _probe(bwrap_args() + python_args(code))
        if os.geteuid() == 0 and namespaces:
            as_nobody, _ = _probe(bwrap_args() + python_args(code), user=NOBODY, group=NOBODY, extra_groups=[])
        notes.append("Namespaces: bubblewrap (user, PID, network, IPC, UTS; read-only files, private /tmp)."
                     if namespaces else f"Namespaces: bubblewrap is installed but could not start a child "
                                        f"({why}); unprivileged user namespaces may be disabled on this host.")
        if not namespaces:
            problems.append("bubblewrap cannot create a sandbox here")
            fixes.append(f"allow unprivileged user namespaces, e.g. {_SUDO}sysctl -w kernel.unprivileged_userns_clone=1")
    seccomp, why = _probe(python_args(code))
    notes.append("Seccomp: a syscall filter (no new processes, sockets, ptrace, signals to others)."
                 if seccomp else f"Seccomp: unavailable ({why}); install libseccomp2 and the pyseccomp package.")
    if not seccomp:
        problems.append("the seccomp library is missing")
        fixes.append(f"{_SUDO}apt-get install libseccomp2")
    if os.geteuid() != 0:
        unprivileged = True
        notes.append("Uid: the child has the user's uid, without capabilities.")
    elif as_nobody:
        unprivileged = True
        notes.append("Uid: the child runs as nobody (65534).")
    else:
        unprivileged = False
        notes.append("Uid: the parent is root and this Python is not readable by nobody, so the child keeps uid 0 "
                     "outside its user namespace, without any capability, on read-only mounts.")
    return Isolation(namespaces=namespaces, seccomp=seccomp, unprivileged_uid=unprivileged,
                     notes=tuple(notes), problem=" and ".join(problems), fix="; ".join(fixes))


def child_command(code: str, packages: tuple[str, ...] = (), limits=None) -> tuple[list[str], dict]:
    """The command line and extra ``Popen`` arguments of a child running ``python -I -c code``.

    ``packages``: folders of the sandboxed function's own package, bound read-only besides ``mips``.
    ``limits`` (a :class:`~mips.sandbox.limits.SandboxLimits`): resource limits set before
    bubblewrap starts (:func:`rlimit_args`), so that every process of the sandbox inherits them.
    """
    iso = isolation()
    popen: dict = {}
    if iso.namespaces:
        cmd = bwrap_args(packages) + python_args(code)
        if os.geteuid() == 0 and iso.unprivileged_uid:
            popen = {"user": NOBODY, "group": NOBODY, "extra_groups": []}
    else:
        cmd = python_args(code)
    if limits is not None and PRLIMIT is not None:
        cmd = rlimit_args(limits.cpu_seconds, limits.memory_mb, limits.reply_mb) + cmd
    elif limits is not None:   # no prlimit: the same limits, set in the forked child before it runs bubblewrap
        popen["preexec_fn"] = functools.partial(_set_start_limits, limits.cpu_seconds, limits.memory_mb,
                                                limits.reply_mb)
    return cmd, popen


def _set_start_limits(cpu_seconds: float, memory_mb: int, reply_mb: int) -> None:
    """What :func:`rlimit_args` sets, with ``setrlimit`` (runs between fork and exec)."""
    cpu = math.ceil(cpu_seconds) + START_CPU_SECONDS
    address = (memory_mb + START_MEMORY_MB) << 20
    for which, soft, hard in ((resource.RLIMIT_CPU, cpu, cpu + 2), (resource.RLIMIT_AS, address, address),
                              (resource.RLIMIT_FSIZE, (reply_mb + 1) << 20, (reply_mb + 1) << 20),
                              (resource.RLIMIT_NOFILE, START_OPEN_FILES, START_OPEN_FILES),
                              (resource.RLIMIT_CORE, 0, 0)):
        _, old = resource.getrlimit(which)
        if old != resource.RLIM_INFINITY:
            soft, hard = min(soft, old), min(hard, old)
        resource.setrlimit(which, (soft, hard))
