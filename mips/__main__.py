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
    tr.add_argument("--search", action="store_true", help="find the smallest network (paper's AutoML)")
    tr.add_argument("--recipe", default="fast", help="fast (default) or paper")
    tr.add_argument("--seed", type=int, default=0, help="first seed (default 0)")
    tr.add_argument("--n-seeds", type=int, default=None,
                    help="seeds trained together (default: 1 with an architecture, 5 with --search)")
    tr.add_argument("--steps", type=int, default=None, help="override the recipe's step count")
    tr.add_argument("--time-budget", type=float, default=None, metavar="SECONDS",
                    help="stop training / searching after this long")
    tr.add_argument("--n-sequences", type=int, default=None, metavar="N",
                    help="dataset size (default: the paper's 1,000,000)")
    tr.add_argument("--out", required=True, metavar="PATH", help="checkpoint file to write")
    _add_zoo_parser(sub)
    from mips.cli_bench import add_bench_parser
    from mips.cli_run import add_run_parser
    add_run_parser(sub, _add_task_args)
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
    if args.task_file and args.trust_task_file and not isolation().complete:
        print(f"warning: running the task file without full isolation (--trust-task-file). "
              f"{isolation().summary()}", file=sys.stderr)
    return resolve_task(name=args.task, task_file=args.task_file, trust=args.trust_task_file)


def cmd_train(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from mips.errors import ConfigError
    from mips.models import RNNConfig, save_checkpoint
    from mips.search import search
    from mips.tasks import make_dataset
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
    data = make_dataset(spec, n_sequences=args.n_sequences, seed=42)

    if args.search:
        n_seeds = args.n_seeds or 5
        bar = tqdm(desc=f"search {spec.name}", unit="trial", dynamic_ncols=True)

        def on_event(e: dict) -> None:
            if e["event"] == "trial_start":
                bar.set_postfix_str(f"{e['phase']} {e['architecture']}")
            elif e["event"] == "trial_end":
                bar.update(1)
                tqdm.write(f"  {e['phase']:<6} {e['architecture']:<24} "
                           f"{'perfect' if e['perfect'] else 'failed ':<7} acc {e['test_accuracy']:.6f} "
                           f"{e['seconds']:6.1f}s")

        res = search(spec, recipe=recipe, n_seeds=n_seeds, first_seed=args.seed,
                     time_budget_seconds=args.time_budget, dataset=data, on_event=on_event)
        bar.close()
        print(res.summary())
        if res.best is None:
            return 1
        best = res.best
        training = {**best.metadata(), "search": {"found": res.found, "seconds": round(res.seconds, 3),
                                                  "stopped": res.stopped,
                                                  "trials": [t.to_dict() for t in res.trials]}}
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
    zb = zsub.add_parser("build", help="train the zoo's networks (resumable; skips tasks already built)")
    zb.add_argument("--tasks", nargs="+", metavar="NAME", help="only these tasks (default: all 62)")
    zb.add_argument("--time-budget-per-task", type=float, default=None, metavar="S",
                    help="training seconds per task (default 75)")
    zb.add_argument("--force", action="store_true", help="retrain tasks already in the manifest")
    zb.add_argument("--zoo-dir", default=None, metavar="DIR", help="zoo folder (default assets/zoo)")
    zl = zsub.add_parser("list", help="one line per task: architecture, perfect, accuracy, seconds")
    zl.add_argument("--zoo-dir", default=None, metavar="DIR", help="zoo folder (default assets/zoo)")


def _print_zoo_entry(e) -> None:
    state = "perfect" if e.perfect else "FAILED "
    print(f"{e.task:<24} {e.describe:<20} {state} acc {e.test_accuracy:.7f} {e.training_seconds:7.1f}s")


def cmd_zoo(args: argparse.Namespace) -> int:
    from tqdm import tqdm

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
    names = args.tasks
    bar = tqdm(total=len(names) if names else 62, desc="zoo", unit="task", dynamic_ncols=True)

    def on_event(e: dict) -> None:
        if e["event"] in ("task_start", "task_skipped"):
            bar.total = e["n_tasks"]
            bar.set_postfix_str(e["task"])
        if e["event"] == "trial_end":
            tqdm.write(f"  {e['task']:<24} {e['architecture']:<20} "
                       f"{'perfect' if e['perfect'] else 'failed ':<7} acc {e['accuracy']:.7f} "
                       f"{e['seconds']:6.1f}s ({e['stopped']})")
        elif e["event"] in ("task_end", "task_skipped"):
            bar.update(1)

    budget = args.time_budget_per_task if args.time_budget_per_task is not None else zoo.DEFAULT_BUDGET_SECONDS
    res = zoo.build_zoo(names, zoo_dir, time_budget_per_task=budget, on_event=on_event, force=args.force)
    bar.close()
    for name in res.built:
        _print_zoo_entry(res.entries[name])
    n_perfect = sum(res.entries[n].perfect for n in res.built)
    print(f"built {len(res.built)} tasks ({n_perfect} perfect), skipped {len(res.skipped)} already in the "
          f"zoo, {res.seconds:.1f}s")
    return 0 if n_perfect == len(res.built) else 1
# -- end zoo ----------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "run":
            from mips.cli_run import cmd_run
            return cmd_run(args, _resolve)
        if args.command == "bench":
            from mips.cli_bench import cmd_bench
            return cmd_bench(args)
        return {"tasks": cmd_tasks, "train": cmd_train, "zoo": cmd_zoo}[args.command](args)
    except MipsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
