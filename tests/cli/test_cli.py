"""The command line: tasks listing, training to a checkpoint, clear errors."""

import subprocess
import sys

import pytest

from mips.cli.main import main
from mips.network import load_checkpoint
from tests.system_packages import TRUST_TASK_FILES


def test_tasks_lists_all_62(capsys):
    assert main(["tasks"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 62
    assert lines[0].split()[1] == "Binary_Addition"
    assert any("Parity_All" in ln for ln in lines)
    assert main(["tasks", "--variants"]) == 0
    out = capsys.readouterr().out
    assert "Div_3_NoLag" in out and "Max_Seen_0_99" in out


def test_train_writes_a_checkpoint_that_loads(tmp_path, capsys):
    out = tmp_path / "m.pt"
    code = main(["train", "--task", "Sum_Last2", "--hidden-dim", "2", "--n-seeds", "2", "--out", str(out)])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "100% on the whole test split" in text
    ck = load_checkpoint(out)
    assert ck.task == "Sum_Last2" and ck.config.hidden_dim == 2
    assert ck.training["recipe"] == "fast" and ck.training["perfect"] is True
    assert ck.training["test_accuracy"] == 1.0 and ck.training["steps"] > 0


def test_train_from_task_file(tmp_path, capsys):
    task_file = tmp_path / "copy.py"
    task_file.write_text("NAME = 'copy'\nINPUT_DIM = 1\nINPUT_VALUES = [0, 1, 2]\nSEQ_LEN = 6\n"
                         "def target(xs):\n    return list(xs)\n")
    out = tmp_path / "c.pt"
    trust = ["--trust-task-file"] if TRUST_TASK_FILES else []    # no isolation here: the trusted path
    code = main(["train", "--task-file", str(task_file), "--hidden-dim", "1", "--n-seeds", "2",
                 "--steps", "1500", "--n-sequences", "5000", "--out", str(out), *trust])
    assert code == 0, capsys.readouterr().out
    assert load_checkpoint(out).task == "copy"


@pytest.mark.parametrize("argv,message", [
    (["train", "--task", "parity_al", "--search", "--out", "x.pt"], "Unknown task 'parity_al'. Did you mean 'Parity_All'?"),
    (["train", "--task", "Parity_All", "--out", "x.pt"], "Give either an architecture"),
    (["train", "--task", "Parity_All", "--hidden-dim", "0", "--out", "x.pt"],
     "The 'hidden_dim' parameter of RNNConfig must be an int in [1, 128]. Got 0 instead."),
    (["train", "--task", "Parity_All", "--hidden-dim", "2", "--recipe", "slow", "--out", "x.pt"],
     "'recipe' parameter of train must be one of 'fast', 'paper'"),
    (["train", "--task-file", "/nonexistent/t.py", "--hidden-dim", "2", "--out", "x.pt"], "/nonexistent/t.py"),
], ids=["unknown-task", "no-arch", "bad-hidden-dim", "bad-recipe", "missing-task-file"])
def test_errors_exit_2_with_a_message(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_module_entry_point_runs():
    proc = subprocess.run([sys.executable, "-m", "mips", "tasks"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "Newton_Magnetic" in proc.stdout


def test_train_search_prints_every_trial_and_a_summary(tmp_path, capsys):
    out = tmp_path / "s.pt"
    code = main(["train", "--task", "Bitwise_Not", "--search", "--n-sequences", "5000", "--search-work", "5000",
                 "--n-seeds", "2", "--out", str(out)])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "searching Bitwise_Not (practical order)" in text
    assert "find   training H=1, f 1/-, g 1/-, H=2, f 1/-, g 1/-" in text           # each group as it starts
    assert "  find   H=1, f 1/-, g 1/-" in text and "steps  acc" in text           # each trial as it ends
    assert "(practical order, " in text and "work units" in text                   # the summary
    ck = load_checkpoint(out)
    search = ck.training["search"]
    assert search["order"] == "practical" and search["found"] and search["trials"]
    assert {"architecture", "seeds", "steps", "test_accuracy", "seconds", "work"} <= set(search["trials"][0])


def test_run_without_model_searches_then_prints_the_program(tmp_path, capsys):
    code = main(["run", "--task", "Bitwise_Not", "--n-sequences", "5000", "--search-work", "5000",
                 "--regression-budget", "1", "--json", str(tmp_path / "r.json")])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "  dataset  " in text and "  search   practical order" in text
    assert "  find   H=1, f 1/-, g 1/-" in text                     # the search's trials, live
    assert text.index("  search   Bitwise_Not: H=1") < text.index("  model      ok")
    assert "def f(xs):" in text and "Bitwise_Not: SOLVED (symbolic program)" in text
