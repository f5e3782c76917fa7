"""`zoo build` on Dask: checkpoints come back from the workers as bytes; the client writes the zoo."""

import stat
import sys
from pathlib import Path

from mips.network import zoo
from mips.runtime import zoo_dispatch

# stands in for the interpreter of the task processes: saves a made-up checkpoint and manifest entry
# in the folder it is given (the worker's temporary folder) and records where that was
FAKE_SEARCH = """
import json, os, sys
args = sys.argv[1:]
opt = {a: args[i + 1] for i, a in enumerate(args[:-1]) if a.startswith("--")}
task, zoo_dir = opt["--one"], opt["--zoo-dir"]
open(os.path.join(zoo_dir, task + ".pt"), "wb").write(b"\\x00weights of " + task.encode())
entry = {"task": task, "file": task + ".pt", "perfect": True, "architecture": {"describe": zoo_dir},
         "seed": 3, "recipe": "fast", "steps": 7, "training_seconds": 0.5, "test_accuracy": 1.0,
         "test_sequence_accuracy": 1.0, "work": float(opt["--work"])}
open(os.path.join(zoo_dir, "." + task + ".entry.json"), "w").write(json.dumps(entry))
"""


def fake_python(tmp_path: Path, body: str) -> str:
    path = tmp_path / "fake-python"
    path.write_text(f"#!{sys.executable}\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_checkpoints_come_back_as_bytes(tmp_path):
    out = tmp_path / "zoo"
    python = fake_python(tmp_path, FAKE_SEARCH)
    res = zoo_dispatch.build_zoo_distributed(["Bitwise_Not", "Bitwise_And"], out, work_per_task=123, n_workers=1,
                                             python=python)
    assert set(res.built) == {"Bitwise_Not", "Bitwise_And"}
    entries = zoo.manifest(out)
    assert list(entries) == ["Bitwise_And", "Bitwise_Not"] and entries["Bitwise_Not"].work == 123
    for name, entry in entries.items():
        assert (out / entry.file).read_bytes() == b"\x00weights of " + name.encode()     # written by the client
        worker_dir = Path(entry.describe)
        assert worker_dir != out and not worker_dir.exists()       # the worker's temporary folder is gone
    assert sorted(p.name for p in out.iterdir()) == ["Bitwise_And.pt", "Bitwise_Not.pt", "manifest.json"]
    again = zoo_dispatch.build_zoo_distributed(["Bitwise_Not", "Bitwise_And"], out, n_workers=1, python=python)
    assert again.skipped == ("Bitwise_Not", "Bitwise_And") and not again.built


def test_failed_task_is_reported_and_left_out(tmp_path):
    events = []
    res = zoo_dispatch.build_zoo_distributed(["Bitwise_Not"], tmp_path, work_per_task=10, n_workers=1,
                                             python=fake_python(tmp_path, "raise SystemExit('no network')\n"),
                                             on_event=events.append)
    assert not res.built and zoo.manifest(tmp_path) == {}
    end = [e for e in events if e["event"] == "task_end"]
    assert len(end) == 1 and "exited with 1: no network" in end[0]["error"]
