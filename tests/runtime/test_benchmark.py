"""The benchmark: Dask dispatch, isolation of crashing and hanging tasks, resumable results."""

import json
import stat
import sys
from pathlib import Path

from mips.cli.main import main
from mips.paths import ASSETS
from mips.runtime import benchmark

ZOO = ASSETS / "zoo"
SMALL = {"n_sequences": 20_000, "length_factor": 2}


def fake_python(tmp_path: Path, body: str) -> str:
    """An executable standing in for the interpreter of the task processes."""
    path = tmp_path / "fake-python"
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


WRITE_ROW = """
while [ $# -gt 0 ]; do
  case "$1" in --one) task="$2";; --out) out="$2";; esac; shift
done
echo "{\\"task\\": \\"$task\\", \\"solved\\": true, \\"paper_index\\": 1, \\"paper_mips_solved\\": true}" > "$out"
"""


def test_local_cluster_runs_two_real_tasks(tmp_path):
    res = benchmark.run_benchmark(["Parity_All", "Sum_All"], out_dir=tmp_path, n_workers=2, time_limit=300,
                                  models={t: str(ZOO / f"{t}.pt") for t in ("Parity_All", "Sum_All")},
                                  config=SMALL)
    assert sorted(res.ran) == ["Parity_All", "Sum_All"]
    assert [r["task"] for r in res.rows] == ["Parity_All", "Sum_All"]
    assert all(r["solved"] and r["status"] == "done" for r in res.rows), res.rows
    for name in ("results.csv", "results.json", "results.md"):
        assert (tmp_path / name).stat().st_size > 0
    table = json.loads((tmp_path / "results.json").read_text())
    assert table["summary"]["solved"] == 2
    assert "solved 2/2 (paper MIPS 32/62, GPT-4 30/62)" in (tmp_path / "results.md").read_text()


def test_crashing_task_is_recorded(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"garbage")
    row = benchmark.run_task("Parity_All", str(tmp_path), model=str(bad), time_limit=120, config=SMALL)
    assert row["status"] == "crashed" and not row["solved"]
    assert "not a valid MIPS checkpoint" in row["message"]
    assert json.loads((tmp_path / "tasks" / "Parity_All.json").read_text())["status"] == "crashed"


def test_hanging_task_times_out(tmp_path):
    row = benchmark.run_task("Parity_All", str(tmp_path), time_limit=1.5,
                             python=fake_python(tmp_path, "sleep 30\n"))
    assert row["status"] == "timeout" and "1.5 s" in row["message"]
    assert row["paper_mips_solved"] is True            # the paper columns are kept for failed tasks


def test_resume_skips_finished_tasks_and_rewrites_tables(tmp_path):
    (tmp_path / "tasks").mkdir()
    (tmp_path / "tasks" / "Parity_All.json").write_text(json.dumps({"task": "Parity_All", "solved": True,
                                                                    "paper_index": 14, "paper_mips_solved": True}))
    (tmp_path / "tasks" / ".Sum_All.json.123.tmp").write_text("{half")     # a write cut short: ignored
    res = benchmark.run_benchmark(["Parity_All", "Sum_All"], out_dir=tmp_path, n_workers=1, time_limit=60,
                                  python=fake_python(tmp_path, WRITE_ROW))
    assert res.skipped == ["Parity_All"] and res.ran == ["Sum_All"]
    assert {r["task"] for r in res.rows} == {"Parity_All", "Sum_All"}
    again = benchmark.run_benchmark(["Parity_All", "Sum_All"], out_dir=tmp_path, n_workers=1, time_limit=60,
                                    python=fake_python(tmp_path, "exit 3\n"))
    assert again.ran == [] and len(again.rows) == 2


def test_summary_counts():
    rows = [{"task": "a", "paper_index": 1, "solved": True, "paper_mips_solved": True, "gpt4_solved": False},
            {"task": "b", "paper_index": 2, "solved": True, "paper_mips_solved": False, "gpt4_solved": True},
            {"task": "c", "paper_index": 3, "solved": False, "paper_mips_solved": True, "gpt4_solved": True},
            {"task": "d", "paper_index": 4, "solved": False, "paper_mips_solved": False, "gpt4_solved": False}]
    s = benchmark.summarize(rows)
    assert (s["solved"], s["only_us"], s["us_and_paper"], s["only_paper"], s["neither"]) == (2, 1, 1, 1, 1)


def test_bench_cli_unknown_task_exits_2(capsys):
    assert main(["bench", "--tasks", "Parity_Al"]) == 2
    assert "Did you mean 'Parity_All'" in capsys.readouterr().err


RECORD_ARGS = """
import json, os, sys
args = sys.argv[1:]
opt = {a: args[i + 1] for i, a in enumerate(args[:-1]) if a.startswith("--")}
row = {"task": opt["--one"], "cwd": os.getcwd(), "out": opt["--out"],
       "model": open(opt["--model"], "rb").read().hex() if "--model" in opt else None,
       "task_file": ([os.path.basename(opt["--task-file"]), open(opt["--task-file"]).read()]
                     if "--task-file" in opt else None)}
open(opt["--out"], "w").write(json.dumps(row))
"""


def recording_python(tmp_path: Path) -> str:
    """A Python script standing in for the interpreter: its row records what the child was given."""
    path = tmp_path / "recording-python"
    path.write_text(f"#!{sys.executable}\n" + RECORD_ARGS)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_models_and_task_files_travel_as_bytes(tmp_path):
    client = tmp_path / "client"
    client.mkdir()
    (client / "net.pt").write_bytes(b"\x00checkpoint bytes\xff")
    (client / "my_task.py").write_text("NAME = 'My_Task'\n")
    out = tmp_path / "out"
    res = benchmark.run_benchmark(["Parity_All", "My_Task"], out_dir=out, n_workers=1, time_limit=60,
                                  models={"Parity_All": str(client / "net.pt")},
                                  task_files={"My_Task": str(client / "my_task.py")},
                                  python=recording_python(tmp_path))
    rows = {r["task"]: r for r in res.rows}
    assert rows["Parity_All"]["model"] == b"\x00checkpoint bytes\xff".hex()
    assert rows["Parity_All"]["task_file"] is None
    assert rows["My_Task"]["task_file"] == ["my_task.py", "NAME = 'My_Task'\n"] and rows["My_Task"]["model"] is None
    for row in rows.values():                     # the child ran in a temporary folder of the worker's, now gone
        cwd = Path(row["cwd"])
        assert Path(row["out"]).parent == cwd and not cwd.exists() and client not in cwd.parents
    assert sorted(p.name for p in (out / "tasks").iterdir()) == ["My_Task.json", "Parity_All.json"]   # by the client


def test_unreadable_model_is_recorded_on_the_client(tmp_path):
    res = benchmark.run_benchmark(["Parity_All"], out_dir=tmp_path, n_workers=1, time_limit=60,
                                  models={"Parity_All": str(tmp_path / "missing.pt")},
                                  python=fake_python(tmp_path, "exit 3\n"))
    row = res.rows[0]
    assert row["status"] == "crashed" and "cannot read the task's input" in row["message"]
    assert "missing.pt" in row["message"]
    assert json.loads((tmp_path / "tasks" / "Parity_All.json").read_text())["status"] == "crashed"
