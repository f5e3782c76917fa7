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
import time
from collections.abc import Callable, Sequence
from typing import Any

from mips.errors import check_float, check_int
from mips.network.group_training import GroupResult, MemberOutcome, train_group
from mips.network.config import RNNConfig
from mips.network.stack import Member, envelope
from mips.network.polish import POLISH_FROM, PolishResult, polish
from mips.network.paper_search import SearchResult, Trial, index_of
from mips.network.training import Recipe, TrainResult, get_recipe
from mips.network.work import step_cost
from mips.tasks import get_task
from mips.tasks.dataset import search_dataset

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


def practical_search(task, *, recipe: str | Recipe = "fast", n_seeds: int = DEFAULT_SEEDS, first_seed: int = 0,
                     work_budget: float | None = DEFAULT_WORK_BUDGET, time_budget_seconds: float | None = None,
                     shrink: bool = True, dataset=None, plan: Sequence[Sequence[RNNConfig]] | None = None,
                     on_event: EventFn | None = None, on_progress=None,
                     should_stop: Callable[[], bool] | None = None,
                     train_group_fn: Callable[..., GroupResult] = train_group,
                     polish_fn: Callable[..., PolishResult] | None = polish) -> SearchResult:
    """Find a small perfect network quickly; see the module docstring.

    Parameters
    ----------
    task : TaskSpec or str
    recipe : the training recipe of every group ("fast" by default)
    n_seeds : seeds per architecture; seeds are ``first_seed .. first_seed + n_seeds - 1`` (then
        the next ``n_seeds`` for each escalation)
    work_budget : work units for the whole search (None: no limit)
    time_budget_seconds : an explicit wall-clock limit (None: none)
    shrink : look for a smaller perfect network with the budget left
    dataset : Dataset, optional (default :func:`mips.tasks.dataset.search_dataset`)
    plan : groups of the find phase instead of :func:`find_plan`
    on_event : receives ``group_start``, ``trial_start``, ``trial_end`` and ``done`` events
    on_progress : passed to the group trainer (an EvalPoint of the current group per evaluation)
    should_stop : polled at every evaluation; True cancels
    train_group_fn : the group trainer (replaceable in tests)
    polish_fn : polishes a nearly perfect network (None: never)
    """
    if isinstance(task, str):
        spec = get_task(task)
    else:
        spec = task
    check_int("practical_search", "n_seeds", n_seeds, 1, 64)
    check_int("practical_search", "first_seed", first_seed, 0, 2**31 - 64 * (MAX_ESCALATIONS + 1))
    if work_budget is not None:
        check_float("practical_search", "work_budget", work_budget, 0.0, 1e12, low_open=True)
    if time_budget_seconds is not None:
        check_float("practical_search", "time_budget_seconds", time_budget_seconds, 0.0, 1e9, low_open=True)
    rec = get_recipe(recipe)
    if dataset is None:
        dataset = search_dataset(spec)
    emit = on_event or (lambda _e: None)
    start = time.perf_counter()
    state: dict[str, Any] = {"work": 0.0, "group": 0, "stopped": "done", "first_perfect": None}
    trials: list[Trial] = []
    tried: set[RNNConfig] = set()
    perfect: list[tuple[tuple[int, ...], int, TrainResult]] = []    # (size key, order found, result)
    best_any: list[TrainResult] = []
    group_best: list[tuple[float, tuple[RNNConfig, ...]]] = []       # (best accuracy, configs) per find group
    nearly: list[tuple[MemberOutcome, tuple[int, ...], int, GroupResult]] = []   # to polish after the plan

    def left() -> tuple[float | None, float | None]:
        work = None if work_budget is None else work_budget - state["work"]
        secs = None if time_budget_seconds is None else time_budget_seconds - (time.perf_counter() - start)
        return work, secs

    def out_of_budget() -> bool:
        work, secs = left()
        if should_stop is not None and should_stop():
            state["stopped"] = "cancelled"
            return True
        if work is not None and work <= 0:
            state["stopped"] = "work_budget"
            return True
        if secs is not None and secs <= 0:
            state["stopped"] = "time_budget"
            return True
        return False

    def run(configs: Sequence[RNNConfig], phase: str, seeds: tuple[int, ...], steps: int | None = None,
            polish_now: bool = True, patience: int = SEARCH_PATIENCE) -> GroupResult | None:
        if out_of_budget():
            return None
        state["group"] += 1
        gid = state["group"]
        names = [c.describe() for c in configs]
        emit({"event": "group_start", "phase": phase, "group": gid, "architectures": names, "seeds": list(seeds),
              "elapsed": time.perf_counter() - start, "work": state["work"]})
        emit({"event": "trial_start", "phase": phase, "architecture": " | ".join(names), "n_trials": len(trials),
              "seconds": time.perf_counter() - start})
        work, secs = left()
        members = [Member(c, s) for c in configs for s in seeds]
        res = train_group_fn(spec, members, recipe=rec, dataset=dataset, max_steps=steps, work_limit=work,
                             time_limit_seconds=secs, patience=patience, should_stop=should_stop,
                             on_progress=on_progress)
        state["work"] += res.work
        # an architecture cut short by a companion's success does not count as tried: a smaller one
        # may have been close, and the shrink phase trains it again, without being stopped early
        tried.update(c for c in configs if not any(o.config == c and o.stopped == "companion" for o in res.outcomes))
        for c in configs:
            mine = [o for o in res.outcomes if o.config == c]
            top = max(mine, key=lambda o: (o.perfect, o.full_accuracy, o.accuracy))
            share = res.work * len(mine) / max(1, len(res.outcomes))
            trial = Trial(phase=phase, index=index_of(c), architecture=c.describe(), seeds=tuple(seeds),
                          perfect=top.perfect, seed=top.seed if top.perfect else None,
                          test_accuracy=float(top.accuracy), steps=max(o.steps for o in mine),
                          seconds=res.seconds, group=gid, work=round(share, 1), stopped=top.stopped,
                          full_accuracy=top.full_accuracy)
            trials.append(trial)
            emit({"event": "trial_end", **trial.to_dict(), "n_trials": len(trials),
                  "elapsed": time.perf_counter() - start, "work_total": state["work"]})
        for o in res.outcomes:
            if o.perfect:
                found(_as_train_result(spec, o, rec, seeds, res))
            elif o.full_accuracy:
                best_any.append(_as_train_result(spec, o, rec, seeds, res))
        stop_reason(res.stopped)
        near = [o for o in res.outcomes if o.full_accuracy and not o.perfect and o.accuracy >= POLISH_FROM]
        if not res.perfect and near and polish_fn is not None:
            if polish_now or near[0].accuracy >= POLISH_AT_ONCE:    # a few errors, or escalation and
                                                                    # shrink: polish it at once
                if not out_of_budget():
                    polish_one(near[0], seeds, gid, res)
            else:                                     # the find plan: after it, if nothing was perfect
                nearly.append((near[0], seeds, gid, res))
        return res

    def found(result: TrainResult) -> None:
        perfect.append((size_key(result.config), len(perfect), result))
        if state["first_perfect"] is None:
            state["first_perfect"] = time.perf_counter() - start

    def stop_reason(stopped: str) -> None:
        if stopped in ("cancelled", "time_limit", "budget"):
            state["stopped"] = {"cancelled": "cancelled", "time_limit": "time_budget",
                                "budget": "work_budget"}[stopped]

    def polish_one(o: MemberOutcome, seeds: tuple[int, ...], gid: int, res: GroupResult) -> None:
        """A nearly perfect network: hard examples and a rounding margin (mips.network.polish)."""
        work, secs = left()
        emit({"event": "trial_start", "phase": "polish", "architecture": o.config.describe(),
              "n_trials": len(trials), "seconds": time.perf_counter() - start})
        p = polish_fn(spec, o.model, dataset=dataset, work_limit=work, time_limit_seconds=secs,
                      should_stop=should_stop)
        state["work"] += p.work
        trial = Trial(phase="polish", index=index_of(o.config), architecture=o.config.describe(), seeds=(o.seed,),
                      perfect=p.perfect, seed=o.seed if p.perfect else None, test_accuracy=float(p.accuracy),
                      steps=p.steps, seconds=p.seconds, group=gid, work=round(p.work, 1), stopped=p.stopped)
        trials.append(trial)
        emit({"event": "trial_end", **trial.to_dict(), "from_accuracy": o.accuracy, "n_trials": len(trials),
              "elapsed": time.perf_counter() - start, "work_total": state["work"]})
        result = TrainResult(model=p.model, task=spec.name, config=o.config, recipe=rec, seed=o.seed, seeds=seeds,
                             perfect=p.perfect, test_accuracy=float(p.accuracy),
                             test_sequence_accuracy=float(p.sequence_accuracy), steps=o.steps + p.steps,
                             seconds=res.seconds + p.seconds, stopped="perfect (polished)" if p.perfect else p.stopped)
        if p.perfect:
            found(result)
        else:
            best_any.append(result)
        stop_reason(p.stopped)

    seeds = tuple(range(first_seed, first_seed + n_seeds))
    groups = [tuple(g) for g in (plan if plan is not None else find_plan(spec))]
    # 1. find
    for configs in groups:
        res = run(configs, "find", seeds, polish_now=False)
        if res is None or state["stopped"] != "done":
            break
        group_best.append((max(o.accuracy for o in res.outcomes), configs))
        if perfect:
            break
    # 2. polish the nearly perfect networks of the find phase, most accurate first
    for o, group_seeds, gid, res in sorted(nearly, key=lambda n: -n[0].accuracy):
        if perfect or out_of_budget():
            break
        polish_one(o, group_seeds, gid, res)
    # 3. escalate: the most accurate groups again with new seeds: first as long, then twice as long
    escalation = 0
    base_steps = rec.steps_for(spec.name)
    while not perfect and state["stopped"] == "done" and group_best and escalation < MAX_ESCALATIONS:
        escalation += 1
        ranked: list[tuple[RNNConfig, ...]] = []
        for _, configs in sorted(group_best, key=lambda g: -g[0]):       # stable: earlier groups first on ties
            if configs not in ranked:
                ranked.append(configs)
        new_seeds = tuple(s + n_seeds * escalation for s in seeds)
        for configs in ranked[:ESCALATE_GROUPS]:
            longer = 2 ** (escalation - 1)         # patience grows with the schedule: the last errors go
            res = run(configs, "escalate", new_seeds, steps=base_steps * longer,   # as the rate decays
                      patience=SEARCH_PATIENCE * longer)
            if res is None or perfect or state["stopped"] != "done":
                break
            group_best.append((max(o.accuracy for o in res.outcomes), configs))
    # 4. shrink toward a smaller perfect network
    if perfect and shrink:
        while state["stopped"] == "done":
            best = min(perfect)[2]
            todo = [c for c in neighbours(best.config) if c not in tried]
            if not todo:
                break
            before = min(perfect)[0]
            for configs in _by_depths(todo):
                if run(configs, "shrink", seeds) is None or state["stopped"] != "done":
                    break
            if min(perfect)[0] == before:
                break
    if state["stopped"] == "done" and not perfect:
        state["stopped"] = "exhausted"
    seconds = time.perf_counter() - start
    if perfect:
        best_result = min(perfect)[2]
    elif best_any:
        best_result = max(best_any, key=lambda r: r.test_accuracy)
    else:
        best_result = None
    result = SearchResult(task=spec.name, best=best_result, found=bool(perfect), trials=tuple(trials),
                          seconds=seconds, stopped=state["stopped"], order="practical", work=state["work"],
                          first_perfect_seconds=state["first_perfect"])
    emit({"event": "done", "summary": result.summary()})
    log.info(result.summary())
    return result


def _as_train_result(spec, o: MemberOutcome, rec: Recipe, seeds: tuple[int, ...], res: GroupResult) -> TrainResult:
    return TrainResult(model=o.model, task=spec.name, config=o.config, recipe=rec, seed=o.seed, seeds=seeds,
                       perfect=o.perfect, test_accuracy=float(o.accuracy),
                       test_sequence_accuracy=float(o.sequence_accuracy if o.sequence_accuracy is not None
                                                    else float("nan")),
                       steps=o.steps, seconds=res.seconds, stopped=o.stopped)
