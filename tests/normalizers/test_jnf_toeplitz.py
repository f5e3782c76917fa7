"""Jordan normal form and Toeplitz: planted structures are recovered, and both are exact symmetries."""

import numpy as np
import pytest
from normhelpers import RANDOM_CONFIGS, RANDOM_IDS, random_data, random_weights

from mips.errors import ConfigError
from mips.failure import Failure
from mips.network import RNNConfig, RNNWeights
from mips.normalizers import effective_maps, jnf, real_jordan_basis, toeplitz
from mips.normalizers.forward import run
from mips.normalizers.jordan import JordanBlock, jordan_matrix
from mips.normalizers.toeplitz_form import jordan_pattern, toeplitz_matrix

PLANTED = (JordanBlock(1.0, 2), JordanBlock(complex(-0.5, 0.8), 1), JordanBlock(-0.2, 1))
REAL_PLANTED = (JordanBlock(1.0, 2), JordanBlock(-0.5, 1))


def _near_orthogonal(rng, n, spread=0.1):
    q1, _ = np.linalg.qr(rng.normal(size=(n, n)))
    q2, _ = np.linalg.qr(rng.normal(size=(n, n)))
    return q1 @ np.diag(rng.uniform(1 - spread, 1 + spread, n)) @ q2


def _planted_linear_rnn(blocks, seed, input_dim=1):
    rng = np.random.default_rng(seed)
    j = jordan_matrix(blocks)
    n = j.shape[0]
    p = _near_orthogonal(rng, n)
    w_h = p @ j @ np.linalg.inv(p)
    cfg = RNNConfig(input_dim=input_dim, output_dim=1, hidden_dim=n)
    f = np.concatenate([w_h, rng.normal(size=(n, input_dim))], axis=1)
    return RNNWeights(config=cfg, f_weights=(f,), f_biases=(rng.normal(size=n),),
                      g_weights=(rng.normal(size=(1, n)),), g_biases=(rng.normal(size=1),))


def _data(cfg, seed=0):
    return random_data(cfg, seed, n=200, seq_len=5)


def test_jordan_matrix_layout():
    j = jordan_matrix(PLANTED)
    expected = np.array([[1, 1, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, -0.5, 0.8, 0], [0, 0, -0.8, -0.5, 0],
                         [0, 0, 0, 0, -0.2]])
    np.testing.assert_array_equal(j, expected)


@pytest.mark.parametrize("seed", range(5))
def test_planted_jordan_structure_is_recovered(seed):
    w = _planted_linear_rnn(PLANTED, seed)
    step = jnf(w, _data(w.config))
    assert step.accepted and step.changed, step.message
    assert [b.size for b in PLANTED] == [2, 1, 1]
    W, _, _ = effective_maps(step.after)
    np.testing.assert_allclose(W, jordan_matrix(PLANTED), atol=1e-8)
    assert "J2(1) J1(-0.5±0.8i) J1(-0.2)" in step.message
    assert step.max_output_change < 1e-8
    # the basis matrix reported is the one applied: M W M⁻¹ = J
    m = step.matrix
    np.testing.assert_allclose(m @ effective_maps(w)[0] @ np.linalg.inv(m), W, atol=1e-10)


@pytest.mark.parametrize("seed", range(3))
def test_planted_jordan_with_random_basis_and_small_epsilon(seed):
    """With a badly conditioned basis the kernel tolerance must be smaller; the structure still comes out."""
    rng = np.random.default_rng(seed)
    j = jordan_matrix([JordanBlock(0.5, 3), JordanBlock(0.5, 1), JordanBlock(complex(0.1, 0.9), 2)])
    p = rng.normal(size=(8, 8))
    form = real_jordan_basis(p @ j @ np.linalg.inv(p), epsilon=0.05)
    assert [b.size for b in form.blocks] == [2, 3, 1]
    np.testing.assert_allclose([b.eigenvalue for b in form.blocks], [0.1 + 0.9j, 0.5, 0.5], atol=1e-6)
    t = form.basis
    np.testing.assert_allclose(np.linalg.inv(t) @ (p @ j @ np.linalg.inv(p)) @ t, jordan_matrix(form.blocks),
                               atol=1e-7)


def test_jordan_groups_close_eigenvalues_and_diagonalises_them():
    rng = np.random.default_rng(1)
    p = _near_orthogonal(rng, 3)
    w = p @ np.diag([2.0, 0.3, -0.3]) @ np.linalg.inv(p)
    form = real_jordan_basis(w, epsilon=0.7)
    assert [b.size for b in form.blocks] == [1, 1, 1]
    t = form.basis
    np.testing.assert_allclose(np.linalg.inv(t) @ w @ t, np.diag([2.0, 0.3, -0.3]), atol=1e-10)


def test_intransitive_grouping_merges_or_fails_as_asked():
    w = np.diag([0.0, 0.5, 1.0])
    form = real_jordan_basis(w, epsilon=0.7)                       # linkage: one group, mean 0.5
    assert "not transitive" in form.message and "merged" in form.message
    assert [b.eigenvalue.real for b in form.blocks] == [0.5, 0.5, 0.5]
    paper = real_jordan_basis(w, epsilon=0.7, rank_tolerance=0.7, grouping="clique")
    assert isinstance(paper, Failure) and paper.stage == "normalize" and paper.method == "jnf"
    assert "not transitive" in paper.message


