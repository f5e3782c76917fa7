"""The headless benchmark: the pipeline over many tasks, on one machine or a Dask cluster (issue 5).

Each task runs in its own process (``python -m mips.runtime.benchmark --one ...``) under a wall-clock
limit, so a task that crashes, hangs or runs out of memory is recorded as such and the others
finish. Tasks are dispatched with Dask ``distributed``: a ``LocalCluster`` sized to the machine by
default, or any scheduler address. The client sends each task's model and task file to its worker
as bytes and gets the row back, so a worker needs only the installed package (see "Running on a
cluster" in the README). The client writes every row to ``<out>/tasks/<task>.json`` atomically as
soon as it comes back; a re-run with the same ``out`` skips finished tasks, so a
killed run resumes without losing or corrupting anything. The table is written as CSV, JSON and
Markdown with the paper's MIPS-solved and GPT-4-solved columns (mips-method.md Table B).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mips.errors import check_float
from mips.paths import ASSETS, CHECKOUT, PROJECT_ROOT
from mips.runtime.dask_client import dask_client
from mips.runtime.worker_reply import WorkerReplyError, decode_row, encode, finished_reply
from mips.tasks import BENCHMARK_TASKS, get_task, resolve_task, search_dataset, with_label_cache

log = logging.getLogger(__name__)

DEFAULT_OUT = ASSETS / "bench" if CHECKOUT else Path("mips-bench")   # installed: under the working folder
DEFAULT_TIME_LIMIT = 120.0
SCATTER_BYTES = 1 << 20     # models larger than this are scattered to the cluster
COLUMNS = ("paper_index", "task", "solved", "program_kind", "method", "network", "network_perfect",
           "encoding", "n_states", "program_size", "program_vars", "readability_flags", "task_accuracy", "rnn_agreement", "length_generalization",
           "exhaustive", "n_sequences", "failed_stage", "status", "message", "seconds", "stage_seconds",
           "paper_mips_solved", "gpt4_solved", "program")


def write_atomic(path: Path, text: str) -> None:
    """Write text to ``path`` via a temp file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# -- one task (runs in the child process) ---------------------------------------------------------

def task_row(result) -> dict:
    """The results-table row of one PipelineResult."""
    # deferred: the program stage imports torch, which the parent that dispatches tasks never needs
    from mips.program import readability, task_constants, to_source

    spec, prog, ver = result.task, result.program, result.verification
    failed = next((n for n, s in result.stages.items() if s.status == "failed"), None)
    fsm = result.fsm
    cfg = result.model.config if result.model is not None else None
    return {
        "paper_index": spec.paper_index, "task": spec.name, "solved": result.solved,
        "program_kind": prog.kind if prog is not None else None,
        "method": prog.method if prog is not None else None,
        "network": cfg.describe() if cfg is not None else None,
        "network_perfect": bool(result.training.get("perfect", result.training.get("test_accuracy") == 1.0)),
        "encoding": (f"{fsm.encoding.kind} ({fsm.encoding.method})" if fsm is not None else None),
        "n_states": (fsm.minimal.n_states if fsm is not None and fsm.minimal is not None else None),
        "program_size": prog.size if prog is not None else None,
        "program_vars": len(prog.state) if prog is not None and prog.kind == "symbolic" else None,
        "readability_flags": (", ".join(readability(prog, task_constants(spec.input_values)).flags)
                              if prog is not None and prog.kind == "symbolic" else None),
        "task_accuracy": ver.task_accuracy if ver is not None else None,
        "rnn_agreement": ver.rnn_agreement if ver is not None else None,
        "length_generalization": ver.length_generalization if ver is not None else None,
        "exhaustive": ver.exhaustive if ver is not None else None,
        "n_sequences": ver.n_sequences if ver is not None else None,
        "failed_stage": failed, "status": "done",
        "message": result.stages[failed].message if failed else "",
        "seconds": round(result.seconds, 3),
        "stage_seconds": {n: round(s.seconds, 3) for n, s in result.stages.items()},
        "paper_mips_solved": spec.mips_solved, "gpt4_solved": spec.gpt4_solved,
        "program": to_source(prog) if prog is not None else None,
    }


