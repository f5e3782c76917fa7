"""The model zoo: ladder, manifest, resumable build, errors, and the shipped networks."""

import json
import os

import pytest

from mips import zoo
from mips.errors import CheckpointError, ConfigError, UnknownTaskError
from mips.models import RNNConfig
from mips.models.checkpoint import load_checkpoint
from mips.models.rnn import RNN
from mips.tasks import BENCHMARK_TASKS, get_task, make_dataset
from mips.tasks.automl import PAPER_ARCHITECTURES, paper_architecture
from mips.training import FAST_RECIPE, TrainResult, evaluate


def _fake_train(log, perfect_if=lambda cfg: True):
    """A trainer that returns an untrained network and a made-up outcome, recording each call."""
    def train_fn(spec, config, *, recipe, seeds, dataset, time_limit_seconds):
        log.append((spec.name, config, time_limit_seconds))
        ok = perfect_if(config)
        return TrainResult(model=RNN(config, seeds=(seeds[0],)), task=spec.name, config=config,
                           recipe=FAST_RECIPE, seed=seeds[0], seeds=tuple(seeds), perfect=ok,
                           test_accuracy=1.0 if ok else 0.5 + 0.01 * config.hidden_dim,
                           test_sequence_accuracy=1.0 if ok else 0.1, steps=7, seconds=0.5,
                           stopped="perfect" if ok else "plateau")
    return train_fn


def _tiny(spec):
    return make_dataset(spec, n_sequences=200, seed=1)


# -- Table B and the ladder ---------------------------------------------------------------------
def test_paper_table_covers_the_benchmark_in_order():
    assert tuple(PAPER_ARCHITECTURES) == BENCHMARK_TASKS
    a = paper_architecture("Binary_Addition")          # Table B row 1: H=2, f 2/4, g 1/-, seed 4
    assert (a.hidden_dim, a.hidden_depth, a.hidden_width, a.output_depth, a.seed) == (2, 2, 4, 1, 4)
    assert paper_architecture("Abs_Diff").output_depth == 2
    with pytest.raises(UnknownTaskError, match="Did you mean .*'Parity_All'"):
        paper_architecture("parity_al")


@pytest.mark.parametrize("name", BENCHMARK_TASKS)
def test_ladder_shape(name):
    spec, paper = get_task(name), PAPER_ARCHITECTURES[name]
    ladder = zoo.candidates(spec)
    assert 1 <= len(ladder) <= zoo.MAX_CANDIDATES
    assert len(set(ladder)) == len(ladder)
    assert all(c.input_dim == spec.input_dim and c.output_dim == spec.output_dim for c in ladder)
    first = ladder[0]
    if paper.is_linear:
        assert all(c.is_linear for c in ladder)
        assert first.hidden_dim == paper.hidden_dim
    elif paper.hidden_dim > zoo.LARGE_HIDDEN_DIM:
        assert max(c.hidden_dim for c in ladder) <= 6
    else:
        assert (first.hidden_dim, first.hidden_depth, first.output_depth) == \
            (paper.hidden_dim, paper.hidden_depth, paper.output_depth)
        assert first.hidden_width == min(paper.hidden_width, zoo.MAX_ZOO_WIDTH)
    assert all(c.hidden_width <= zoo.MAX_ZOO_WIDTH for c in ladder)


# -- manifest -----------------------------------------------------------------------------------
def _entry(task="Parity_All", perfect=True, file="Parity_All.pt"):
    cfg = RNNConfig(input_dim=1, output_dim=1, hidden_dim=1, hidden_depth=2, hidden_width=2)
    return zoo.ZooEntry(task=task, file=file, perfect=perfect,
                        architecture={**cfg.to_dict(), "describe": cfg.describe()}, seed=3, recipe="fast",
                        steps=100, training_seconds=1.5, test_accuracy=1.0 if perfect else 0.75,
                        test_sequence_accuracy=0.5,
                        trials=({"architecture": cfg.describe(), "perfect": perfect, "accuracy": 0.75,
                                 "seconds": 1.5},))


def test_manifest_round_trip(tmp_path):
    entries = {"Parity_All": _entry(), "Binary_Addition": _entry("Binary_Addition", False, "B.pt")}
    zoo.write_manifest(entries, tmp_path)
    assert zoo.manifest(tmp_path) == entries
    data = json.loads((tmp_path / "manifest.json").read_text())
    assert list(data["tasks"]) == ["Binary_Addition", "Parity_All"]        # paper order
    assert data["tasks"]["Parity_All"]["architecture"]["describe"] == "H=1, f 2/2, g 1/-"
    assert zoo.manifest(tmp_path / "nowhere") == {}


