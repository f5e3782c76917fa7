"""Speed benchmark: seconds for the full normalizer chain (whiten → jnf → toeplitz → debias → quantize).

Usage::

    .venv/bin/python benchmarks/normalize_speed.py [--cache DIR] [--n 1000000] [--budget 2.0] [TASK ...]

For each task (default: Sum_Last7, Add_Mod_5, Binary_Addition) a network is loaded from the cache
folder or trained (fast recipe, 4 seeds, 100k sequences, one torch thread) and saved there. The
chain then runs on the task's dataset of ``--n`` sequences: whitening fits on 20,000 training
sequences, every step is evaluated on the whole test split (100k or 200k sequences) in float64.
The timed part is ``normalize(...)`` itself (data preparation and tracing included; generating
the dataset is not). Prints per-step seconds, outcomes and metrics; exits 1 if a chain exceeds the
budget (2 s by default).
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mips.network import RNNConfig, load_checkpoint, save_checkpoint  # noqa: E402
from mips.normalizers import normalize  # noqa: E402
from mips.tasks import get_task, make_dataset  # noqa: E402
from mips.network.budget import Budget  # noqa: E402
from mips.network.training import train  # noqa: E402

NETWORKS = {
    "Sum_Last2": dict(hidden_dim=2),
    "Sum_Last7": dict(hidden_dim=7),
    "Add_Mod_5": dict(hidden_dim=3, hidden_depth=2, hidden_width=43),
    "Binary_Addition": dict(hidden_dim=2, hidden_depth=2, hidden_width=4),
}
DEFAULT_TASKS = ("Sum_Last7", "Add_Mod_5", "Binary_Addition")


def load_or_train(task: str, cache: Path, train_seconds: float):
    """The cached network for ``task``, training (and caching) one if needed."""
    path = cache / f"{task}.pt"
    if path.exists():
        ck = load_checkpoint(path)
        return ck.model.weights(0), ck.training, 0.0
    spec = get_task(task)
    config = RNNConfig(input_dim=spec.input_dim, output_dim=spec.output_dim, **NETWORKS[task])
    data = make_dataset(task, n_sequences=100_000)
    start = time.perf_counter()
    res = train(task, config, seeds=(0, 1, 2, 3), dataset=data, n_threads=1,
                budget=Budget(seconds=train_seconds))
    seconds = time.perf_counter() - start
    save_checkpoint(path, res.model, task=task, seed=res.seed, training=res.metadata())
    return res.model.weights(0), res.metadata(), seconds


def main(argv: list[str] | None = None) -> int:
    """Time the chain on every requested network and report; return the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="*", help=f"tasks (default: {' '.join(DEFAULT_TASKS)}); "
                                                 f"known: {', '.join(NETWORKS)}")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "mips_normalize_speed",
                        help="folder of cached trained networks")
    parser.add_argument("--n", type=int, default=1_000_000, help="sequences in the evaluation dataset")
    parser.add_argument("--budget", type=float, default=2.0, help="allowed seconds per chain")
    parser.add_argument("--train-seconds", type=float, default=600.0, help="training time limit per network")
    parser.add_argument("--repeat", type=int, default=3, help="chain runs per network (the best is reported)")
    args = parser.parse_args(argv)
    tasks = args.tasks or list(DEFAULT_TASKS)
    unknown = [t for t in tasks if t not in NETWORKS]
    if unknown:
        parser.error(f"no network recipe for {unknown}; known: {', '.join(NETWORKS)}")
    args.cache.mkdir(parents=True, exist_ok=True)

    totals: dict[str, float] = {}
    for task in tasks:
        weights, meta, train_s = load_or_train(task, args.cache, args.train_seconds)
        data = make_dataset(task, n_sequences=args.n, seed=0)
        how = f"trained in {train_s:.1f} s" if train_s else "loaded"
        print(f"\n=== {task} ({weights.config.describe()}, {how}, training test accuracy "
              f"{meta.get('test_accuracy', float('nan')):.6f}); eval on {data.n_test} test sequences ===", flush=True)
        best = None
        for _ in range(args.repeat):
            gc.collect()
            start = time.perf_counter()
            report = normalize(weights, data)
            seconds = time.perf_counter() - start
            if best is None or seconds < best[0]:
                best = (seconds, report)
        seconds, report = best
        totals[task] = seconds
        print(report.table())
        for step in report.steps:
            state = "accepted" if step.accepted else "REJECTED"
            print(f"  {step.name:<9} {step.seconds:6.3f} s  {state:<8} {step.message}")
        print(f"  data preparation + initial evaluation {report.data_seconds:.3f} s; chain total {seconds:.3f} s")

    print("\nsummary (best of", args.repeat, "runs):")
    for task, seconds in totals.items():
        flag = "" if seconds <= args.budget else f"  OVER BUDGET ({args.budget:g} s)"
        print(f"  {task:<16} {seconds:6.3f} s{flag}")
    return 0 if all(s <= args.budget for s in totals.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
