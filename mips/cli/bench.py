"""Command line: ``python -m mips bench`` (the pipeline over many tasks, issue 5)."""

from __future__ import annotations

import argparse

from tqdm import tqdm

from mips.cli.common import printable
from mips.runtime import benchmark
from mips.tasks import load_task_file
from mips.tasks.taskfile import TRUST_HELP


def add_parser(sub) -> None:
    b = sub.add_parser("bench", help="run the pipeline over many tasks (resumable; local or Dask cluster)")
    b.add_argument("--tasks", nargs="+", metavar="NAME", default=["all"], help="'all' (default) or task names")
    b.add_argument("--task-file", action="append", default=[], metavar="FILE", help="a custom task file (repeatable)")
    b.add_argument("--trust-task-file", action="store_true", help=TRUST_HELP)
    src = b.add_mutually_exclusive_group()
    src.add_argument("--from-zoo", action="store_true", default=True, help="use the shipped zoo networks (default)")
    src.add_argument("--train", action="store_true", help="search a network for every task instead")
    from mips.network.find_network import ORDER_HELP, ORDERS   # deferred: torch (see run)
    b.add_argument("--search-order", choices=ORDERS, default="practical", help="with --train: " + ORDER_HELP)
    b.add_argument("--search-work", type=float, default=None, metavar="UNITS",
                   help="with --train: work budget of the practical search per task (default 250,000 units)")
    b.add_argument("--scheduler", metavar="ADDRESS",
                   help="an existing Dask scheduler, e.g. tcp://host:8786 (workers need `mips` installed; models "
                        "and task files are sent as bytes, rows come back and are written here)")
    b.add_argument("--workers", type=int, default=None, metavar="N", help="local worker processes (default: cores)")
    b.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                   help="wall-clock limit per task (default 120; 1800 with --train)")
    b.add_argument("--n-sequences", type=int, default=None, metavar="N",
                   help="dataset size per task (default: the paper's 1,000,000)")
    b.add_argument("--regression-budget", type=float, default=None, metavar="SECONDS",
                   help="formula-search budget per formula set, in nominal seconds counted as work "
                        "(25 M candidates each; default 3)")
    b.add_argument("--out", default=None, metavar="DIR",
                   help="results folder on this machine (default assets/bench in a checkout, "
                        "./mips-bench when installed)")


def run(args: argparse.Namespace) -> int:
    # deferred: the network stage imports torch, which `--help` and `mips tasks` need not wait for
    from mips.network import zoo

    tasks = benchmark.resolve_bench_tasks(args.tasks)
    files = {}
    for path in args.task_file:
        spec = load_task_file(path, trust=args.trust_task_file)
        files[spec.name] = str(path)
    if args.task_file and args.tasks == ["all"]:
        tasks = []                                      # only the custom tasks were asked for
    tasks += [t for t in files if t not in tasks]
    models: dict[str, str | None] = {}
    if not args.train:
        entries = zoo.manifest()
        for t in tasks:
            e = entries.get(t)
            models[t] = str(zoo.ZOO_DIR / e.file) if e is not None and e.file else None
    limit = args.time_limit or (1800.0 if args.train else benchmark.DEFAULT_TIME_LIMIT)
    config = {"n_sequences": args.n_sequences} if args.n_sequences else {}
    if args.regression_budget:
        config["regression_seconds"] = args.regression_budget
    if args.train:
        config["search"] = {"order": args.search_order, "work_budget": args.search_work}
    bar = tqdm(total=len(tasks), desc="bench", unit="task", dynamic_ncols=True)

    def on_progress(e: dict) -> None:
        if e["event"] == "start":
            bar.update(e["skipped"])
        elif e["event"] == "task_end":
            r = e["row"]
            bar.update(1)
            state = "SOLVED" if r.get("solved") else (r.get("status") if r.get("status") != "done" else "not solved")
            tqdm.write(printable(f"  {r['task']:<26} {state:<10} {r.get('method') or r.get('failed_stage') or ''} "
                                 f"({r.get('seconds') or 0:.1f}s)"))
            bar.set_postfix_str(printable(r["task"]))

    res = benchmark.run_benchmark(tasks, out_dir=args.out or benchmark.DEFAULT_OUT, models=models,
                                  task_files=files, trust_task_files=args.trust_task_file, scheduler=args.scheduler, n_workers=args.workers,
                                  time_limit=limit, config=config, on_progress=on_progress)
    bar.close()
    print(f"ran {len(res.ran)} task(s), {len(res.skipped)} already done, {res.seconds:.1f}s; "
          f"tables in {res.out_dir}/results.{{csv,json,md}}")
    print(printable(benchmark.summary_line(res.summary)))
    return 0
