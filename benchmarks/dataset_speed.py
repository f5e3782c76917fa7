"""Speed benchmark: seconds for ``make_dataset`` of 1,000,000 sequences of every built-in task.

Usage::

    .venv/bin/python benchmarks/dataset_speed.py [--n 1000000] [--budget 5.0] [TASK ...]

Prints one line per task, then the slowest three and the maximum; exits 1 if the maximum exceeds
the budget (5 s by default, the target on a 2-core machine).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mips.tasks import get_task, list_tasks, make_dataset  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Time every requested task and report; return the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="*", help="task names (default: all built-in tasks)")
    parser.add_argument("--n", type=int, default=1_000_000, help="sequences per dataset")
    parser.add_argument("--budget", type=float, default=5.0, help="allowed seconds per task")
    args = parser.parse_args(argv)

    specs = [get_task(t) for t in args.tasks] if args.tasks else list_tasks(include_variants=True)
    times: dict[str, float] = {}
    for spec in specs:
        gc.collect()
        start = time.perf_counter()
        ds = make_dataset(spec, n_sequences=args.n, seed=0)
        times[spec.name] = time.perf_counter() - start
        print(f"{spec.name:<26} {times[spec.name]:7.3f} s   "
              f"train {ds.n_train:>7}  test {ds.n_test:>7}  T={ds.x_train.shape[1]}", flush=True)
        del ds

    slowest = sorted(times.items(), key=lambda kv: kv[1], reverse=True)
    print()
    print("slowest: " + ", ".join(f"{name} {sec:.3f} s" for name, sec in slowest[:3]))
    worst = slowest[0][1]
    print(f"max: {worst:.3f} s over {len(times)} tasks (budget {args.budget:.1f} s, n={args.n:,})")
    return 0 if worst <= args.budget else 1


if __name__ == "__main__":
    sys.exit(main())
