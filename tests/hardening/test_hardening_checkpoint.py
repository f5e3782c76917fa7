"""Uploaded checkpoints: every malformed, truncated, oversized or pickle-bearing file gets a clear
CheckpointError and nothing in it runs (complements tests/models/test_checkpoint.py)."""

from __future__ import annotations

import io
import pickle
import zipfile

import pytest
import torch

from mips.errors import CheckpointError
from mips.network import RNN, RNNConfig, load_checkpoint, save_checkpoint
from mips.network import checkpoint as checkpoint_module

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
    (_payload(state_dict=[1, 2]), r"The 'state_dict' field of the uploaded checkpoint must be a dict\. Got a list"),
    (_payload(config={**CFG.to_dict(), "hidden_dim": 129}),
     r"invalid config: The 'hidden_dim' parameter of RNNConfig must be an int in \[1, 128\]\. Got 129"),
    (_payload(config={**CFG.to_dict(), "hidden_dim": 10**9}), r"must be an int in \[1, 128\]"),
    (_payload(config={**CFG.to_dict(), "hidden_width": 100_000}), r"'hidden_width' parameter .* \[1, 256\]"),
    (_payload(config={**CFG.to_dict(), "hidden_dim": "2"}), r"'hidden_dim' parameter .* Got '2' of type str"),
    (_payload(config={**CFG.to_dict(), "hidden_dim": True}), r"'hidden_dim' parameter .* of type bool"),
    (_payload(task=None), r"The 'task' field of the uploaded checkpoint must be a str .* Got None instead"),
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


