"""Command line: ``python -m mips run`` (one task through the whole pipeline, issue 4)."""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from mips.cli.common import add_task_args, print_label_progress, printable, resolve
from mips.errors import ConfigError
from mips.tasks import search_dataset
from mips.tasks.label_cache import label_progress


def add_parser(sub) -> None:
    r = sub.add_parser("run", help="turn a network into a verified program (searching one first without --model)")
    add_task_args(r)
    r.add_argument("--model", metavar="CHECKPOINT", help="a trained network: a MIPS checkpoint, or a PyTorch state "
                   "dict with its description (default: run the smallest-network search)")
    r.add_argument("--model-description", metavar="JSON",
                   help="the description of a state dict given as --model (default: the .json of the same name "
                        "next to it); see 'Networks from your own PyTorch code' in the README")
    r.add_argument("--seed", type=int, default=0, help="seed of the search and of the longer test sequences")
    r.add_argument("--json", metavar="OUT", help="write the JSON report here")
    r.add_argument("--n-sequences", type=int, default=None, metavar="N",
                   help="dataset size (default: the paper's 1,000,000)")
    from mips.network.find_network import ORDER_HELP, ORDERS   # deferred: torch (see run)
    r.add_argument("--search-order", choices=ORDERS, default="practical", help=ORDER_HELP)
    r.add_argument("--search-work", type=float, default=None, metavar="UNITS",
                   help="work budget of the practical search without --model (default 250,000 units)")
    r.add_argument("--search-budget", type=float, default=None, metavar="SECONDS",
                   help="wall-clock limit of the search without --model (default: none)")
    r.add_argument("--regression-budget", type=float, default=3.0, metavar="SECONDS",
                   help="formula-search budget per formula set, in nominal seconds counted as work "
                        "(25 M candidates each; the same result on any machine; default 3)")


def write_json(path: str | os.PathLike, data: dict) -> Path:
    """Write JSON atomically (temp file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=2)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def run(args: argparse.Namespace) -> int:
    # deferred: the network stage imports torch, which `--help` and `mips tasks` need not wait for
    from mips.network import load_network
    from mips.pipeline import PipelineConfig, run_pipeline
    from mips.program import to_source

    start = time.perf_counter()
    spec = resolve(args)
    config = PipelineConfig(n_sequences=args.n_sequences, seed=args.seed, regression_seconds=args.regression_budget,
                            **({"search_seconds": args.search_budget} if args.search_budget else {}))

    def on_event(e: dict) -> None:
        if e["event"] == "stage_end":
            print(f"  {e['stage']:<10} {e['status']:<7} {e['seconds']:7.2f}s  {printable(e['message'][:160])}",
                  flush=True)

    name = printable(spec.name)
    print(f"{name}: {printable(spec.description)}", flush=True)
    model, dataset = args.model, None
    if args.model_description:
        if model is None:
            raise ConfigError("--model-description describes the network given with --model; give --model too.")
        model = load_network(model, args.model_description)
    with label_progress(print_label_progress()):
        if model is None:
            model, dataset, searched = search_first(spec, args)
            if model is None:
                print(f"{name}: not solved (the search found no usable network), {time.perf_counter() - start:.1f}s")
                return 1
        result = run_pipeline(spec, config, model=model, dataset=dataset, on_event=on_event)
    if result.program is not None:
        print()
        print(printable(to_source(result.program), multiline=True))
    if result.verification is not None:
        print(f"verification: {printable(result.verification.summary())}")
        ce = result.verification.counterexample
        if ce is not None:
            print(f"first counterexample (against the {ce.against}), sequence {ce.sequence}, step {ce.first_wrong_step}:")
            for row in ce.steps[: ce.first_wrong_step + 1]:
                print("   ", printable(row))
    kind = result.program.kind if result.program is not None else "no"
    print(f"{name}: {'SOLVED' if result.solved else 'not solved'} ({kind} program), "
          f"{time.perf_counter() - start:.1f}s")
    if args.json:
        print(f"report -> {printable(write_json(args.json, result.report()))}")
    return 0 if result.solved else 1


def search_first(spec, args: argparse.Namespace):
    """Without --model: the search (printing each trial as it ends), then its network and dataset."""
    # deferred: the network stage imports torch, which `--help` and `mips tasks` need not wait for
    from mips.network.find_network import as_checkpoint, find_network, trial_line, unusable

    t0 = time.perf_counter()
    dataset = search_dataset(spec, n_sequences=args.n_sequences)
    print(f"  dataset  {dataset.n_train:,} training and {dataset.n_test:,} test sequences "
          f"({time.perf_counter() - t0:.1f}s)", flush=True)
    print(f"  search   {args.search_order} order"
          + (f", wall-clock limit {args.search_budget:g}s" if args.search_budget else ""), flush=True)

    def on_event(e: dict) -> None:
        if e["event"] == "group_start":
            print(f"  {e['phase']:<6} training {', '.join(e['architectures'])} (seeds "
                  f"{e['seeds'][0]}-{e['seeds'][-1]}) ...", flush=True)
        elif e["event"] == "trial_start" and args.search_order == "paper":
            print(f"  {e['phase']:<6} training {e['architecture']} ...", flush=True)
        elif e["event"] == "trial_end":
            print(trial_line(e), flush=True)

    res = find_network(spec, order=args.search_order, dataset=dataset, first_seed=args.seed,
                       work_budget=args.search_work, time_budget_seconds=args.search_budget, on_event=on_event)
    print(f"  search   {res.summary()}", flush=True)
    problem = unusable(res)
    if problem:                 # the later stages would only describe the network's mistakes
        print(f"  search   {problem}", flush=True)
        return None, dataset, res
    return as_checkpoint(res), dataset, res
