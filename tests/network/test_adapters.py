"""Networks from PyTorch: nn.RNN / nn.GRU / nn.LSTM state dicts + descriptions against torch's own modules,
the authors' bare hmlp/ymlp state dicts, and a clear error for every malformed file."""

import json

import numpy as np
import pytest
import torch
from torch import nn

from mips.errors import CheckpointError, ConfigError
from mips.network import RNN, RNNConfig
from mips.network.adapters import load_network, network_from_state_dict, task_mismatch
from mips.network.description import parse_description, read_description
from mips.tasks import get_task

KINDS = [("rnn-tanh", nn.RNN, {}), ("rnn-relu", nn.RNN, {"nonlinearity": "relu"}), ("gru", nn.GRU, {}),
         ("lstm", nn.LSTM, {})]


class Net(nn.Module):
    """What a user writes: a recurrent module and a read-out MLP."""

    def __init__(self, cls, extra, n_in=3, hidden=5, layers=1, head=(2,)):
        super().__init__()
        self.rnn = cls(n_in, hidden, num_layers=layers, batch_first=True, **extra)
        mods, width = [], hidden
        for k, n_out in enumerate(head):
            if k:
                mods.append(nn.ReLU())
            mods.append(nn.Linear(width, n_out))
            width = n_out
        self.head = nn.Sequential(*mods)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out), out


def _description(kind, n_in=3, hidden=5, layers=1, head=(2,), **extra):
    readout = [f"head.{2 * k}" for k in range(len(head))]
    return {"kind": kind, "input_size": n_in, "hidden_size": hidden, "num_layers": layers, "readout": readout, **extra}


