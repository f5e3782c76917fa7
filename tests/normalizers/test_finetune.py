"""Fine-tuning (§6): L1 shrinks, held parameters stay put, results below 100% are refused."""

import numpy as np
import pytest

from mips.errors import ConfigError
from mips.normalizers import l1_finetune, normalize, retrain_with_zeros_fixed
from mips.normalizers.basis import replace_layers


def _l1(w):
    return sum(float(np.abs(a).sum()) for a in (*w.f_weights, *w.f_biases, *w.g_weights, *w.g_biases))


def test_l1_finetune_keeps_accuracy_and_lowers_the_total_loss(sum_last2):
    res = l1_finetune(sum_last2.weights, sum_last2.dataset, epsilon=1e-3, steps=200, eval_every=50, lr=1e-3)
    assert res.accepted and res.kind == "l1" and res.steps == 200
    assert res.metrics_after.accuracy == 1.0
    assert res.changed and res.best_step > 0
    total = lambda m, w: m.loss + 1e-3 * _l1(w)  # noqa: E731
    assert total(res.metrics_after, res.weights) < total(res.metrics_before, res.initial)
    assert _l1(res.weights) < _l1(res.initial)
    assert len(res.history) == 5 and res.history[0][0] == 0


def test_retrain_holds_the_zeros(sum_last2):
    final = normalize(sum_last2.weights, sum_last2.dataset).final
    rng = np.random.default_rng(0)

    def jitter(a):
        a = np.array(a)
        return np.where(a == 0, 0.0, a + rng.normal(scale=0.002, size=a.shape))
    noisy = replace_layers(final, **{k: [jitter(a) for a in getattr(final, k)]
                                     for k in ("f_weights", "f_biases", "g_weights", "g_biases")})
    res = retrain_with_zeros_fixed(noisy, sum_last2.dataset, steps=150, eval_every=50, lr=1e-3)
    assert res.n_held == sum(int(np.sum(np.asarray(a) == 0)) for a in (*noisy.f_weights, *noisy.g_weights,
                                                                        *noisy.f_biases, *noisy.g_biases))
    assert res.n_held > 0
    for name in ("f_weights", "f_biases", "g_weights", "g_biases"):
        for before, after in zip(getattr(noisy, name), getattr(res.weights, name)):
            assert np.all(after[before == 0] == 0)
    assert res.changed and res.accepted
    assert res.metrics_after.loss < res.metrics_before.loss and res.metrics_after.accuracy == 1.0


def test_a_result_below_100_percent_is_refused(sum_last2, monkeypatch):
    """The kept checkpoint is re-checked on the whole test split; pretend that check finds an error."""
    import dataclasses

    import mips.normalizers.finetune as ft

    real = ft.evaluate_weights
    calls = []

    def pessimistic(weights, data):
        ev = real(weights, data)
        calls.append(weights)
        if len(calls) == 1:                      # the input network: really at 100%
            return ev
        return dataclasses.replace(ev, accuracy=0.999)

    monkeypatch.setattr(ft, "evaluate_weights", pessimistic)
    res = l1_finetune(sum_last2.weights, sum_last2.dataset, epsilon=1e-3, lr=1e-3, steps=100, eval_every=20)
    assert len(calls) == 2, "no checkpoint was kept, so the refusal path was not reached"
    assert not res.accepted and res.weights is res.initial and not res.changed
    assert res.message.startswith("refused: the best checkpoint (step ")
    assert "has test accuracy 99.9000% < 100%; the input is returned unchanged" in res.message
    assert res.metrics_after == res.metrics_before


def test_time_limit_and_validation(sum_last2):
    res = retrain_with_zeros_fixed(sum_last2.weights, sum_last2.dataset, steps=100_000, time_limit_seconds=0.3)
    assert res.stopped == "time_limit" and res.steps < 100_000
    with pytest.raises(ConfigError, match=r"'hold' parameter of retrain_with_zeros_fixed must be one of 'zeros', "
                                          r"'integers'. Got 'zero' instead. Did you mean 'zeros'\?"):
        retrain_with_zeros_fixed(sum_last2.weights, sum_last2.dataset, hold="zero")
    with pytest.raises(ConfigError, match=r"'lr' parameter of l1_finetune must be a float in \(0.0, 1.0\]"):
        l1_finetune(sum_last2.weights, sum_last2.dataset, lr=0)
    with pytest.raises(ConfigError, match=r"'dataset' parameter of l1_finetune must be a Dataset"):
        l1_finetune(sum_last2.weights, None)
