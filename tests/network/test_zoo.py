"""The model zoo: ladder, manifest, resumable build, errors, and the shipped networks."""

import json
import os

import pytest

from mips.errors import CheckpointError, ConfigError, UnknownTaskError
from mips.network import RNNConfig, zoo
from mips.network.checkpoint import load_checkpoint
from mips.network.paper_search import SearchResult, Trial, index_of
from mips.network.rnn import RNN
from mips.network.training import FAST_RECIPE, TrainResult, evaluate
from mips.tasks import BENCHMARK_TASKS, make_dataset
from mips.tasks.automl import PAPER_ARCHITECTURES, paper_architecture


def _fake_search(log, perfect_if=lambda name: True):
    """A search that trains nothing: one made-up trial per task, recording each call."""
    def search_fn(spec, *, dataset, budget, on_event):
        log.append((spec.name, budget.work, budget.seconds))
        ok = perfect_if(spec.name)
        config = RNNConfig(input_dim=spec.input_dim, output_dim=spec.output_dim, hidden_dim=1, hidden_depth=2,
                           hidden_width=2)
        best = TrainResult(model=RNN(config, seeds=(3,)), task=spec.name, config=config, recipe=FAST_RECIPE,
                           seed=3, seeds=(2, 3), perfect=ok, test_accuracy=1.0 if ok else 0.75,
                           test_sequence_accuracy=1.0 if ok else 0.1, steps=7, seconds=0.5,
                           stopped="perfect" if ok else "plateau")
        trials = (Trial(phase="find", index=index_of(config), architecture=config.describe(), seeds=(2, 3),
                        perfect=ok, seed=3 if ok else None, test_accuracy=best.test_accuracy, steps=7, seconds=0.5,
                        group=1, work=12.5, stopped=best.stopped),)
        on_event({"event": "trial_end", **trials[0].to_dict()})
        return SearchResult(task=spec.name, best=best, found=ok, trials=trials, seconds=0.5,
                            stopped="done" if ok else "work_budget", order="practical", work=12.5,
                            first_perfect_seconds=0.4 if ok else None)
    return search_fn


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


# -- manifest -----------------------------------------------------------------------------------
def _entry(task="Parity_All", perfect=True, file="Parity_All.pt"):
    cfg = RNNConfig(input_dim=1, output_dim=1, hidden_dim=1, hidden_depth=2, hidden_width=2)
    return zoo.ZooEntry(task=task, file=file, perfect=perfect,
                        architecture={**cfg.to_dict(), "describe": cfg.describe()}, seed=3, recipe="fast",
                        steps=100, training_seconds=1.5, test_accuracy=1.0 if perfect else 0.75,
                        test_sequence_accuracy=0.5,
                        trials=({"architecture": cfg.describe(), "perfect": perfect, "accuracy": 0.75,
                                 "seconds": 1.5},))


def test_longest_first_orders_by_recorded_work(tmp_path):
    from dataclasses import replace
    entries = {"Parity_All": replace(_entry("Parity_All"), work=500.0),
               "Add_Mod_3": replace(_entry("Add_Mod_3", file="Add_Mod_3.pt"), work=9000.0),
               "Sum_All": replace(_entry("Sum_All", file="Sum_All.pt"), training_seconds=2.0)}   # no work: 2,000
    zoo.write_manifest(entries, tmp_path)
    order = zoo.longest_first(["Parity_All", "Sum_All", "Dithering", "Add_Mod_3"], tmp_path)
    assert order == ["Dithering", "Add_Mod_3", "Sum_All", "Parity_All"]     # unknown first: no record
    assert zoo.longest_first(["Sum_All", "Parity_All"], tmp_path / "none") == ["Sum_All", "Parity_All"]
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / zoo.MANIFEST_NAME).write_text("{")                 # unreadable hint: given order
    assert zoo.longest_first(["Sum_All", "Parity_All"], tmp_path / "bad") == ["Sum_All", "Parity_All"]


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
def test_build_saves_the_search_result_and_records_every_trial(tmp_path):
    log, events = [], []
    res = zoo.build_zoo(["Binary_Addition"], tmp_path, work_per_task=5000, search_fn=_fake_search(log),
                        dataset_fn=_tiny, on_event=events.append)
    entry = res.entries["Binary_Addition"]
    assert log == [("Binary_Addition", 5000, None)]
    assert entry.perfect and entry.describe == "H=1, f 2/2, g 1/-" and entry.seed == 3
    assert entry.trials[0]["architecture"] == "H=1, f 2/2, g 1/-" and entry.trials[0]["work"] == 12.5
    assert entry.search == zoo.SEARCH_NAME and entry.work == 12.5 and entry.first_perfect_seconds == 0.4
    assert [e["event"] for e in events] == ["task_start", "trial_end", "task_end"]
    assert events[1]["task"] == "Binary_Addition"
    ckpt = zoo.load_zoo_model("Binary_Addition", tmp_path)
    assert ckpt.config.hidden_width == 2 and ckpt.training["zoo"]["trials"] == list(entry.trials)
    assert zoo.manifest(tmp_path)["Binary_Addition"] == entry


def test_failed_task_keeps_its_best_network(tmp_path):
    res = zoo.build_zoo(["Majority_0_3"], tmp_path, search_fn=_fake_search([], lambda name: False),
                        dataset_fn=_tiny)
    entry = res.entries["Majority_0_3"]
    assert not entry.perfect and entry.file == "Majority_0_3.pt" and entry.test_accuracy == 0.75
    assert (tmp_path / entry.file).is_file()
    with pytest.raises(CheckpointError, match="no perfect network for task 'Majority_0_3'.*allow_imperfect"):
        zoo.load_zoo_model("Majority_0_3", tmp_path)
    assert zoo.load_zoo_model("Majority_0_3", tmp_path, allow_imperfect=True).task == "Majority_0_3"


