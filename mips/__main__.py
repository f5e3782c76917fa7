"""Command line: ``python -m mips tasks | train | run | bench | zoo ...`` (see README)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from mips.errors import MipsError


def _add_task_args(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--task", metavar="NAME", help="a benchmark task (see `python -m mips tasks`)")
    g.add_argument("--task-file", metavar="FILE", help="a custom task file (see README)")
    from mips.tasks.taskfile import TRUST_HELP
    p.add_argument("--trust-task-file", action="store_true", help=TRUST_HELP)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m mips",
                                description="MIPS workbench: RNNs to verified Python programs.")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    t = sub.add_parser("tasks", help="list the benchmark tasks with their definitions")
    t.add_argument("--variants", action="store_true", help="also list the dataset variants")

    tr = sub.add_parser("train", help="train a network (fixed architecture or --search) and save it")
    _add_task_args(tr)
    tr.add_argument("--hidden-dim", type=int, metavar="H", help="hidden state size H (1..128)")
    tr.add_argument("--hidden-depth", type=int, default=1, metavar="D", help="Linear layers in f (1..3)")
    tr.add_argument("--hidden-width", type=int, default=1, metavar="W", help="width of f's hidden layers")
    tr.add_argument("--output-depth", type=int, default=1, metavar="D", help="Linear layers in g (1..3)")
    tr.add_argument("--output-width", type=int, default=1, metavar="W", help="width of g's hidden layers")
    tr.add_argument("--search", action="store_true", help="search a small perfect network (see --search-order)")
    from mips.find_network import ORDER_HELP, ORDERS
    tr.add_argument("--search-order", choices=ORDERS, default="practical", help=ORDER_HELP)
    tr.add_argument("--search-work", type=float, default=None, metavar="UNITS",
                    help="work budget of the practical search (default 250,000 units; one unit is one "
                         "training step of one H=2, f 2/16 network on 256 sequences)")
    tr.add_argument("--recipe", default="fast", help="fast (default) or paper")
    tr.add_argument("--seed", type=int, default=0, help="first seed (default 0)")
    tr.add_argument("--n-seeds", type=int, default=None,
                    help="seeds trained together (default: 1 with an architecture, 5 with --search)")
    tr.add_argument("--steps", type=int, default=None, help="override the recipe's step count")
    tr.add_argument("--time-budget", type=float, default=None, metavar="SECONDS",
                    help="stop training / searching after this long (wall clock; default: no limit)")
    tr.add_argument("--n-sequences", type=int, default=None, metavar="N",
                    help="dataset size (default: the paper's 1,000,000)")
    tr.add_argument("--out", required=True, metavar="PATH", help="checkpoint file to write")
    _add_zoo_parser(sub)
    from mips.cli_bench import add_bench_parser
    from mips.cli_run import add_run_parser
    from mips.cli_verify import add_verify_parser
    add_run_parser(sub, _add_task_args)
    add_verify_parser(sub, _add_task_args)
    add_bench_parser(sub)
    return p


def cmd_tasks(args: argparse.Namespace) -> int:
    from mips.tasks import list_tasks

    tasks = list_tasks(include_variants=args.variants)
    width = max(len(t.name) for t in tasks)
    for t in tasks:
        num = f"{t.paper_index:>2}" if t.paper_index else " -"
        dims = f"in {t.input_dim} out {t.output_dim} T={t.seq_len:<2}"
        print(f"{num} {t.name:<{width}}  {dims}  {t.description}")
    return 0


def _resolve(args: argparse.Namespace):
    from mips.sandbox import isolation
    from mips.tasks import resolve_task
    from mips.tasks.label_cache import with_label_cache
    if args.task_file and args.trust_task_file and not isolation().complete:
        print(f"warning: running the task file without full isolation (--trust-task-file). "
              f"{isolation().summary()}", file=sys.stderr)
    return with_label_cache(resolve_task(name=args.task, task_file=args.task_file, trust=args.trust_task_file))


def print_label_progress(every_seconds: float = 2.0):
    """A label-progress callback printing a line when labelling starts, every few seconds, and at the end."""
    import time
    last = [0.0]

    def report(e: dict) -> None:
        now = time.perf_counter()
        done, total = e["done"], e["total"]
        if e["done"] == e["cached"] or done == total or now - last[0] >= every_seconds:
            last[0] = now
            cached = f", {e['cached']:,} cached" if e["cached"] else ""
            print(f"  labels   {done:,} of {total:,} distinct sequences of length {e['seq_len']} "
                  f"({e['seconds']:.1f}s{cached})", flush=True)
    return report


def cmd_train(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from mips.errors import ConfigError
    from mips.models import RNNConfig, save_checkpoint
    from mips.tasks import make_dataset
    from mips.tasks.dataset import search_dataset
    from mips.tasks.label_cache import label_progress
    from mips.training import get_recipe, train

    from mips.errors import check_int
    from mips.models.checkpoint import MAX_SEED
    check_int("train", "seed", args.seed, 0, MAX_SEED)       # before training, not when saving
    spec = _resolve(args)
    arch_given = args.hidden_dim is not None
    if args.search == arch_given:
        raise ConfigError("Give either an architecture (--hidden-dim H, optionally the depths and widths) "
                          "or --search, not both and not neither.")
    recipe = get_recipe(args.recipe, max_steps=args.steps)
    with label_progress(print_label_progress()):
        data = (search_dataset(spec, n_sequences=args.n_sequences, seed=42) if args.search
                else make_dataset(spec, n_sequences=args.n_sequences, seed=42))

    if args.search:
        from mips.find_network import find_network, trial_line

        def on_event(e: dict) -> None:
            if e["event"] == "group_start":
                print(f"  {e['phase']:<6} training {', '.join(e['architectures'])} (seeds "
                      f"{e['seeds'][0]}-{e['seeds'][-1]}) ...", flush=True)
            elif e["event"] == "trial_start" and "group" not in e and args.search_order == "paper":
                print(f"  {e['phase']:<6} training {e['architecture']} ...", flush=True)
            elif e["event"] == "trial_end":
                print(trial_line(e), flush=True)

        print(f"searching {spec.name} ({args.search_order} order)", flush=True)
        res = find_network(spec, order=args.search_order, dataset=data, recipe=recipe, n_seeds=args.n_seeds,
                           first_seed=args.seed, work_budget=args.search_work,
                           time_budget_seconds=args.time_budget, on_event=on_event)
        print(res.summary())
        if res.best is None:
            return 1
        best = res.best
        training = {**best.metadata(), "search": res.metadata()}
    else:
        cfg = RNNConfig(input_dim=spec.input_dim, output_dim=spec.output_dim, hidden_dim=args.hidden_dim,
                        hidden_depth=args.hidden_depth, hidden_width=args.hidden_width,
                        output_depth=args.output_depth, output_width=args.output_width)
        n_seeds = args.n_seeds or 1
        bar = tqdm(total=recipe.steps_for(spec.name), desc=f"train {spec.name}", unit="step",
                   dynamic_ncols=True)

        def on_progress(point, total) -> None:
            bar.total = total
            bar.n = point.step
            bar.set_postfix(loss=f"{min(point.loss):.3g}", acc=f"{max(point.accuracy):.4f}")
            bar.refresh()

        best = train(spec, cfg, recipe=recipe, seeds=tuple(range(args.seed, args.seed + n_seeds)),
                     dataset=data, time_limit_seconds=args.time_budget, on_progress=on_progress)
        bar.close()
        training = best.metadata()
    path = save_checkpoint(args.out, best.model, task=spec.name, seed=best.seed, training=training)
    state = "100% on the whole test split" if best.perfect else \
        f"NOT perfect (test accuracy {best.test_accuracy:.6f})"
    print(f"{spec.name}: {best.config.describe()} seed {best.seed}, {state}, {best.steps} steps, "
          f"{best.seconds:.1f}s -> {path}")
    return 0 if best.perfect else 1


# -- zoo: the shipped trained networks (mips/zoo.py) ------------------------------------------
def _add_zoo_parser(sub) -> None:
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
                    help="an existing Dask scheduler, e.g. tcp://host:8786 (its workers must see the zoo folder)")
    zl = zsub.add_parser("list", help="one line per task: architecture, perfect, accuracy, seconds")
    zl.add_argument("--zoo-dir", default=None, metavar="DIR", help="zoo folder (default assets/zoo)")


def _print_zoo_entry(e) -> None:
    state = "perfect" if e.perfect else "FAILED "
    print(f"{e.task:<24} {e.describe:<20} {state} acc {e.test_accuracy:.7f} {e.training_seconds:7.1f}s")


def cmd_zoo(args: argparse.Namespace) -> int:
    import os

    from mips import zoo

    zoo_dir = args.zoo_dir or zoo.ZOO_DIR
    if args.zoo_command == "list":
        entries = zoo.manifest(zoo_dir)
        if not entries:
            print(f"The zoo in '{zoo_dir}' is empty: build it with `python -m mips zoo build`.")
            return 1
        for e in entries.values():
            _print_zoo_entry(e)
        n_perfect = sum(e.perfect for e in entries.values())
        print(f"{n_perfect} of {len(entries)} tasks have a perfect network.")
        return 0
    from mips.find_network import trial_line
    names = args.tasks
    n_tasks = len(names) if names else 62
    done = [0]

    def on_event(e: dict) -> None:
        if e["event"] == "trial_end":
            print(f"  {e['task']:<24}" + trial_line(e), flush=True)
        elif e["event"] == "task_skipped":
            done[0] += 1
        elif e["event"] == "task_end":
            done[0] += 1
            state = ("ERROR " + e["error"]) if e.get("error") else \
                f"{e['architecture']:<20} {'perfect' if e['perfect'] else 'NOT perfect'} acc {e['accuracy']:.7f}"
            print(f"[{done[0]:>2}/{n_tasks}] {e['task']:<24} {state}  {e['seconds']:7.1f}s", flush=True)

    work = args.work_per_task if args.work_per_task is not None else zoo.DEFAULT_WORK_PER_TASK
    workers = args.workers or (os.cpu_count() or 1)
    if args.scheduler or workers > 1:
        from mips.zoo_dispatch import build_zoo_distributed
        res = build_zoo_distributed(names, zoo_dir, work_per_task=work, time_budget_per_task=args.time_budget_per_task,
                                    force=args.force, scheduler=args.scheduler, n_workers=workers, on_event=on_event)
    else:
        res = zoo.build_zoo(names, zoo_dir, work_per_task=work, time_budget_per_task=args.time_budget_per_task,
                            on_event=on_event, force=args.force)
    for name in res.built:
        _print_zoo_entry(res.entries[name])
    n_perfect = sum(res.entries[n].perfect for n in res.built)
    failed = n_tasks - len(res.built) - len(res.skipped)          # processes that crashed
    print(f"built {len(res.built)} tasks ({n_perfect} perfect), skipped {len(res.skipped)} already in the "
          f"zoo" + (f", {failed} failed" if failed else "") + f", {res.seconds:.1f}s")
    return 0 if n_perfect == len(res.built) and not failed else 1
# -- end zoo ----------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "run":
            from mips.cli_run import cmd_run
            return cmd_run(args, _resolve)
        if args.command == "verify":
            from mips.cli_verify import cmd_verify
            return cmd_verify(args, _resolve)
        if args.command == "bench":
            from mips.cli_bench import cmd_bench
            return cmd_bench(args)
        return {"tasks": cmd_tasks, "train": cmd_train, "zoo": cmd_zoo}[args.command](args)
    except MipsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
