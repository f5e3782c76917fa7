"""The practical search: plan order, find / escalate / shrink, budgets, records; real searches on small tasks."""

from __future__ import annotations

import types

import numpy as np
import pytest

from mips.errors import ConfigError
from mips.network import RNNConfig
from mips.network.budget import Budget
from mips.network.find_network import as_checkpoint, find_network, trial_line
from mips.network.group_training import GroupResult, MemberOutcome
from mips.network.practical_search import (
    find_plan,
    neighbours,
    practical_search,
    size_key,
)
from mips.network.rnn import RNN
from mips.network.work import WORK_UNIT, step_cost, work_of
from mips.paths import ASSETS

SPEC = types.SimpleNamespace(name="Fake", input_dim=1, output_dim=1, seq_len=10)


def cfg(h, fd=1, fw=1, gd=1, gw=1):
    return RNNConfig(input_dim=1, output_dim=1, hidden_dim=h, hidden_depth=fd, hidden_width=fw,
                     output_depth=gd, output_width=gw)


def fake_group(perfect_if, log, work_per_member=100.0):
    """A group trainer that trains nothing: members are perfect when ``perfect_if(config)``."""
    def train_group_fn(spec, members, *, recipe, dataset, max_steps, budget, patience, on_progress):
        work_limit = budget.work
        log.append(([m.config for m in members], [m.seed for m in members], max_steps, work_limit))
        outs = []
        for m in members:
            ok = perfect_if(m.config)
            outs.append(MemberOutcome(config=m.config, seed=m.seed, perfect=ok,
                                      accuracy=1.0 if ok else 0.5 + 0.001 * m.config.hidden_dim, full_accuracy=True,
                                      sequence_accuracy=1.0 if ok else 0.1, steps=max_steps or 4000,
                                      stopped="perfect" if ok else "plateau", model=RNN(m.config, seeds=(m.seed,))))
        work = work_per_member * len(members)
        if work_limit is not None and work > work_limit:
            work = work_limit
        return GroupResult(outcomes=tuple(outs), steps=100, work=work, seconds=0.01,
                           stopped="perfect" if any(o.perfect for o in outs) else "exhausted")
    return train_group_fn


def test_plan_interleaves_linear_and_nonlinear():
    plan = find_plan(SPEC)
    kinds = ["linear" if g[0].is_linear else "nonlinear" for g in plan]
    assert kinds[0] == "linear" and kinds[1] == "nonlinear"            # not every linear H first
    first_nonlinear = kinds.index("nonlinear")
    last_linear = len(kinds) - 1 - kinds[::-1].index("linear")
    assert first_nonlinear < last_linear
    for g in plan:                                                     # a group shares its depths
        assert len({(c.hidden_depth, c.output_depth) for c in g}) == 1
    assert max(c.hidden_dim for g in plan for c in g) <= 16


def test_sizes_and_neighbours():
    assert size_key(cfg(2, 2, 64)) < size_key(cfg(3, 1))               # H first
    assert size_key(cfg(2, 1)) < size_key(cfg(2, 2, 4))                # then fewer nonlinear layers
    n = neighbours(cfg(4, 3, 64))
    assert cfg(3, 3, 64) in n and cfg(4, 3, 32) in n and cfg(4, 2, 64) in n
    assert all(size_key(c) < size_key(cfg(4, 3, 64)) for c in n)
    assert neighbours(cfg(1)) == []


def test_find_stops_at_first_perfect_then_shrinks_to_the_smallest():
    log = []
    # perfect: nonlinear f with H >= 2 and width >= 8
    res = practical_search(SPEC, dataset=object(), n_seeds=2,
                           train_group_fn=fake_group(lambda c: c.hidden_depth == 2 and c.hidden_dim >= 2
                                                     and c.hidden_width >= 8, log))
    assert res.found and res.order == "practical"
    assert res.best.config == cfg(2, 2, 8)
    phases = [t.phase for t in res.trials]
    assert phases[0] == "find" and "shrink" in phases
    # H=1, f 2/8 was trained in the find phase already; half the width is the only new neighbour
    assert [t.architecture for t in res.trials if t.phase == "shrink"] == ["H=2, f 2/4, g 1/-"]
    trained = [c for configs, _, _, _ in log for c in configs]
    assert len(trained) == len(set(trained)) * 2                      # 2 seeds each, no architecture twice
    assert all(t.seeds == (0, 1) and t.group is not None and t.work is not None for t in res.trials)
    assert res.first_perfect_seconds is not None and res.work == pytest.approx(sum(t.work for t in res.trials))


def test_shrink_moves_to_every_smaller_perfect_neighbour():
    log = []
    res = practical_search(SPEC, dataset=object(), n_seeds=1,
                           plan=[[cfg(6, 2, 64)]],
                           train_group_fn=fake_group(lambda c: c.hidden_depth == 2 and c.hidden_dim >= 3, log))
    assert res.best.config == cfg(3, 2, 2)                    # H 6 -> 3, width 64 -> 2 (4 -> 2 halves)
    assert all(t.phase == "shrink" for t in res.trials[1:])


