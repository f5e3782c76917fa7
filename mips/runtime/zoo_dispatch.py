"""Building the zoo on a Dask cluster, as the benchmark does (issue 12).

Each task's search runs in its own process (``python -m mips.runtime.zoo_dispatch --one TASK ...``), so a
task that crashes or runs out of memory is reported and the others finish; the processes are
dispatched with Dask ``distributed``: a ``LocalCluster`` with one worker per core by default, or
any scheduler address. The child saves ``<task>.pt`` and its manifest entry in a temporary folder
on the worker, which sends both back as bytes; this process writes the checkpoint into the zoo
folder and adds the entry to ``manifest.json`` (atomically) as soon as the task is done, so a
killed build resumes where it stopped and the workers need no shared folder. Every task's search
is independent of the others (its own dataset, seeds and work budget), so the zoo is the same
whatever the number of workers.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from mips.errors import ConfigError, check_float
from mips.network.training import cpu_settings
from mips.network.zoo import (DEFAULT_WORK_PER_TASK, ZOO_DIR, BuildResult, EventFn, ZooEntry, longest_first,
                              manifest, task_end_event, train_task, write_manifest)
from mips.runtime.benchmark import child_env
from mips.runtime.dask_client import dask_client
from mips.runtime.worker_reply import decode_zoo, encode_zoo, finished_reply
from mips.tasks import BENCHMARK_TASKS, get_task, search_dataset

log = logging.getLogger(__name__)


def _entry_path(zoo_dir: Path, task: str) -> Path:
    return zoo_dir / f".{task}.entry.json"


def run_zoo_task(task: str, *, work_per_task: float, time_budget_per_task: float | None = None,
                 n_sequences: int | None = None, python: str | None = None) -> bytes:
    """Search one task in a child process (on a Dask worker); return what the client stores, as JSON
    bytes (:func:`mips.runtime.worker_reply.encode_zoo`; the client reads them as data with
    :func:`mips.runtime.worker_reply.decode_zoo`). Never raises: a failure is an ``error`` reply.

    The child builds into a temporary folder that this function creates on the worker and
    removes afterwards; the result is ``{"entry": <manifest entry dict>, "checkpoint": <bytes of
    the .pt file>}`` (or ``{"task", "error", "seconds"}``), so the worker needs no shared folder:
    the client writes the checkpoint and the manifest. ``python``: the child's interpreter
    (default: this process's).
    """
    start = time.perf_counter()
    try:
        return encode_zoo(_run_zoo_child(task, start, work_per_task, time_budget_per_task, n_sequences, python))
    except Exception as exc:  # noqa: BLE001 - an exception would travel pickled: send an error reply
        return encode_zoo({"task": task, "error": f"{type(exc).__name__}: {str(exc)[:300]}",
                           "seconds": time.perf_counter() - start})


def _run_zoo_child(task: str, start: float, work_per_task: float, time_budget_per_task: float | None,
                   n_sequences: int | None, python: str | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="mips-zoo-") as tmp_dir:
        zoo_dir = Path(tmp_dir)
        out = _entry_path(zoo_dir, task)
        cmd = [python or sys.executable, "-m", "mips.runtime.zoo_dispatch", "--one", task,
               "--zoo-dir", str(zoo_dir), "--work", repr(float(work_per_task))]
        if time_budget_per_task is not None:
            cmd += ["--seconds", repr(float(time_budget_per_task))]
        if n_sequences is not None:
            cmd += ["--n-sequences", str(int(n_sequences))]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=child_env(), cwd=zoo_dir, check=False)
        if proc.returncode == 0 and out.exists():
            entry = json.loads(out.read_text())
            try:
                checkpoint = (zoo_dir / entry["file"]).read_bytes()
            except (KeyError, TypeError, OSError) as exc:
                return {"task": task, "error": f"the task's process saved no checkpoint ({exc})",
                        "seconds": time.perf_counter() - start}
            return {"entry": entry, "checkpoint": checkpoint}
        tail = (proc.stderr or proc.stdout or "").strip().splitlines()[-1:] or ["no output"]
        return {"task": task, "error": f"the task's process exited with {proc.returncode}: {tail[0][:300]}",
                "seconds": time.perf_counter() - start}


def _write_checkpoint(zoo_dir: Path, file: str, data: bytes) -> str:
    """Write a checkpoint sent back by a worker into the zoo folder (atomically, readable by all).

    Returns its name in the zoo folder (the manifest's ``file``)."""
    path = zoo_dir / Path(file).name
    fd, tmp = tempfile.mkstemp(dir=zoo_dir, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path.name


def build_zoo_distributed(tasks: Sequence[str] | None = None, zoo_dir: str | os.PathLike | None = None, *,
                          work_per_task: float = DEFAULT_WORK_PER_TASK, time_budget_per_task: float | None = None,
                          force: bool = False, scheduler: str | None = None, n_workers: int | None = None,
                          n_sequences: int | None = None, on_event: EventFn | None = None,
                          python: str | None = None) -> BuildResult:
    """:func:`mips.network.zoo.build_zoo` with each task in its own process on a Dask cluster.

    ``scheduler``: an existing Dask scheduler's address (its workers need the ``mips`` package
    installed, nothing else: checkpoints come back as bytes and are written here); default a
    ``LocalCluster`` of ``n_workers`` processes (default: the machine's cores). ``n_sequences``:
    dataset size per task (default the task's, 1,000,000). Tasks that fail are reported in
    ``task_end`` events with an ``error`` and left out of the manifest (a later build retries them).
    ``python``: the interpreter of the task processes (default: each worker's own).
    """
    from distributed import as_completed   # deferred: Dask takes seconds to import; only the dispatch needs it

    for name in [n for n in logging.root.manager.loggerDict if n.split(".")[0] in ("distributed", "dask")]:
        if logging.getLogger(name).level < logging.WARNING:
            logging.getLogger(name).setLevel(logging.WARNING)
    check_float("build_zoo", "work_per_task", work_per_task, 0.0, 1e12, low_open=True)
    names = list(BENCHMARK_TASKS if tasks is None else tasks)
    if not names:
        raise ConfigError("The 'tasks' parameter of build_zoo must name at least one task. Got [] instead.")
    for n in names:
        get_task(n)                                   # unknown names fail before anything starts
    zoo = Path(zoo_dir if zoo_dir is not None else ZOO_DIR).resolve()
    zoo.mkdir(parents=True, exist_ok=True)
    entries = manifest(zoo)
    emit = on_event or (lambda _e: None)
    todo = [n for n in names if force or n not in entries]
    skipped = [n for n in names if n not in todo]
    for i, n in enumerate(names):
        if n in skipped:
            emit({"event": "task_skipped", "task": n, "index": i, "n_tasks": len(names)})
    start = time.perf_counter()
    built: list[str] = []
    if todo:
        with dask_client(scheduler, n_workers, len(todo)) as client:
            futures = {}
            ranked = longest_first(todo)
            for rank, n in enumerate(ranked):
                emit({"event": "task_start", "task": n, "index": names.index(n), "n_tasks": len(names)})
                fut = client.submit(run_zoo_task, n, work_per_task=work_per_task,
                                    time_budget_per_task=time_budget_per_task, n_sequences=n_sequences,
                                    python=python,
                                    key=f"mips-zoo-{n}-{time.time_ns()}", pure=False,
                                    priority=len(ranked) - rank)
                futures[fut] = n
            for fut in as_completed(futures):
                n = futures[fut]
                try:
                    data = decode_zoo(finished_reply(fut), n)      # JSON bytes, checked as data
                    entry = ZooEntry.from_dict(data["entry"]) if "error" not in data else None
                except Exception as exc:  # noqa: BLE001 - a worker lost or a reply refused: report it
                    data = {"task": n, "error": f"{type(exc).__name__}: {str(exc)[:300]}", "seconds": 0.0}
                if "error" in data:
                    emit({"event": "task_end", "task": n, "index": names.index(n), "n_tasks": len(names),
                          "error": data["error"], "perfect": False, "seconds": data.get("seconds", 0.0)})
                    continue
                entry = replace(entry, file=_write_checkpoint(zoo, entry.file, data["checkpoint"]))
                entries[n] = entry
                write_manifest(entries, zoo)
                built.append(n)
                emit(task_end_event(entry, names.index(n), len(names), entry.training_seconds))
    order = {n: i for i, n in enumerate(names)}
    return BuildResult(entries=entries, built=tuple(sorted(built, key=order.get)), skipped=tuple(skipped),
                       seconds=time.perf_counter() - start)


def _child(argv: Sequence[str]) -> int:
    """``python -m mips.runtime.zoo_dispatch --one TASK --zoo-dir DIR --work UNITS [--seconds S] [--n-sequences N]``."""
    p = argparse.ArgumentParser(prog="python -m mips.runtime.zoo_dispatch")
    p.add_argument("--one", required=True)
    p.add_argument("--zoo-dir", required=True)
    p.add_argument("--work", type=float, required=True)
    p.add_argument("--seconds", type=float, default=None)
    p.add_argument("--n-sequences", type=int, default=None)
    args = p.parse_args(argv)
    spec = get_task(args.one)
    with cpu_settings(1):
        data = search_dataset(spec, n_sequences=args.n_sequences)
        entry = train_task(spec, Path(args.zoo_dir), work_budget=args.work, time_budget_seconds=args.seconds,
                           dataset=data)
    out = _entry_path(Path(args.zoo_dir), args.one)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(entry.to_dict()))
    os.replace(tmp, out)
    return 0


if __name__ == "__main__":
    if "--one" in sys.argv:
        sys.exit(_child(sys.argv[1:]))
    raise SystemExit("use `python -m mips zoo build` (this module's entry point builds one task for it)")
