"""workbench.training_run: the Train page's runs honour the cancel flag and report progress."""

import threading
import time

import pytest

from mips.tasks import get_task, make_dataset
from workbench.training_run import (BackgroundRun, RunOutcome, TrainingLog, TrainingRecord, config_from, follow,
                                   run_training)


def test_cancel_flag_stops_training_and_progress_is_logged():
    spec = get_task("Parity_All")
    ds = make_dataset(spec, n_sequences=2000, seed=42)
    cfg = config_from(spec, {"hidden_dim": 1, "hidden_depth": 2, "hidden_width": 2, "output_depth": 1,
                             "output_width": 1})
    calls = []
    log = TrainingLog()
    out = run_training(spec, cfg, ds, log, n_seeds=1, max_steps=400, on_update=calls.append,
                       should_stop=lambda: len(calls) >= 2)
    assert out.stopped == "cancelled"
    assert len(log.steps) == len(calls) >= 2
    assert 0.0 < log.fraction < 1.0
    assert "step" in log.status


def _record_of(target):
    record = TrainingRecord(task_key="t")
    record.run = BackgroundRun(target)
    return record


def test_follow_draws_until_the_run_ends_and_keeps_its_outcome():
    release = threading.Event()
    outcome = RunOutcome(kind="train", model=None, training={}, seed=0, perfect=False, stopped="max_steps",
                         summary="done")
    record = _record_of(lambda stop: (release.wait(5), outcome)[1])
    drawn = []

    def draw(log, fraction):
        drawn.append(fraction)
        if len(drawn) == 3:
            release.set()

    follow(record, draw, poll_seconds=0.01)
    assert record.outcome is outcome and record.error is None and not record.cancelled
    assert len(drawn) >= 3 and drawn[:3] == [None, None, None]        # training: the log counts its own steps


def test_follow_reports_the_search_budget_that_runs_out_first_and_errors():
    release = threading.Event()

    def fail(stop):
        release.wait(5)
        raise ValueError("bad data")

    record = _record_of(fail)
    record.log.total_steps, record.log.elapsed, record.log.trials = 100, 80, [{"phase": "find"}]
    drawn = []

    def draw(log, fraction):
        drawn.append(fraction)
        release.set()

    follow(record, draw, seconds=1e6, work_fraction=True, poll_seconds=0.01)
    assert drawn[0] == 0.8                                     # work: 80 of 100 units, far ahead of the clock
    assert record.outcome is None and record.error == "ValueError: bad data"


def test_follow_cancels_the_worker_when_the_polling_is_interrupted():
    def until_stopped(stop):
        while not stop():
            time.sleep(0.005)

    record = _record_of(until_stopped)

    def draw(log, fraction):
        raise KeyboardInterrupt                                # a rerun stops the page mid-draw

    with pytest.raises(KeyboardInterrupt):
        follow(record, draw, poll_seconds=0.01)
    assert record.cancelled and record.run.wait(5)             # the worker saw should_stop and ended
