"""Training: recipes reach 100% on the whole test split, folding is exact, runs are deterministic."""

import numpy as np
import pytest
import torch

from mips.errors import ConfigError, UnknownTaskError
from mips.network import RNNConfig
from mips.network.budget import Budget
from mips.network.loop import fold_standardization
from mips.network.training import evaluate, get_recipe, train
from mips.tasks import make_dataset

LINEAR2 = RNNConfig(input_dim=1, output_dim=1, hidden_dim=2)


@pytest.fixture(scope="module")
def sum_last2():
    return make_dataset("Sum_Last2", n_sequences=20_000, seed=1)


def test_fast_recipe_trains_sum_last2_to_perfect(sum_last2):
    res = train("Sum_Last2", LINEAR2, seeds=(0, 1), dataset=sum_last2)
    assert res.perfect and res.stopped == "perfect"
    assert res.test_accuracy == 1.0 and res.test_sequence_accuracy == 1.0
    # the returned network really is perfect on raw integer inputs (standardisation folded in)
    elem, seq = evaluate(res.model, sum_last2.x_test, sum_last2.y_test)
    assert elem[0] == 1.0 and seq[0] == 1.0
    assert res.model.n_seeds == 1 and res.seed in (0, 1)
    assert res.history and res.history[-1].step == res.steps


def test_training_is_deterministic(sum_last2):
    a = train("Sum_Last2", LINEAR2, seeds=(3,), dataset=sum_last2, max_steps=60)
    b = train("Sum_Last2", LINEAR2, seeds=(3,), dataset=sum_last2, max_steps=60)
    for p, q in zip(a.model.parameters(), b.model.parameters()):
        assert torch.equal(p, q)
    c = train("Sum_Last2", LINEAR2, seeds=(4,), dataset=sum_last2, max_steps=60)
    assert not torch.equal(a.model.f_w[0], c.model.f_w[0])


def test_fold_standardization_is_exact():
    from mips.network import RNN
    cfg = RNNConfig(input_dim=2, output_dim=2, hidden_dim=3, hidden_depth=2, hidden_width=4, output_depth=2,
                    output_width=3)
    model = RNN(cfg, seeds=(0,)).double()
    x = torch.randint(-10, 11, (5, 6, 2)).double()
    xm, xs = np.array([1.5, -2.0]), np.array([3.0, 0.5])
    ym, ys = np.array([10.0, -4.0]), np.array([7.0, 2.0])
    expected = model((x - torch.tensor(xm)) / torch.tensor(xs)) * torch.tensor(ys) + torch.tensor(ym)
    fold_standardization(model, xm, xs, ym, ys)
    torch.testing.assert_close(model(x), expected)


def test_evaluate_matches_naive_count(sum_last2):
    res = train("Sum_Last2", LINEAR2, seeds=(0,), dataset=sum_last2, max_steps=30)
    x, y = sum_last2.x_test[:500], sum_last2.y_test[:500]
    pred = np.round(res.model(torch.tensor(x, dtype=torch.float32))[0].detach().numpy())
    naive_elem = np.mean([pred[i, t, 0] == y[i, t, 0] for i in range(500) for t in range(y.shape[1])])
    naive_seq = np.mean([all(pred[i, t, 0] == y[i, t, 0] for t in range(y.shape[1])) for i in range(500)])
    elem, seq = evaluate(res.model, x, y)
    assert elem[0] == pytest.approx(naive_elem) and seq[0] == pytest.approx(naive_seq)


def test_paper_recipe_matches_the_paper():
    r = get_recipe("paper")
    assert (r.lr, r.batch_size, r.loss, r.eval_every, r.standardize) == (1e-3, 4096, "log", 100, False)
    assert r.steps_for("Sum_Last2") == 10_000 and r.steps_for("Min_Seen") == 20_000


def test_errors(sum_last2):
    with pytest.raises(ConfigError, match=r"'recipe' parameter of train must be one of 'fast', 'paper'. "
                                          r"Got 'fats' instead. Did you mean 'fast'\?"):
        get_recipe("fats")
    with pytest.raises(ConfigError, match=r"task 'Binary_Addition' needs input_dim=2, output_dim=1"):
        train("Binary_Addition", LINEAR2, dataset=sum_last2)
    with pytest.raises(ConfigError, match="must not repeat a seed"):
        train("Sum_Last2", LINEAR2, seeds=(1, 1), dataset=sum_last2)
    with pytest.raises(ConfigError, match=r"'max_steps' parameter of Recipe must be an int in \[1, 10000000\]"):
        train("Sum_Last2", LINEAR2, dataset=sum_last2, max_steps=0)
    with pytest.raises(UnknownTaskError, match="Unknown task 'Sum_Lst2'. Did you mean"):
        train("Sum_Lst2", LINEAR2)


def test_cancel_and_time_limit(sum_last2):
    res = train("Sum_Last2", LINEAR2, seeds=(0,), dataset=sum_last2, budget=Budget(should_stop=lambda: True))
    assert res.stopped == "cancelled" and res.steps == get_recipe("fast").eval_every
    res = train("Sum_Last2", LINEAR2, seeds=(0,), dataset=sum_last2, budget=Budget(seconds=1e-6), max_steps=5000)
    assert res.stopped in ("time_budget", "perfect")


def test_cpu_settings_are_restored(sum_last2):
    before = torch.get_num_threads()
    train("Sum_Last2", LINEAR2, seeds=(0,), dataset=sum_last2, max_steps=5, n_threads=1)
    assert torch.get_num_threads() == before
    with pytest.raises(ConfigError, match=r"'n_threads' parameter of train must be an int in \[1, 1024\]. Got 0"):
        train("Sum_Last2", LINEAR2, dataset=sum_last2, n_threads=0)
    assert torch.get_num_threads() == before
