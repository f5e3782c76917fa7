"""Command line: ``python -m mips run`` (one task through the whole pipeline, issue 4)."""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path


def add_run_parser(sub, add_task_args) -> None:
    r = sub.add_parser("run", help="turn a network into a verified program (searching one first without --model)")
    add_task_args(r)
    r.add_argument("--model", metavar="CHECKPOINT", help="a trained network (default: run the smallest-network search)")
    r.add_argument("--seed", type=int, default=0, help="seed of the search and of the longer test sequences")
    r.add_argument("--json", metavar="OUT", help="write the JSON report here")
    r.add_argument("--n-sequences", type=int, default=None, metavar="N",
                   help="dataset size (default: the paper's 1,000,000)")
    r.add_argument("--search-budget", type=float, default=1800.0, metavar="SECONDS",
                   help="time budget of the search without --model (default 1800)")
    r.add_argument("--regression-budget", type=float, default=3.0, metavar="SECONDS",
                   help="symbolic-search seconds per formula set (default 3)")


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


def cmd_run(args: argparse.Namespace, resolve) -> int:
    from mips.codegen import to_source
    from mips.pipeline import PipelineConfig, run_pipeline

    spec = resolve(args)
    config = PipelineConfig(n_sequences=args.n_sequences, seed=args.seed, search_seconds=args.search_budget,
                            regression_seconds=args.regression_budget)

    def on_event(e: dict) -> None:
        if e["event"] == "stage_end":
            print(f"  {e['stage']:<10} {e['status']:<7} {e['seconds']:7.2f}s  {e['message'][:160]}", flush=True)

    print(f"{spec.name}: {spec.description}")
    result = run_pipeline(spec, config, model=args.model, on_event=on_event)
    if result.program is not None:
        print()
        print(to_source(result.program))
    if result.verification is not None:
        print(f"verification: {result.verification.summary()}")
        ce = result.verification.counterexample
        if ce is not None:
            print(f"first counterexample (against the {ce.against}), sequence {ce.sequence}, step {ce.first_wrong_step}:")
            for row in ce.steps[: ce.first_wrong_step + 1]:
                print("   ", row)
    kind = result.program.kind if result.program is not None else "no"
    print(f"{spec.name}: {'SOLVED' if result.solved else 'not solved'} ({kind} program), {result.seconds:.1f}s")
    if args.json:
        print(f"report -> {write_json(args.json, result.report())}")
    return 0 if result.solved else 1
