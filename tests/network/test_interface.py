"""The one network interface: the MIPS RNN's numpy step / read-out against its torch forward, the
normalizers' feature-major pass and tracing; input and output codings; clear errors."""

import numpy as np
import pytest
import torch

from mips.errors import ConfigError
from mips.network import RNN, RNNConfig
from mips.network.interface import InputEncoding, OutputDecoding
from mips.network.mips_network import as_network
from mips.network.mips_network import MipsNetwork
from mips.network.trace import trace
from mips.normalizers.forward import run as feature_major_run

CONFIGS = [
    RNNConfig(input_dim=1, output_dim=1, hidden_dim=2),
    RNNConfig(input_dim=2, output_dim=1, hidden_dim=3, hidden_depth=2, hidden_width=5),
    RNNConfig(input_dim=1, output_dim=2, hidden_dim=4, hidden_depth=3, hidden_width=6, output_depth=2, output_width=7),
]
IDS = [c.describe() for c in CONFIGS]


def _inputs(cfg: RNNConfig, n: int = 37, t: int = 8, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(-3, 4, size=(n, t, cfg.input_dim))


@pytest.mark.parametrize("cfg", CONFIGS, ids=IDS)
def test_numpy_run_equals_torch_forward_and_the_normalizers_pass(cfg):
    model = RNN(cfg, seeds=(3,))
    net = MipsNetwork(model.weights(0))
    x = _inputs(cfg)
    ran = net.run(x)
    assert ran.hidden.shape == (37, 9, cfg.hidden_dim) and ran.output.shape == (37, 8, cfg.output_dim)
    np.testing.assert_array_equal(ran.hidden[:, 0], 0.0)
    y, h = RNN.from_weights(model.weights(0), dtype=torch.float64)(torch.tensor(x, dtype=torch.float64),
                                                                  return_hidden=True)
    np.testing.assert_allclose(ran.hidden[:, 1:], h[0].detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ran.output, y[0].detach().numpy(), rtol=1e-12, atol=1e-12)
    fm_hidden, fm_output = feature_major_run(model.weights(0), x)
    np.testing.assert_allclose(ran.hidden[:, 1:], fm_hidden, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ran.output, fm_output, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(net.predict(x, batch_size=5), np.round(ran.output).astype(np.int64))


@pytest.mark.parametrize("cfg", CONFIGS, ids=IDS)
def test_trace_is_the_torch_path_bit_for_bit(cfg):
    model = RNN(cfg, seeds=(1,))
    x = _inputs(cfg, seed=2)
    tr = trace(model.weights(0), x)
    y, h = RNN.from_weights(model.weights(0), dtype=torch.float64)(torch.tensor(x, dtype=torch.float64),
                                                                  return_hidden=True)
    np.testing.assert_array_equal(tr.hidden[:, 1:], h[0].detach().numpy())
    np.testing.assert_array_equal(tr.output, y[0].detach().numpy())
    # the same trace from the RNN, its weights or the interface
    np.testing.assert_array_equal(trace(model, x).hidden, tr.hidden)
    np.testing.assert_array_equal(trace(MipsNetwork(model.weights(0)), x).hidden, tr.hidden)


def test_step_broadcasts_states_against_inputs():
    cfg = CONFIGS[1]
    net = MipsNetwork(RNN(cfg, seeds=(0,)).weights(0))
    rng = np.random.default_rng(0)
    h = rng.normal(size=(4, 1, cfg.hidden_dim)).repeat(6, axis=1)       # (c, P, H)
    x = rng.integers(0, 3, size=(1, 6, cfg.input_dim)).astype(float)    # (1, P, I)
    out = net.step(h, x)
    assert out.shape == (4, 6, cfg.hidden_dim)
    for i in range(4):
        for p in range(6):
            np.testing.assert_allclose(out[i, p], net.step(h[i, p][None], x[0, p][None])[0], rtol=1e-13)


def test_as_network_accepts_the_projects_objects_and_refuses_others():
    model = RNN(CONFIGS[0], seeds=(0,))
    for obj in (model, model.weights(0)):
        net = as_network(obj)
        assert net.kind == "mips-rnn" and net.hidden_dim == 2 and net.n_parameters == CONFIGS[0].n_parameters
    assert as_network(net) is net
    with pytest.raises(ConfigError, match="Expected a recurrent network .* Got str instead"):
        as_network("net.pt")
    with pytest.raises(ConfigError, match=r"inputs must have shape \(n_sequences, seq_len, 1\)"):
        net.run(np.zeros((3, 4)))


def test_one_hot_inputs_and_classification_outputs():
    enc = InputEncoding(kind="one-hot", values=(0, 1, 2))
    np.testing.assert_array_equal(enc.encode(np.array([[2], [0]])), [[0, 0, 1], [1, 0, 0]])
    assert enc.width(2) == 6
    with pytest.raises(ConfigError, match=r"input 5 is not one of the one-hot encoding's values \[0, 1, 2\]"):
        enc.encode(np.array([[5]]))
    with pytest.raises(ConfigError, match="one-hot input encoding needs 'values'"):
        InputEncoding(kind="one-hot", values=(1, 1))
    dec = OutputDecoding(kind="classification", classes=(0, 1, 2))
    np.testing.assert_array_equal(dec.decode(np.array([[0.1, 3.0, -1.0, 5.0, 0.0, 0.0]])), [[1.0, 0.0]])
    with pytest.raises(ConfigError, match="'regression' or 'classification'"):
        OutputDecoding(kind="softmax")
