"""What this host offers for isolating a child, and the command line that starts one.

Layers (each probed once per process by really starting a child with it):

* ``namespaces``: bubblewrap (``bwrap``, Debian/Ubuntu package ``bubblewrap``) starts the child in
  new user, PID, network, IPC, UTS and cgroup namespaces, with a read-only view of the Python
  installation and the project, a private ``/tmp`` of ``TMP_BYTES``, its own ``/proc``, no capabilities, no
  environment but the few variables set here, a new session, and death with its parent. It runs
  without root wherever unprivileged user namespaces are allowed (stock Debian and Ubuntu).
* ``seccomp``: the child loads a syscall filter (libseccomp through ``pyseccomp``) before it runs
  untrusted code; see :mod:`mips.runtime.sandbox.confine`.
* ``uid``: when the parent is root, the child runs as ``nobody`` (65534) where the Python
  installation is readable by that user; otherwise (a Python under ``/root``) it keeps uid 0 outside
  its user namespace, as ``nobody`` inside, without any capability and with read-only mounts.
* ``rlimits``: CPU, address space, file size, open files, core dumps (always available).

:func:`isolation` reports which layers hold here. Untrusted task files are refused when the
namespaces or seccomp are missing, unless the caller opts in (``--trust-task-file``).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from mips.paths import PROJECT_ROOT

NOBODY = 65534
_SUDO = "" if os.geteuid() == 0 else "sudo "
BWRAP = shutil.which("bwrap", path="/usr/bin:/bin:/usr/local/bin")   # never from a caller's PATH
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


def _roots() -> list[str]:
    """Folders the child must read: the Python installation, the project, and sys.path entries."""
    found = [sys.prefix, sys.base_prefix, sys.exec_prefix, str(Path(sys.executable).resolve().parents[1]),
             str(PROJECT_ROOT), *[p for p in sys.path if p]]
    folders = {os.path.realpath(p) for p in found if os.path.isdir(p)}
    folders |= {os.path.abspath(p) for p in found if os.path.isdir(p)}
    out: list[str] = []
    for f in sorted(folders, key=len):
        if f != "/" and not any(f == o or f.startswith(o.rstrip("/") + "/") for o in out):
            out.append(f)
    return out


def bwrap_args() -> list[str]:
    """The bubblewrap options of every child (the Python command follows them)."""
    args = [BWRAP or "bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--clearenv",
            "--uid", str(NOBODY), "--gid", str(NOBODY), "--ro-bind", "/usr", "/usr",
            "--proc", "/proc", "--dev", "/dev", "--size", str(TMP_BYTES), "--tmpfs", "/tmp", "--chdir", "/tmp"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    if os.path.isfile("/etc/ld.so.cache"):  # how ctypes finds libseccomp
        args += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    for folder in _roots():
        if not folder.startswith("/usr/"):
            args += ["--ro-bind", folder, folder]
    for name, value in _ENV.items():
        args += ["--setenv", name, value]
    # the root and /dev are memory-backed: read-only, so only the size-capped /tmp takes writes
    return args + ["--remount-ro", "/dev", "--remount-ro", "/"]


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
    check = "import os, sys; sys.path.insert(0, %r); from mips.runtime.sandbox import confine; confine.filter_ok(); print('ok')"
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


def child_command(code: str) -> tuple[list[str], dict]:
    """The command line and extra ``Popen`` arguments of a child running ``python -I -c code``."""
    iso = isolation()
    popen: dict = {}
    if iso.namespaces:
        cmd = bwrap_args() + python_args(code)
        if os.geteuid() == 0 and iso.unprivileged_uid:
            popen = {"user": NOBODY, "group": NOBODY, "extra_groups": []}
    else:
        cmd = python_args(code)
    return cmd, popen
