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
