"""The chain on trained networks: exact symmetries, the rejection rule, the Sum_Last2 normal form, validation."""

import numpy as np
import pytest
from normhelpers import RANDOM_CONFIGS, RANDOM_IDS, random_data, random_weights

from mips.errors import ConfigError
from mips.failure import Failure
from mips.normalizers import (
    DEFAULT_STEPS,
    NormalizerData,
    normalize,
    prepare_data,
    quantize,
    whiten,
)
from mips.normalizers.basis import replace_layers
from mips.normalizers.forward import run
from mips.normalizers.whitening import whitening_matrix

SYMMETRIES = ("whiten", "jnf", "toeplitz")


def test_chain_on_sum_last2_reaches_the_integer_normal_form(sum_last2):
    report = normalize(sum_last2.weights, sum_last2.dataset)
    assert [s.name for s in report.steps] == list(DEFAULT_STEPS)
    for step in report.steps:
        assert step.accepted, step.message
        assert step.accuracy_after == 1.0
        if step.name in SYMMETRIES:
            assert step.changed and step.max_output_change < 1e-8 * 200
    final = report.final
    # h1 <- h2, h2 <- x, y = h1 + h2 (+ small biases): every weight an integer
    np.testing.assert_array_equal(final.f_weights[0], [[0, 1, 0], [0, 0, 1]])
    np.testing.assert_array_equal(final.g_weights[0], [[1, 1]])
    m = report.steps[-1].metrics_after
    assert m.n_integer_weights == 8 and m.n_weights == 4 and m.accuracy == 1.0
    assert report.steps[0].metrics_before.n_integer_weights < 8
    _, y = run(final, sum_last2.dataset.x_test)
    assert np.array_equal(np.round(y), sum_last2.dataset.y_test)
    assert "initial" in report.table() and "quantize" in report.table()


def test_symmetry_steps_preserve_a_deep_trained_network(binary_addition):
    report = normalize(binary_addition.weights, binary_addition.dataset, steps=SYMMETRIES)
    _, y0 = run(binary_addition.weights, binary_addition.dataset.x_test)
    _, y1 = run(report.final, binary_addition.dataset.x_test)
    assert np.max(np.abs(y1 - y0)) < 1e-8
    for step in report.steps:
        assert step.accepted and step.max_output_change < 1e-8, step.message


@pytest.mark.parametrize("config", RANDOM_CONFIGS, ids=RANDOM_IDS)
def test_each_symmetry_step_is_exact_on_random_networks(config):
    w = random_weights(config, 11)
    data = random_data(config, 11)
    _, y0 = run(w, data.x_eval)
    scale = max(1.0, float(np.max(np.abs(y0))))
    report = normalize(w, data, steps=SYMMETRIES, params={"jnf": {"epsilon": 0.05}})
    for step in report.steps:
        assert step.accepted, step.message
        assert step.max_output_change < 1e-8 * scale, step.name
    _, y1 = run(report.final, data.x_eval)
    assert np.max(np.abs(y1 - y0)) < 1e-8 * scale


def test_whitening_makes_the_second_moment_the_identity(binary_addition):
    data = prepare_data(binary_addition.dataset)
    step = whiten(binary_addition.weights, data)

    def second_moment(weights):
        h, _ = run(weights, data.x_fit)                                  # (n, T, H)
        return np.einsum("ntd,nte->de", h, h) / (h.shape[0] * h.shape[1])

    assert np.all(np.linalg.eigvalsh(second_moment(step.before)) > 0.1)  # so every direction is whitened
    np.testing.assert_allclose(second_moment(step.after), np.eye(2), atol=1e-8)
    np.testing.assert_allclose(step.matrix, step.matrix.T)
    assert step.max_output_change < 1e-9


def test_whitening_matrix_leaves_small_directions_alone():
    rng = np.random.default_rng(0)
    h = rng.normal(size=(5000, 3)) * [3.0, 1.0, 0.01]
    m, m_inv, s = whitening_matrix(h, 0.1)
    np.testing.assert_allclose(m @ m_inv, np.eye(3), atol=1e-12)
    second = (h @ m.T).T @ (h @ m.T) / len(h)
    w, _ = np.linalg.eigh(second)
    np.testing.assert_allclose(sorted(w)[1:], [1.0, 1.0], atol=1e-10)   # whitened directions
    assert sorted(w)[0] == pytest.approx(s[0], rel=1e-8)                 # the tiny one kept its scale


