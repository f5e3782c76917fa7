"""The practical smallest-network search, the default of every command (issue 12).

The paper's order (:mod:`mips.network.paper_search`) trains every linear RNN up to H = 128 before it tries any
nonlinearity: right for reproducing the paper, slow for a new task (a 3-state comparison task
spent a 420 s budget on 23 linear networks). This search instead:

1. **find**: trains small candidates in groups (:func:`find_plan`), linear and nonlinear
   interleaved by cost: linear RNNs with H = 1-4, then a small nonlinear f, a linear f with a
   nonlinear readout g, wider and deeper f, nonlinear f and g together (Majority_0_3 needs both:
   counts, then the most frequent), more linear H, up to H = 8, f 3/128, and last a linear f
   with H = 10-12 read by a three-layer g (Bit_Palindrome: the register holds every input of a
   10-step sequence, g tests it). The
   architectures of a group share depths and train together with several seeds as one batched model
   (:mod:`mips.network.group_training`), which drops hopeless members early (no progress for
   :data:`SEARCH_PATIENCE` evaluations, successive halving) and stops at the first perfect one;
2. **polish**: when the plan is done without a perfect network, the groups' best networks that
   are nearly perfect (at least :data:`mips.network.polish.POLISH_FROM` of the outputs right) are
   polished, most accurate first, with hard examples and a rounding margin (:mod:`mips.network.polish`),
   which removes the last few errors training leaves. A network with only a few errors left
   (:data:`POLISH_AT_ONCE`) is polished as soon as its group ends, and so is any nearly perfect
   network of the escalation and shrink phases;
3. **escalate**: when nothing is perfect yet, the most accurate groups are trained again with
   new seeds, first with as many steps, then twice and four times as many (and patience to
   match), their nearly perfect networks polished at once, while the budget lasts;
4. **shrink**: with the budget left, neighbours of the best perfect network (H - 1, half the
   width, one layer fewer) are tried, and the search moves to any that is perfect, until none
   is or the budget is spent. Interpretation prefers small networks: smaller H first, then
   fewer nonlinear layers, then narrower ones (:func:`size_key`).

The budget is *work*, not seconds (:data:`mips.network.work.WORK_UNIT`), so the same task,
data and seeds give the same network on any machine under any load; a wall-clock limit applies
only when the caller gives one. Every architecture trained (and every polish) is recorded as a
:class:`~mips.network.paper_search.Trial`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from mips.errors import check_int
from mips.network.budget import BUDGET_REASONS, Budget, Meter, StopReason
from mips.network.config import RNNConfig
from mips.network.group_training import GroupResult, MemberOutcome, train_group
from mips.network.paper_search import SearchResult, Trial, index_of
from mips.network.polish import POLISH_FROM, PolishResult, polish
from mips.network.stack import Member, envelope
from mips.network.training import Recipe, TrainResult, get_recipe
from mips.network.work import step_cost

log = logging.getLogger(__name__)

DEFAULT_WORK_BUDGET = 250_000.0   # work units (about 4 minutes on one core of this project's machines)
DEFAULT_SEEDS = 4                 # seeds per architecture
SEARCH_PATIENCE = 16              # evaluations (of 25 steps) without progress before a member is dropped
POLISH_AT_ONCE = 0.9999           # a find-phase network this accurate is polished at once, not after the plan
ESCALATE_GROUPS = 2               # most accurate groups retrained with twice the steps
MAX_ESCALATIONS = 3

EventFn = Callable[[dict[str, Any]], None]


def _cfg(spec, h: int, fd: int = 1, fw: int = 1, gd: int = 1, gw: int = 1) -> RNNConfig:
    return RNNConfig(input_dim=spec.input_dim, output_dim=spec.output_dim, hidden_dim=h, hidden_depth=fd,
                     hidden_width=fw, output_depth=gd, output_width=gw)


def find_plan(spec) -> list[tuple[RNNConfig, ...]]:
    """The groups of the find phase, in order: linear and nonlinear interleaved, each group about
    as costly per step as the next (see :func:`mips.network.work.step_cost`)."""
    return [tuple(g) for g in (
        [_cfg(spec, h) for h in (1, 2, 3, 4)],                         # linear RNNs
        [_cfg(spec, h, 2, 8) for h in (1, 2)],                         # small nonlinear f
        [_cfg(spec, h, 1, 1, 2, 16) for h in (1, 2, 3)],               # linear f, nonlinear readout g
        [_cfg(spec, h, 2, 16) for h in (1, 2, 3)],
        [_cfg(spec, h, 3, 16) for h in (2, 3)],                        # deeper f: modular counting
        [_cfg(spec, h) for h in (5, 6, 7, 8)],
        [_cfg(spec, h, 2, 32) for h in (2, 3, 4)],
        [_cfg(spec, h, 2, 32, 2, 32) for h in (2, 4)],                 # nonlinear f and g: counts, then
        [_cfg(spec, h, 3, 32) for h in (2, 3, 4)],                     # the most frequent one
        [_cfg(spec, h, 2, 64) for h in (4, 6)],
        [_cfg(spec, h, 1, 1, 2, 64) for h in (2, 4, 6)],
        [_cfg(spec, h, 2, 64, 2, 64) for h in (4, 6)],
        [_cfg(spec, h, 3, 64) for h in (4, 6)],
        [_cfg(spec, h) for h in (10, 12, 16)],
        [_cfg(spec, 8, 2, 64, 3, 64)],
        [_cfg(spec, 8, 2, 128)],
        [_cfg(spec, 8, 3, 128)],
        [_cfg(spec, h, 1, 1, 3, 64) for h in (10, 12)],               # a linear register of the whole
    )]                                                                 # history, read by a deep g


def group_cost(configs: Sequence[RNNConfig]) -> int:
    """Estimated cost of one step of a group: members times the cost of the padded network."""
    return len(configs) * step_cost(envelope(list(configs)))


def size_key(config: RNNConfig) -> tuple[int, ...]:
    """Smaller is easier to interpret: H, then nonlinear layers, then widths, then parameters."""
    return (config.hidden_dim, config.hidden_depth + config.output_depth,
            config.hidden_width if config.hidden_depth > 1 else 0,
            config.output_width if config.output_depth > 1 else 0, config.n_parameters)


def neighbours(config: RNNConfig) -> list[RNNConfig]:
    """Slightly smaller networks: H - 1, half the f or g width, one f layer fewer, one g layer fewer (3 -> 2)."""
    c = config
    out = []

    def add(**kw):
        d = {"input_dim": c.input_dim, "output_dim": c.output_dim, "hidden_dim": c.hidden_dim,
             "hidden_depth": c.hidden_depth, "hidden_width": c.hidden_width, "output_depth": c.output_depth,
             "output_width": c.output_width, **kw}
        n = RNNConfig(**d)
        if size_key(n) < size_key(c) and n not in out:
            out.append(n)

    if c.hidden_dim > 1:
        add(hidden_dim=c.hidden_dim - 1)
    if c.hidden_depth > 1 and c.hidden_width >= 4:
        add(hidden_width=c.hidden_width // 2)
    if c.output_depth > 1 and c.output_width >= 4:
        add(output_width=c.output_width // 2)
    if c.hidden_depth == 3:
        add(hidden_depth=2)
    if c.output_depth == 3:
        add(output_depth=2)
    return out


def _by_depths(configs: Sequence[RNNConfig]) -> list[tuple[RNNConfig, ...]]:
    groups: dict[tuple[int, int], list[RNNConfig]] = {}
    for c in configs:
        groups.setdefault((c.hidden_depth, c.output_depth), []).append(c)
    return sorted((tuple(g) for g in groups.values()), key=group_cost)


def practical_search(spec, *, dataset, recipe: str | Recipe = "fast", n_seeds: int = DEFAULT_SEEDS,
                     first_seed: int = 0, budget: Budget = Budget(work=DEFAULT_WORK_BUDGET), shrink: bool = True,
                     plan: Sequence[Sequence[RNNConfig]] | None = None, on_event: EventFn | None = None,
                     on_progress=None, train_group_fn: Callable[..., GroupResult] = train_group,
                     polish_fn: Callable[..., PolishResult] | None = polish) -> SearchResult:
    """Find a small perfect network quickly; see the module docstring.

    Parameters
    ----------
    spec : TaskSpec (the caller resolves a task's name)
    dataset : Dataset the groups train on (the caller builds it, usually
        :func:`mips.tasks.dataset.search_dataset`)
    recipe : the training recipe of every group ("fast" by default)
    n_seeds : seeds per architecture; seeds are ``first_seed .. first_seed + n_seeds - 1`` (then
        the next ``n_seeds`` for each escalation)
    budget : work units for the whole search (``work=None``: no limit), an optional wall-clock
        limit, and ``should_stop`` (polled at every evaluation; True cancels)
    shrink : look for a smaller perfect network with the budget left
    plan : groups of the find phase instead of :func:`find_plan`
    on_event : receives ``group_start``, ``trial_start``, ``trial_end`` and ``done`` events
    on_progress : passed to the group trainer (an EvalPoint of the current group per evaluation)
    train_group_fn : the group trainer (replaceable in tests)
    polish_fn : polishes a nearly perfect network (None: never)
    """
    check_int("practical_search", "n_seeds", n_seeds, 1, 64)
    check_int("practical_search", "first_seed", first_seed, 0, 2**31 - 64 * (MAX_ESCALATIONS + 1))
    s = _Search(spec=spec, dataset=dataset, rec=get_recipe(recipe), meter=budget.start(),
                emit=on_event or (lambda _e: None), on_progress=on_progress, train_group_fn=train_group_fn,
                polish_fn=polish_fn)
    seeds = tuple(range(first_seed, first_seed + n_seeds))
    _find(s, [tuple(g) for g in (plan if plan is not None else find_plan(spec))], seeds)
    _polish_nearly(s)
    _escalate(s, seeds)
    if s.perfect and shrink:
        _shrink(s, seeds)
    return s.result()


class _Search:
    """The state of one practical search: its budget meter, records, and networks found."""

    def __init__(self, *, spec, dataset, rec: Recipe, meter: Meter, emit: EventFn, on_progress,
                 train_group_fn: Callable[..., GroupResult], polish_fn: Callable[..., PolishResult] | None) -> None:
        self.spec, self.dataset, self.rec, self.meter, self.emit = spec, dataset, rec, meter, emit
        self.on_progress, self.train_group_fn, self.polish_fn = on_progress, train_group_fn, polish_fn
        self.group = 0
        self.stopped: StopReason = "done"
        self.first_perfect: float | None = None
        self.trials: list[Trial] = []
        self.tried: set[RNNConfig] = set()
        self.perfect: list[tuple[tuple[int, ...], int, TrainResult]] = []    # (size key, order found, result)
        self.best_any: list[TrainResult] = []
        self.group_best: list[tuple[float, tuple[RNNConfig, ...]]] = []    # (best accuracy, configs) per group
        self.nearly: list[tuple[MemberOutcome, tuple[int, ...], int, GroupResult]] = []   # to polish after the plan

    def out_of_budget(self) -> bool:
        reason = self.meter.reason()
        if reason is not None:
            self.stopped = reason
        return reason is not None

    def note_stop(self, stopped: StopReason) -> None:
        """A group or polish stopped by the budget stops the search too."""
        if stopped in BUDGET_REASONS:
            self.stopped = stopped

    def found(self, result: TrainResult) -> None:
        self.perfect.append((size_key(result.config), len(self.perfect), result))
        if self.first_perfect is None:
            self.first_perfect = self.meter.elapsed()

    def record(self, trial: Trial, **extra) -> None:
        self.trials.append(trial)
        self.emit({"event": "trial_end", **trial.to_dict(), **extra, "n_trials": len(self.trials),
                   "elapsed": self.meter.elapsed(), "work_total": self.meter.work})

    def result(self) -> SearchResult:
        if self.stopped == "done" and not self.perfect:
            self.stopped = "exhausted"
        if self.perfect:
            best = min(self.perfect)[2]
        elif self.best_any:
            best = max(self.best_any, key=lambda r: r.test_accuracy)
        else:
            best = None
        result = SearchResult(task=self.spec.name, best=best, found=bool(self.perfect), trials=tuple(self.trials),
                              seconds=self.meter.elapsed(), stopped=self.stopped, order="practical",
                              work=self.meter.work, first_perfect_seconds=self.first_perfect)
        self.emit({"event": "done", "summary": result.summary()})
        log.info(result.summary())
        return result


def _run_group(s: _Search, configs: Sequence[RNNConfig], phase: str, seeds: tuple[int, ...],
               steps: int | None = None, polish_now: bool = True,
               patience: int = SEARCH_PATIENCE) -> GroupResult | None:
    """Train one group (None when the budget is spent), record it, and polish a nearly perfect network."""
    if s.out_of_budget():
        return None
    s.group += 1
    gid = s.group
    names = [c.describe() for c in configs]
    s.emit({"event": "group_start", "phase": phase, "group": gid, "architectures": names, "seeds": list(seeds),
            "elapsed": s.meter.elapsed(), "work": s.meter.work})
    s.emit({"event": "trial_start", "phase": phase, "architecture": " | ".join(names), "n_trials": len(s.trials),
            "seconds": s.meter.elapsed()})
    members = [Member(c, seed) for c in configs for seed in seeds]
    res = s.train_group_fn(s.spec, members, recipe=s.rec, dataset=s.dataset, max_steps=steps,
                           budget=s.meter.remaining(), patience=patience, on_progress=s.on_progress)
    s.meter.add(res.work)
    # an architecture cut short by a companion's success does not count as tried: a smaller one
    # may have been close, and the shrink phase trains it again, without being stopped early
    s.tried.update(c for c in configs if not any(o.config == c and o.stopped == "companion" for o in res.outcomes))
    for c in configs:
        mine = [o for o in res.outcomes if o.config == c]
        top = max(mine, key=lambda o: (o.perfect, o.full_accuracy, o.accuracy))
        share = res.work * len(mine) / max(1, len(res.outcomes))
        s.record(Trial(phase=phase, index=index_of(c), architecture=c.describe(), seeds=tuple(seeds),
                       perfect=top.perfect, seed=top.seed if top.perfect else None,
                       test_accuracy=float(top.accuracy), steps=max(o.steps for o in mine), seconds=res.seconds,
                       group=gid, work=round(share, 1), stopped=top.stopped, full_accuracy=top.full_accuracy))
    for o in res.outcomes:
        if o.perfect:
            s.found(_as_train_result(s.spec, o, s.rec, seeds, res))
        elif o.full_accuracy:
            s.best_any.append(_as_train_result(s.spec, o, s.rec, seeds, res))
    s.note_stop(res.stopped)
    near = [o for o in res.outcomes if o.full_accuracy and not o.perfect and o.accuracy >= POLISH_FROM]
    if not res.perfect and near and s.polish_fn is not None:
        if polish_now or near[0].accuracy >= POLISH_AT_ONCE:    # a few errors, or escalation and
            if not s.out_of_budget():                           # shrink: polish it at once
                _polish_one(s, near[0], seeds, gid, res)
        else:                                     # the find plan: after it, if nothing was perfect
            s.nearly.append((near[0], seeds, gid, res))
    return res


def _polish_one(s: _Search, o: MemberOutcome, seeds: tuple[int, ...], gid: int, res: GroupResult) -> None:
    """A nearly perfect network: hard examples and a rounding margin (mips.network.polish)."""
    s.emit({"event": "trial_start", "phase": "polish", "architecture": o.config.describe(),
            "n_trials": len(s.trials), "seconds": s.meter.elapsed()})
    p = s.polish_fn(s.spec, o.model, dataset=s.dataset, budget=s.meter.remaining())
    s.meter.add(p.work)
    s.record(Trial(phase="polish", index=index_of(o.config), architecture=o.config.describe(), seeds=(o.seed,),
                   perfect=p.perfect, seed=o.seed if p.perfect else None, test_accuracy=float(p.accuracy),
                   steps=p.steps, seconds=p.seconds, group=gid, work=round(p.work, 1), stopped=p.stopped),
             from_accuracy=o.accuracy)
    result = TrainResult(model=p.model, task=s.spec.name, config=o.config, recipe=s.rec, seed=o.seed, seeds=seeds,
                         perfect=p.perfect, test_accuracy=float(p.accuracy),
                         test_sequence_accuracy=float(p.sequence_accuracy), steps=o.steps + p.steps,
                         seconds=res.seconds + p.seconds, stopped="polished" if p.perfect else p.stopped)
    if p.perfect:
        s.found(result)
    else:
        s.best_any.append(result)
    s.note_stop(p.stopped)


def _find(s: _Search, groups: list[tuple[RNNConfig, ...]], seeds: tuple[int, ...]) -> None:
    """1. The plan's groups in order, until one has a perfect network."""
    for configs in groups:
        res = _run_group(s, configs, "find", seeds, polish_now=False)
        if res is None or s.stopped != "done":
            break
        s.group_best.append((max(o.accuracy for o in res.outcomes), configs))
        if s.perfect:
            break


def _polish_nearly(s: _Search) -> None:
    """2. The nearly perfect networks of the find phase, most accurate first."""
    for o, group_seeds, gid, res in sorted(s.nearly, key=lambda n: -n[0].accuracy):
        if s.perfect or s.out_of_budget():
            break
        _polish_one(s, o, group_seeds, gid, res)


def _escalate(s: _Search, seeds: tuple[int, ...]) -> None:
    """3. The most accurate groups again with new seeds: first as long, then twice as long, ..."""
    escalation = 0
    base_steps = s.rec.steps_for(s.spec.name)
    n_seeds = len(seeds)
    while not s.perfect and s.stopped == "done" and s.group_best and escalation < MAX_ESCALATIONS:
        escalation += 1
        ranked: list[tuple[RNNConfig, ...]] = []
        for _, configs in sorted(s.group_best, key=lambda g: -g[0]):    # stable: earlier groups first on ties
            if configs not in ranked:
                ranked.append(configs)
        new_seeds = tuple(seed + n_seeds * escalation for seed in seeds)
        for configs in ranked[:ESCALATE_GROUPS]:
            longer = 2 ** (escalation - 1)         # patience grows with the schedule: the last errors go
            res = _run_group(s, configs, "escalate", new_seeds, steps=base_steps * longer,   # as the rate decays
                             patience=SEARCH_PATIENCE * longer)
            if res is None or s.perfect or s.stopped != "done":
                break
            s.group_best.append((max(o.accuracy for o in res.outcomes), configs))


def _shrink(s: _Search, seeds: tuple[int, ...]) -> None:
    """4. Toward a smaller perfect network: the untried neighbours of the best one, while one of them is perfect."""
    while s.stopped == "done":
        best = min(s.perfect)[2]
        todo = [c for c in neighbours(best.config) if c not in s.tried]
        if not todo:
            break
        before = min(s.perfect)[0]
        for configs in _by_depths(todo):
            if _run_group(s, configs, "shrink", seeds) is None or s.stopped != "done":
                break
        if min(s.perfect)[0] == before:
            break


def _as_train_result(spec, o: MemberOutcome, rec: Recipe, seeds: tuple[int, ...], res: GroupResult) -> TrainResult:
    return TrainResult(model=o.model, task=spec.name, config=o.config, recipe=rec, seed=o.seed, seeds=seeds,
                       perfect=o.perfect, test_accuracy=float(o.accuracy),
                       test_sequence_accuracy=float(o.sequence_accuracy if o.sequence_accuracy is not None
                                                    else float("nan")),
                       steps=o.steps, seconds=res.seconds, stopped=o.stopped)
