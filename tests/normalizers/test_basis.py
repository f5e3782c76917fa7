"""The hidden-basis symmetry: change_basis is exact, the numpy forward pass matches the torch trace."""

import numpy as np
import pytest
from normhelpers import RANDOM_CONFIGS, RANDOM_IDS, random_weights

from mips.errors import ConfigError
from mips.network.trace import trace
from mips.normalizers import change_basis, effective_maps
from mips.normalizers.forward import run


def _random_invertible(rng, n):
    while True:
        m = rng.normal(size=(n, n))
        if np.linalg.cond(m) < 50:
            return m


def _rel_change(a, b):
    return np.max(np.abs(a - b)) / max(1.0, np.max(np.abs(a)))


@pytest.mark.parametrize("config", RANDOM_CONFIGS, ids=RANDOM_IDS)
@pytest.mark.parametrize("seed", [0, 1])
def test_change_basis_is_an_exact_symmetry(config, seed):
    rng = np.random.default_rng(seed)
    w = random_weights(config, seed)
    x = rng.integers(-5, 6, size=(200, 7, config.input_dim))
    m = _random_invertible(rng, config.hidden_dim)
    w2 = change_basis(w, m)
    h1, y1 = run(w, x)
    h2, y2 = run(w2, x)
    assert _rel_change(y1, y2) < 1e-10
    # the hidden states are exactly the transformed ones: h' = M h
    np.testing.assert_allclose(h2, h1 @ m.T, atol=1e-9 * max(1, np.abs(h1).max()))
    # and M then M⁻¹ gives the network back
    w3 = change_basis(w2, np.linalg.inv(m))
    for a, b in zip(w.f_weights + w.g_weights, w3.f_weights + w3.g_weights):
        np.testing.assert_allclose(a, b, atol=1e-10)


def test_change_basis_on_trained_network(sum_last2, binary_addition):
    for net in (sum_last2, binary_addition):
        rng = np.random.default_rng(5)
        m = _random_invertible(rng, net.weights.config.hidden_dim)
        x = net.dataset.x_test
        _, y1 = run(net.weights, x)
        _, y2 = run(change_basis(net.weights, m), x)
        assert _rel_change(y1, y2) < 1e-10
        assert np.array_equal(np.round(y2), net.dataset.y_test)


def test_change_basis_depth1_formula():
    w = random_weights(RANDOM_CONFIGS[0], 3)
    m = _random_invertible(np.random.default_rng(0), 3)
    w2 = change_basis(w, m)
    wh, wx = w.f_weights[0][:, :3], w.f_weights[0][:, 3:]
    np.testing.assert_allclose(w2.f_weights[0][:, :3], m @ wh @ np.linalg.inv(m), atol=1e-12)
    np.testing.assert_allclose(w2.f_weights[0][:, 3:], m @ wx, atol=1e-12)
    np.testing.assert_allclose(w2.f_biases[0], m @ w.f_biases[0], atol=1e-12)
    np.testing.assert_allclose(w2.g_weights[0], w.g_weights[0] @ np.linalg.inv(m), atol=1e-12)
    np.testing.assert_array_equal(w2.g_biases[0], w.g_biases[0])


def test_effective_maps_is_the_weight_product():
    cfg = RANDOM_CONFIGS[2]                                  # f depth 3
    w = random_weights(cfg, 0)
    a, b, c = w.f_weights
    W, X, bias = effective_maps(w)
    prod = c @ b @ a
    np.testing.assert_allclose(W, prod[:, :cfg.hidden_dim])
    np.testing.assert_allclose(X, prod[:, cfg.hidden_dim:])
    np.testing.assert_array_equal(bias, w.f_biases[-1])


@pytest.mark.parametrize("config", RANDOM_CONFIGS, ids=RANDOM_IDS)
def test_numpy_forward_matches_torch_trace(config):
    """Fast (feature-major numpy) vs reference (torch, batch-major) forward pass."""
    w = random_weights(config, 7)
    x = np.random.default_rng(0).integers(-4, 5, size=(50, 5, config.input_dim))
    hidden, output = run(w, x)
    ref = trace(w, x)
    np.testing.assert_allclose(hidden, ref.hidden[:, 1:], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(output, ref.output, rtol=1e-12, atol=1e-12)


def test_change_basis_errors():
    w = random_weights(RANDOM_CONFIGS[0], 0)
    with pytest.raises(ConfigError, match=r"'matrix' parameter of change_basis must be a real array of shape "
                                          r"\(3, 3\)"):
        change_basis(w, np.eye(2))
    with pytest.raises(ConfigError, match=r"'matrix' parameter of change_basis must be invertible"):
        change_basis(w, np.diag([1.0, 1.0, 0.0]))
    with pytest.raises(ConfigError, match="must hold finite values"):
        change_basis(w, np.full((3, 3), np.nan))


@pytest.mark.parametrize("config", RANDOM_CONFIGS[:3], ids=RANDOM_IDS[:3])
def test_forward_pass_statistics_match_the_hidden_states(config):
    """The chunked in-loop statistics (small-value count, second moment) against the full hidden array."""
    from mips.normalizers.forward import forward_pass, to_feature_major
    w = random_weights(config, 2)
    x = np.random.default_rng(1).integers(-2, 3, size=(20_000, 4, config.input_dim))   # several chunks
    res = forward_pass(w, to_feature_major(x), keep_hidden=True, small=0.3, second_moment=True)
    h = res.hidden.transpose(2, 0, 1).reshape(-1, config.hidden_dim)                    # (n*T, H)
    assert res.n_small_hidden == int(np.sum(np.abs(h) < 0.3))
    np.testing.assert_allclose(res.second_moment, h.T @ h, rtol=1e-10)
    lean = forward_pass(w, to_feature_major(x))
    assert lean.hidden is None and lean.second_moment is None
    np.testing.assert_array_equal(lean.output, res.output)
