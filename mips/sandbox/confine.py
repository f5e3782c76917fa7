"""Child side: confine this process before it runs untrusted code.

Order matters and every step only ever removes rights:

1. ``PR_SET_PDEATHSIG``: the child dies with its parent.
2. Resource limits (the parent already set looser ones before bubblewrap started, see
   :func:`mips.sandbox.host.rlimit_args`), soft = hard so they cannot be raised again: CPU
   seconds, address space, file size (the reply and stderr are files), open files, no core dumps,
   and processes where the child has a uid of its own.
3. ``PR_SET_NO_NEW_PRIVS`` and a seccomp filter (libseccomp, through ``pyseccomp``) that makes these
   calls fail with ``EPERM``:

   * new processes, threads and programs: ``fork``, ``vfork``, every ``clone`` (threads too: the
     child may keep uid 0 outside its namespace, where ``RLIMIT_NPROC`` does not bind, so only the
     filter keeps it from exhausting the host's process IDs), ``clone3`` (answered ``ENOSYS`` so the C
     library falls back to ``clone``), ``execve``, ``execveat``;
   * the network: ``socket``, ``socketpair`` (every address family);
   * other processes: ``ptrace``, ``process_vm_readv/writev``, ``kill``/``tgkill``/``rt_sigqueueinfo``/
     ``rt_tgsigqueueinfo`` aimed at another process, ``tkill``, ``pidfd_*``, ``kcmp``, and
     ``prctl(PR_SET_PDEATHSIG)`` (the child keeps dying with its parent);
   * escaping the process group and the namespaces: ``setsid``, ``setpgid``, ``unshare``,
     ``setns``, ``mount``, ``umount2``, ``pivot_root``, ``chroot``;
   * kernel attack surface: ``bpf``, ``perf_event_open``, ``userfaultfd``, ``io_uring_*``,
     ``keyctl``, ``add_key``, ``request_key``, ``personality``, ``open_by_handle_at``;
   * memory outside the address-space limit: ``memfd_create``, ``memfd_secret``.

   The filter is synchronised to every thread (``CTL_TSYNC``).
"""

from __future__ import annotations

import ctypes
import errno
import math
import os
import resource
import signal

_PR_SET_PDEATHSIG = 1
DENIED = ("fork", "vfork", "execve", "execveat", "socket", "socketpair", "ptrace", "process_vm_readv",
          "process_vm_writev", "tkill", "pidfd_open", "pidfd_send_signal", "pidfd_getfd", "kcmp", "setsid",
          "setpgid", "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "bpf", "perf_event_open",
          "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register", "keyctl", "add_key",
          "request_key", "personality", "open_by_handle_at", "name_to_handle_at", "memfd_create",
          "memfd_secret")


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def die_with_parent() -> None:
    _libc().prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _address_space_bytes() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:  # no /proc
        pass
    return 0


def apply_rlimits(cpu_seconds: float, memory_mb: int, reply_mb: int, open_files: int,
                  threads: int | None) -> None:
    """Set each limit with soft == hard (never above an existing hard limit)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = math.ceil(usage.ru_utime + usage.ru_stime + cpu_seconds)
    wanted = [(resource.RLIMIT_CPU, cpu), (resource.RLIMIT_AS, _address_space_bytes() + (memory_mb << 20)),
              (resource.RLIMIT_FSIZE, (reply_mb + 1) << 20), (resource.RLIMIT_NOFILE, open_files),
              (resource.RLIMIT_CORE, 0)]
    if threads is not None:
        wanted.append((resource.RLIMIT_NPROC, threads))
    for which, value in wanted:
        _, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        if which == resource.RLIMIT_CPU:  # SIGXCPU at the soft limit, SIGKILL 2 s later
            value = min(value, hard - 2) if hard != resource.RLIM_INFINITY else value
            resource.setrlimit(which, (value, value + 2))
        else:
            resource.setrlimit(which, (value, value))
    # SIGXFSZ would kill silently: let a write past RLIMIT_FSIZE fail with EFBIG instead
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def build_filter():
    """The seccomp filter described in the module docstring (not yet loaded)."""
    import pyseccomp as sc   # deferred: it fails to import on hosts without libseccomp, which isolation() reports

    f = sc.SyscallFilter(defaction=sc.ALLOW)
    deny = sc.ERRNO(errno.EPERM)
    for name in DENIED:
        f.add_rule(deny, name)
    f.add_rule(deny, "clone")
    f.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    me = os.getpid()
    for name in ("kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo"):
        f.add_rule(deny, name, sc.Arg(0, sc.NE, me))
    f.add_rule(deny, "prctl", sc.Arg(0, sc.EQ, _PR_SET_PDEATHSIG))
    f.set_attr(sc.Attr.CTL_TSYNC, 1)
    return f


def load_filter() -> None:
    build_filter().load()


def filter_ok() -> None:
    """Probe: load the filter and check that it holds (used by :func:`mips.sandbox.host.isolation`)."""
    load_filter()
    try:
        os.fork()
    except PermissionError:
        return
    os._exit(0)  # pragma: no cover - only in the forked child of a filter that did not hold