def test_interrupted_build_resumes(tmp_path):
    log = []

    def stop_at_second(event):
        if event["event"] == "task_start" and event["index"] == 1:
            raise KeyboardInterrupt

    tasks = ["Bitwise_Not", "Parity_All", "Sum_All"]
    with pytest.raises(KeyboardInterrupt):
        zoo.build_zoo(tasks, tmp_path, search_fn=_fake_search(log), dataset_fn=_tiny, on_event=stop_at_second)
    assert list(zoo.manifest(tmp_path)) == ["Bitwise_Not"]      # written after the first task
    log.clear()
    res = zoo.build_zoo(tasks, tmp_path, search_fn=_fake_search(log), dataset_fn=_tiny)
    assert res.skipped == ("Bitwise_Not",) and res.built == ("Parity_All", "Sum_All")
    assert [name for name, _, _ in log] == ["Parity_All", "Sum_All"]
    assert list(zoo.manifest(tmp_path)) == tasks
    log.clear()
    res = zoo.build_zoo(["Bitwise_Not"], tmp_path, search_fn=_fake_search(log), dataset_fn=_tiny, force=True)
    assert res.built == ("Bitwise_Not",) and len(log) == 1


def test_real_search_on_a_tiny_dataset(tmp_path):
    res = zoo.build_zoo(["Bitwise_Not"], tmp_path, work_per_task=20_000,
                        dataset_fn=lambda s: make_dataset(s, n_sequences=2000, seed=3))
    entry = res.entries["Bitwise_Not"]
    assert entry.perfect and entry.architecture["hidden_dim"] == 1
    assert entry.trials and all(t["phase"] in ("find", "shrink") for t in entry.trials)
    data = make_dataset("Bitwise_Not", n_sequences=500, seed=9)
    acc, _ = evaluate(zoo.load_zoo_model("Bitwise_Not", tmp_path).model, data.x_test, data.y_test)
    assert acc[0] == 1.0


def test_build_and_load_errors(tmp_path):
    with pytest.raises(UnknownTaskError, match="Did you mean .*'Parity_All'"):
        zoo.build_zoo(["parity_al"], tmp_path, search_fn=_fake_search([]))
    with pytest.raises(ConfigError, match="'work_per_task' parameter of build_zoo"):
        zoo.build_zoo(["Parity_All"], tmp_path, work_per_task=0)
    with pytest.raises(ConfigError, match="must name at least one task"):
        zoo.build_zoo([], tmp_path)
    zoo.write_manifest({"Parity_All": _entry()}, tmp_path)
    with pytest.raises(UnknownTaskError, match="no network for task 'Parity_Al'. Did you mean 'Parity_All'"):
        zoo.load_zoo_model("Parity_Al", tmp_path)
    with pytest.raises(CheckpointError, match="no such file"):
        zoo.load_zoo_model("Parity_All", tmp_path)       # listed, but the .pt file is missing


@pytest.mark.slow
def test_distributed_build_writes_the_same_manifest(tmp_path):
    """Two tasks on a two-process LocalCluster, each in its own child process: real searches."""
    from mips.runtime.zoo_dispatch import build_zoo_distributed

    events = []
    res = build_zoo_distributed(["Bitwise_Not", "Bitwise_And"], tmp_path, work_per_task=3_000, n_workers=2,
                                n_sequences=2_000, on_event=events.append)
    assert set(res.built) == {"Bitwise_Not", "Bitwise_And"} and not res.skipped
    entries = zoo.manifest(tmp_path)
    assert list(entries) == ["Bitwise_And", "Bitwise_Not"]                    # paper order
    assert all(e.perfect and e.trials and e.work <= 3_000 for e in entries.values())
    assert sorted(e["task"] for e in events if e["event"] == "task_end") == ["Bitwise_And", "Bitwise_Not"]
    assert not list(tmp_path.glob(".*.entry.json"))                           # no leftovers
    again = build_zoo_distributed(["Bitwise_Not", "Bitwise_And"], tmp_path, work_per_task=3_000, n_workers=2)
    assert again.skipped == ("Bitwise_Not", "Bitwise_And") and not again.built


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
    from mips.cli.main import main

    real_build = zoo.build_zoo
    monkeypatch.setattr(zoo, "build_zoo", lambda *a, **k: real_build(*a, **k, dataset_fn=_tiny,
                                                                      search_fn=_fake_search([])))
    assert main(["zoo", "list", "--zoo-dir", str(tmp_path)]) == 1
    assert "is empty: build it with `python -m mips zoo build`" in capsys.readouterr().out
    assert main(["zoo", "build", "--tasks", "Parity_All", "Sum_All", "--out", str(tmp_path),
                 "--work-per-task", "5000", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "built 2 tasks (2 perfect), skipped 0" in out
    assert "Parity_All" in out and "find" in out and "perfect" in out          # every trial as it ends
    assert main(["zoo", "build", "--tasks", "Parity_All", "--zoo-dir", str(tmp_path), "--workers", "1"]) == 0
    assert "built 0 tasks (0 perfect), skipped 1" in capsys.readouterr().out
    assert main(["zoo", "list", "--zoo-dir", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["Parity_All", "H=1,", "f", "2/2,"] and "perfect" in lines[0]
    assert lines[-1] == "2 of 2 tasks have a perfect network."
    assert main(["zoo", "build", "--tasks", "Parity_Al", "--zoo-dir", str(tmp_path), "--workers", "1"]) == 2
    assert "Did you mean" in capsys.readouterr().err
