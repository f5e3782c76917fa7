"""`mips train`: train a network of a given architecture, or search a small perfect one."""

from __future__ import annotations

import argparse

from tqdm import tqdm

from mips.cli.common import add_task_args, print_label_progress, printable, resolve
from mips.errors import ConfigError, check_int
from mips.tasks import make_dataset, search_dataset
from mips.tasks.label_cache import label_progress


def add_parser(sub) -> None:
    tr = sub.add_parser("train", help="train a network (fixed architecture or --search) and save it")
    add_task_args(tr)
    tr.add_argument("--hidden-dim", type=int, metavar="H", help="hidden state size H (1..128)")
    tr.add_argument("--hidden-depth", type=int, default=1, metavar="D", help="Linear layers in f (1..3)")
    tr.add_argument("--hidden-width", type=int, default=1, metavar="W", help="width of f's hidden layers")
    tr.add_argument("--output-depth", type=int, default=1, metavar="D", help="Linear layers in g (1..3)")
    tr.add_argument("--output-width", type=int, default=1, metavar="W", help="width of g's hidden layers")
    tr.add_argument("--search", action="store_true", help="search a small perfect network (see --search-order)")
    from mips.network.find_network import ORDER_HELP, ORDERS   # deferred: torch (see run)
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


def run(args: argparse.Namespace) -> int:
    # deferred: the network stage imports torch, which `--help` and `mips tasks` need not wait for
    from mips.network import RNNConfig, find_network, save_checkpoint
    from mips.network.checkpoint import MAX_SEED
    from mips.network.find_network import trial_line
    from mips.network.budget import Budget
    from mips.network.training import get_recipe, train

    check_int("train", "seed", args.seed, 0, MAX_SEED)       # before training, not when saving
    spec = resolve(args)
    arch_given = args.hidden_dim is not None
    if args.search == arch_given:
        raise ConfigError("Give either an architecture (--hidden-dim H, optionally the depths and widths) "
                          "or --search, not both and not neither.")
    recipe = get_recipe(args.recipe, max_steps=args.steps)
    with label_progress(print_label_progress()):
        data = (search_dataset(spec, n_sequences=args.n_sequences) if args.search
                else make_dataset(spec, n_sequences=args.n_sequences))

    if args.search:
        def on_event(e: dict) -> None:
            if e["event"] == "group_start":
                print(f"  {e['phase']:<6} training {', '.join(e['architectures'])} (seeds "
                      f"{e['seeds'][0]}-{e['seeds'][-1]}) ...", flush=True)
            elif e["event"] == "trial_start" and "group" not in e and args.search_order == "paper":
                print(f"  {e['phase']:<6} training {e['architecture']} ...", flush=True)
            elif e["event"] == "trial_end":
                print(trial_line(e), flush=True)

        print(f"searching {printable(spec.name)} ({args.search_order} order)", flush=True)
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
                     dataset=data, budget=Budget(seconds=args.time_budget), on_progress=on_progress)
        bar.close()
        training = best.metadata()
    path = save_checkpoint(args.out, best.model, task=spec.name, seed=best.seed, training=training)
    state = "100% on the whole test split" if best.perfect else \
        f"NOT perfect (test accuracy {best.test_accuracy:.6f})"
    print(f"{printable(spec.name)}: {best.config.describe()} seed {best.seed}, {state}, {best.steps} steps, "
          f"{best.seconds:.1f}s -> {printable(path)}")
    return 0 if best.perfect else 1
