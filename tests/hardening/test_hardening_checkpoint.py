"""Uploaded checkpoints: every malformed, truncated, oversized or pickle-bearing file gets a clear
CheckpointError and nothing in it runs (complements tests/models/test_checkpoint.py)."""

from __future__ import annotations

import io
import pickle
import zipfile

import pytest
import torch

from mips.errors import CheckpointError
from mips.models import RNN, RNNConfig, load_checkpoint, save_checkpoint
from mips.models import checkpoint as checkpoint_module

CFG = RNNConfig(input_dim=1, output_dim=1, hidden_dim=2, hidden_depth=1, hidden_width=4)


def _payload(**changes) -> dict:
    p = {"format": "mips-rnn", "version": 1, "task": "T", "seed": 0, "config": CFG.to_dict(),
         "state_dict": RNN(CFG).state_dict_paper(), "training": {}}
    p.update(changes)
    return p


def _bytes(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def _with_weight(key: str | None = None, value=None) -> dict:
    sd = _payload()["state_dict"]
    key = key or next(iter(sd))
    sd[key] = value(sd[key]) if callable(value) else value
    return _payload(state_dict=sd)


FIRST = "hmlp.mlp.0.weight"


@pytest.mark.parametrize(("payload", "message"), [
    (_with_weight(FIRST, lambda t: t.to(torch.int64)), rf"Weight '{FIRST}' must hold finite floating-point"),
    (_with_weight(FIRST, lambda t: t.to(torch.complex64)), r"must hold finite floating-point"),
    (_with_weight(FIRST, lambda t: t.to(torch.bool)), r"must hold finite floating-point"),
    (_with_weight(FIRST, lambda t: torch.full_like(t, float("inf"))), r"must hold finite floating-point"),
    (_with_weight(FIRST, lambda t: torch.full_like(t, float("-inf"))), r"must hold finite floating-point"),
    (_with_weight(FIRST, lambda t: t.tolist()), rf"Weight '{FIRST}' must have shape \(2, 3\); got list"),
    (_with_weight(FIRST, lambda t: t.to_sparse()), r"Weight 'hmlp.mlp.0.weight' must be a dense tensor"),
    (_payload(state_dict={**_payload()["state_dict"], "evil": torch.zeros(1)}), r"unexpected keys \['evil'\]"),
    (_payload(state_dict=[1, 2]), r"field 'state_dict' must be a dict"),
    (_payload(config={**CFG.to_dict(), "hidden_dim": 129}),
     r"invalid config: The 'hidden_dim' parameter of RNNConfig must be an int in \[1, 128\]\. Got 129"),
    (_payload(config={**CFG.to_dict(), "hidden_dim": 10**9}), r"must be an int in \[1, 128\]"),
    (_payload(config={**CFG.to_dict(), "hidden_width": 100_000}), r"'hidden_width' parameter .* \[1, 256\]"),
    (_payload(config={**CFG.to_dict(), "hidden_dim": "2"}), r"'hidden_dim' parameter .* Got '2' of type str"),
    (_payload(config={**CFG.to_dict(), "hidden_dim": True}), r"'hidden_dim' parameter .* of type bool"),
    (_payload(task=None), r"field 'task' must be a str"),
    ({"format": "mips-rnn"}, r"has version None; this build reads 1"),
    (torch.zeros(3), r"is not a MIPS checkpoint"),
], ids=["int64", "complex", "bool", "inf", "-inf", "list-weight", "sparse", "extra-key", "state-list",
        "hidden-129", "hidden-huge", "width-huge", "hidden-str", "hidden-bool", "task-none", "no-version",
        "tensor"])
def test_malformed_checkpoint_is_refused_with_the_reason(payload, message):
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(_bytes(payload))


def test_empty_and_every_truncation_is_refused(tmp_path):
    data = save_checkpoint(tmp_path / "g.pt", RNN(CFG), task="T", seed=0).read_bytes()
    with pytest.raises(CheckpointError, match="not a valid MIPS checkpoint"):
        load_checkpoint(b"")
    for cut in (1, 10, 100, len(data) // 3, len(data) - 100, len(data) - 1):
        with pytest.raises(CheckpointError, match="not a valid MIPS checkpoint"):
            load_checkpoint(data[:cut])


def test_oversized_file_and_upload_are_refused_unread(tmp_path, monkeypatch):
    monkeypatch.setattr(checkpoint_module, "MAX_CHECKPOINT_BYTES", 1000)
    big = tmp_path / "big.pt"
    big.write_bytes(b"\0" * 1001)
    with pytest.raises(CheckpointError, match=r"checkpoint '.*big\.pt' is 1001 bytes; the limit is 1000"):
        load_checkpoint(big)
    with pytest.raises(CheckpointError, match=r"the uploaded checkpoint is 1001 bytes; the limit is 1000"):
        load_checkpoint(b"\0" * 1001)


class _RunsCode:
    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').write('pwned')",))


def test_plain_pickle_that_would_run_code_is_not_run(tmp_path):
    """A bare pickle (not a torch zip) whose loading would call exec."""
    marker = tmp_path / "pwned"
    data = pickle.dumps({"format": "mips-rnn", "x": _RunsCode(str(marker))}, protocol=2)
    assert b"exec" in data  # the payload is live: pickle.loads(data) would run it
    with pytest.raises(CheckpointError, match="not a valid MIPS checkpoint"):
        load_checkpoint(data)
    assert not marker.exists(), "loading the checkpoint executed code from it"


def test_torch_zip_whose_pickle_calls_os_system_is_not_run(tmp_path):
    """A real torch zip whose data.pkl names os.system: weights_only refuses the global."""
    marker = tmp_path / "pwned"
    good = _bytes(_payload())
    evil_pickle = (b"cos\nsystem\n(V" + f"touch {marker}".encode() + b"\ntR.")
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(buf, "w") as dst:
        for item in src.infolist():
            data = evil_pickle if item.filename.endswith("data.pkl") else src.read(item)
            dst.writestr(item, data)
    with pytest.raises(CheckpointError, match=r"not a valid MIPS checkpoint \(UnpicklingError: it refers to Python objects other than plain data and tensors; loading those could run code\)\.$"):
        load_checkpoint(buf.getvalue())
    assert not marker.exists(), "loading the checkpoint ran os.system"
