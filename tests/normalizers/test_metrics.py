"""The §7 metrics table: vectorised counts against loops written here."""

import numpy as np
import pytest
from normhelpers import RANDOM_CONFIGS, RANDOM_IDS, random_weights

from mips.errors import ConfigError
from mips.normalizers import compute_metrics
from mips.normalizers.basis import replace_layers


def _sprinkle(w, seed):
    """Make some parameters exact or near integers and some tiny, so every count is exercised."""
    rng = np.random.default_rng(seed)

    def edit(a):
        a = np.array(a)
        flat = a.reshape(-1)
        for i in range(flat.size):
            r = rng.random()
            if r < 0.2:
                flat[i] = 0.0
            elif r < 0.35:
                flat[i] = rng.integers(-3, 4) + rng.uniform(-0.02, 0.02)
            elif r < 0.45:
                flat[i] = rng.uniform(-0.02, 0.02)
        return a
    return replace_layers(w, **{k: [edit(a) for a in getattr(w, k)]
                                for k in ("f_weights", "f_biases", "g_weights", "g_biases")})


def naive_metrics(w, hidden, output, labels, tol=0.01):
    weights = [a for a in w.f_weights] + [a for a in w.g_weights]
    biases = [a for a in w.f_biases] + [a for a in w.g_biases]
    n_w = n_b = int_w = int_b = n_par = 0
    sq = 0.0
    for a in weights:
        for v in a.reshape(-1):
            n_par += 1
            n_w += abs(v) > tol
            int_w += abs(v - round(v)) < tol
            sq += v * v
    for a in biases:
        for v in a.reshape(-1):
            n_par += 1
            n_b += abs(v) > tol
            int_b += abs(v - round(v)) < tol
    neurons = 0
    for mlp in (w.f_weights, w.g_weights):
        for k in range(len(mlp) - 1):
            w_in, w_out = mlp[k], mlp[k + 1]
            for u in range(w_in.shape[0]):
                has_in = any(abs(w_in[u, j]) > tol for j in range(w_in.shape[1]))
                has_out = any(abs(w_out[o, u]) > tol for o in range(w_out.shape[0]))
                neurons += has_in and has_out
    H = w.config.hidden_dim
    eff = 0
    for i in range(H):
        written = any(abs(v) > tol for v in w.f_weights[-1][i])
        read = any(abs(w.f_weights[0][r, i]) > tol for r in range(w.f_weights[0].shape[0])) or \
            any(abs(w.g_weights[0][r, i]) > tol for r in range(w.g_weights[0].shape[0]))
        eff += written and read
    flat_h = list(np.asarray(hidden).reshape(-1))
    sparsity = sum(abs(v) < tol for v in flat_h) / len(flat_h)
    pairs = list(zip(np.asarray(output).reshape(-1), np.asarray(labels).reshape(-1)))
    loss = sum(0.5 * np.log(1 + (p - y) ** 2) for p, y in pairs) / len(pairs)
    acc = sum(round(p) == y for p, y in pairs) / len(pairs)
    return dict(n_neurons=neurons, n_weights=n_w, n_biases=n_b, n_integer_weights=int_w, n_integer_biases=int_b,
                n_parameters=n_par, weight_l2_norm=np.sqrt(sq), effective_hidden_dim=eff,
                activation_sparsity=sparsity, loss=loss, accuracy=acc)


@pytest.mark.parametrize("config", RANDOM_CONFIGS, ids=RANDOM_IDS)
def test_metrics_match_naive_loops(config):
    w = _sprinkle(random_weights(config, 1), seed=2)
    rng = np.random.default_rng(0)
    hidden = rng.normal(size=(20, 5, config.hidden_dim)) * (rng.random((20, 5, config.hidden_dim)) < 0.6)
    output = rng.normal(size=(20, 5, config.output_dim)) * 3
    labels = np.round(output + rng.normal(size=output.shape) * 0.4).astype(np.int64)
    got = compute_metrics(w, hidden=hidden, output=output, labels=labels).to_dict()
    want = naive_metrics(w, hidden, output, labels)
    assert got.keys() == want.keys()
    for key in want:
        assert got[key] == pytest.approx(want[key], rel=1e-12), key
    assert got["n_parameters"] == config.n_parameters


def test_metrics_on_trained_network(sum_last2):
    from mips.normalizers.forward import run
    w = sum_last2.weights
    hidden, output = run(w, sum_last2.dataset.x_test)
    m = compute_metrics(w, hidden=hidden, output=output, labels=sum_last2.dataset.y_test)
    assert m.accuracy == 1.0 and m.n_parameters == 11 and m.effective_hidden_dim == 2
    assert m.n_neurons == 0                                  # depth-1 MLPs have no hidden units
    bare = compute_metrics(w)
    assert bare.activation_sparsity is None and bare.loss is None and bare.accuracy is None
    assert bare.n_weights == m.n_weights


def test_metrics_tolerance_is_validated():
    w = random_weights(RANDOM_CONFIGS[0], 0)
    with pytest.raises(ConfigError, match=r"'tol' parameter of compute_metrics must be a float in \[0.0, 0.5\]"):
        compute_metrics(w, tol=0.7)


def test_chain_evaluation_agrees_with_compute_metrics(binary_addition):
    """evaluate_weights gathers the sparsity inside the forward pass; compare with the plain route."""
    from mips.normalizers import prepare_data
    from mips.normalizers.forward import run
    from mips.normalizers.step import evaluate_weights
    data = prepare_data(binary_addition.dataset)
    ev = evaluate_weights(binary_addition.weights, data)
    hidden, output = run(binary_addition.weights, data.x_eval)
    plain = compute_metrics(binary_addition.weights, hidden=hidden, output=output, labels=data.y_eval)
    got, want = ev.metrics.to_dict(), plain.to_dict()
    for key in want:
        assert got[key] == pytest.approx(want[key], rel=1e-12), key
    assert ev.accuracy == 1.0
