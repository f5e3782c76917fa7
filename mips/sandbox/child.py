"""The sandboxed child's main: read the request, confine itself, run, write the reply to the descriptor it was given.

The request (from the trusted parent) is a pickle of ``(fn, args, kwargs, settings)``; it is read
and the function's (trusted) module imported *before* confinement. The reply is written with
:mod:`mips.sandbox.wire` (never pickle): ``("ok", value)``, ``("memory", None)``, ``("recursion", None)`` or
``("raised", [class name, message])``.
"""

from __future__ import annotations

import os
import pickle
import sys

from mips.sandbox import confine, wire

MAX_MESSAGE = 20_000


def _message(exc: BaseException) -> str:
    try:
        return str(exc)[:MAX_MESSAGE]
    except Exception:  # noqa: BLE001 - a hostile __str__
        return "(unprintable message)"


def main(reply_fd: int) -> None:  # pragma: no cover - runs in the child process
    reply = os.fdopen(reply_fd, "wb")
    os.dup2(2, 1)  # anything the code prints goes to stderr, never into the reply
    fn, args, kwargs, settings = pickle.loads(sys.stdin.buffer.read())
    limits = settings["limits"]
    confine.die_with_parent()
    confine.apply_rlimits(limits.cpu_seconds, limits.memory_mb, limits.reply_mb, limits.open_files,
                          settings["threads"])
    if settings["seccomp"]:
        confine.load_filter()
    try:
        try:
            value = fn(*args, **kwargs)
            data = wire.encode(("ok", value))
        except wire.WireError as exc:
            data = wire.encode(("raised", ["TypeError", f"it returned a value that cannot be sent back: {exc}"]))
    except MemoryError:
        data = wire.encode(("memory", None))
    except RecursionError:
        data = wire.encode(("recursion", None))
    except BaseException as exc:  # noqa: BLE001 - everything is reported to the parent
        data = wire.encode(("raised", [type(exc).__qualname__[:200], _message(exc)]))
    if len(data) > limits.reply_mb << 20:
        data = wire.encode(("raised", ["ValueError", f"its reply of {len(data):,} bytes is larger than the "
                                                     f"{limits.reply_mb} MB limit"]))
    try:
        reply.write(data)
        reply.flush()
    except OSError:  # EFBIG: the reply is larger than its limit; the parent reports the empty reply
        os._exit(4)
    os._exit(0)
