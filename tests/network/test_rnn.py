"""The RNN: forward pass against a naive per-step loop, seed batching, conversions, config errors."""

import numpy as np
import pytest
import torch
from torch import nn

from mips.errors import ConfigError
from mips.network import RNN, RNNConfig

CONFIGS = [
    RNNConfig(input_dim=1, output_dim=1, hidden_dim=2),
    RNNConfig(input_dim=2, output_dim=1, hidden_dim=3, hidden_depth=2, hidden_width=5),
    RNNConfig(input_dim=1, output_dim=2, hidden_dim=4, hidden_depth=3, hidden_width=6, output_depth=2,
              output_width=7),
    RNNConfig(input_dim=2, output_dim=2, hidden_dim=1, output_depth=3, output_width=3),
]
IDS = [c.describe() for c in CONFIGS]


def naive_forward(state: dict, cfg: RNNConfig, x: torch.Tensor) -> torch.Tensor:
    """The paper's GeneralRNN written plainly: nn.Linear stacks, one sequence step at a time."""
    def mlp(prefix, shapes):
        layers = []
        for k, (o, i) in enumerate(shapes):
            if k:
                layers.append(nn.ReLU())
            lin = nn.Linear(i, o)
            lin.weight.data = state[f"{prefix}.mlp.{2 * k}.weight"].clone()
            lin.bias.data = state[f"{prefix}.mlp.{2 * k}.bias"].clone()
            layers.append(lin)
        return nn.Sequential(*layers)
    f, g = mlp("hmlp", cfg.f_shapes()), mlp("ymlp", cfg.g_shapes())
    ys = []
    for seq in x:
        h = torch.zeros(cfg.hidden_dim)
        out = []
        for xt in seq:
            h = f(torch.cat([h, xt]))
            out.append(g(h))
        ys.append(torch.stack(out))
    return torch.stack(ys)


@pytest.mark.parametrize("cfg", CONFIGS, ids=IDS)
def test_forward_matches_naive_loop(cfg):
    model = RNN(cfg, seeds=(3, 4))
    x = torch.randint(-5, 6, (7, 6, cfg.input_dim)).float()
    y = model(x)
    assert y.shape == (2, 7, 6, cfg.output_dim)
    for i in range(2):
        expected = naive_forward(model.state_dict_paper(i), cfg, x)
        torch.testing.assert_close(y[i], expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("cfg", CONFIGS, ids=IDS)
def test_batched_seeds_equal_single_seed_models(cfg):
    batched = RNN(cfg, seeds=(0, 1, 2))
    for i, s in enumerate((0, 1, 2)):
        single = RNN(cfg, seeds=(s,))
        for a, b in zip(single.parameters(), batched.parameters()):
            assert torch.equal(a[0], b[i])
    assert not torch.equal(batched.f_w[0][0], batched.f_w[0][1])


def test_hidden_states_and_initial_zero_state():
    cfg = CONFIGS[1]
    model = RNN(cfg)
    x = torch.zeros(2, 3, cfg.input_dim)
    y, h = model(x, return_hidden=True)
    assert h.shape == (1, 2, 3, cfg.hidden_dim)
    # h_0 = f([0; 0]) depends only on biases
    u = torch.relu(model.f_b[0][0]) @ model.f_w[1][0].T + model.f_b[1][0]
    torch.testing.assert_close(h[0, 0, 0], u)


@pytest.mark.parametrize("cfg", CONFIGS, ids=IDS)
def test_weights_round_trip(cfg):
    model = RNN(cfg, seeds=(5, 6))
    w = model.weights(1)
    assert all(a.dtype == np.float64 for a in w.f_weights + w.g_biases)
    with pytest.raises(ValueError):
        w.f_weights[0][0, 0] = 1.0                      # read-only
    back = RNN.from_weights(w, seeds=(6,))
    x = torch.randn(4, 5, cfg.input_dim)
    torch.testing.assert_close(back(x)[0], model(x)[1])
    single = model.select(1)
    assert single.seeds == (6,)
    torch.testing.assert_close(single(x)[0], model(x)[1])


def test_config_normalises_meaningless_widths():
    a = RNNConfig(input_dim=1, output_dim=1, hidden_dim=2, hidden_width=99, output_width=7)
    assert a == RNNConfig(input_dim=1, output_dim=1, hidden_dim=2)
    assert a.describe() == "H=2, f 1/-, g 1/-"
    assert a.is_linear and a.n_parameters == (2 * 3 + 2) + (1 * 2 + 1)


@pytest.mark.parametrize("field,value,message", [
    ("hidden_dim", 0, r"The 'hidden_dim' parameter of RNNConfig must be an int in \[1, 128\]. Got 0 instead."),
    ("hidden_dim", 129, r"'hidden_dim' parameter of RNNConfig must be an int in \[1, 128\]. Got 129"),
    ("hidden_depth", 4, r"'hidden_depth' parameter of RNNConfig must be an int in \[1, 3\]. Got 4"),
    ("output_width", 300, r"'output_width' parameter of RNNConfig must be an int in \[1, 256\]. Got 300"),
    ("hidden_dim", 2.5, r"'hidden_dim' parameter of RNNConfig must be an int in \[1, 128\]. Got 2.5 of type float"),
    ("activation", "tanh", r"'activation' parameter of RNNConfig must be one of 'relu'. Got 'tanh'"),
], ids=["zero", "too-big", "depth", "width", "float", "activation"])
def test_config_errors(field, value, message):
    kwargs = dict(input_dim=1, output_dim=1, hidden_dim=2)
    kwargs[field] = value
    with pytest.raises(ConfigError, match=message):
        RNNConfig(**kwargs)


def test_select_out_of_range():
    with pytest.raises(ConfigError, match=r"'index' parameter of RNN.select must be in \[0, 1\]. Got 2"):
        RNN(CONFIGS[0], seeds=(0, 1)).select(2)
