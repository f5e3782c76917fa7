"""`mips bench` against a Dask scheduler and worker started as separate processes, as a user would.

The scheduler, the worker and the client each run in their own folder under ``tmp_path``, with no
``PYTHONPATH``: the worker imports ``mips`` only because the package is installed in the virtual
environment (``make`` runs ``pip install -e .``). The client reads the zoo checkpoints and sends
them as bytes; the rows come back and the client writes them; a second run resumes from the
client's folder without any cluster.
"""

import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
TASKS = ["Parity_All", "Sum_All"]


def clean_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith(("DASK_", "MIPS_"))}
    env["TMPDIR"] = str(tmp)
    return env


def dask_command(*args: str) -> list[str]:
    script = BIN / "dask"
    return [str(script), *args] if script.exists() else [sys.executable, "-m", "dask", *args]


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def folder(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.mkdir()
    return path


def test_bench_through_a_separate_scheduler_and_worker(tmp_path):
    client_dir, worker_dir, worker_tmp = (folder(tmp_path, n) for n in ("client", "worker", "worker-tmp"))
    probe = subprocess.run([sys.executable, "-c", "import mips; print(mips.__file__)"], cwd=worker_dir,
                           env=clean_env(worker_tmp), capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        pytest.fail("the mips package is not installed in this environment (a Dask worker could not import "
                    "it): run `make venv` or `pip install -e .`\n" + probe.stderr[-500:])
    sched_file = tmp_path / "scheduler.json"
    scheduler = worker = None
    with contextlib.ExitStack() as stack:
        logs = {n: stack.enter_context(open(tmp_path / f"{n}.log", "w")) for n in ("scheduler", "worker")}
        stack.callback(lambda: (stop(worker), stop(scheduler)))        # run first: workers before the scheduler
        scheduler = subprocess.Popen(dask_command("scheduler", "--host", "127.0.0.1", "--port", "0",
                                                  "--no-dashboard", "--scheduler-file", str(sched_file)),
                                     cwd=folder(tmp_path, "scheduler"), env=clean_env(tmp_path),
                                     stdout=logs["scheduler"], stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while not sched_file.exists() or not sched_file.read_text().strip():
            assert scheduler.poll() is None and time.monotonic() < deadline, \
                (tmp_path / "scheduler.log").read_text()[-2000:]
            time.sleep(0.2)
        address = json.loads(sched_file.read_text())["address"]
        worker = subprocess.Popen(dask_command("worker", address, "--nworkers", "1", "--nthreads", "2",
                                               "--no-dashboard", "--local-directory", str(worker_tmp)),
                                  cwd=worker_dir, env=clean_env(worker_tmp),
                                  stdout=logs["worker"], stderr=subprocess.STDOUT)
        out = client_dir / "results"
        cmd = [str(BIN / "mips"), "bench", "--scheduler", address, "--tasks", *TASKS, "--from-zoo",
               "--out", str(out), "--n-sequences", "20000"]
        run = subprocess.run(cmd, cwd=client_dir, env=clean_env(client_dir), capture_output=True, text=True,
                             check=False, timeout=240)
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
        assert "ran 2 task(s), 0 already done" in run.stdout
        rows = {p.stem: json.loads(p.read_text()) for p in (out / "tasks").glob("*.json")}
        assert sorted(rows) == TASKS
        for task, row in rows.items():
            assert row["status"] == "done" and row["solved"], row
            assert row["task"] == task and row["program"]
        assert json.loads((out / "results.json").read_text())["summary"]["solved"] == 2
        # the worker wrote nothing of ours: its temporary folders are gone and its own folder is empty
        assert not list(worker_tmp.glob("mips-task-*")) and not list(worker_dir.iterdir())
        assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-2000:]
    # no cluster any more: the resumed run reads the client's folder and contacts no scheduler
    again = subprocess.run(cmd, cwd=client_dir, env=clean_env(client_dir), capture_output=True, text=True,
                           check=False, timeout=120)
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    assert "ran 0 task(s), 2 already done" in again.stdout
    assert "solved 2/2" in again.stdout
