"""Checkpoints: exact round trip; malformed or unsafe files get a clear error and run nothing."""

import os

import pytest
import torch

from mips.errors import CheckpointError
from mips.network import RNN, RNNConfig, load_checkpoint, save_checkpoint

CFG = RNNConfig(input_dim=2, output_dim=1, hidden_dim=3, hidden_depth=2, hidden_width=4)


def test_round_trip_is_exact(tmp_path):
    model = RNN(CFG, seeds=(7, 8))
    meta = {"recipe": "fast", "steps": 120, "seconds": 1.5, "test_accuracy": 1.0}
    path = save_checkpoint(tmp_path / "m.pt", model, task="Binary_Addition", seed=8, training=meta, index=1)
    ck = load_checkpoint(path)
    assert ck.config == CFG and ck.task == "Binary_Addition" and ck.seed == 8 and ck.training == meta
    for k, v in model.state_dict_paper(1).items():
        assert torch.equal(ck.model.state_dict_paper(0)[k], v)
    # bytes (an upload) load the same
    assert load_checkpoint(path.read_bytes()).config == CFG
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def _payload(**changes):
    model = RNN(CFG)
    p = {"format": "mips-rnn", "version": 1, "task": "T", "seed": 0, "config": CFG.to_dict(),
         "state_dict": model.state_dict_paper(), "training": {}}
    p.update(changes)
    return p


def _write(tmp_path, obj):
    path = tmp_path / "bad.pt"
    torch.save(obj, path)
    return path


@pytest.mark.parametrize("obj,message", [
    ([1, 2, 3], "is not a MIPS checkpoint"),
    (_payload(format="other"), "is not a MIPS checkpoint"),
    (_payload(version=99), "has version 99"),
    (_payload(seed="zero"), "The 'seed' field of checkpoint .* must be an int in"),
    (_payload(config={**CFG.to_dict(), "hidden_dim": 0}), "invalid config: The 'hidden_dim' parameter"),
    (_payload(config={**CFG.to_dict(), "colour": 1}), r"Unknown RNNConfig field\(s\) \['colour'\]"),
    (_payload(state_dict={}), "missing keys"),
], ids=["list", "format", "version", "seed-type", "config-range", "config-field", "no-weights"])
def test_malformed_payloads(tmp_path, obj, message):
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(_write(tmp_path, obj))


def test_wrong_shape_and_nan(tmp_path):
    sd = _payload()["state_dict"]
    sd["hmlp.mlp.0.weight"] = torch.zeros(9, 9)
    with pytest.raises(CheckpointError, match=r"'hmlp.mlp.0.weight' must have shape \(4, 5\); got \(9, 9\)"):
        load_checkpoint(_write(tmp_path, _payload(state_dict=sd)))
    sd = _payload()["state_dict"]
    sd["ymlp.mlp.0.bias"] = torch.tensor([float("nan")])
    with pytest.raises(CheckpointError, match="finite"):
        load_checkpoint(_write(tmp_path, _payload(state_dict=sd)))


def test_garbage_truncated_and_missing(tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(os.urandom(300))
    with pytest.raises(CheckpointError, match="not a valid MIPS checkpoint"):
        load_checkpoint(junk)
    good = save_checkpoint(tmp_path / "g.pt", RNN(CFG), task="T", seed=0)
    with pytest.raises(CheckpointError, match="not a valid MIPS checkpoint"):
        load_checkpoint(good.read_bytes()[: len(good.read_bytes()) // 2])
    with pytest.raises(CheckpointError, match="no such file.*python -m mips train"):
        load_checkpoint(tmp_path / "absent.pt")


class _Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickle_payload_is_not_executed(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    with open(path, "wb") as fh:
        torch.save({"format": "mips-rnn", "x": _Exploit(str(marker))}, fh)
    assert not marker.exists()
    with pytest.raises(CheckpointError, match="not a valid MIPS checkpoint"):
        load_checkpoint(path)
    assert not marker.exists(), "loading the checkpoint executed code from it"