def test_work_budget_is_counted_not_timed():
    log = []
    res = practical_search(SPEC, dataset=object(), n_seeds=3, budget=Budget(work=1000.0),
                           train_group_fn=fake_group(lambda c: False, log))
    assert res.stopped == "work_budget" and not res.found
    assert res.work == pytest.approx(1000.0)
    assert len(log) == 1 and log[0][3] == 1000.0          # the first group got the whole budget and spent it
    again = practical_search(SPEC, dataset=object(), n_seeds=3, budget=Budget(work=1000.0),
                             train_group_fn=fake_group(lambda c: False, []))
    assert [t.to_dict() | {"seconds": 0} for t in again.trials] == [t.to_dict() | {"seconds": 0} for t in res.trials]


def test_escalation_retrains_the_most_accurate_groups_with_new_seeds_then_longer():
    log = []
    plan = [[cfg(1)], [cfg(2, 2, 8)], [cfg(4, 2, 32)]]
    res = practical_search(SPEC, dataset=object(), n_seeds=2, plan=plan, budget=Budget(),
                           train_group_fn=fake_group(lambda c: False, log))
    assert res.stopped == "exhausted" and not res.found and res.best is not None
    escalations = [(configs[0].describe(), seeds, steps) for configs, seeds, steps, _ in log[3:]]
    assert escalations == [("H=4, f 2/32, g 1/-", [2, 3], 4000), ("H=2, f 2/8, g 1/-", [2, 3], 4000),
                           ("H=4, f 2/32, g 1/-", [4, 5], 8000), ("H=2, f 2/8, g 1/-", [4, 5], 8000),
                           ("H=4, f 2/32, g 1/-", [6, 7], 16000), ("H=2, f 2/8, g 1/-", [6, 7], 16000)]
    assert {t.phase for t in res.trials[3:]} == {"escalate"}


def test_parameters_are_checked():
    with pytest.raises(ConfigError, match="'n_seeds' parameter of practical_search"):
        practical_search(SPEC, dataset=object(), n_seeds=0)
    with pytest.raises(ConfigError, match="'order' parameter of find_network must be one of"):
        find_network("Parity_All", order="fast", dataset=object())


def test_work_units():
    ref = RNNConfig(input_dim=1, output_dim=1, hidden_dim=2, hidden_depth=2, hidden_width=16)
    assert work_of(ref, 1, 256, 10) == pytest.approx(1.0)
    assert WORK_UNIT == 256 * 10 * step_cost(ref)
    assert work_of(ref, 4, 512, 20) == pytest.approx(16.0)


# -- real searches on small tasks (seconds each) ------------------------------------------------

#: Binary_Addition's search (two inputs, about 20 s of CPU) runs with the slow tests; the default suite
#: searches the other three the same way
@pytest.mark.parametrize("name, n_sequences", [("Bitwise_Not", 20_000), ("Parity_All", 20_000),
                                                ("Sum_Last2", 20_000),
                                                pytest.param("Binary_Addition", 20_000, marks=pytest.mark.slow)])
def test_finds_a_perfect_network_within_a_small_budget(name, n_sequences):
    from mips.tasks.dataset import search_dataset
    data = search_dataset(name, n_sequences=n_sequences)
    events = []
    res = find_network(name, dataset=data, work_budget=20_000, on_event=events.append)
    assert res.found, res.summary()
    assert res.work <= 20_000 + 1e-6
    ends = [e for e in events if e["event"] == "trial_end"]
    assert len(ends) == len(res.trials) and events[-1]["event"] == "done"
    assert "perfect" in trial_line(ends[-1]) or "failed" in trial_line(ends[-1])
    from mips.network.training import evaluate
    acc, _ = evaluate(res.best.model, data.x_test, data.y_test)
    assert acc[0] == 1.0
    ck = as_checkpoint(res)
    assert ck.training["search"]["order"] == "practical" and ck.training["perfect"]
    assert len(ck.training["search"]["trials"]) == len(res.trials)


def test_same_task_same_seeds_same_network():
    from mips.tasks.dataset import search_dataset
    data = search_dataset("Parity_All", n_sequences=5_000)
    a = find_network("Parity_All", dataset=data, work_budget=8_000)
    b = find_network("Parity_All", dataset=data, work_budget=8_000)
    assert [t.architecture for t in a.trials] == [t.architecture for t in b.trials]
    assert [t.steps for t in a.trials] == [t.steps for t in b.trials]
    assert a.work == b.work and a.best.config == b.best.config and a.best.seed == b.best.seed
    wa, wb = a.best.model.weights(0), b.best.model.weights(0)
    assert all(np.array_equal(p, q) for p, q in zip(wa.f_weights + wa.g_weights, wb.f_weights + wb.g_weights))


