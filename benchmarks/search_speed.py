"""Practical search vs the paper's order: time to the first perfect network, and the final size.

For each task both searches run side by side: two processes started together on the same
machine, so that other load slows both alike, each with one torch thread, on the same dataset
(``search_dataset``: de-duplicated when the input space is small). The practical search runs
with its default work budget (find, then shrink); the paper order is capped at ``--paper-cap``
seconds of wall clock and marked ``>cap`` when it finds nothing by then. The table gives, per
task and order: seconds to the first perfect network (the search alone; the dataset's seconds
are listed once), the final network and its parameter count, and the ratio paper / practical.
Targets (issue 12): with the practical search, median under 30 s and every task under 120 s.

    .venv/bin/python benchmarks/search_speed.py [--tasks A,B,...] [--files F,...] [--paper-cap 120]
                                                [--n-sequences N] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TASKS = ("Parity_All", "Binary_Addition", "Add_Mod_3", "Add_Mod_7", "Sum_Last3", "Majority_0_1",
         "Balanced_Parenthesis", "Div_3", "Bit_Palindrome", "Dithering", "Bitwise_Xor", "Parity_Last3",
         "Sum_All", "Prev2", "Abs_Diff", "Max_Seen", "Evens_Detector", "Alternating_Last3", "Bit_Shift_Right",
         "Newton_Freebody", "Base_3_Addition", "Perfect_Square_Detector")
FILES = tuple(sorted(str(p.relative_to(ROOT)) for p in (ROOT / "assets" / "tasks").glob("*.py")))


def one(task: str, order: str, cap: float, n_sequences: int | None) -> dict:
    """Run one search in this process and return its figures (the child's side)."""
    from mips.network.find_network import find_network
    from mips.tasks import get_task, load_task_file
    from mips.tasks.dataset import search_dataset
    from mips.tasks.label_cache import with_label_cache
    from mips.network.training import cpu_settings

    t0 = time.perf_counter()
    spec = with_label_cache(load_task_file(ROOT / task) if task.endswith(".py") else get_task(task))
    data = search_dataset(spec, n_sequences=n_sequences)
    data_seconds = time.perf_counter() - t0
    with cpu_settings(1):
        res = find_network(spec, order=order, dataset=data,
                           time_budget_seconds=cap if order == "paper" else None)
    best = res.best
    return {"task": spec.name, "order": order, "found": res.found, "first_perfect": res.first_perfect_seconds,
            "seconds": res.seconds, "stopped": res.stopped, "trials": len(res.trials), "work": res.work,
            "network": best.config.describe() if best else None,
            "parameters": best.config.n_parameters if best else None,
            "accuracy": best.test_accuracy if best else None, "dataset_seconds": data_seconds}


def side_by_side(task: str, cap: float, n_sequences: int | None) -> dict[str, dict]:
    """Both orders on one task, in two processes started together."""
    procs = {}
    for order in ("practical", "paper"):
        cmd = [sys.executable, __file__, "--one", task, "--order", order, "--paper-cap", str(cap)]
        if n_sequences:
            cmd += ["--n-sequences", str(n_sequences)]
        procs[order] = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    out = {}
    for order, p in procs.items():
        stdout, stderr = p.communicate()
        lines = [ln for ln in stdout.splitlines() if ln.startswith("{")]
        if p.returncode != 0 or not lines:
            tail = (stderr.strip().splitlines() or ["no output"])[-1]
            out[order] = {"task": task, "order": order, "error": tail[:200]}
        else:
            out[order] = json.loads(lines[-1])
    return out


def _first(r: dict, cap: float) -> str:
    if "error" in r:
        return "error"
    if r["first_perfect"] is None:
        return f">{cap:g}" if r["order"] == "paper" else f"none ({r['seconds']:.0f})"
    return f"{r['first_perfect']:.1f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", default=",".join(TASKS))
    ap.add_argument("--files", default=",".join(FILES), help="task files (default: assets/tasks/*.py)")
    ap.add_argument("--paper-cap", type=float, default=120.0, help="wall-clock cap of the paper order (s)")
    ap.add_argument("--n-sequences", type=int, default=None)
    ap.add_argument("--json", default=None, help="write every figure here")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--order", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.order, args.paper_cap, args.n_sequences)))
        return 0
    names = [t for t in args.tasks.split(",") if t] + [f for f in args.files.split(",") if f]
    import torch
    print(f"torch {torch.__version__}; both orders side by side, 1 thread each; paper order capped at "
          f"{args.paper_cap:g} s; seconds to the first perfect network (search only)")
    head = (f"{'task':<24} {'data s':>6} | {'practical':>9} {'final network':<20} {'params':>6} | "
            f"{'paper':>7} {'final network':<20} {'params':>6} | {'ratio':>6}")
    print(head)
    print("-" * len(head))
    rows = []
    for name in names:
        res = side_by_side(name, args.paper_cap, args.n_sequences)
        pr, pa = res["practical"], res["paper"]
        ratio = ""
        if pr.get("first_perfect"):
            if pa.get("first_perfect"):
                ratio = f"{pa['first_perfect'] / pr['first_perfect']:.1f}"
            elif "error" not in pa:
                ratio = f">{args.paper_cap / pr['first_perfect']:.1f}"
        rows.append({"name": name, "practical": pr, "paper": pa, "ratio": ratio})
        print(f"{pr.get('task', name):<24} {pr.get('dataset_seconds', 0):>6.1f} | {_first(pr, args.paper_cap):>9} "
              f"{pr.get('network') or '-':<20} {pr.get('parameters') or '-':>6} | {_first(pa, args.paper_cap):>7} "
              f"{pa.get('network') or '-':<20} {pa.get('parameters') or '-':>6} | {ratio:>6}", flush=True)
    print()
    firsts = [r["practical"]["first_perfect"] for r in rows if r["practical"].get("first_perfect") is not None]
    missed = [r["name"] for r in rows if r["practical"].get("first_perfect") is None]
    if firsts:
        median = statistics.median(firsts)
        print(f"practical: perfect on {len(firsts)}/{len(rows)} tasks; median {median:.1f} s (target < 30 s), "
              f"max {max(firsts):.1f} s (target < 120 s)"
              + (f"; no perfect network: {', '.join(missed)}" if missed else ""))
    paper_found = [r for r in rows if r["paper"].get("first_perfect") is not None]
    print(f"paper order: perfect within the {args.paper_cap:g} s cap on {len(paper_found)}/{len(rows)} tasks")
    both = [r for r in rows if r["practical"].get("first_perfect") and r["paper"].get("first_perfect")]
    capped = [r for r in rows if r["practical"].get("first_perfect") and r["paper"].get("first_perfect") is None
              and "error" not in r["paper"]]
    if both:
        ratios = [r["paper"]["first_perfect"] / r["practical"]["first_perfect"] for r in both]
        print(f"ratio paper / practical (time to the first perfect network), tasks both solved: median "
              f"{statistics.median(ratios):.1f}x, range {min(ratios):.1f}x-{max(ratios):.1f}x")
    lower = [args.paper_cap if r["paper"].get("first_perfect") is None else r["paper"]["first_perfect"]
             for r in both + capped]
    mine = [r["practical"]["first_perfect"] for r in both + capped]
    if lower:
        print(f"ratio of the medians over {len(lower)} tasks (capped paper runs counted at the cap, so a lower "
              f"bound): {statistics.median(lower) / statistics.median(mine):.1f}x")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
