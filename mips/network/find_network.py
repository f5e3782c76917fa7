"""Which network search runs, for every command: the practical order (default) or the paper's.

* ``practical`` (:mod:`mips.network.practical_search`): small linear and nonlinear candidates
  interleaved by cost, several trained together, hopeless ones abandoned early, then shrinking
  toward a smaller perfect network; a *work* budget, so results do not depend on the machine.
* ``paper`` (:mod:`mips.network.paper_search`): the paper's AutoML order (every linear H before any nonlinear
  f, then bisection), kept for reproducing the paper; it stops only when it finds a network,
  runs out of architectures, or at an explicit wall-clock budget.

Both train on :func:`mips.tasks.dataset.search_dataset` (de-duplicated when the task's input
space is small) unless a dataset is given, and return a :class:`mips.network.paper_search.SearchResult`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mips.errors import check_choice
from mips.network.budget import Budget
from mips.network.checkpoint import Checkpoint
from mips.network.paper_search import SearchResult, search
from mips.network.practical_search import DEFAULT_SEEDS, DEFAULT_WORK_BUDGET, practical_search
from mips.tasks import get_task
from mips.tasks.dataset import search_dataset

ORDERS = ("practical", "paper")
ORDER_HELP = ("practical (default): small linear and nonlinear networks interleaved by cost, then shrinking; "
              "paper: the paper's AutoML order (every linear H first), for reproducing the paper")


def find_network(task, *, order: str = "practical", dataset=None, recipe="fast", n_seeds: int | None = None,
                 first_seed: int = 0, work_budget: float | None = None, time_budget_seconds: float | None = None,
                 on_event: Callable[[dict[str, Any]], None] | None = None, on_progress=None,
                 should_stop: Callable[[], bool] | None = None) -> SearchResult:
    """Run the search of ``order`` on ``task``.

    Parameters
    ----------
    order : "practical" or "paper"
    dataset : Dataset, optional (default: ``search_dataset(task)``)
    n_seeds : seeds per architecture (default 4 practical, 5 paper)
    work_budget : work units of the practical search (default
        :data:`mips.network.practical_search.DEFAULT_WORK_BUDGET`); the paper order counts no work
    time_budget_seconds : an explicit wall-clock limit, for either order (None: none)
    on_event, on_progress, should_stop : progress and cancellation (see the two searches)
    """
    check_choice("find_network", "order", order, ORDERS)
    spec = get_task(task) if isinstance(task, str) else task       # resolved here, once, for the whole search
    if dataset is None:
        dataset = search_dataset(spec)
    if order == "paper":
        return search(spec, dataset=dataset, recipe=recipe, n_seeds=n_seeds or 5, first_seed=first_seed,
                      budget=Budget(seconds=time_budget_seconds, should_stop=should_stop), on_event=on_event)
    budget = Budget(work=DEFAULT_WORK_BUDGET if work_budget is None else work_budget, seconds=time_budget_seconds,
                    should_stop=should_stop)
    return practical_search(spec, dataset=dataset, recipe=recipe, n_seeds=n_seeds or DEFAULT_SEEDS,
                            first_seed=first_seed, budget=budget, on_event=on_event, on_progress=on_progress)


MIN_USABLE_ACCURACY = 0.9          # below this, the later stages would only describe the network's errors


def unusable(result: SearchResult) -> str | None:
    """Why the search's best network should not go on to the later stages, or None.

    A network right on fewer than ``MIN_USABLE_ACCURACY`` of the outputs has no machine worth
    reading: its states are the task's states mixed with its mistakes, and the program stage would
    spend its budget on a table that is wrong. The run ends here, saying what the search reached
    and what to try."""
    best = result.best
    if best is None:
        return f"the search trained no network ({result.stopped})"
    if result.found or best.test_accuracy >= MIN_USABLE_ACCURACY:
        return None
    work = f" after {result.work:,.0f} work units" if result.work is not None else ""
    return (f"the search found no usable network: the best, {best.config.describe()}, is right on "
            f"{best.test_accuracy:.1%} of the test outputs{work} (at least {MIN_USABLE_ACCURACY:.0%} is needed "
            f"to read a machine from it); give the search more work (--search-work), try the paper order, "
            f"or train a network yourself and pass it with --model")


def as_checkpoint(result: SearchResult) -> Checkpoint | None:
    """The search's best network with its training and search metadata (None without a network)."""
    best = result.best
    if best is None:
        return None
    training = {**best.metadata(), "search": result.metadata()}
    return Checkpoint(model=best.model, config=best.config, task=result.task, seed=best.seed, training=training)


def trial_line(e: dict[str, Any]) -> str:
    """One line per finished trial, for the command line (architecture, seeds, steps, accuracy, seconds)."""
    seeds = e.get("seeds") or ()
    seeds_text = (f"seeds {seeds[0]}-{seeds[-1]}" if len(seeds) > 1 else f"seed {seeds[0]}") if seeds else "inherited"
    state = "perfect" if e.get("perfect") else "failed "
    where = "" if e.get("full_accuracy", True) else "~"      # ~: on the checked test sequences only
    stop = f" ({e['stopped']})" if e.get("stopped") else ""
    return (f"  {e.get('phase', ''):<6} {e['architecture']:<20} {seeds_text:<11} {e.get('steps', 0):>6,} steps  "
            f"acc {where}{e.get('test_accuracy', 0.0):.6f}  {state}{stop}  {e.get('seconds', 0.0):6.1f}s")
