"""Cluster path: what a Dask worker sends back, as JSON bytes, read on the client as data.

A worker runs whatever its scheduler sends, and its reply is data from a machine the client does not
control: the client never unpickles it. The worker functions (:func:`mips.runtime.benchmark.run_task_bytes`,
:func:`mips.runtime.zoo_dispatch.run_zoo_task`) return ``bytes`` (:func:`encode`); the client's
Dask connection deserializes only msgpack (:data:`SERIALIZERS`: bytes, str, numbers, lists, dicts),
so a reply serialized with pickle is refused by Dask itself; then :func:`decode_row` /
:func:`decode_zoo` parse the bytes with a size limit and check every type before anything is used.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from mips.errors import MipsError

SERIALIZERS = ["msgpack"]          # of the client's connection to the cluster, both directions
MAX_ROW_BYTES = 1 << 20
MAX_ZOO_REPLY_BYTES = 96 << 20     # a checkpoint (at most 64 MB) in base64, and its manifest entry
MAX_DEPTH = 6


class WorkerReplyError(MipsError, ValueError):
    """A worker's reply that is not what the worker function sends."""


def encode(value: dict) -> bytes:
    return json.dumps(value, allow_nan=True).encode("utf-8")


def _plain(value: Any, where: str, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise WorkerReplyError(f"the reply nests deeper than {MAX_DEPTH} levels at '{where[:80]}'")
    if isinstance(value, dict):
        for k, v in value.items():
            _plain(v, f"{where}.{k}", depth + 1)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _plain(v, f"{where}[{i}]", depth + 1)
    elif not isinstance(value, (str, int, float, bool, type(None))):
        raise WorkerReplyError(f"'{where[:80]}' is a {type(value).__name__}, not plain data")


def _parse(data: object, limit: int, task: str) -> dict:
    if not isinstance(data, (bytes, bytearray)):
        raise WorkerReplyError(f"the reply is a {type(data).__name__}, not bytes")
    if len(data) > limit:
        raise WorkerReplyError(f"the reply is {len(data):,} bytes; the limit is {limit:,}")
    try:
        value = json.loads(bytes(data).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise WorkerReplyError(f"the reply is not JSON ({type(exc).__name__})") from None
    if not isinstance(value, dict):
        raise WorkerReplyError(f"the reply is a JSON {type(value).__name__}, not an object")
    _plain(value, "reply")
    return value


def decode_row(data: object, task: str) -> dict:
    """The results row a worker sent for ``task`` (plain data, its ``task`` field equal to ``task``)."""
    row = _parse(data, MAX_ROW_BYTES, task)
    if row.get("task") != task:
        raise WorkerReplyError(f"the row is for task {str(row.get('task'))[:64]!r}, not {task!r}")
    return row


def encode_zoo(value: dict) -> bytes:
    """``{"entry": dict, "checkpoint": bytes}`` or ``{"task", "error", "seconds"}`` as JSON bytes."""
    if "checkpoint" in value:
        value = {**value, "checkpoint": base64.b64encode(value["checkpoint"]).decode("ascii")}
    return encode(value)


def decode_zoo(data: object, task: str) -> dict:
    """What a zoo worker sent for ``task``: ``{"entry": dict, "checkpoint": bytes}`` or ``{"task", "error",
    "seconds"}``. The checkpoint's bytes are data too: written as a file, only ever read by the checked
    loader (:func:`mips.network.checkpoint.load_checkpoint`)."""
    value = _parse(data, MAX_ZOO_REPLY_BYTES, task)
    if "error" in value:
        seconds = value.get("seconds")
        return {"task": task, "error": str(value["error"])[:500],
                "seconds": float(seconds) if isinstance(seconds, (int, float)) else 0.0}
    entry, encoded = value.get("entry"), value.get("checkpoint")
    if not isinstance(entry, dict) or entry.get("task") != task or not isinstance(encoded, str):
        raise WorkerReplyError("the reply is not a manifest entry and a checkpoint for this task")
    try:
        checkpoint = base64.b64decode(encoded.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        raise WorkerReplyError("the checkpoint is not base64") from None
    return {"entry": entry, "checkpoint": checkpoint}


def finished_reply(future: Any) -> object:
    """The reply of a Dask future that *finished*; any other state raises :class:`WorkerReplyError`.

    A failed task's exception reaches the client pickled, and Dask unpickles it when the result is
    asked for (``future.result()``, ``gather``): a hostile worker could send one whose unpickling runs
    code. Our workers never raise (they send an error reply instead), so a future in any state but
    ``finished`` is reported without reading its exception.
    """
    status = getattr(future, "status", None)
    if status != "finished":
        raise WorkerReplyError(f"the worker's task ended as {str(status)[:20]!r}; its exception is not read "
                               f"(it would arrive pickled)")
    return future.result()
