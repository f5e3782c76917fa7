"""The smallest-network search: index order, the paper's sweep, bisection, budget."""

import types

import pytest

from mips.errors import ConfigError
from mips.network import RNNConfig
from mips.network.budget import Budget
from mips.network.paper_search import (
    N_ARCHITECTURES,
    START_INDEX,
    architecture_at,
    config_at,
    equivalent,
    index_of,
    search,
)

SPEC = types.SimpleNamespace(name="Fake", input_dim=1, output_dim=1)


def test_index_space_matches_paper():
    assert N_ARCHITECTURES == 3 * 3 * 128 * 256 * 256 == 75_497_472
    assert architecture_at(START_INDEX) == (1, 1, 2, 1, 1)          # linear RNN, H = 2
    assert architecture_at(49_152) == (1, 1, 1, 193, 1)             # the paper's H = 1 example
    assert architecture_at(N_ARCHITECTURES - 1) == (3, 3, 128, 256, 256)


@pytest.mark.parametrize("n", [0, 1, 255, 256, 65_535, 65_536, 12_345_678, N_ARCHITECTURES - 1])
def test_index_round_trip(n):
    od, hd, h, ow, hw = architecture_at(n)
    # written out naively: most significant digit first
    assert n == (od - 1) * 3 * 128 * 256 * 256 + (hd - 1) * 128 * 256 * 256 + (h - 1) * 256 * 256 \
        + (ow - 1) * 256 + (hw - 1)
    cfg = config_at(n, 1, 1)
    if hd > 1 and od > 1:
        assert index_of(cfg) == n


def test_equivalence_ignores_meaningless_widths():
    a = index_of(RNNConfig(input_dim=1, output_dim=1, hidden_dim=3))
    assert equivalent(a, a + 5)               # hw differs, hd = 1
    assert equivalent(a, a + 5 * 256)         # ow differs, od = 1
    b = index_of(RNNConfig(input_dim=1, output_dim=1, hidden_dim=3, hidden_depth=2, hidden_width=4))
    assert not equivalent(b, b + 1)           # hw matters at depth 2
    assert not equivalent(a, -1)


def test_bad_index_message():
    with pytest.raises(ConfigError, match=r"'index' parameter of architecture_at must be an int in \[0, 75497471\]"):
        architecture_at(N_ARCHITECTURES)


def _fake_train(predicate, log):
    def train_fn(spec, cfg, *, recipe, seeds, dataset, budget):
        ok = predicate(cfg)
        log.append(cfg)
        return types.SimpleNamespace(perfect=ok, seed=seeds[0], test_accuracy=1.0 if ok else 0.5,
                                     steps=10, seconds=0.0, config=cfg)
    return train_fn


def test_sweep_visits_the_papers_linear_sequence():
    log = []
    res = search(SPEC, train_fn=_fake_train(lambda c: False, log), dataset=object())
    linear = [c.hidden_dim for c in log if c.is_linear]
    assert linear == [2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 23, 27, 32, 39, 46, 54, 64, 77, 91, 108, 128]
    depth2 = [c.hidden_dim for c in log if c.hidden_depth == 2 and c.output_depth == 1]
    assert depth2[:4] == [25, 54, 88, 128]
    assert not res.found and res.stopped == "exhausted"


def test_bisection_finds_smallest_success():
    # Success is monotone in the index: the smallest perfect index is the threshold.
    threshold = index_of(RNNConfig(input_dim=1, output_dim=1, hidden_dim=1, hidden_depth=2, hidden_width=37))
    log = []
    res = search(SPEC, train_fn=_fake_train(lambda c: index_of(c) >= threshold, log), dataset=object())
    assert res.found
    assert index_of(res.best.config) == threshold
    assert res.best.config.describe() == "H=1, f 2/37, g 1/-"
    phases = {t.phase for t in res.trials}
    assert phases == {"sweep", "bisect"}


def test_bisection_inherits_equivalent_outcomes():
    log = []
    res = search(SPEC, train_fn=_fake_train(lambda c: c.hidden_dim >= 3, log), dataset=object())
    assert res.best.config.describe() == "H=3, f 1/-, g 1/-"
    inherited = [t for t in res.trials if t.inherited_from is not None]
    assert inherited, "widths of depth-1 networks must not be retrained"
    # no architecture is trained twice
    trained = [index_of(c) for c in log]
    assert len(trained) == len(set(trained))


def test_time_budget_stops_and_reports_best_so_far():
    import time

    def slow(spec, cfg, **kw):
        time.sleep(0.05)
        return types.SimpleNamespace(perfect=False, seed=0, test_accuracy=cfg.hidden_dim / 1000, steps=1,
                                     seconds=0.05, config=cfg)

    res = search(SPEC, train_fn=slow, dataset=object(), budget=Budget(seconds=0.12))
    assert res.stopped == "time_budget"
    assert not res.found and res.best is not None
    assert 1 <= len(res.trials) <= 4


def test_cancel_stops_between_trials():
    log = []
    calls = iter([False, False, True])
    res = search(SPEC, train_fn=_fake_train(lambda c: False, log), dataset=object(),
                 budget=Budget(should_stop=lambda: next(calls, True)))
    assert res.stopped == "cancelled" and len(log) == 2


def test_search_validates_parameters():
    with pytest.raises(ConfigError, match="'n_seeds' parameter of search must be an int in \\[1, 64\\]. Got 0"):
        search(SPEC, n_seeds=0, dataset=object())
    with pytest.raises(ConfigError, match="counts no work"):
        search(SPEC, dataset=object(), budget=Budget(work=100.0))


@pytest.mark.slow
def test_real_search_finds_a_perfect_parity_all_network():
    from mips.tasks import get_task, make_dataset
    data = make_dataset("Parity_All", n_sequences=20_000, seed=42)
    res = search(get_task("Parity_All"), dataset=data, n_seeds=4, budget=Budget(seconds=900))
    assert res.found, res.summary()
    assert not res.best.config.is_linear          # parity needs a non-linearity
    assert all(not t.perfect for t in res.trials if t.architecture.endswith("f 1/-, g 1/-"))