def test_manifest_write_is_atomic(tmp_path, monkeypatch):
    zoo.write_manifest({"Parity_All": _entry()}, tmp_path)
    before = (tmp_path / "manifest.json").read_bytes()

    def broken_dump(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(zoo.json, "dump", broken_dump)
    with pytest.raises(OSError, match="disk full"):
        zoo.write_manifest({"Parity_All": _entry(), "Sum_All": _entry("Sum_All")}, tmp_path)
    assert (tmp_path / "manifest.json").read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["manifest.json"]                 # no temp file left


def test_corrupt_manifest_message(tmp_path):
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="Cannot read the zoo manifest .* --force"):
        zoo.manifest(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(CheckpointError, match="is not a zoo manifest"):
        zoo.manifest(tmp_path)


# -- build ------------------------------------------------------------------------------------
def test_ladder_stops_at_first_perfect_and_records_every_trial(tmp_path):
    log = []
    res = zoo.build_zoo(["Binary_Addition"], tmp_path, time_budget_per_task=40,
                        train_fn=_fake_train(log, lambda c: c.hidden_width >= 32), dataset_fn=_tiny)
    entry = res.entries["Binary_Addition"]
    assert [c.describe() for _, c, _ in log] == ["H=2, f 2/4, g 1/-", "H=2, f 2/32, g 1/-"]
    assert log[0][2] == pytest.approx(20, abs=0.5)          # the paper's network gets half the budget
    assert entry.perfect and entry.describe == "H=2, f 2/32, g 1/-"
    assert [t["perfect"] for t in entry.trials] == [False, True]
    assert entry.search == zoo.SEARCH_NAME
    ckpt = zoo.load_zoo_model("Binary_Addition", tmp_path)
    assert ckpt.config.hidden_width == 32 and ckpt.training["zoo"]["trials"] == list(entry.trials)


def test_failed_task_keeps_its_best_network(tmp_path):
    log = []
    res = zoo.build_zoo(["Majority_0_3"], tmp_path, time_budget_per_task=4,
                        train_fn=_fake_train(log, lambda c: False), dataset_fn=_tiny)
    entry = res.entries["Majority_0_3"]
    assert len(log) == len(entry.trials) == len(zoo.candidates(get_task("Majority_0_3")))
    assert not entry.perfect and entry.file == "Majority_0_3.pt"
    assert entry.test_accuracy == max(t["accuracy"] for t in entry.trials)
    assert (tmp_path / entry.file).is_file()
    with pytest.raises(CheckpointError, match="no perfect network for task 'Majority_0_3'.*allow_imperfect"):
        zoo.load_zoo_model("Majority_0_3", tmp_path)
    assert zoo.load_zoo_model("Majority_0_3", tmp_path, allow_imperfect=True).task == "Majority_0_3"


def test_custom_ladder_is_used_and_recorded(tmp_path):
    log = []
    cfg = RNNConfig(input_dim=1, output_dim=1, hidden_dim=2, hidden_depth=2, hidden_width=16)
    res = zoo.build_zoo(["Parity_Last2"], tmp_path, ladders={"Parity_Last2": [cfg]},
                        train_fn=_fake_train(log), dataset_fn=_tiny)
    assert [c for _, c, _ in log] == [cfg]
    assert res.entries["Parity_Last2"].search == f"{zoo.SEARCH_NAME} (custom ladder)"
    with pytest.raises(ConfigError, match="ladder for task 'Parity_Last2' must hold at least one"):
        zoo.build_zoo(["Parity_Last2"], tmp_path, ladders={"Parity_Last2": []}, force=True,
                      train_fn=_fake_train(log), dataset_fn=_tiny)


def test_interrupted_build_resumes(tmp_path):
    log = []

    def stop_at_second(event):
        if event["event"] == "task_start" and event["index"] == 1:
            raise KeyboardInterrupt

    tasks = ["Bitwise_Not", "Parity_All", "Sum_All"]
    with pytest.raises(KeyboardInterrupt):
        zoo.build_zoo(tasks, tmp_path, train_fn=_fake_train(log), dataset_fn=_tiny, on_event=stop_at_second)
    assert list(zoo.manifest(tmp_path)) == ["Bitwise_Not"]      # written after the first task
    log.clear()
    res = zoo.build_zoo(tasks, tmp_path, train_fn=_fake_train(log), dataset_fn=_tiny)
    assert res.skipped == ("Bitwise_Not",) and res.built == ("Parity_All", "Sum_All")
    assert [name for name, _, _ in log] == ["Parity_All", "Sum_All"]
    assert list(zoo.manifest(tmp_path)) == tasks
    log.clear()
    res = zoo.build_zoo(["Bitwise_Not"], tmp_path, train_fn=_fake_train(log), dataset_fn=_tiny, force=True)
    assert res.built == ("Bitwise_Not",) and len(log) == 1


def test_real_training_on_a_tiny_dataset(tmp_path):
    res = zoo.build_zoo(["Bitwise_Not"], tmp_path, time_budget_per_task=20,
                        dataset_fn=lambda s: make_dataset(s, n_sequences=2000, seed=3))
    entry = res.entries["Bitwise_Not"]
    assert entry.perfect and entry.architecture["hidden_dim"] == 1
    data = make_dataset("Bitwise_Not", n_sequences=500, seed=9)
    acc, _ = evaluate(zoo.load_zoo_model("Bitwise_Not", tmp_path).model, data.x_test, data.y_test)
    assert acc[0] == 1.0


def test_build_and_load_errors(tmp_path):
    with pytest.raises(UnknownTaskError, match="Did you mean .*'Parity_All'"):
        zoo.build_zoo(["parity_al"], tmp_path, train_fn=_fake_train([]))
    with pytest.raises(ConfigError, match="'time_budget_per_task' parameter of build_zoo"):
        zoo.build_zoo(["Parity_All"], tmp_path, time_budget_per_task=0)
    with pytest.raises(ConfigError, match="must name at least one task"):
        zoo.build_zoo([], tmp_path)
    zoo.write_manifest({"Parity_All": _entry()}, tmp_path)
    with pytest.raises(UnknownTaskError, match="no network for task 'Parity_Al'. Did you mean 'Parity_All'"):
        zoo.load_zoo_model("Parity_Al", tmp_path)
    with pytest.raises(CheckpointError, match="no such file"):
        zoo.load_zoo_model("Parity_All", tmp_path)       # listed, but the .pt file is missing


# -- the shipped zoo --------------------------------------------------------------------------
SHIPPED = zoo.manifest()


def test_shipped_zoo_covers_every_task():
    assert list(SHIPPED) == list(BENCHMARK_TASKS)
    for name, entry in SHIPPED.items():
        assert entry.file == f"{name}.pt" and (zoo.ZOO_DIR / entry.file).is_file()
        assert entry.trials and entry.perfect == any(t["perfect"] for t in entry.trials)
        assert entry.perfect == (entry.test_accuracy == 1.0)


@pytest.mark.parametrize("name", BENCHMARK_TASKS)
def test_shipped_network_loads_and_is_perfect(name):
    entry = SHIPPED[name]
    ckpt = load_checkpoint(zoo.ZOO_DIR / entry.file)
    assert ckpt.task == name and ckpt.seed == entry.seed
    assert ckpt.config.describe() == entry.describe
    data = make_dataset(name, n_sequences=4000, seed=2024)        # fresh sequences, not the training data
    acc, _ = evaluate(ckpt.model, data.x_test[:2000], data.y_test[:2000])
    if entry.perfect:
        assert acc[0] == 1.0
    else:                                                           # the recorded accuracy is real
        assert entry.test_accuracy < 1.0 and abs(acc[0] - entry.test_accuracy) < 0.01


# -- command line ---------------------------------------------------------------------------
def test_cli_build_then_list(tmp_path, monkeypatch, capsys):
    from mips.__main__ import main

    real_build = zoo.build_zoo
    monkeypatch.setattr(zoo, "build_zoo", lambda *a, **k: real_build(*a, **k, dataset_fn=_tiny,
                                                                      train_fn=_fake_train([])))
    assert main(["zoo", "list", "--zoo-dir", str(tmp_path)]) == 1
    assert "is empty: build it with `python -m mips zoo build`" in capsys.readouterr().out
    assert main(["zoo", "build", "--tasks", "Parity_All", "Sum_All", "--zoo-dir", str(tmp_path),
                 "--time-budget-per-task", "5"]) == 0
    assert "built 2 tasks (2 perfect), skipped 0" in capsys.readouterr().out
    assert main(["zoo", "build", "--tasks", "Parity_All", "--zoo-dir", str(tmp_path)]) == 0
    assert "built 0 tasks (0 perfect), skipped 1" in capsys.readouterr().out
    assert main(["zoo", "list", "--zoo-dir", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["Parity_All", "H=1,", "f", "2/2,"] and "perfect" in lines[0]
    assert lines[-1] == "2 of 2 tasks have a perfect network."
    assert main(["zoo", "build", "--tasks", "Parity_Al", "--zoo-dir", str(tmp_path)]) == 2
    assert "Did you mean" in capsys.readouterr().err
