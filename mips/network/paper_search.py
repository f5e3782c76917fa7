"""Smallest-network search, the paper's AutoML (mips-method.md §5).

Architectures are ranked by a mixed-radix index over ``(od, hd, H, ow, hw)`` (output depth,
hidden depth, hidden dim, output width, hidden width), most significant first; "smallest"
means smallest index. Phase 1 sweeps the index geometrically (×2^¼) from 65,536 (a linear
RNN with H = 2) until some seed trains to 100%; phase 2 binary-searches below it, inheriting
outcomes between equivalent indices (same network once meaningless widths are ignored).

Differences from the authors' code, on purpose:

* the seeds of one architecture train together as one batched model (same outcome per seed,
  a fraction of the time), and "perfect" is judged on the whole test split;
* outcomes are reused for every equivalent index trained before (the paper only compared
  with the previous index, so bisection retrained the same network many times);
* a time budget; when it runs out the best network found so far is returned, flagged;
* every architecture and seed tried is recorded with its outcome and time.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from mips.errors import ConfigError, check_int
from mips.network.budget import Budget, Meter, StopReason
from mips.network.config import MAX_DEPTH, MAX_HIDDEN_DIM, MAX_WIDTH, RNNConfig
from mips.network.training import Recipe, TrainResult, get_recipe, train

log = logging.getLogger(__name__)

RADICES = (MAX_DEPTH, MAX_DEPTH, MAX_HIDDEN_DIM, MAX_WIDTH, MAX_WIDTH)   # od, hd, H, ow, hw
N_ARCHITECTURES = math.prod(RADICES)                                     # 75,497,472
START_INDEX = MAX_WIDTH * MAX_WIDTH                                      # (1, 1, 2, 1, 1)


def architecture_at(index: int) -> tuple[int, int, int, int, int]:
    """``(od, hd, H, ow, hw)`` of a search index in ``[0, N_ARCHITECTURES)``."""
    check_int("architecture_at", "index", index, 0, N_ARCHITECTURES - 1)
    digits = []
    for radix in reversed(RADICES):
        index, d = divmod(index, radix)
        digits.append(d + 1)
    od, hd, h, ow, hw = reversed(digits)
    return od, hd, h, ow, hw


def index_of(config: RNNConfig) -> int:
    """The search index of an architecture (widths of depth-1 MLPs count as 1)."""
    digits = (config.output_depth, config.hidden_depth, config.hidden_dim,
              config.output_width, config.hidden_width)
    n = 0
    for d, radix in zip(digits, RADICES):
        n = n * radix + (d - 1)
    return n


def config_at(index: int, input_dim: int, output_dim: int) -> RNNConfig:
    od, hd, h, ow, hw = architecture_at(index)
    return RNNConfig(input_dim=input_dim, output_dim=output_dim, hidden_dim=h, hidden_depth=hd,
                     hidden_width=hw, output_depth=od, output_width=ow)


def equivalent(a: int, b: int) -> bool:
    """Same network: same depths and H, same widths where the depth makes them matter."""
    if a < 0 or b < 0:
        return False
    od1, hd1, h1, ow1, hw1 = architecture_at(a)
    od2, hd2, h2, ow2, hw2 = architecture_at(b)
    if (od1, hd1, h1) != (od2, hd2, h2):
        return False
    return (od1 == 1 or ow1 == ow2) and (hd1 == 1 or hw1 == hw2)


@dataclass(frozen=True, slots=True, kw_only=True)
class Trial:
    """One architecture trained with several seeds.

    ``phase`` is ``sweep`` / ``bisect`` in the paper's order and ``find`` / ``polish`` /
    ``escalate`` / ``shrink`` in the practical one (:mod:`mips.network.practical_search`), where several architectures train together as
    one group: ``group`` numbers it, ``seconds`` is the group's, ``work`` this architecture's
    share of the group's work units, ``stopped`` why its best seed stopped, and
    ``test_accuracy`` is on the whole test split when ``full_accuracy`` else on the checked
    test sequences of its last evaluation.
    """

    phase: Literal["sweep", "bisect", "find", "polish", "escalate", "shrink"]
    index: int
    architecture: str                # RNNConfig.describe()
    seeds: tuple[int, ...]
    perfect: bool
    seed: int | None                 # the perfect seed, if any
    test_accuracy: float             # best seed's element accuracy on the whole test split
    steps: int
    seconds: float
    inherited_from: int | None = None   # index whose outcome was reused (equivalent network)
    group: int | None = None
    work: float | None = None
    stopped: str | None = None
    full_accuracy: bool = True

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values (seeds as a list)."""
        return {f: (list(v) if isinstance(v, tuple) else v)
                for f in self.__dataclass_fields__ for v in (getattr(self, f),)}


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchResult:
    task: str
    best: TrainResult | None         # the smallest perfect network, else the most accurate one
    found: bool                      # a perfect network was found
    trials: tuple[Trial, ...] = field(default=())
    seconds: float = 0.0
    stopped: StopReason = "done"     # done | exhausted | work_budget | time_budget | cancelled
    order: Literal["paper", "practical"] = "paper"
    work: float | None = None        # work units spent (practical order)
    first_perfect_seconds: float | None = None   # when the first perfect network was confirmed

    def summary(self) -> str:
        if self.best is None:
            return f"{self.task}: no network trained ({self.stopped})."
        state = "perfect" if self.found else f"best accuracy {self.best.test_accuracy:.6f}"
        work = f", {self.work:,.0f} work units" if self.work is not None else ""
        return (f"{self.task}: {self.best.config.describe()} seed {self.best.seed}, {state}; "
                f"{len(self.trials)} trials in {self.seconds:.1f}s{work} ({self.order} order, {self.stopped}).")

    def metadata(self) -> dict[str, Any]:
        """What a checkpoint records about the search (with the best network's own metadata)."""
        return {"found": self.found, "order": self.order, "seconds": round(self.seconds, 3),
                "work": None if self.work is None else round(self.work, 1), "stopped": self.stopped,
                "first_perfect_seconds": (None if self.first_perfect_seconds is None
                                          else round(self.first_perfect_seconds, 3)),
                "trials": [t.to_dict() for t in self.trials]}