def test_a_step_that_breaks_accuracy_is_rejected(sum_last2, binary_addition):
    for net in (sum_last2, binary_addition):
        step = quantize(net.weights, net.dataset, tolerance=0.5)
        assert not step.accepted and not step.changed
        assert step.after is step.before
        assert step.message.startswith("rejected: test accuracy would drop from 100% to ")
        assert step.accuracy_after == 1.0 and step.candidate_accuracy < 1.0
        assert step.candidate is not step.before and step.max_output_change > 0.5
        assert step.metrics_after == step.metrics_before
    # an imperfect network may not lose accuracy either (the rule once checked only 100% networks)
    worse = quantize(binary_addition.weights, binary_addition.dataset, tolerance=0.1)
    assert 0.99 < worse.candidate_accuracy < 1.0
    step = quantize(worse.candidate, binary_addition.dataset, tolerance=0.5)
    assert not step.accepted and step.after is step.before
    assert step.message.startswith(f"rejected: test accuracy would drop from {100 * worse.candidate_accuracy:.4f}% to ")
    # inside a chain the rejected step passes its input on
    report = normalize(sum_last2.weights, sum_last2.dataset, steps=("quantize", "whiten"),
                       params={"quantize": {"tolerance": 0.5}})
    assert not report.steps[0].accepted
    assert report.steps[1].before is sum_last2.weights
    # the chain's largest output change counts accepted steps only: the rejected proposal moved the
    # outputs by more than 0.5, the network that came out of the chain by far less
    assert report.steps[0].max_output_change > 0.5
    assert report.largest_accepted_change() is report.steps[1]
    assert report.largest_accepted_change().max_output_change < 1e-6
    only_rejected = normalize(sum_last2.weights, sum_last2.dataset, steps=("quantize",),
                              params={"quantize": {"tolerance": 0.5}})
    assert only_rejected.largest_accepted_change() is None


def test_no_rejection_when_the_input_was_not_perfect():
    cfg = RANDOM_CONFIGS[0]
    w = random_weights(cfg, 0)
    data = random_data(cfg, 0)
    step = quantize(w, data, tolerance=0.5)
    assert step.accuracy_before < 1.0 and step.accepted and step.changed


def test_empty_chain_and_custom_data(sum_last2):
    data = prepare_data(sum_last2.dataset, n_fit_sequences=100, n_eval_sequences=50)
    assert isinstance(data, NormalizerData) and data.x_fit.shape[0] == 100 and data.x_eval.shape[0] == 50
    assert prepare_data(data) is data
    report = normalize(sum_last2.weights, data, steps=())
    assert report.steps == () and report.final is sum_last2.weights


def test_step_and_parameter_validation(sum_last2):
    w, ds = sum_last2.weights, sum_last2.dataset
    with pytest.raises(ConfigError, match=r"Unknown normalizer step 'whitening'; allowed: whiten, jnf, toeplitz, "
                                          r"debias, quantize. Did you mean 'whiten'\?"):
        normalize(w, ds, steps=("whitening",))
    with pytest.raises(ConfigError, match=r"Unknown normalizer step 'quantise' in 'params'.*Did you mean "
                                          r"'quantize'\?"):
        normalize(w, ds, params={"quantise": {"tolerance": 0.1}})
    with pytest.raises(ConfigError, match=r"Unknown parameter 'eps' of normalizer step 'jnf'; allowed: 'epsilon', "
                                          r"'rank_tolerance', 'grouping'. Did you mean 'epsilon'\?"):
        normalize(w, ds, params={"jnf": {"eps": 0.3}})
    with pytest.raises(ConfigError, match=r"Unknown parameter 'epsilon' of normalizer step 'toeplitz'; "
                                          r"allowed: none"):
        normalize(w, ds, params={"toeplitz": {"epsilon": 0.3}})
    with pytest.raises(ConfigError, match=r"'epsilon' parameter of whiten must be a float in \[0.0, "):
        normalize(w, ds, steps=("whiten",), params={"whiten": {"epsilon": -1}})
    with pytest.raises(ConfigError, match=r"'weights' parameter of normalize must be RNNWeights"):
        normalize("net", ds)
    with pytest.raises(ConfigError, match=r"'data' parameter of the normalizers must be a Dataset or "
                                          r"NormalizerData. Got dict instead."):
        whiten(w, {})
    wrong = random_weights(RANDOM_CONFIGS[1], 0)             # input_dim 2 vs Sum_Last2's 1
    with pytest.raises(ConfigError, match=r"The data of whiten has input_dim=1, output_dim=1 but the network"):
        whiten(wrong, ds)
    with pytest.raises(ConfigError, match="No step 'jnf' in this report"):
        normalize(w, ds, steps=("whiten",)).step("jnf")


def test_a_transform_that_fails_numerically_reports_a_failure_and_changes_nothing():
    """Hidden states that overflow leave whitening nothing to fit: the step carries a Failure
    (stage "normalize", method "whiten"), is not accepted and passes its input on."""
    config = RANDOM_CONFIGS[0]
    weights = random_weights(config, 0)
    huge = replace_layers(weights, f_weights=tuple(1e200 * w for w in weights.f_weights))
    step = whiten(huge, random_data(config, 0))
    assert isinstance(step.failure, Failure)
    assert (step.failure.stage, step.failure.method) == ("normalize", "whiten")
    assert step.message == step.failure.message == "hidden states are not finite; nothing whitened"
    assert not step.accepted and step.after is step.before and step.candidate is step.before
    # a no-op is not a failure
    assert quantize(weights, random_data(config, 0), tolerance=1e-12).failure is None