def _child(argv: Sequence[str]) -> int:
    """``python -m mips.runtime.benchmark --one TASK --out FILE [--model P] [--task-file F] [--config JSON]``.

    Without ``--model`` the network is searched first (``config["search"]``: ``order``,
    ``work_budget``, ``seconds``; default the practical order) and the pipeline runs on it and on
    the search's dataset."""
    p = argparse.ArgumentParser(prog="python -m mips.runtime.benchmark")
    p.add_argument("--one", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--model")
    p.add_argument("--task-file")
    p.add_argument("--trust-task-file", action="store_true")
    p.add_argument("--config", default="{}")
    args = p.parse_args(argv)
    # deferred: the pipeline imports torch, which the parent that dispatches tasks never needs
    from mips.network import find_network
    from mips.network.find_network import as_checkpoint, unusable
    from mips.network.training import cpu_settings
    from mips.pipeline import PipelineConfig, run_pipeline

    spec = with_label_cache(resolve_task(task_file=args.task_file, trust=args.trust_task_file) if args.task_file
                            else resolve_task(name=args.one))
    config = json.loads(args.config)
    search = config.pop("search", None) or {}       # how to find a network when none is given
    with cpu_settings(1):
        model, dataset = args.model, None
        if model is None:
            dataset = search_dataset(spec, n_sequences=config.get("n_sequences"))
            found = find_network(spec, order=search.get("order", "practical"), dataset=dataset,
                                 work_budget=search.get("work_budget"), time_budget_seconds=search.get("seconds"))
            model = as_checkpoint(found)
            if unusable(found):
                raise SystemExit(f"{unusable(found)}. {found.summary()}")
        result = run_pipeline(spec, PipelineConfig(**config), model=model, dataset=dataset)
    write_atomic(Path(args.out), json.dumps(task_row(result), indent=1))
    return 0


# -- one task (runs on a Dask worker) -----------------------------------------------------------

def failure_row(task: str, status: str, message: str, seconds: float) -> dict:
    row = dict.fromkeys(COLUMNS)
    try:
        spec = resolve_task(name=task)
        row.update(paper_index=spec.paper_index, paper_mips_solved=spec.mips_solved, gpt4_solved=spec.gpt4_solved)
    except Exception:  # noqa: BLE001 - a custom task file: no paper columns
        pass
    row.update(task=task, solved=False, status=status, message=message, seconds=round(seconds, 3))
    return row


def child_env() -> dict[str, str]:
    """The environment of a task's child process (also :mod:`mips.runtime.zoo_dispatch`'s)."""
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    # Dask workers set a tiny malloc trim threshold; inherited, it turns every large numpy
    # allocation into page faults and starves the CPU-time budgets of the regression
    env.pop("MALLOC_TRIM_THRESHOLD_", None)
    if CHECKOUT:          # a checkout used without installing: the child imports this same ``mips``
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH")) if p)
    return env


def run_task_bytes(task: str, *, model: bytes | None = None, task_file: tuple[str, bytes] | None = None,
                   trust_task_file: bool = False, time_limit: float = DEFAULT_TIME_LIMIT,
                   config: dict | None = None, python: str | None = None) -> bytes:
    """Run one task in a child process with a wall-clock limit and return its row as JSON bytes
    (on a Dask worker; the client reads them with :func:`mips.runtime.worker_reply.decode_row`, never
    unpickles them). Never raises: a failure is a row too.

    Everything travels as bytes, so the worker needs none of the client's files: ``model`` is a
    checkpoint's bytes (None: the child searches a network), ``task_file`` a custom task file's
    ``(file name, bytes)``. They are written to a temporary folder that this function creates on
    the worker and removes afterwards; the child runs there and writes its row there. Nothing
    else is written on the worker: the client stores the row. ``python``: the interpreter of the
    child (default: this process's).
    """
    start = time.perf_counter()
    try:
        return encode(_run_task_row(task, start, model, task_file, trust_task_file, time_limit, config, python))
    except Exception as exc:  # noqa: BLE001 - an exception would travel pickled: send a row instead
        return encode(failure_row(task, "crashed", f"{type(exc).__name__}: {str(exc)[:300]}",
                                  time.perf_counter() - start))


def _run_task_row(task: str, start: float, model: bytes | None, task_file: tuple[str, bytes] | None,
                  trust_task_file: bool, time_limit: float, config: dict | None, python: str | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="mips-task-") as tmp_dir:
        tmp = Path(tmp_dir)
        out = tmp / "row.json"
        cmd = [python or sys.executable, "-m", "mips.runtime.benchmark", "--one", task, "--out", str(out),
               "--config", json.dumps(config or {})]
        if model is not None:
            (tmp / "model.pt").write_bytes(model)
            cmd += ["--model", str(tmp / "model.pt")]
        if task_file is not None:
            name, code = task_file
            path = tmp / "task" / (Path(name).name or "task.py")
            path.parent.mkdir()
            path.write_bytes(code)
            cmd += ["--task-file", str(path)] + (["--trust-task-file"] if trust_task_file else [])
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=time_limit, env=child_env(),
                                  cwd=tmp, check=False)
            if proc.returncode == 0 and out.exists():
                return json.loads(out.read_text())
            tail = (proc.stderr or proc.stdout or "").strip().splitlines()[-1:] or ["no output"]
            return failure_row(task, "crashed", f"the task's process exited with {proc.returncode}: {tail[0][:300]}",
                               time.perf_counter() - start)
        except subprocess.TimeoutExpired:
            return failure_row(task, "timeout", f"exceeded the time limit of {time_limit:g} s",
                               time.perf_counter() - start)