EventFn = Callable[[dict[str, Any]], None]


def search(spec, *, dataset, recipe: str | Recipe = "fast", n_seeds: int = 5, first_seed: int = 0,
           budget: Budget = Budget(), on_event: EventFn | None = None,
           train_fn: Callable[..., TrainResult] = train) -> SearchResult:
    """Find the smallest architecture (paper order) that some seed trains to 100%.

    Parameters
    ----------
    spec : TaskSpec (the caller resolves a task's name)
    dataset : Dataset every trial trains on (the caller builds it)
    recipe : training recipe for every trial
    n_seeds : seeds tried per architecture (the paper used 5); they train together
    first_seed : seeds are ``first_seed .. first_seed + n_seeds - 1``
    budget : its seconds stop new trials (and the one running); ``should_stop`` is polled between
        trials and inside training (True cancels). The paper order counts no work: a budget
        with ``work`` is refused.
    on_event : callable(dict), optional
        Receives ``{"event": "trial_start" | "trial_end" | "done", ...}`` for progress display.
    train_fn : the trainer (replaceable in tests)
    """
    check_int("search", "n_seeds", n_seeds, 1, 64)
    check_int("search", "first_seed", first_seed, 0, 2**31 - n_seeds)
    if budget.work is not None:
        raise ConfigError("The paper order counts no work: give its search a budget in seconds, not in work "
                          f"(got work={budget.work}).")
    s = _PaperSearch(spec, dataset, get_recipe(recipe), tuple(range(first_seed, first_seed + n_seeds)),
                     budget.start(), on_event or (lambda _e: None), train_fn)
    success = _sweep(s)
    if success is not None:
        _bisect(s, success)
    best = s.best_perfect[1] if s.best_perfect is not None else s.best_any
    result = SearchResult(task=spec.name, best=best, found=s.best_perfect is not None, trials=tuple(s.trials),
                          seconds=s.meter.elapsed(), stopped=s.stopped,
                          first_perfect_seconds=s.first_perfect[0] if s.first_perfect else None)
    s.emit({"event": "done", "summary": result.summary()})
    log.info(result.summary())
    return result


