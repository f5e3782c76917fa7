"""workbench.training_run: the Train page's runs honour the cancel flag and report progress."""

from mips.tasks import get_task, make_dataset
from workbench.training_run import TrainingLog, config_from, run_training


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