def _read_inputs(model: str | None, task_file: str | None) -> dict:
    """The bytes a task sends to its worker (read on the client); OSError names the file."""
    payload: dict = {}
    if model:
        payload["model"] = Path(model).read_bytes()
    if task_file:
        payload["task_file"] = (Path(task_file).name, Path(task_file).read_bytes())
    return payload


def write_row(out_dir: str | os.PathLike, task: str, row: dict) -> None:
    """Store a finished task's row as ``<out_dir>/tasks/<task>.json`` (atomically)."""
    write_atomic(Path(out_dir) / "tasks" / f"{task}.json", json.dumps(row, indent=1))


def run_task(task: str, out_dir: str, *, model: str | None = None, task_file: str | None = None,
             trust_task_file: bool = False, time_limit: float = DEFAULT_TIME_LIMIT, config: dict | None = None,
             python: str | None = None) -> dict:
    """Run one task here (:func:`run_task_bytes` on the files' bytes); write and return its row."""
    start = time.perf_counter()
    try:
        inputs = _read_inputs(model, task_file)
    except OSError as exc:
        row = failure_row(task, "crashed", f"cannot read the task's input: {exc}", time.perf_counter() - start)
    else:
        row = decode_row(run_task_bytes(task, **inputs, trust_task_file=trust_task_file, time_limit=time_limit,
                                        config=config, python=python), task)
    write_row(out_dir, task, row)
    return row


# -- many tasks ----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class BenchResult:
    rows: list[dict]
    summary: dict
    out_dir: Path
    ran: list[str]
    skipped: list[str]
    seconds: float


def load_rows(out_dir: Path) -> dict[str, dict]:
    """Finished task rows under ``out_dir/tasks`` (unreadable files are ignored and re-run)."""
    rows = {}
    for path in sorted((Path(out_dir) / "tasks").glob("*.json")):
        if path.name.startswith("."):
            continue
        try:
            row = json.loads(path.read_text())
            rows[row["task"]] = row
        except (ValueError, KeyError, OSError):
            log.warning("ignoring unreadable result %s", path)
    return rows


FLAGS = ("magic constant", "non-zero initial state", "unused variable")   # counted in the summary line