class _PaperSearch:
    """The state of one paper-order search: what was trained, the best networks, why it stopped."""

    def __init__(self, spec, dataset, rec: Recipe, seeds: tuple[int, ...], meter: Meter, emit: EventFn,
                 train_fn: Callable[..., TrainResult]) -> None:
        self.spec, self.dataset, self.rec, self.seeds, self.meter, self.emit = spec, dataset, rec, seeds, meter, emit
        self.train_fn = train_fn
        self.trials: list[Trial] = []
        self.results: dict[int, TrainResult] = {}
        self.trained: dict[int, int] = {}    # canonical index -> index actually trained
        self.best_perfect: tuple[int, TrainResult] | None = None
        self.best_any: TrainResult | None = None
        self.first_perfect: list[float] = []
        self.stopped: StopReason = "done"

    def config(self, index: int) -> RNNConfig:
        return config_at(index, self.spec.input_dim, self.spec.output_dim)

    def outcome_of(self, index: int, phase: str) -> bool | None:
        """Train ``index`` unless an equivalent network was already trained (then reuse it); None when
        the search is cancelled or out of time."""
        key = index_of(self.config(index))
        if key in self.trained:
            p = self.results[self.trained[key]]
            self.trials.append(Trial(phase=phase, index=index, architecture=p.config.describe(), seeds=(),
                                     perfect=p.perfect, seed=None, test_accuracy=p.test_accuracy, steps=0,
                                     seconds=0.0, inherited_from=self.trained[key]))
            return p.perfect
        reason = self.meter.reason()
        if reason is not None:
            self.stopped = reason
            return None
        self.trained[key] = index
        return self.run(index, phase)

    def run(self, index: int, phase: str) -> bool:
        cfg, m = self.config(index), self.meter
        self.emit({"event": "trial_start", "phase": phase, "index": index, "architecture": cfg.describe(),
                   "n_trials": len(self.trials), "seconds": m.elapsed()})
        seconds = m.budget.seconds
        remaining = None if seconds is None else max(1.0, seconds - m.elapsed())
        res = self.train_fn(self.spec, cfg, recipe=self.rec, seeds=self.seeds, dataset=self.dataset,
                            budget=Budget(seconds=remaining, should_stop=m.budget.should_stop))
        self.results[index] = res
        trial = Trial(phase=phase, index=index, architecture=cfg.describe(), seeds=self.seeds,
                      perfect=res.perfect, seed=res.seed if res.perfect else None,
                      test_accuracy=res.test_accuracy, steps=res.steps, seconds=res.seconds)
        self.trials.append(trial)
        if res.perfect and (self.best_perfect is None or index < self.best_perfect[0]):
            self.best_perfect = (index, res)
            self.first_perfect.append(m.elapsed())
        if self.best_any is None or res.test_accuracy > self.best_any.test_accuracy:
            self.best_any = res
        self.emit({"event": "trial_end", **trial.to_dict(), "n_trials": len(self.trials), "elapsed": m.elapsed()})
        return res.perfect


def _sweep(s: _PaperSearch) -> int | None:
    """Phase 1: the geometric sweep (indices equivalent to the previous one are skipped, as in the
    paper), up to the first success (returned)."""
    n, prev = START_INDEX, -1
    while True:
        idx = min(n, N_ARCHITECTURES - 1)
        if not equivalent(idx, prev):
            outcome = s.outcome_of(idx, "sweep")
            if outcome is None:   # cancelled or out of time
                return None
            if outcome:
                return idx
        prev = idx
        if idx == N_ARCHITECTURES - 1:
            s.stopped = "exhausted"
            return None
        n = int(math.floor(n * 2 ** 0.25))


def _bisect(s: _PaperSearch, success: int) -> None:
    """Phase 2: binary search below the first success (lo assumed to fail, as in the paper).
    Outcomes are reused for any equivalent index trained before, not only the previous one."""
    hi, lo = success, success // 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        outcome = s.outcome_of(mid, "bisect")
        if outcome is None:   # cancelled or out of time
            break
        if outcome:
            hi = mid
        else:
            lo = mid
