"""Top-level functions the sandbox tests run in a child process (the sandbox pickles by reference)."""

from __future__ import annotations

import time

import numpy as np


def add(a: int, b: int) -> int:
    return a + b


def array_of(n: int) -> np.ndarray:
    return np.arange(n, dtype=np.int64).reshape(-1, 1)


def spin() -> None:
    """Burn CPU for ever."""
    x = 0
    while True:
        x += 1


def sleep_forever() -> None:
    time.sleep(10_000)


def eat_memory() -> list:
    """Allocate without bound."""
    chunks = []
    while True:
        chunks.append(bytearray(64 << 20))


def connect() -> None:
    import socket
    socket.create_connection(("127.0.0.1", 9), timeout=1)


def open_socket() -> None:
    import socket
    socket.socket(socket.AF_INET, socket.SOCK_STREAM)


def run_shell() -> int:
    return __import__("os").system("echo hacked")


def hard_exit() -> None:
    import os
    os._exit(3)


def raise_value_error() -> None:
    raise ValueError("boom")


def raise_config_error() -> None:
    from mips.errors import ConfigError
    raise ConfigError("The 'x' parameter of f must be 1. Got 2 instead.")


class Opaque:
    """A class the parent does not allow in a reply."""


def return_opaque() -> Opaque:
    return Opaque()


def print_and_return() -> int:
    print("noise on stdout")
    return 7


# -- attacks on the operating-system isolation (each returns what it managed, or raises) -----------
def posix_system(marker: str) -> int:
    import posix
    return posix.system(f"echo pwned > {marker}")


def ctypes_system(marker: str) -> int:
    import ctypes
    return ctypes.CDLL(None).system(f"echo pwned > {marker}".encode())


def reloaded_os_system(marker: str) -> int:
    import importlib
    import os
    return importlib.reload(os).system(f"echo pwned > {marker}")


def posix_fork() -> int:
    import posix
    pid = posix.fork()
    if pid == 0:
        posix._exit(0)
    return pid


def subclass_socket_connect(port: int) -> str:
    """Find the socket class through object.__subclasses__() and connect to a port on loopback."""
    import http.client  # noqa: F401 - imports socket, as many libraries do
    seen, todo = set(), [object]
    while todo:
        c = todo.pop()
        if c.__name__ == "socket" and "socket" in c.__module__:
            cls = c
            break
        todo += [s for s in type.__subclasses__(c) if s not in seen and not seen.add(s)]
    else:
        raise LookupError("no socket class found")
    s = cls(2, 1)  # AF_INET, SOCK_STREAM
    s.connect(("127.0.0.1", port))
    return "connected"


def environment() -> dict:
    import os
    return dict(os.environ)


def read_text(path: str) -> str:
    with open(path, "rb") as f:
        return f.read(100_000).decode("utf-8", "replace")


def write_text(path: str) -> str:
    with open(path, "w") as f:
        f.write("pwned")
    return "written"


def send_signal(pid: int, sig: int) -> str:
    import os
    os.kill(pid, sig)
    return "sent"


def new_session() -> int:
    import os
    return os.setsid()


def raise_named(module: str, qualname: str) -> None:
    cls = type(qualname, (Exception,), {"__module__": module})
    cls.__qualname__ = qualname
    raise cls("chosen by the child")


def forge_reply(data: bytes) -> None:
    """Write ``data`` to every descriptor that might be the reply, then exit as if all went well."""
    import os
    for fd in range(3, 64):
        try:
            os.write(fd, data)
        except OSError:
            pass
    os._exit(0)


def fill_tmp(total_mb: int) -> str:
    """Write ``total_mb`` MB into the child's /tmp in 16 MB files (memory-backed: it must be capped)."""
    block = b"\0" * (16 << 20)
    for i in range(total_mb // 16):
        with open(f"/tmp/fill{i}", "wb") as f:
            f.write(block)
    return "filled"


def anonymous_file() -> int:
    import os
    return os.memfd_create("grow")
