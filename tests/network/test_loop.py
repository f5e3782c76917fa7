"""The one training loop and its budget: when evaluations come, and in which order the stop checks run."""

from __future__ import annotations

import pytest

from mips.errors import ConfigError
from mips.network.budget import Budget
from mips.network.loop import Schedule, run_loop


class Recorder:
    """A trainer that does no training: it logs steps and evaluations, and stops when told."""

    def __init__(self, meter, work_per_step=1.0, verdict_at=None, after_at=None):
        self.meter, self.work_per_step = meter, work_per_step
        self.verdict_at, self.after_at = verdict_at or {}, after_at or {}
        self.log = []

    def step(self, step):
        self.log.append(("step", step))
        self.meter.add(self.work_per_step)

    def evaluate(self, step):
        self.log.append(("eval", step))
        return self.verdict_at.get(step)

    def after(self, step):
        self.log.append(("after", step))
        return self.after_at.get(step)


def test_evaluations_come_after_every_few_steps_and_after_the_last():
    meter = Budget().start()
    t = Recorder(meter)
    assert run_loop(t, meter, Schedule(total_steps=5, every=2)) == (5, "max_steps")
    assert [s for kind, s in t.log if kind == "eval"] == [2, 4, 5]
    assert meter.work == 5.0


def test_evaluations_before_the_step_start_at_zero_and_skip_the_end():
    meter = Budget().start()
    t = Recorder(meter)
    assert run_loop(t, meter, Schedule(total_steps=4, every=2, before_step=True)) == (4, "max_steps")
    assert [s for kind, s in t.log if kind == "eval"] == [0, 2]
    assert t.log[:2] == [("eval", 0), ("after", 0)] and t.log[2] == ("step", 0)


def test_the_trainers_verdict_comes_first_then_the_budget_then_the_verdict_after_it():
    meter = Budget(work=3.0).start()
    t = Recorder(meter, verdict_at={4: "perfect"}, after_at={4: "plateau"})
    assert run_loop(t, meter, Schedule(total_steps=10, every=2)) == (4, "perfect")
    meter = Budget(work=3.0).start()
    t = Recorder(meter, after_at={4: "plateau"})
    assert run_loop(t, meter, Schedule(total_steps=10, every=2)) == (4, "work_budget")
    assert ("after", 4) not in t.log                       # the budget stopped it before
    meter = Budget(work=30.0).start()
    t = Recorder(meter, after_at={6: "plateau"})
    assert run_loop(t, meter, Schedule(total_steps=10, every=2)) == (6, "plateau")


def test_cancel_is_asked_before_work_and_seconds():
    meter = Budget(work=1.0, seconds=1e-9, should_stop=lambda: True).start()
    meter.add(5.0)
    assert meter.reason() == "cancelled"
    meter = Budget(work=1.0, seconds=1e-9).start()
    meter.add(5.0)
    assert meter.reason() == "work_budget"
    assert Budget(seconds=1e-9).start().reason() == "time_budget"
    assert Budget().start().reason() is None


def test_what_remains_is_a_budget_for_a_part_of_the_run():
    stop = lambda: False     # noqa: E731
    meter = Budget(work=100.0, should_stop=stop).start()
    meter.add(30.0)
    left = meter.remaining()
    assert left.work == 70.0 and left.seconds is None and left.should_stop is stop


@pytest.mark.parametrize("kw", [{"work": 0.0}, {"work": -1.0}, {"seconds": 0.0}])
def test_a_budget_must_be_positive(kw):
    with pytest.raises(ConfigError, match="parameter of Budget"):
        Budget(**kw)
