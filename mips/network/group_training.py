"""Several architectures and seeds trained together as one batched model, hopeless ones abandoned
early (issue 12).

The practical search (:mod:`mips.network.practical_search`) trains a *group* of networks at a time: the
same depths, any hidden sizes and widths, several seeds each, stacked into one padded batched
model (:mod:`mips.network.stack`) that sees the same batches with the ``fast`` recipe's schedule.
At every evaluation each member's accuracy on a few thousand test sequences is measured; a member
right on all of them is confirmed on the whole test split (and on the training split of a small
dataset, :mod:`mips.network.perfect_check`). Members are abandoned early:

* *plateau*: no progress (best accuracy up 0.1%, or lowest loss down 5%) for ``patience``
  evaluations (default the recipe's);
* *halving*: at 1/16, 1/8, 1/4 and 1/2 of the steps the less accurate half of each
  architecture's seeds still training is dropped (successive halving; within an architecture,
  since larger networks fit faster at first), and the model is rebuilt without them, so that a
  step costs only what the remaining members need.

The group stops at the first perfect member, when every member has stopped, at its step count,
or when its work budget is spent. Work is counted, not timed: every step adds
``batch x length x members x step_cost(envelope)`` in units of one step of one H=2, f 2/16
network on 256 sequences of length 10 (:data:`mips.network.work.WORK_UNIT`; about half a millisecond on one idle
core of this project's machines), an evaluation a third of that per sequence, so the same group
on the same data stops at the same step on any machine under any load. A wall-clock limit
exists only when the caller passes one.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from mips.errors import ConfigError, check_int
from mips.network.budget import Budget, Meter, StopReason
from mips.network.config import RNNConfig
from mips.network.loop import Batches, Schedule, optimizer_step, progress_point, run_loop
from mips.network.perfect_check import PerfectCheck
from mips.network.rnn import RNN
from mips.network.stack import Member, extract, mask_gradients, stack, subset
from mips.network.training import EvalPoint, Recipe, cpu_settings, evaluate, get_recipe
from mips.network.work import EVAL_COST, work_of

log = logging.getLogger(__name__)

HALVING_AT = (1 / 16, 1 / 8, 1 / 4, 1 / 2)
CONFIRM_WAIT = 4                  # evaluations before a member that failed a confirmation is tried again


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberOutcome:
    """How one member of a group ended.

    ``accuracy`` is the element accuracy on the whole test split when ``full_accuracy`` is
    True (the perfect members and the group's most accurate one), else on the checked test
    sequences of its last evaluation.
    """

    config: RNNConfig
    seed: int
    perfect: bool
    accuracy: float
    full_accuracy: bool
    sequence_accuracy: float | None
    steps: int
    stopped: StopReason   # perfect | plateau | dropped | companion | max_steps | work_budget | time_budget | cancelled
    model: RNN = field(repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupResult:
    outcomes: tuple[MemberOutcome, ...]
    steps: int
    work: float
    seconds: float
    stopped: StopReason   # perfect | exhausted | max_steps | work_budget | time_budget | cancelled
    history: tuple[EvalPoint, ...] = ()

    @property
    def perfect(self) -> tuple[MemberOutcome, ...]:
        return tuple(o for o in self.outcomes if o.perfect)

    @property
    def best(self) -> MemberOutcome:
        """A perfect member if any (the first listed), else the most accurate."""
        return max(self.outcomes, key=lambda o: (o.perfect, o.full_accuracy and o.accuracy, o.accuracy))


ProgressFn = Callable[[EvalPoint, int], None]


def train_group(spec, members: Sequence[Member], *, dataset, recipe: str | Recipe = "fast",
                max_steps: int | None = None, budget: Budget | None = None, halving: bool = True,
                patience: int | None = None, on_progress: ProgressFn | None = None,
                n_threads: int = 1) -> GroupResult:
    """Train ``members`` (same depths; any H, widths and seeds) together; see the module docstring.

    Parameters
    ----------
    spec : TaskSpec (the caller resolves a task's name)
    members : the networks, each an architecture and a seed
    dataset : Dataset, the task's (the caller builds it)
    recipe : "fast" (default) or a Recipe; its schedule, batch growth, loss and patience are used
    max_steps : steps of the schedule (default: the recipe's)
    budget : work (units of :data:`mips.network.work.WORK_UNIT`), an optional wall-clock limit,
        and ``should_stop`` (polled at every evaluation; True cancels)
    halving : drop the less accurate half of each architecture's seeds at :data:`HALVING_AT` of the steps
    patience : evaluations without progress before a member is dropped (default: the recipe's)
    on_progress : called at every evaluation with an EvalPoint of the members still training
    """
    rec = get_recipe(recipe, max_steps=max_steps)
    patience = rec.patience if patience is None else check_int("train_group", "patience", patience, 0, 10**6)
    members = list(members)
    if not members:
        raise ConfigError("The 'members' parameter of train_group must hold at least one network. Got none.")
    for m in members:
        if m.config.input_dim != spec.input_dim or m.config.output_dim != spec.output_dim:
            raise ConfigError(f"The network {m.config.describe()} reads {m.config.input_dim} and writes "
                              f"{m.config.output_dim} number(s) per step; task '{spec.name}' has "
                              f"{spec.input_dim} and {spec.output_dim}.")
    with cpu_settings(n_threads):
        group = _Group(spec, members, rec, dataset, (budget or Budget()).start(), patience=patience,
                       halving=halving, on_progress=on_progress)
        steps, stopped = run_loop(group, group.meter, Schedule(total_steps=group.total_steps,
                                                               every=rec.eval_every))
        return group.result(steps, stopped)


class _Group:
    """The live batched model of a group's members still training (a :class:`mips.network.loop.Trainer`)."""

    def __init__(self, spec, members: list[Member], rec: Recipe, data, meter: Meter, *, patience: int,
                 halving: bool, on_progress: ProgressFn | None) -> None:
        self.spec, self.members, self.rec, self.data, self.meter = spec, members, rec, data, meter
        self.patience, self.on_progress = patience, on_progress
        self.total_steps = total = rec.steps_for(spec.name)
        self.batches = Batches(spec, data, standardize=rec.standardize, loss=rec.loss)
        self.checks = PerfectCheck(data, quick_size=rec.quick_eval_size or data.x_test.shape[0])
        self.model, self.masks = stack(members)
        self.envelope = self.model.config
        self.hooks = mask_gradients(self.model, self.masks)
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=rec.lr, weight_decay=0.0)
        self.alive = list(range(len(members)))          # member index of each row of the live model
        self.ended: dict[int, MemberOutcome] = {}
        n = len(members)
        self.best_acc, self.best_loss, self.since = [-1.0] * n, [math.inf] * n, [0] * n
        self.last_acc = [0.0] * n
        # A member that failed a confirmation is not confirmed again for CONFIRM_WAIT evaluations:
        # near the end of a hard task's training the quick check passes long before it is perfect.
        self.retry_at = [0] * n
        self.halving_steps = sorted({max(rec.eval_every, int(total * f) // rec.eval_every * rec.eval_every)
                                     for f in HALVING_AT}) if halving else []
        self.history: list[EvalPoint] = []
        self.losses = torch.zeros(0)
        self.net: RNN = self.model

    def step(self, step: int) -> None:
        rec, b = self.rec, self.batches
        bsz = rec.batch_at(step, self.total_steps)
        xb, yb = b.draw(bsz)
        per_member = b.losses(self.model, xb, yb)
        optimizer_step(self.opt, rec.lr_at(step, self.total_steps), per_member)
        self.losses = per_member.detach()
        self.meter.add(work_of(self.envelope, len(self.alive), bsz, b.seq_len))

    def evaluate(self, step: int) -> StopReason | None:
        """The quick check of every member; those right on all of it are confirmed (perfect_check)."""
        self.net = net = self.batches.folded(self.model)
        acc = self.checks.quick(net)
        self.meter.add(work_of(self.envelope, len(self.alive), len(self.checks.x_quick),
                               self.batches.seq_len) * EVAL_COST)
        for row, i in enumerate(self.alive):
            self.last_acc[i] = float(acc[row])
        point = EvalPoint(step=step, seconds=self.meter.elapsed(), loss=tuple(float(v) for v in self.losses),
                          accuracy=tuple(float(a) for a in acc))
        progress_point(self.history, self.on_progress, point, self.total_steps)
        winners = [int(row) for row in np.flatnonzero(acc == 1.0) if self._confirmed(int(row), step)]
        if not winners:
            return None
        for row in range(len(self.alive)):
            self._end(row, "perfect" if row in winners else "companion", net, step, perfect=row in winners)
        self.alive = []
        return "perfect"

    def _confirmed(self, row: int, step: int) -> bool:
        """Whether member ``row`` of the live model is perfect (its checks' work is counted)."""
        i = self.alive[row]
        if step < self.retry_at[i]:
            return False
        ok, cost = self.checks.confirm(self.net.select(row), self.members[i].config)
        self.meter.add(cost)
        if not ok:
            self.retry_at[i] = step + CONFIRM_WAIT * self.rec.eval_every
        return ok

    def after(self, step: int) -> StopReason | None:
        """Plateaued members are dropped, then the less accurate half at a halving step."""
        plateaued = []
        for row, i in enumerate(self.alive):
            progress = False
            if self.last_acc[i] > self.best_acc[i] + 1e-3:
                self.best_acc[i], progress = self.last_acc[i], True
            if float(self.losses[row]) < 0.95 * self.best_loss[i]:
                self.best_loss[i], progress = float(self.losses[row]), True
            self.since[i] = 0 if progress else self.since[i] + 1
            if self.patience and self.since[i] >= self.patience:
                plateaued.append(row)
        if plateaued:
            self._drop(plateaued, "plateau", self.net, step)
        if self.halving_steps and step == self.halving_steps[0]:
            self.halving_steps.pop(0)
            losers = self._halving_losers()
            if losers:
                self._drop(losers, "dropped", self.batches.folded(self.model), step)
        return "exhausted" if not self.alive and step < self.total_steps else None

    def _halving_losers(self) -> list[int]:
        """The less accurate half of each architecture's members, within each architecture: a larger
        network fits faster at first, and halving across architectures would drop the small ones
        the search prefers."""
        alive, members = self.alive, self.members
        losers = []
        for config in dict.fromkeys(members[i].config for i in alive):
            rows = [r for r, i in enumerate(alive) if members[i].config == config]
            rows.sort(key=lambda r: (-self.last_acc[alive[r]], self.best_loss[alive[r]], r))
            losers += rows[(len(rows) + 1) // 2:]
        return sorted(losers)

    def _end(self, row: int, stopped: StopReason, net: RNN, step: int, perfect: bool = False) -> None:
        i = self.alive[row]
        m = self.members[i]
        self.ended[i] = MemberOutcome(config=m.config, seed=m.seed, perfect=perfect,
                                      accuracy=1.0 if perfect else self.last_acc[i], full_accuracy=perfect,
                                      sequence_accuracy=1.0 if perfect else None, steps=step, stopped=stopped,
                                      model=extract(net, row, m.config))

    def _drop(self, rows: list[int], stopped: StopReason, net: RNN, step: int) -> None:
        """End the members at ``rows`` of the live model and rebuild it without them."""
        for r in rows:
            self._end(r, stopped, net, step)
        keep = [r for r in range(len(self.alive)) if r not in set(rows)]
        if not keep:
            self.alive = []
            return
        state = self.opt.state_dict()
        for h in self.hooks:
            h.remove()
        self.model, self.masks = subset(self.model, self.masks, keep)
        self.hooks = mask_gradients(self.model, self.masks)
        new_opt = torch.optim.AdamW(self.model.parameters(), lr=self.rec.lr, weight_decay=0.0)
        keep_t = torch.tensor(keep, dtype=torch.long)
        new_state = new_opt.state_dict()
        new_state["state"] = {k: {name: (v[keep_t].clone() if torch.is_tensor(v) and v.dim() > 0 else v)
                                  for name, v in s.items()} for k, s in state["state"].items()}
        new_opt.load_state_dict(new_state)
        self.opt = new_opt
        self.alive = [self.alive[r] for r in keep]

    def result(self, steps: int, stopped: StopReason) -> GroupResult:
        if self.alive:
            net = self.batches.folded(self.model)
            for row in range(len(self.alive)):
                self._end(row, stopped, net, steps)
            self.alive = []
        outcomes = [self.ended[i] for i in range(len(self.members))]
        if not any(o.perfect for o in outcomes):          # the most accurate one, on the whole test split
            j = max(range(len(outcomes)), key=lambda k: (outcomes[k].accuracy, -k))
            o = outcomes[j]
            elem, seq = evaluate(o.model, self.data.x_test, self.data.y_test)
            outcomes[j] = MemberOutcome(config=o.config, seed=o.seed, perfect=False, accuracy=float(elem[0]),
                                        full_accuracy=True, sequence_accuracy=float(seq[0]), steps=o.steps,
                                        stopped=o.stopped, model=o.model)
        seconds = self.meter.elapsed()
        log.info("group %s of %d on %s: %s after %d steps, %.0f work units, %.1fs", self.envelope.describe(),
                 len(self.members), self.spec.name, stopped, steps, self.meter.work, seconds)
        return GroupResult(outcomes=tuple(outcomes), steps=steps, work=self.meter.work, seconds=seconds,
                           stopped=stopped, history=tuple(self.history))