@pytest.mark.parametrize("layers", [1, 2], ids=["1 layer", "2 layers"])
@pytest.mark.parametrize("kind,cls,extra", KINDS, ids=[k[0] for k in KINDS])
def test_numpy_run_equals_torchs_own_module(kind, cls, extra, layers):
    torch.manual_seed(0)
    model = Net(cls, extra, layers=layers, head=(6, 2)).double()
    desc = _description(kind, layers=layers, head=(6, 2), input={"encoding": "one-hot", "values": [0, 1, 2]},
                        output={"type": "classification", "classes": [4, 7]})
    net = network_from_state_dict(model.state_dict(), parse_description(desc)).network
    assert (net.kind, net.input_dim, net.output_dim) == (kind, 1, 1)
    assert net.hidden_dim == 5 * layers * (2 if kind == "lstm" else 1)
    assert net.n_parameters == sum(p.numel() for p in model.parameters())
    x = np.random.default_rng(1).integers(0, 3, size=(9, 7, 1))
    ran = net.run(x)
    logits, top = model(nn.functional.one_hot(torch.tensor(x[..., 0]), 3).double())
    np.testing.assert_allclose(ran.hidden[:, 1:, (layers - 1) * 5:layers * 5], top.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(net.readout_raw(ran.hidden[:, 1:]), logits.detach().numpy(), atol=1e-12)
    expected = np.array([4, 7])[logits.argmax(-1).numpy()]
    np.testing.assert_array_equal(ran.output[..., 0], expected)
    torch_run = net.run_torch(x)
    np.testing.assert_allclose(torch_run.hidden, ran.hidden, atol=1e-12)   # LSTM cells included
    np.testing.assert_array_equal(torch_run.output, ran.output)


def test_raw_regression_network_from_files(tmp_path):
    torch.manual_seed(0)
    model = Net(nn.GRU, {}, n_in=1, head=(1,))
    torch.save(model.state_dict(), tmp_path / "net.pt")
    (tmp_path / "net.json").write_text(json.dumps(_description("gru", n_in=1, head=(1,), task="Parity_All")))
    loaded = load_network(tmp_path / "net.pt")                      # the .json next to it
    assert loaded.task == "Parity_All" and loaded.model is None
    x = np.random.default_rng(0).integers(0, 2, size=(4, 6, 1))
    out, _ = model(torch.tensor(x, dtype=torch.float32))
    np.testing.assert_allclose(loaded.network.run(x).output, out.detach().double().numpy(), atol=1e-6)
    explicit = load_network(tmp_path / "net.pt", tmp_path / "net.json")
    np.testing.assert_array_equal(explicit.network.run(x).output, loaded.network.run(x).output)


def test_authors_bare_state_dict_becomes_the_mips_rnn(tmp_path):
    cfg = RNNConfig(input_dim=2, output_dim=1, hidden_dim=3, hidden_depth=2, hidden_width=4)
    model = RNN(cfg, seeds=(5,))
    torch.save(model.state_dict_paper(), tmp_path / "authors.pt")
    loaded = load_network(tmp_path / "authors.pt")                  # architecture read from the shapes
    assert loaded.model is not None and loaded.model.config == cfg and loaded.network.kind == "mips-rnn"
    x = np.random.default_rng(0).integers(0, 3, size=(5, 4, 2))
    np.testing.assert_array_equal(loaded.network.run(x).output, load_network(
        tmp_path / "authors.pt", parse_description({"kind": "mips-rnn", "config": {"hidden_dim": 3}})).network.run(x).output)
    with pytest.raises(CheckpointError, match="does not match the weights"):
        load_network(tmp_path / "authors.pt", parse_description({"kind": "mips-rnn", "config": {"hidden_dim": 2}}))


@pytest.mark.parametrize("data,message", [
    ([1], "must be a JSON object"),
    ({"kind": "gru", "input_size": 1, "hidden_size": 4, "readuot": ["fc"]}, "Unknown field 'readuot'.*Did you mean 'readout'"),
    ({"kind": "GRU", "input_size": 1, "hidden_size": 4}, "'kind' field .* must be one of .*Did you mean 'gru'"),
    ({"kind": "lstm", "input_size": 1}, "lacks 'hidden_size'"),
    ({"kind": "gru", "input_size": 0, "hidden_size": 4}, "'input_size' field .* int in \\[1, 1024\\]. Got 0"),
    ({"kind": "gru", "input_size": 2, "hidden_size": 4, "input": {"encoding": "one-hot"}}, "'input.values' field"),
    ({"kind": "gru", "input_size": 2, "hidden_size": 4, "input": "onehot"}, "'input' field .* must be"),
    ({"kind": "gru", "input_size": 2, "hidden_size": 4, "output": {"type": "classification", "classes": [1]}},
     "classification output needs 'classes'"),
    ({"kind": "gru", "input_size": 2, "hidden_size": 4, "readout_activation": "gelu"}, "'readout_activation'"),
    ({"kind": "mips-rnn", "hidden_size": 4}, "'mips-rnn' description takes only"),
], ids=["not an object", "unknown field", "kind", "missing size", "size range", "one-hot values", "input form",
        "classes", "activation", "mips-rnn extras"])
def test_malformed_descriptions_are_refused_with_the_fix(data, message):
    with pytest.raises(ConfigError, match=message):
        parse_description(data)


def test_unreadable_description_files(tmp_path):
    with pytest.raises(CheckpointError, match="no such file"):
        read_description(tmp_path / "missing.json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        read_description(b"{kind: gru")


def _gru_state(**kw):
    torch.manual_seed(0)
    return Net(nn.GRU, {}, **kw).state_dict()


@pytest.mark.parametrize("state,desc,message", [
    (_gru_state(), _description("gru", hidden=6), r"'rnn.weight_ih_l0' has shape \(15, 3\); a gru with input_size 3 and "
                                                  r"hidden_size 6 needs \(18, 3\)"),
    (_gru_state(), {**_description("gru"), "rnn": "lstm"}, r"no recurrent module 'lstm'.*\['head.0', 'rnn'\]"),
    (_gru_state(), {**_description("gru"), "readout": ["fc"]}, "no read-out layer 'fc'.*'head.0'"),
    (_gru_state(layers=2), _description("gru"), "raise 'num_layers'"),
    (_gru_state(), _description("gru", layers=2), "lacks 'rnn.weight_ih_l1'"),
    (_gru_state(), _description("lstm"), r"needs \(20, 3\)"),
    (_gru_state(), {**_description("gru"), "input": {"encoding": "one-hot", "values": [0, 1]}},
     "input_size is 3, not a multiple of the 2 values"),
    ({**_gru_state(), "rnn.weight_ih_l0_reverse": torch.zeros(15, 3)}, _description("gru"), "bidirectional"),
    ({**_gru_state(), "head.0.bias": torch.full((2,), float("nan"))}, _description("gru"), "finite"),
    ({**_gru_state(), "head.0.bias": [0.0, 1.0]}, _description("gru"), "must be a dense tensor"),
], ids=["hidden size", "rnn prefix", "readout prefix", "more layers", "fewer layers", "wrong kind", "one-hot width",
        "bidirectional", "nan", "not a tensor"])
def test_malformed_state_dicts_are_refused_with_the_fix(state, desc, message):
    with pytest.raises(CheckpointError, match=message):
        network_from_state_dict(state, parse_description(desc))


def test_unreadable_weight_files(tmp_path):
    torch.manual_seed(0)
    model = Net(nn.GRU, {})
    torch.save(model, tmp_path / "whole.pt")                        # the module, not its state dict
    (tmp_path / "whole.json").write_text(json.dumps(_description("gru")))
    with pytest.raises(CheckpointError, match=r"holds Python objects.*torch.save\(model.state_dict\(\), path\)"):
        load_network(tmp_path / "whole.pt")
    (tmp_path / "text.pt").write_text("not torch")
    with pytest.raises(CheckpointError, match="not a file written by torch.save"):
        load_network(tmp_path / "text.pt", tmp_path / "whole.json")
    torch.save(model.state_dict(), tmp_path / "bare.pt")            # no description anywhere
    with pytest.raises(CheckpointError, match="bare state dict.*--model-description FILE.json or as 'bare.json'"):
        load_network(tmp_path / "bare.pt")
    with pytest.raises(CheckpointError, match="need their description"):
        load_network((tmp_path / "bare.pt").read_bytes())


def test_task_mismatch_names_the_problem():
    torch.manual_seed(0)
    desc = _description("gru", n_in=2, head=(1,), input={"encoding": "one-hot", "values": [0, 1]})
    net = network_from_state_dict(Net(nn.GRU, {}, n_in=2, head=(1,)).state_dict(), parse_description(desc)).network
    assert task_mismatch(net, get_task("Parity_All")) is None
    assert "no feature for the input value(s) [2]" in task_mismatch(net, get_task("Add_Mod_3"))
    assert "reads 1 and writes 1 number(s) per step; task Binary_Addition has 2" in task_mismatch(
        net, get_task("Binary_Addition"))


def test_a_project_checkpoint_needs_no_description_and_ignores_a_report_beside_it(tmp_path):
    from mips.network import save_checkpoint
    model = RNN(RNNConfig(input_dim=1, output_dim=1, hidden_dim=2), seeds=(0,))
    path = save_checkpoint(tmp_path / "m.pt", model, task="Parity_All", seed=0)
    (tmp_path / "m.json").write_text(json.dumps({"task": "Parity_All", "solved": True}))   # `run --json m.json`
    loaded = load_network(path)
    assert loaded.task == "Parity_All" and loaded.model is not None and loaded.network.kind == "mips-rnn"
    with pytest.raises(CheckpointError, match="is a MIPS checkpoint, which carries its own architecture"):
        load_network(path, parse_description(_description("gru")))
