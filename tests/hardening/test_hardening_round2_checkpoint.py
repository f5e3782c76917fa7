"""Checkpoints whose tensors claim more values than their file holds (issue 22): a 1.7 KB file of
zero-stride (expanded) tensors was expanded by a finiteness check before the shape checks (2.9 GB);
10**12 elements ended in a traceback. Every tensor's layout and storage is checked from its metadata
before anything reads its values; every failure is a one-line CheckpointError without a path."""

from __future__ import annotations

import io
import resource
import time

import pytest
import torch

from mips.errors import CheckpointError
from mips.network.adapters import load_network
from mips.network.checkpoint import load_checkpoint
from mips.network.description import NetworkDescription
from mips.paths import ASSETS

ZOO = ASSETS / "zoo" / "Abs_Current.pt"
KEY = "hmlp.mlp.0.weight"


def _hostile(tensor: torch.Tensor) -> dict[str, bytes]:
    """The same hostile tensor in a project checkpoint and in a bare state dict."""
    ck = torch.load(ZOO, weights_only=True)
    ck["state_dict"][KEY] = tensor
    state = dict(ck["state_dict"])
    out = {}
    for kind, payload in (("checkpoint", ck), ("state dict", state)):
        buf = io.BytesIO()
        torch.save(payload, buf)
        out[kind] = buf.getvalue()
    return out


def _load(kind: str, data: bytes):
    if kind == "checkpoint":
        return load_checkpoint(data)
    return load_network(data, NetworkDescription(kind="mips-rnn"))


HOSTILE = {
    "expanded 1e8": lambda: torch.empty(1).expand(10**8),
    "expanded 1e12": lambda: torch.empty(1).expand(10**12),
    "expanded 2-D 1e12": lambda: torch.empty(1, 1).expand(10**6, 10**6),
    "expanded 2-D 1e8": lambda: torch.empty(1, 1).expand(10**4, 10**4),
    "overlapping rows": lambda: torch.zeros(2000).as_strided((1000, 1000), (1, 1)),
    "integers": lambda: torch.zeros(2, 2, dtype=torch.int64),
    "5-D": lambda: torch.zeros(1, 1, 1, 1, 1),
}


@pytest.mark.parametrize("kind", ["checkpoint", "state dict"])
@pytest.mark.parametrize("make", list(HOSTILE.values()), ids=list(HOSTILE))
def test_a_tensor_claiming_more_than_its_file_is_refused_before_any_computation(kind, make):
    data = _hostile(make())[kind]
    assert len(data) < 40_000                                   # a few KB on disk
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu = time.process_time()
    with pytest.raises(CheckpointError) as info:
        _load(kind, data)
    assert time.process_time() - cpu < 0.5
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak) < 100 * 1024   # KB: nothing expanded
    message = str(info.value)
    assert "\n" not in message and "/" not in message.split("`")[0] and "Traceback" not in message
    assert KEY in message


def test_an_expanded_tensor_is_named_as_such():
    with pytest.raises(CheckpointError, match=r"claims 100,000,000 values that its file does not hold \(an expanded"):
        load_checkpoint(_hostile(torch.empty(1, 1).expand(10**4, 10**4))["checkpoint"])


def test_torchs_own_errors_become_checkpoint_errors_without_a_path(tmp_path, monkeypatch):
    import mips.network.adapters as adapters

    def boom(*args, **kwargs):
        raise RuntimeError(f"can't allocate memory at {tmp_path}/x")
    monkeypatch.setattr(adapters, "network_from_state_dict", boom)
    data = _hostile(torch.zeros(2, 2))["state dict"]
    with pytest.raises(CheckpointError, match=r"^Cannot use the uploaded weights: RuntimeError") as info:
        load_network(data, NetworkDescription(kind="mips-rnn"))
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert str(tmp_path) not in str(info.value) and "<path>" in str(info.value)


def test_a_genuine_checkpoint_still_loads():
    ck = load_checkpoint(ZOO.read_bytes())
    assert ck.task == "Abs_Current"
