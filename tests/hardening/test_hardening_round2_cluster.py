"""The cluster path (issue 22): a worker's reply is data. Workers return JSON bytes, the client's Dask
connection deserializes msgpack only (a pickled reply is refused by Dask, never unpickled), and the
bytes are parsed with a size limit and type checks."""

from __future__ import annotations

import json
import os

import pytest

from mips.runtime.dask_client import dask_client
from mips.runtime.worker_reply import (MAX_ROW_BYTES, WorkerReplyError, decode_row, decode_zoo, encode,
                                       encode_zoo, finished_reply)
from tests.hardening import targets_round2 as targets


def test_a_pickled_reply_from_a_worker_is_refused_and_never_unpickled(tmp_path):
    marker = tmp_path / "unpickled"
    with dask_client(None, 1, 1) as client:
        honest = client.submit(targets.honest_worker_reply, "Parity_All", pure=False).result(timeout=60)
        assert decode_row(honest, "Parity_All")["solved"] is True
        hostile = client.submit(targets.hostile_worker_reply, str(marker), pure=False)
        with pytest.raises(TypeError, match=r"only able to deserialize data with \['msgpack'\]"):
            hostile.result(timeout=60)
    assert not marker.exists()


def test_a_failed_tasks_pickled_exception_is_never_read(tmp_path):
    """Dask would unpickle a failed task's exception on ``result()``: the client never asks for it."""
    from distributed import wait
    marker = tmp_path / "unpickled"
    with dask_client(None, 1, 1) as client:
        failed = client.submit(targets.raising_worker, str(marker), pure=False)
        wait([failed], timeout=60)
        with pytest.raises(WorkerReplyError, match=r"ended as 'error'; its exception is not read"):
            finished_reply(failed)
        honest = client.submit(targets.honest_worker_reply, "Parity_All", pure=False)
        wait([honest], timeout=60)
        assert decode_row(finished_reply(honest), "Parity_All")["solved"] is True
    # the worker unpickles its own exception once (Dask checks it can travel): that runs in the worker
    unpickled_by = marker.read_text().split() if marker.exists() else []
    assert str(os.getpid()) not in unpickled_by


@pytest.mark.parametrize(("reply", "message"), [
    ({"task": "Parity_All"}, r"is a dict, not bytes"),
    (b"\x80\x04\x95 not json", r"not JSON"),
    (b"[1, 2]", r"a JSON list, not an object"),
    (encode({"task": "Sum_All", "solved": True}), r"for task 'Sum_All', not 'Parity_All'"),
    (b" " * (MAX_ROW_BYTES + 1), r"the limit is 1,048,576"),
    (b'{"task": "Parity_All", "x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", r"not JSON|nests deeper"),
    (b'{"task": "Parity_All", "deep": [[[[[[[[1]]]]]]]]}', r"nests deeper than 6 levels"),
], ids=["not-bytes", "pickle", "list", "other-task", "too-large", "recursion", "deep"])
def test_a_malformed_row_is_refused(reply, message):
    with pytest.raises(WorkerReplyError, match=message):
        decode_row(reply, "Parity_All")


def test_zoo_replies_round_trip_and_are_checked():
    reply = encode_zoo({"entry": {"task": "Parity_All", "file": "Parity_All.pt"}, "checkpoint": b"\x00\x01"})
    got = decode_zoo(reply, "Parity_All")
    assert got == {"entry": {"task": "Parity_All", "file": "Parity_All.pt"}, "checkpoint": b"\x00\x01"}
    error = decode_zoo(encode({"task": "Parity_All", "error": "x" * 1000, "seconds": "soon"}), "Parity_All")
    assert error == {"task": "Parity_All", "error": "x" * 500, "seconds": 0.0}
    for bad in (json.dumps({"entry": {"task": "Sum_All"}, "checkpoint": ""}).encode(),
                json.dumps({"entry": {"task": "Parity_All"}, "checkpoint": "%%%"}).encode()):
        with pytest.raises(WorkerReplyError):
            decode_zoo(bad, "Parity_All")