def summarize(rows: list[dict]) -> dict:
    bench = [r for r in rows if r.get("paper_index")]
    us = {r["task"] for r in bench if r.get("solved")}
    paper = {r["task"] for r in bench if r.get("paper_mips_solved")}
    gpt = {r["task"] for r in bench if r.get("gpt4_solved")}
    names = {r["task"] for r in bench}
    return {"solved": len(us), "total": len(names), "paper_mips": 32, "gpt4": 30,
            "paper_mips_in_run": len(paper), "gpt4_in_run": len(gpt),
            "only_us": len(us - paper), "us_and_paper": len(us & paper), "only_paper": len(paper - us),
            "neither": len(names - us - paper), "us_not_gpt4": len(us - gpt),
            "table": sum(1 for r in bench if r.get("program_kind") == "table"),
            "custom_solved": sum(1 for r in rows if not r.get("paper_index") and r.get("solved")),
            "custom_total": sum(1 for r in rows if not r.get("paper_index")),
            **{f"flag_{f.replace(' ', '_')}": sum(1 for r in bench if r.get("solved")
                                                  and f in (r.get("readability_flags") or ""))
               for f in FLAGS}}


def summary_line(s: dict) -> str:
    line = (f"solved {s['solved']}/{s['total']} (paper MIPS {s['paper_mips']}/62, GPT-4 "
            f"{s['gpt4']}/62); only us {s['only_us']}, us and the paper {s['us_and_paper']}, only the paper "
            f"{s['only_paper']}, neither {s['neither']}")
    if s.get("custom_total"):
        line += f"; custom tasks solved {s['custom_solved']}/{s['custom_total']}"
    flags = [f"{s[k]} {f}" for f in FLAGS if s.get(k := f"flag_{f.replace(' ', '_')}")]
    if flags:
        line += "; solved programs with " + ", ".join(flags)
    return line


def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.4f}".rstrip("0").rstrip(".") if v != 1.0 else "1"
    return str(v)