# -- attacks of issue 13, part 5: resources, values that overflow, metadata that breaks later code -------
def _rezip(data: bytes, extra: dict[str, bytes] | None = None, replace=None) -> bytes:
    """``data`` (a torch zip) deflated, with ``extra`` entries added and ``replace(name, bytes)`` applied."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            body = src.read(item)
            dst.writestr(item.filename, replace(item.filename, body) if replace else body)
        for name, body in (extra or {}).items():
            dst.writestr(name, body)
    return out.getvalue()


def test_deflate_bomb_is_refused_before_torch_unpacks_it(monkeypatch):
    """A small file that unpacks past the limit: here a real 1 MiB tensor under a 100 kB limit."""
    monkeypatch.setattr(checkpoint_module, "MAX_CHECKPOINT_BYTES", 100_000)
    bomb = _rezip(_bytes(_payload(training={"blob": torch.zeros(2**18)})))
    assert len(bomb) < 10_000
    with pytest.raises(CheckpointError, match=r"the uploaded checkpoint unpacks to 10\d{5} bytes; the limit is "
                                              r"100000 \(MAX_CHECKPOINT_BYTES\).*Save the network again"):
        load_checkpoint(bomb)


def test_deflate_bomb_past_the_default_limit_is_refused():
    limit = checkpoint_module.MAX_CHECKPOINT_BYTES
    bomb = _rezip(_bytes(_payload()), extra={"archive/data/99": bytes(limit)})
    assert len(bomb) < limit // 500
    with pytest.raises(CheckpointError, match=rf"unpacks to \d+ bytes; the limit is {limit} "):
        load_checkpoint(bomb)


def test_archive_with_too_many_entries_is_refused():
    extra = {f"archive/junk/{i}": b"" for i in range(200)}
    with pytest.raises(CheckpointError, match=r"holds more than 100 archive entries"):
        load_checkpoint(_rezip(_bytes(_payload()), extra=extra))


@pytest.mark.parametrize("text", [b"hello world\n", b"[1, 2, 3]\n", b"# not a checkpoint\n" * 50],
                         ids=["text", "list", "comment"])
def test_text_file_is_not_a_checkpoint(text):
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(text)
    message = str(info.value)
    assert "not a valid MIPS checkpoint" in message and "not one: File is not a zip file" in message
    assert "Error" not in message  # no IndexError / KeyError from pickle's internals


def _with_training(**fields) -> dict:
    return _payload(training={"recipe": "fast", "test_accuracy": 1.0, **fields})


_shared = ["y" * 5_000] * 1_000          # 5 MB of text that pickles to a few kB (one string, memoised)
_dag: list = ["x"]
for _ in range(40):                     # 2**40 leaves that pickle to a few hundred bytes
    _dag = [_dag, _dag]


@pytest.mark.parametrize(("payload", "message"), [
    (_with_weight(FIRST, lambda t: torch.full_like(t, 1e300, dtype=torch.float64)),
     (rf"Weight '{FIRST}' of the uploaded checkpoint must hold finite floating-point values in torch\.float32 "
      r"\(\|x\| <= 3\.403e\+38\)\. Got a value that overflows torch\.float32 instead")),
    (_with_weight("ymlp.mlp.0.bias", lambda t: torch.full_like(t, -1e39, dtype=torch.float64)),
     r"Weight 'ymlp.mlp.0.bias' .* overflows torch\.float32"),
    (_payload(seed=10**100), (r"The 'seed' field of the uploaded checkpoint must be an int in \[0, 4294967295\]\. "
                              r"Got an int of 333 bits instead\. Save the network again")),
    (_payload(seed=2**32), r"'seed' field .* Got 4294967296 instead"),
    (_payload(seed=-1), r"'seed' field .* Got -1 instead"),
    (_payload(seed=True), r"'seed' field .* Got True instead"),
    (_payload(version=True), r"has version True; this build reads 1"),
    (_with_training(test_accuracy="ninety"),
     (r"The 'training\.test_accuracy' field of the uploaded checkpoint must be a float in \[0, 1\]\. "
      r"Got 'ninety' instead\.")),
    (_with_training(test_accuracy=float("nan")), r"'training\.test_accuracy' field .* Got nan instead"),
    (_with_training(test_accuracy=1.5), r"'training\.test_accuracy' field .* Got 1\.5 instead"),
    (_with_training(perfect="yes"), r"'training\.perfect' field .* must be a bool\. Got 'yes'"),
    (_with_training(seeds=[0, "1"]), r"'training\.seeds' field .* must be a list of ints in \[0, 4294967295\]"),
    (_with_training(steps=-5), r"'training\.steps' field .* Got -5 instead"),
    (_with_training(seconds=float("inf")), r"'training\.seconds' field .* must be a finite float >= 0"),
    (_with_training(recipe=3), r"'training\.recipe' field .* must be a str\. Got 3 instead"),
    (_with_training(extra={"n": 10**30}), r"'training\.extra\.n' field .* must be an int in \[-9223372036854775807"),
    (_with_training(blob=torch.zeros(3)), r"'training\.blob' field .* must be plain data .* Got a Tensor instead"),
    (_with_training(dtype=torch.float32), r"'training\.dtype' field .* Got a dtype instead"),
    (_payload(training={1: "one"}), r"'training' field .* must be a dict with str keys\. Got the key 1 instead"),
    (_with_training(shared=_shared), r"'training' field .* must hold at most 1000000 characters of text in all"),
    (_with_training(many=[0] * 100_001), r"'training' field .* must hold at most 100000 values in all"),
    (_with_training(dag=_dag), (r"'training' field .* must nest at most 8 levels deep\. "
                                r"Got deeper nesting at 'training\.dag\[1\]\[1\]\[1\]\[1\]\[1\]\[1\]\[1\]' instead")),
    (_payload(config={**CFG.to_dict(), "activation": {"a": [[[[[[[[0]]]]]]]]}}),
     r"'config' field .* must nest at most 8 levels deep"),
    (_payload(config={**CFG.to_dict(), "activation": "r" * 100_000}),
     r"invalid config: The 'activation' parameter of RNNConfig must be one of 'relu'\. Got 'rrrr"),
    (_payload(task="T" * 201), (r"The 'task' field .* must be a str of 1 to 200 printable characters\. "
                                r"Got 'TTTT.*\.\.\. \(201 characters\) instead")),
    (_payload(task=""), r"'task' field .* Got '' instead"),
    (_payload(task="a\x1b[31mred"), r"'task' field .* printable characters\. Got 'a\\x1b\[31mred' instead"),
    (_payload(task="T", note="hi"), r"has unexpected field\(s\) 'note'; a MIPS checkpoint holds only format, "),
], ids=["float64-1e300", "float64-minus-1e39", "seed-googol", "seed-2**32", "seed-negative", "seed-bool",
        "version-bool", "accuracy-str", "accuracy-nan", "accuracy-1.5", "perfect-str", "seeds-str", "steps-negative",
        "seconds-inf", "recipe-int", "huge-int", "tensor", "dtype", "int-key", "shared-text", "many-values",
        "shared-dag", "config-deep", "config-long-str", "task-long", "task-empty", "task-escape", "extra-field"])
def test_hostile_values_and_metadata_are_refused(payload, message):
    with pytest.raises(CheckpointError, match=message) as info:
        load_checkpoint(_bytes(payload))
    assert len(str(info.value)) < 1_000  # whatever the file holds, the message stays short


def test_a_60_mb_task_name_is_refused():
    data = _rezip(_bytes(_payload(task="x" * 60_000_000)))
    assert len(data) < 1_000_000
    with pytest.raises(CheckpointError, match=r"'task' field .* Got 'xxx.*\.\.\. \(60000000 characters\) instead"):
        load_checkpoint(data)


def test_a_300000_deep_training_dict_is_refused(tmp_path):
    """Crafted pickle (pickle.dumps itself recurses too deep for it): training = {'deep': {'a': {'a': ...}}}."""
    depth = 300_000
    deep = b"}" + b"X\x01\x00\x00\x00a}" * depth + b"s" * depth   # EMPTY_DICT, then key/EMPTY_DICT pairs, SETITEMs
    marker = b"X\x08\x00\x00\x00@@DEEP@@"                            # BINUNICODE '@@DEEP@@'
    data = _rezip(_bytes(_payload(training={"deep": "@@DEEP@@"})),
                  replace=lambda name, body: body.replace(marker, deep) if name.endswith("data.pkl") else body)
    with pytest.raises(CheckpointError, match=r"'training' field .* must nest at most 8 levels deep\. "
                                              r"Got deeper nesting at 'training\.deep\.a\.a\.a"):
        load_checkpoint(data)
    path = tmp_path / "deep.pt"
    path.write_bytes(data)
    with pytest.raises(CheckpointError, match=r"'training' field of checkpoint '.*deep\.pt' must nest"):
        load_checkpoint(path)


@pytest.mark.parametrize("error", [RecursionError("maximum recursion depth exceeded"), MemoryError(),
                                   IndexError("pop from empty list")], ids=["recursion", "memory", "index"])
def test_any_error_inside_torch_load_becomes_a_checkpoint_error(monkeypatch, error):
    def fail(*args, **kwargs):
        raise error
    monkeypatch.setattr(torch, "load", fail)
    with pytest.raises(CheckpointError, match=rf"not a valid MIPS checkpoint \({type(error).__name__}: "):
        load_checkpoint(_bytes(_payload()))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_every_one_byte_change_of_the_pickle_loads_or_is_a_checkpoint_error():
    """No hostile edit of data.pkl ends in anything but a CheckpointError (or a valid checkpoint)."""
    good = _bytes(_payload(training={"recipe": "fast", "test_accuracy": 1.0, "seeds": [0, 1]}))
    with zipfile.ZipFile(io.BytesIO(good)) as z:
        pkl = z.read(next(n for n in z.namelist() if n.endswith("data.pkl")))
    outcomes = set()
    for i in range(len(pkl)):
        for byte in (0xFF, pkl[i] ^ 0x01):
            bad = pkl[:i] + bytes([byte]) + pkl[i + 1:]
            try:
                load_checkpoint(_rezip(good, replace=lambda n, b, bad=bad: bad if n.endswith("data.pkl") else b))
                outcomes.add("loaded")
            except CheckpointError:
                outcomes.add("refused")
    assert outcomes == {"loaded", "refused"}
