"""`mips zoo build | list`: the shipped trained networks (mips/network/zoo.py)."""

from __future__ import annotations

import argparse
import os

from mips.cli.common import printable


def add_parser(sub) -> None:
    z = sub.add_parser("zoo", help="build or list the model zoo (one trained network per task)")
    zsub = z.add_subparsers(dest="zoo_command", required=True, metavar="ZOO_COMMAND")
    zb = zsub.add_parser("build", help="search the zoo's networks (resumable; skips tasks already built)")
    zb.add_argument("--tasks", nargs="+", metavar="NAME", help="only these tasks (default: all 62)")
    zb.add_argument("--work-per-task", type=float, default=None, metavar="UNITS",
                    help="work budget of each task's search (default 1,000,000 units; easy tasks use far less)")
    zb.add_argument("--time-budget-per-task", type=float, default=None, metavar="S",
                    help="wall-clock limit per task (default: none)")
    zb.add_argument("--force", action="store_true", help="retrain tasks already in the manifest")
    zb.add_argument("--zoo-dir", "--out", dest="zoo_dir", default=None, metavar="DIR",
                    help="zoo folder (default assets/zoo)")
    zb.add_argument("--workers", type=int, default=None, metavar="N",
                    help="tasks searched in parallel, one process each (default: the machine's cores)")
    zb.add_argument("--scheduler", metavar="ADDRESS",
                    help="an existing Dask scheduler, e.g. tcp://host:8786 (workers need `mips` installed; "
                         "checkpoints come back and are written here)")
    zl = zsub.add_parser("list", help="one line per task: architecture, perfect, accuracy, seconds")
    zl.add_argument("--zoo-dir", default=None, metavar="DIR", help="zoo folder (default assets/zoo)")


def _print_entry(e) -> None:
    state = "perfect" if e.perfect else "FAILED "
    print(f"{printable(e.task):<24} {printable(e.describe):<20} {state} acc {e.test_accuracy:.7f} "
          f"{e.training_seconds:7.1f}s")


def run(args: argparse.Namespace) -> int:
    # deferred: the network stage imports torch, which `--help` and `mips tasks` need not wait for
    from mips.network import zoo
    from mips.network.find_network import trial_line
    from mips.runtime.zoo_dispatch import build_zoo_distributed

    zoo_dir = args.zoo_dir or zoo.ZOO_DIR
    if args.zoo_command == "list":
        entries = zoo.manifest(zoo_dir)
        if not entries:
            print(f"The zoo in '{printable(zoo_dir)}' is empty: build it with `python -m mips zoo build`.")
            return 1
        for e in entries.values():
            _print_entry(e)
        n_perfect = sum(e.perfect for e in entries.values())
        print(f"{n_perfect} of {len(entries)} tasks have a perfect network.")
        return 0
    names = args.tasks
    n_tasks = len(names) if names else 62
    done = [0]

    def on_event(e: dict) -> None:
        if e["event"] == "trial_end":
            print(f"  {printable(e['task']):<24}" + printable(trial_line(e)), flush=True)
        elif e["event"] == "task_skipped":
            done[0] += 1
        elif e["event"] == "task_end":
            done[0] += 1
            state = ("ERROR " + printable(e["error"])) if e.get("error") else \
                f"{e['architecture']:<20} {'perfect' if e['perfect'] else 'NOT perfect'} acc {e['accuracy']:.7f}"
            print(f"[{done[0]:>2}/{n_tasks}] {printable(e['task']):<24} {state}  {e['seconds']:7.1f}s", flush=True)

    work = args.work_per_task if args.work_per_task is not None else zoo.DEFAULT_WORK_PER_TASK
    workers = args.workers or (os.cpu_count() or 1)
    if args.scheduler or workers > 1:
        res = build_zoo_distributed(names, zoo_dir, work_per_task=work, time_budget_per_task=args.time_budget_per_task,
                                    force=args.force, scheduler=args.scheduler, n_workers=workers, on_event=on_event)
    else:
        res = zoo.build_zoo(names, zoo_dir, work_per_task=work, time_budget_per_task=args.time_budget_per_task,
                            on_event=on_event, force=args.force)
    for name in res.built:
        _print_entry(res.entries[name])
    n_perfect = sum(res.entries[n].perfect for n in res.built)
    failed = n_tasks - len(res.built) - len(res.skipped)          # processes that crashed
    print(f"built {len(res.built)} tasks ({n_perfect} perfect), skipped {len(res.skipped)} already in the "
          f"zoo" + (f", {failed} failed" if failed else "") + f", {res.seconds:.1f}s")
    return 0 if n_perfect == len(res.built) and not failed else 1