def to_markdown(rows: list[dict], summary: dict) -> str:
    cols = ("paper_index", "task", "solved", "paper_mips_solved", "gpt4_solved", "network", "encoding",
            "n_states", "method", "program_size", "program_vars", "readability_flags", "task_accuracy",
            "rnn_agreement", "length_generalization", "seconds", "failed_stage")
    heads = ("#", "task", "solved", "paper MIPS", "GPT-4", "network", "encoding", "states", "method", "size",
             "vars", "reads poorly", "task acc", "RNN agr", "5x length", "s", "failed stage")
    lines = [summary_line(summary), "", "| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for r in rows:
        if r.get("status") not in (None, "done") and not r.get("failed_stage"):
            r = {**r, "failed_stage": r["status"]}          # timeout / crashed
        lines.append("| " + " | ".join(_fmt(r.get(c)).replace("|", "\\|") for c in cols) + " |")
    return "\n".join(lines) + "\n"


def to_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow({k: (json.dumps(v) if isinstance(v, dict) else v) for k, v in r.items()})
    return buf.getvalue()


def write_tables(rows: list[dict], out_dir: Path) -> dict:
    rows = sorted(rows, key=lambda r: (r.get("paper_index") or 10 ** 6, r["task"]))
    summary = summarize(rows)
    write_atomic(out_dir / "results.json", json.dumps({"summary": summary, "rows": rows}, indent=1))
    write_atomic(out_dir / "results.csv", to_csv(rows))
    write_atomic(out_dir / "results.md", to_markdown(rows, summary))
    return summary


def run_benchmark(tasks: Sequence[str], *, out_dir: str | os.PathLike = DEFAULT_OUT,
                  models: dict[str, str | None] | None = None, task_files: dict[str, str] | None = None,
                  trust_task_files: bool = False, scheduler: str | None = None, n_workers: int | None = None,
                  time_limit: float = DEFAULT_TIME_LIMIT, config: dict | None = None,
                  on_progress: Callable[[dict], None] | None = None, python: str | None = None) -> BenchResult:
    """Run (or resume) the benchmark over ``tasks`` and write the tables.

    Parameters
    ----------
    tasks : task names (custom tasks: their NAME, with the file in ``task_files``)
    trust_task_files : run task files even where the host cannot isolate them
    models : task -> checkpoint path (None: the child searches for a network)
    scheduler : address of an existing Dask scheduler (default: a LocalCluster)
    n_workers : LocalCluster worker processes (default: the machine's cores)
    time_limit : wall-clock seconds per task
    config : PipelineConfig fields for every task
    python : interpreter of the task processes (default: each worker's own)

    Models and task files are read here and sent to the workers as bytes; the rows come back and
    are written here, under ``out_dir``, so the workers need no shared folder and no copy of the
    client's files (only the ``mips`` package installed).
    """
    from distributed import as_completed   # deferred: Dask takes seconds to import; only the dispatch needs it

    for name in [n for n in logging.root.manager.loggerDict if n.split(".")[0] in ("distributed", "dask")]:
        if logging.getLogger(name).level < logging.WARNING:      # dask's config sets INFO on import
            logging.getLogger(name).setLevel(logging.WARNING)
    check_float("run_benchmark", "time_limit", time_limit, 1.0, 1e6)
    start = time.perf_counter()
    out = Path(out_dir)
    done = load_rows(out)
    todo = [t for t in tasks if t not in done]
    skipped = [t for t in tasks if t in done]
    models = models or {}
    task_files = task_files or {}
    emit = on_progress or (lambda e: None)
    emit({"event": "start", "n_tasks": len(tasks), "skipped": len(skipped)})
    inputs = {}                                       # the bytes each task sends (read here, on the client)
    for t in todo:
        try:
            inputs[t] = _read_inputs(models.get(t), task_files.get(t))
        except OSError as exc:
            row = failure_row(t, "crashed", f"cannot read the task's input: {exc}", 0.0)
            write_row(out, t, row)
            done[t] = row
            emit({"event": "task_end", "task": t, "row": row})
    if inputs:
        with dask_client(scheduler, n_workers, len(inputs)) as client:
            futures = {}
            for t, payload in inputs.items():
                if len(payload.get("model", b"")) > SCATTER_BYTES:   # a large model goes to the cluster once
                    payload = {**payload, "model": client.scatter(payload["model"], direct=False)}
                futures[client.submit(run_task_bytes, t, **payload, trust_task_file=trust_task_files,
                                      time_limit=time_limit, config=config, python=python,
                                      key=f"mips-task-{t}-{time.time_ns()}", pure=False)] = t
            for fut in as_completed(futures):
                task = futures[fut]
                try:
                    row = decode_row(finished_reply(fut), task)    # JSON bytes, checked as data
                except WorkerReplyError as exc:
                    row = failure_row(task, "crashed", f"the worker's reply was refused: {exc}", 0.0)
                except Exception as exc:  # noqa: BLE001 - a worker lost: record it, keep going
                    row = failure_row(task, "crashed", f"{type(exc).__name__}: {str(exc)[:300]}", 0.0)
                write_row(out, task, row)                  # on the client: a resume reads this folder
                done[task] = row
                emit({"event": "task_end", "task": task, "row": row})
    rows = [done[t] for t in tasks if t in done]
    summary = write_tables(rows, out)
    return BenchResult(rows=rows, summary=summary, out_dir=out, ran=todo, skipped=skipped,
                       seconds=time.perf_counter() - start)


def resolve_bench_tasks(names: Sequence[str] | None) -> list[str]:
    if not names or list(names) == ["all"]:
        return list(BENCHMARK_TASKS)
    for n in names:
        get_task(n)                                   # UnknownTaskError with "Did you mean"
    return list(dict.fromkeys(names))


if __name__ == "__main__":
    if "--one" in sys.argv:
        sys.exit(_child(sys.argv[1:]))
    raise SystemExit("use `python -m mips bench` (this module's entry point runs one task for it)")