def test_a_nearly_perfect_network_is_polished():
    log, polished = [], []

    def group(spec, members, **kw):
        res = fake_group(lambda c: False, log)(spec, members, **kw)
        o = res.outcomes[0]
        near = MemberOutcome(config=o.config, seed=o.seed, perfect=False, accuracy=0.9995, full_accuracy=True,
                             sequence_accuracy=0.99, steps=o.steps, stopped="max_steps", model=o.model)
        return GroupResult(outcomes=(near,) + res.outcomes[1:], steps=res.steps, work=res.work,
                           seconds=res.seconds, stopped=res.stopped)

    def polish_fn(spec, model, *, dataset, budget):
        polished.append(model.config)
        from mips.network.polish import PolishResult
        return PolishResult(model=model, perfect=True, accuracy=1.0, sequence_accuracy=1.0, steps=300, work=50.0,
                            seconds=0.1, stopped="perfect")

    res = practical_search(SPEC, dataset=object(), n_seeds=1, plan=[[cfg(2, 2, 8)]], shrink=False,
                           train_group_fn=group, polish_fn=polish_fn)
    assert polished == [cfg(2, 2, 8)] and res.found and res.best.config == cfg(2, 2, 8)
    assert [t.phase for t in res.trials] == ["find", "polish"]
    assert res.trials[1].perfect and res.trials[1].work == 50.0 and res.work == pytest.approx(100.0 + 50.0)


def test_polish_removes_the_last_errors_of_a_real_network():

    import torch

    from mips.network.checkpoint import load_checkpoint
    from mips.network.polish import polish
    from mips.network.training import evaluate
    from mips.tasks import get_task
    from mips.tasks.dataset import search_dataset

    data = search_dataset("Parity_All", n_sequences=20_000)
    net = load_checkpoint(ASSETS / "zoo" / "Parity_All.pt").model
    with torch.no_grad():                                   # nudge it until a few outputs round wrong
        net.g_b[0] += 0.39
    before, _ = evaluate(net, data.x_test, data.y_test)
    assert 0.95 < before[0] < 1.0
    res = polish(get_task("Parity_All"), net, dataset=data, max_steps=2_000)
    assert res.perfect and res.stopped == "perfect" and res.accuracy == 1.0
    after, _ = evaluate(res.model, data.x_train, data.y_train)
    assert after[0] == 1.0 and res.work > 0 and res.steps % 100 == 0


def test_mining_keeps_hard_sequences_until_they_are_safely_right():
    import torch

    from mips.network.polish import mine

    n = 10
    x = torch.arange(n, dtype=torch.float32).view(n, 1, 1)   # each sequence carries its own index
    y = torch.zeros(n, 1, 1)
    errors = torch.zeros(n)

    def net(xb):                                             # the output is off by errors[index]
        return errors[xb[:, 0, 0].long()].view(-1, 1, 1), None

    errors[2], errors[3], errors[7] = 0.9, 0.3, 0.6
    pool, wrong, n_hard, mined = mine(net, x, y, torch.zeros(0, dtype=torch.long), torch.arange(0, 5))
    assert pool.tolist() == [2, 3] and wrong.tolist() == [2] and n_hard == 2 and mined == 5
    # the next chunk does not hold 2 or 3: they stay in the pool while they are hard
    pool, wrong, n_hard, mined = mine(net, x, y, pool, torch.arange(5, 10))
    assert sorted(pool.tolist()) == [2, 3, 7] and sorted(wrong.tolist()) == [2, 7] and mined == 7
    errors[2], errors[3] = 0.1, 0.45                         # 2 is safely right now, 3 right but close
    pool, wrong, n_hard, _ = mine(net, x, y, pool, torch.arange(0, 0))
    assert sorted(pool.tolist()) == [3, 7] and wrong.tolist() == [7] and n_hard == 2
    pool, _, n_hard, _ = mine(net, x, y, pool, torch.arange(0, 10), pool_max=1)
    assert pool.tolist() == [7] and n_hard == 2              # a full pool keeps the worst


def test_architectures_cut_short_by_a_companion_are_tried_again_when_shrinking():
    log = []

    def group(spec, members, **kw):
        res = fake_group(lambda c: c.hidden_dim == 3 or (c.is_linear and c.hidden_dim <= 3 and len(log) > 1),
                         log)(spec, members, **kw)
        outs = tuple(o if o.perfect else MemberOutcome(config=o.config, seed=o.seed, perfect=False,
                                                       accuracy=o.accuracy, full_accuracy=False,
                                                       sequence_accuracy=None, steps=o.steps,
                                                       stopped="companion", model=o.model)
                     for o in res.outcomes)
        return GroupResult(outcomes=outs, steps=res.steps, work=res.work, seconds=res.seconds, stopped=res.stopped)

    res = practical_search(SPEC, dataset=object(), n_seeds=1, plan=[[cfg(1), cfg(2), cfg(3), cfg(4)]],
                           train_group_fn=group)
    # H=3 won the first group while H=1 and H=2 were stopped with it; shrinking trains H=2, then H=1
    assert [c.hidden_dim for configs, _, _, _ in log[1:] for c in configs] == [2, 1]
    assert res.best.config == cfg(1)