def test_jnf_on_a_perturbed_nilpotent_recurrence():
    """A shift register with float32-sized noise: one Jordan block J7(0)."""
    rng = np.random.default_rng(0)
    n = 7
    p = _near_orthogonal(rng, n, 0.05)
    w = p @ (np.eye(n, k=1) + 1e-7 * rng.normal(size=(n, n))) @ np.linalg.inv(p)
    form = real_jordan_basis(w)
    assert [b.size for b in form.blocks] == [7]
    t = form.basis
    np.testing.assert_allclose(np.linalg.inv(t) @ w @ t, np.eye(n, k=1), atol=1e-4)
    assert form.deviation < 1e-4


def test_jnf_errors():
    w = _planted_linear_rnn(PLANTED, 0)
    data = _data(w.config)
    with pytest.raises(ConfigError, match=r"'grouping' parameter of jnf must be one of 'linkage', 'clique'. "
                                          r"Got 'clique ' instead. Did you mean 'clique'\?"):
        jnf(w, data, grouping="clique ")
    with pytest.raises(ConfigError, match=r"'epsilon' parameter of jnf must be a float in \(0.0, 1000000000000.0\]"):
        jnf(w, data, epsilon=0)
    with pytest.raises(ConfigError, match=r"'matrix' parameter of real_jordan_basis must be a non-empty square"):
        real_jordan_basis(np.ones((2, 3)))


@pytest.mark.parametrize("config", RANDOM_CONFIGS, ids=RANDOM_IDS)
def test_jnf_and_toeplitz_are_exact_on_random_networks(config):
    w = random_weights(config, 4)
    data = random_data(config, 4)
    step = jnf(w, data, epsilon=0.05)
    assert step.accepted, step.message
    scale = max(1.0, float(np.max(np.abs(run(w, data.x_eval)[1]))))
    assert step.max_output_change < 1e-8 * scale
    t_step = toeplitz(step.after, data)
    assert t_step.accepted
    assert t_step.max_output_change < 1e-8 * scale
    _, y0 = run(w, data.x_eval)
    _, y2 = run(t_step.after, data.x_eval)
    assert np.max(np.abs(y2 - y0)) < 1e-8 * scale


@pytest.mark.parametrize("seed", range(3))
def test_toeplitz_normalises_input_weights_of_planted_real_jordan_form(seed):
    w = _planted_linear_rnn(REAL_PLANTED, seed)
    data = _data(w.config)
    j_step = jnf(w, data)
    t_step = toeplitz(j_step.after, data)
    assert t_step.accepted and t_step.changed, t_step.message
    W, X, _ = effective_maps(t_step.after)
    np.testing.assert_allclose(W, jordan_matrix(REAL_PLANTED), atol=1e-8)   # P commutes with J
    np.testing.assert_allclose(X[:, 0], [0.0, 1.0, 1.0], atol=1e-8)          # each block's input -> e_last
    assert t_step.max_output_change < 1e-8 * max(1.0, np.abs(j_step.after.f_biases[0]).max() * 10)
    # a second Toeplitz pass has nothing left to do
    again = toeplitz(t_step.after, data)
    assert not again.changed and "already" in again.message


def test_toeplitz_is_a_no_op_outside_jordan_form():
    w = random_weights(RANDOM_CONFIGS[0], 0)
    step = toeplitz(w, random_data(w.config, 0))
    assert step.accepted and not step.changed and step.after is step.before
    assert "not in Jordan form" in step.message


def test_jordan_pattern_and_toeplitz_matrix():
    w = jordan_matrix(REAL_PLANTED) + 1e-3 * np.array([[0, 0, 0], [1, 0, 0], [0, 0, 0]])
    pattern = jordan_pattern(w)
    assert pattern.blocks == (2, 1) and pattern.is_jordan and pattern.tolerance == pytest.approx(1e-3)
    assert not jordan_pattern(np.array([[0.0, 0.3], [0.6, 0.0]])).is_jordan          # below-diagonal 0.6
    assert not jordan_pattern(np.diag([0.2, 0.25]) + 0.1 * np.eye(2, k=-1)).is_jordan  # gap 0.05 < 0.1
    x = np.array([[2.0, -1.0], [3.0, 5.0], [0.5, 0.0]])
    p = toeplitz_matrix(x, (2, 1))
    # block 1 uses input column 1 (|5| > |3|): P = [[5, -1], [0, 5]]; block 2 column 0
    np.testing.assert_array_equal(p, [[5.0, -1.0, 0.0], [0.0, 5.0, 0.0], [0.0, 0.0, 0.5]])
    # a dead last row shrinks the block and puts a 1 on the diagonal
    p_dead = toeplitz_matrix(np.array([[2.0], [0.0]]), (2,))
    np.testing.assert_array_equal(p_dead, [[2.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ConfigError, match=r"'blocks' parameter of toeplitz_matrix must sum to 3"):
        toeplitz_matrix(x, (1, 1))
