"""Speed benchmark: seconds for tracing, encoding choice and FSM extraction of trained networks.

Usage::

    .venv/bin/python benchmarks/extract_speed.py [TASK ...] [--split test|all] [--budget 2.0]
                                                  [--repeat 3] [--cache runs/extract_speed]
                                                  [--no-normalize]

Default tasks: Sum_Last7 (linear, H=7), Add_Mod_5 (H=2, f 2/32) and Binary_Addition (H=2, f 2/8).
Networks are trained once with the fast recipe (seeds 0-3, 20,000 sequences) and cached as
checkpoints under ``--cache``. Each stage is timed ``--repeat`` times after one warm-up run; the
fastest time is reported. The target (issue 3) is normalizers + trace + encode + FSM under
``--budget`` seconds per network (exit 1 otherwise).

The normalizer chain runs first and the normalized network is traced; ``--no-normalize`` skips it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from mips.encodings import choose_encoding, prepare_states  # noqa: E402
from mips.machine.extract import extract_fsm  # noqa: E402
from mips.network import RNNConfig, load_checkpoint, save_checkpoint  # noqa: E402
from mips.tasks import make_dataset  # noqa: E402
from mips.network.trace import trace  # noqa: E402
from mips.network.training import train  # noqa: E402

try:                                                   # NORMALIZERS: optional stage
    from mips.normalizers import normalize
except ImportError:                                    # pragma: no cover - before normalizers exist
    normalize = None

CONFIGS = {
    "Sum_Last7": dict(input_dim=1, output_dim=1, hidden_dim=7),
    "Add_Mod_5": dict(input_dim=1, output_dim=1, hidden_dim=2, hidden_depth=2, hidden_width=32),
    "Binary_Addition": dict(input_dim=2, output_dim=1, hidden_dim=2, hidden_depth=2, hidden_width=8),
    "Add_Mod_3": dict(input_dim=1, output_dim=1, hidden_dim=2, hidden_depth=2, hidden_width=16),
    "Parity_All": dict(input_dim=1, output_dim=1, hidden_dim=1, hidden_depth=2, hidden_width=8),
    "Sum_All": dict(input_dim=1, output_dim=1, hidden_dim=1),
}


def trained(task: str, cache: Path):
    """The cached network of a task, trained now if missing."""
    path = cache / f"{task}.pt"
    if path.exists():
        return load_checkpoint(path).model
    start = time.perf_counter()
    res = train(task, RNNConfig(**CONFIGS[task]), seeds=(0, 1, 2, 3),
                dataset=make_dataset(task, n_sequences=20_000))
    print(f"  trained {task} in {time.perf_counter() - start:.1f} s (perfect={res.perfect})", flush=True)
    save_checkpoint(path, res.model, task=task, seed=res.seed, training=res.metadata())
    return res.model


def best_of(repeat: int, fn):
    """(fastest seconds, last result) over ``repeat`` calls."""
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="*", default=["Sum_Last7", "Add_Mod_5", "Binary_Addition"],
                        help=f"tasks (known: {', '.join(CONFIGS)})")
    parser.add_argument("--split", choices=("test", "all"), default="test",
                        help="trace the test split (default) or all 20,000 sequences")
    parser.add_argument("--budget", type=float, default=2.0, help="allowed normalize+trace+encode+fsm seconds")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=Path("runs/extract_speed"))
    parser.add_argument("--no-normalize", action="store_true", help="skip the normalizer chain")
    args = parser.parse_args(argv)
    unknown = [t for t in args.tasks if t not in CONFIGS]
    if unknown:
        parser.error(f"unknown task(s) {unknown}; known: {list(CONFIGS)}")
    use_norm = normalize is not None and not args.no_normalize
    worst = 0.0
    print(f"{'task':<16} {'seqs':>6} {'points':>7} {'norm s':>7} {'trace s':>8} {'encode s':>9} {'fsm s':>6} "
          f"{'total s':>8}  encoding -> machine")
    for task in args.tasks:
        model = trained(task, args.cache)
        ds = make_dataset(task, n_sequences=20_000)
        x = ds.x_test if args.split == "test" else np.concatenate([ds.x_train, ds.x_test])
        y = ds.y_test if args.split == "test" else np.concatenate([ds.y_train, ds.y_test])
        weights = model.weights(0)
        t_norm = 0.0
        if use_norm:
            t_norm, report = best_of(1, lambda: normalize(weights, ds))
            weights = report.final
        extract = lambda tr: extract_fsm(choose_encoding(prepare_states(tr)))  # noqa: E731
        extract(trace(weights, x, y, task=task))           # warm-up (imports, caches)
        t_trace, tr = best_of(args.repeat, lambda: trace(weights, x, y, task=task))
        t_enc, choice = best_of(args.repeat, lambda: choose_encoding(prepare_states(tr)))
        t_fsm, fsm = best_of(args.repeat, lambda: extract_fsm(choice))
        total = t_norm + t_trace + t_enc + t_fsm
        worst = max(worst, total)
        enc = choice.chosen
        what = "no encoding" if enc is None else f"{enc.kind}/{enc.method} k={enc.n_vars} {enc.n_states} states"
        machine = (f"{fsm.machine.n_states}->{fsm.minimal.n_states} states" if fsm.minimal is not None
                   else "no machine")
        print(f"{task:<16} {x.shape[0]:>6} {choice.data.n_points:>7} {t_norm:>7.3f} {t_trace:>8.3f} {t_enc:>9.3f} "
              f"{t_fsm:>6.3f} {total:>8.3f}  {what} -> {fsm.status}, {machine}", flush=True)
    print(f"slowest normalize+trace+encode+fsm: {worst:.3f} s (budget {args.budget:.1f} s)")
    return 0 if worst <= args.budget else 1


if __name__ == "__main__":
    raise SystemExit(main())
