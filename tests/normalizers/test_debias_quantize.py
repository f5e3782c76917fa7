"""De-biasing and quantisation: what moves, what snaps, and nothing else."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from normhelpers import RANDOM_CONFIGS, random_data, random_weights

from mips.errors import ConfigError
from mips.network import RNNConfig, RNNWeights
from mips.normalizers import debias, quantize
from mips.normalizers.debiasing import unread_projector
from mips.normalizers.forward import run
from mips.normalizers.quantization import quantize_weights, snap

FLOATS = st.floats(min_value=-20, max_value=20, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(values=arrays(np.float64, st.integers(1, 30), elements=FLOATS), tol=st.floats(0.0, 0.45))
def test_snap_only_moves_values_within_tolerance(values, tol):
    out = snap(values, tol)
    dist = np.abs(values - np.round(values))
    far, near = dist > tol, dist <= tol
    np.testing.assert_array_equal(out[far], values[far])              # untouched, bit for bit
    assert np.all(out[near] == np.round(out[near]))                    # integers
    assert np.all(np.abs(out - values) <= tol)                         # never moves further than tol


@settings(max_examples=30, deadline=None)
@given(offsets=arrays(np.float64, 11, elements=st.floats(-0.49, 0.49)),
       ints=arrays(np.int64, 11, elements=st.integers(-5, 5)), tol=st.sampled_from([0.01, 0.05, 0.2]))
def test_quantize_weights_on_a_network(offsets, ints, tol):
    cfg = RNNConfig(input_dim=1, output_dim=1, hidden_dim=2)
    v = ints + offsets
    w = RNNWeights(config=cfg, f_weights=(v[:6].reshape(2, 3),), f_biases=(v[6:8],),
                   g_weights=(v[8:10].reshape(1, 2),), g_biases=(v[10:],))
    q, changed = quantize_weights(w, tol)
    got = np.concatenate([q.f_weights[0].ravel(), q.f_biases[0], q.g_weights[0].ravel(), q.g_biases[0]])
    near = np.abs(v - ints) <= tol   # distance of the stored float, e.g. 1 + 0.01 is 1.0100000000000000089
    np.testing.assert_array_equal(got[near], ints[near])
    np.testing.assert_array_equal(got[~near], v[~near])
    assert changed == int(np.sum(near & (v != ints)))


def test_quantize_step_messages():
    cfg = RANDOM_CONFIGS[0]
    w = random_weights(cfg, 0)
    data = random_data(cfg, 0)
    step = quantize(w, data, tolerance=0.0)
    assert step.accepted and not step.changed and step.message.startswith("no-op")
    step = quantize(w, data, tolerance=0.5)
    assert step.changed and step.message.startswith(f"snapped {cfg.n_parameters} of {cfg.n_parameters}")
    with pytest.raises(ConfigError, match=r"'tolerance' parameter of quantize must be a float in \[0.0, 0.5\]"):
        quantize(w, data, tolerance=0.6)


def _unread_network():
    """A linear RNN whose f never reads hidden coordinate 0 (column 0 of W_h is zero)."""
    cfg = RNNConfig(input_dim=1, output_dim=2, hidden_dim=3)
    rng = np.random.default_rng(0)
    f = rng.normal(size=(3, 4)) * 0.5
    f[:, 0] = 0.0
    return RNNWeights(config=cfg, f_weights=(f,), f_biases=(np.array([2.0, -1.0, 0.5]),),
                      g_weights=(rng.normal(size=(2, 3)),), g_biases=(np.array([0.1, 0.2]),))


def test_debias_is_exact_when_a_direction_is_never_read():
    w = _unread_network()
    data = random_data(w.config, 1)
    step = debias(w, data)
    assert step.accepted and step.changed, step.message
    np.testing.assert_allclose(step.after.f_biases[0], [0.0, -1.0, 0.5], atol=1e-15)
    np.testing.assert_allclose(step.after.g_biases[0], w.g_biases[0] + 2.0 * w.g_weights[0][:, 0])
    assert step.max_output_change < 1e-12
    # nothing left to move the second time
    again = debias(step.after, data)
    assert again.accepted and not again.changed and "no component" in again.message


def test_debias_projector_matches_svd_definition():
    w = _unread_network()
    proj = unread_projector(w, 0.1)
    np.testing.assert_allclose(proj, np.diag([1.0, 0.0, 0.0]), atol=1e-12)
    # f of depth 2 with width 1 < H: at least H - 1 directions are unread
    cfg = RNNConfig(input_dim=1, output_dim=1, hidden_dim=3, hidden_depth=2, hidden_width=1)
    w2 = random_weights(cfg, 0)
    assert round(np.trace(unread_projector(w2, 0.0))) >= 2


def test_debias_no_op_when_everything_is_read():
    cfg = RANDOM_CONFIGS[0]
    w = random_weights(cfg, 0)
    step = debias(w, random_data(cfg, 0), epsilon=0.0)
    assert not step.changed and "reads every hidden direction" in step.message


def test_debias_on_random_deep_networks_changes_outputs_only_by_the_unread_error():
    cfg = RNNConfig(input_dim=1, output_dim=1, hidden_dim=3, hidden_depth=2, hidden_width=2)
    w = random_weights(cfg, 5)
    data = random_data(cfg, 5)
    step = debias(w, data, epsilon=0.0)          # exactly-zero singular values only: exact
    assert step.changed
    _, y0 = run(w, data.x_eval)
    _, y1 = run(step.after, data.x_eval)
    assert np.max(np.abs(y1 - y0)) < 1e-10
