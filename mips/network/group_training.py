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

import copy
import logging
import math
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from mips.errors import ConfigError, check_float, check_int
from mips.network.config import RNNConfig
from mips.network.rnn import RNN
from mips.network.stack import Member, extract, mask_gradients, stack, subset
from mips.network.perfect_check import EVAL_COST, PerfectCheck
from mips.network.training import (EvalPoint, Recipe, _fold_standardization, _loss, _standardizer, cpu_settings,
                           evaluate, get_recipe)
from mips.network.work import work_of
from mips.tasks import get_task, make_dataset

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
    stopped: str        # perfect | plateau | dropped | companion | max_steps | budget | time_limit | cancelled
    model: RNN = field(repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupResult:
    outcomes: tuple[MemberOutcome, ...]
    steps: int
    work: float
    seconds: float
    stopped: str        # perfect | exhausted | max_steps | budget | time_limit | cancelled
    history: tuple[EvalPoint, ...] = ()

    @property
    def perfect(self) -> tuple[MemberOutcome, ...]:
        return tuple(o for o in self.outcomes if o.perfect)

    @property
    def best(self) -> MemberOutcome:
        """A perfect member if any (the first listed), else the most accurate."""
        return max(self.outcomes, key=lambda o: (o.perfect, o.full_accuracy and o.accuracy, o.accuracy))


ProgressFn = Callable[[EvalPoint, int], None]


def train_group(task, members: Sequence[Member], *, recipe: str | Recipe = "fast", dataset=None,
                max_steps: int | None = None, work_limit: float | None = None,
                time_limit_seconds: float | None = None, halving: bool = True, patience: int | None = None,
                on_progress: ProgressFn | None = None, should_stop: Callable[[], bool] | None = None,
                n_threads: int = 1) -> GroupResult:
    """Train ``members`` (same depths; any H, widths and seeds) together; see the module docstring.

    Parameters
    ----------
    task : TaskSpec or str
    members : the networks, each an architecture and a seed
    recipe : "fast" (default) or a Recipe; its schedule, batch growth, loss and patience are used
    dataset : Dataset, optional (default ``make_dataset(task)``)
    max_steps : steps of the schedule (default: the recipe's)
    work_limit : stop once this much work (units of :data:`mips.network.work.WORK_UNIT`) is done
    time_limit_seconds : an explicit wall-clock limit (None: none)
    halving : drop the less accurate half of each architecture's seeds at :data:`HALVING_AT` of the steps
    patience : evaluations without progress before a member is dropped (default: the recipe's)
    on_progress : called at every evaluation with an EvalPoint of the members still training
    should_stop : polled at every evaluation; True cancels
    """
    with cpu_settings(n_threads):
        return _train_group(task, list(members), recipe=recipe, dataset=dataset, max_steps=max_steps,
                            work_limit=work_limit, time_limit_seconds=time_limit_seconds, halving=halving,
                            patience=patience, on_progress=on_progress, should_stop=should_stop)


def _train_group(task, members, *, recipe, dataset, max_steps, work_limit, time_limit_seconds, halving,
                 patience, on_progress, should_stop) -> GroupResult:
    if isinstance(task, str):
        spec = get_task(task)
    else:
        spec = task
    rec = get_recipe(recipe, max_steps=max_steps)
    patience = rec.patience if patience is None else check_int("train_group", "patience", patience, 0, 10**6)
    if not members:
        raise ConfigError("The 'members' parameter of train_group must hold at least one network. Got none.")
    for m in members:
        if m.config.input_dim != spec.input_dim or m.config.output_dim != spec.output_dim:
            raise ConfigError(f"The network {m.config.describe()} reads {m.config.input_dim} and writes "
                              f"{m.config.output_dim} number(s) per step; task '{spec.name}' has "
                              f"{spec.input_dim} and {spec.output_dim}.")
    if work_limit is not None:
        check_float("train_group", "work_limit", work_limit, 0.0, 1e15, low_open=True)
    if time_limit_seconds is not None:
        check_float("train_group", "time_limit_seconds", time_limit_seconds, 0.0, 1e9, low_open=True)
    if dataset is None:
        dataset = make_dataset(spec)
    data = dataset
    total_steps = rec.steps_for(spec.name)
    gen = torch.Generator().manual_seed(zlib.crc32(spec.name.encode()))
    x_train, y_train = data.x_train, data.y_train
    if rec.standardize:
        x_mean, x_scale = _standardizer(data.x_train)
        y_mean, y_scale = _standardizer(data.y_train)
    else:
        x_mean, x_scale = np.zeros(spec.input_dim), np.ones(spec.input_dim)
        y_mean, y_scale = np.zeros(spec.output_dim), np.ones(spec.output_dim)
    xm, xs = torch.as_tensor(x_mean, dtype=torch.float32), torch.as_tensor(x_scale, dtype=torch.float32)
    ym, ys = torch.as_tensor(y_mean, dtype=torch.float32), torch.as_tensor(y_scale, dtype=torch.float32)
    n_train, seq_len = x_train.shape[0], x_train.shape[1]
    checks = PerfectCheck(data, quick_size=rec.quick_eval_size or data.x_test.shape[0])

    model, masks = stack(members)
    envelope = model.config
    hooks = mask_gradients(model, masks)
    opt = torch.optim.AdamW(model.parameters(), lr=rec.lr, weight_decay=0.0)
    alive = list(range(len(members)))          # member index of each row of the live model
    ended: dict[int, MemberOutcome] = {}
    best_acc = [-1.0] * len(members)
    best_loss = [math.inf] * len(members)
    since = [0] * len(members)
    last_acc = [0.0] * len(members)
    halving_steps = sorted({max(rec.eval_every, int(total_steps * f) // rec.eval_every * rec.eval_every)
                            for f in HALVING_AT}) if halving else []

    def folded() -> RNN:
        if not rec.standardize:
            return model
        m = copy.deepcopy(model)
        _fold_standardization(m, x_mean, x_scale, y_mean, y_scale)
        return m

    def end(row: int, stopped: str, net: RNN, step: int, perfect: bool = False) -> None:
        i = alive[row]
        ended[i] = MemberOutcome(config=members[i].config, seed=members[i].seed, perfect=perfect,
                                 accuracy=1.0 if perfect else last_acc[i], full_accuracy=perfect,
                                 sequence_accuracy=1.0 if perfect else None, steps=step, stopped=stopped,
                                 model=extract(net, row, members[i].config))

    def drop(rows: list[int], stopped: str, net: RNN, step: int) -> None:
        """End the members at ``rows`` of the live model and rebuild it without them."""
        nonlocal model, masks, hooks, opt, alive
        for r in rows:
            end(r, stopped, net, step)
        keep = [r for r in range(len(alive)) if r not in set(rows)]
        if not keep:
            alive = []
            return
        state = opt.state_dict()
        for h in hooks:
            h.remove()
        model, masks = subset(model, masks, keep)
        hooks = mask_gradients(model, masks)
        new_opt = torch.optim.AdamW(model.parameters(), lr=rec.lr, weight_decay=0.0)
        keep_t = torch.tensor(keep, dtype=torch.long)
        new_state = new_opt.state_dict()
        new_state["state"] = {k: {name: (v[keep_t].clone() if torch.is_tensor(v) and v.dim() > 0 else v)
                                  for name, v in s.items()} for k, s in state["state"].items()}
        new_opt.load_state_dict(new_state)
        opt = new_opt
        alive = [alive[r] for r in keep]

    # A member right on every quickly checked sequence is confirmed (mips.network.perfect_check); one that
    # failed a confirmation is not confirmed again for CONFIRM_WAIT evaluations: near the end of a
    # hard task's training the quick check passes long before the network is perfect.
    retry_at = [0] * len(members)

    def confirmed(net: RNN, row: int, step: int) -> tuple[bool, float]:
        """Whether member ``row`` is perfect, and the work the checks cost."""
        i = alive[row]
        if step < retry_at[i]:
            return False, 0.0
        ok, cost = checks.confirm(net.select(row), members[i].config)
        if not ok:
            retry_at[i] = step + CONFIRM_WAIT * rec.eval_every
        return ok, cost

    start = time.perf_counter()
    history: list[EvalPoint] = []
    work = 0.0
    step = 0
    stopped = "max_steps"
    while step < total_steps and alive:
        bsz = rec.batch_at(step, total_steps)
        idx = torch.randint(n_train, (bsz,), generator=gen).numpy()
        xb = (torch.from_numpy(x_train[idx]).float() - xm) / xs
        yb = (torch.from_numpy(y_train[idx]).float() - ym) / ys
        for group in opt.param_groups:
            group["lr"] = rec.lr_at(step, total_steps)
        pred = model(xb)
        per_elem = _loss(pred, yb.unsqueeze(0), rec.loss) * (ys * ys if rec.loss == "mse" else 1.0)
        per_member = per_elem.mean(dim=(1, 2, 3))
        opt.zero_grad(set_to_none=True)
        per_member.sum().backward()
        opt.step()
        step += 1
        work += work_of(envelope, len(alive), bsz, seq_len)
        if not (step % rec.eval_every == 0 or step == total_steps):
            continue
        net = folded()
        acc = checks.quick(net)
        work += work_of(envelope, len(alive), len(checks.x_quick), seq_len) * EVAL_COST
        losses = per_member.detach()
        for row, i in enumerate(alive):
            last_acc[i] = float(acc[row])
        point = EvalPoint(step=step, seconds=time.perf_counter() - start,
                          loss=tuple(float(v) for v in losses), accuracy=tuple(float(a) for a in acc))
        history.append(point)
        if on_progress is not None:
            on_progress(point, total_steps)
        winners = []
        for row in np.flatnonzero(acc == 1.0):
            ok, cost = confirmed(net, int(row), step)
            work += cost
            if ok:
                winners.append(int(row))
        if winners:
            for row in range(len(alive)):
                if row in winners:
                    end(row, "perfect", net, step, perfect=True)
                else:
                    end(row, "companion", net, step)
            alive = []
            stopped = "perfect"
            break
        if should_stop is not None and should_stop():
            stopped = "cancelled"
            break
        if work_limit is not None and work >= work_limit:
            stopped = "budget"
            break
        if time_limit_seconds is not None and time.perf_counter() - start > time_limit_seconds:
            stopped = "time_limit"
            break
        plateaued = []
        for row, i in enumerate(alive):
            progress = False
            if last_acc[i] > best_acc[i] + 1e-3:
                best_acc[i], progress = last_acc[i], True
            if float(losses[row]) < 0.95 * best_loss[i]:
                best_loss[i], progress = float(losses[row]), True
            since[i] = 0 if progress else since[i] + 1
            if patience and since[i] >= patience:
                plateaued.append(row)
        if plateaued:
            drop(plateaued, "plateau", net, step)
        if halving_steps and step == halving_steps[0]:
            halving_steps.pop(0)
            # within each architecture: a larger network fits faster at first, and halving across
            # architectures would drop the small ones the search prefers
            losers = []
            for config in dict.fromkeys(members[i].config for i in alive):
                rows = [r for r, i in enumerate(alive) if members[i].config == config]
                rows.sort(key=lambda r: (-last_acc[alive[r]], best_loss[alive[r]], r))
                losers += rows[(len(rows) + 1) // 2:]
            if losers:
                drop(sorted(losers), "dropped", folded(), step)
    if alive:
        net = folded()
        for row in range(len(alive)):
            end(row, stopped, net, step)
        alive = []
    elif stopped == "max_steps" and step < total_steps:
        stopped = "exhausted"                              # every member stopped on its own
    outcomes = [ended[i] for i in range(len(members))]
    if not any(o.perfect for o in outcomes):              # the most accurate one, on the whole test split
        j = max(range(len(outcomes)), key=lambda k: (outcomes[k].accuracy, -k))
        o = outcomes[j]
        elem, seq = evaluate(o.model, data.x_test, data.y_test)
        outcomes[j] = MemberOutcome(config=o.config, seed=o.seed, perfect=False, accuracy=float(elem[0]),
                                    full_accuracy=True, sequence_accuracy=float(seq[0]), steps=o.steps,
                                    stopped=o.stopped, model=o.model)
    seconds = time.perf_counter() - start
    log.info("group %s of %d on %s: %s after %d steps, %.0f work units, %.1fs", envelope.describe(),
             len(members), spec.name, stopped, step, work, seconds)
    return GroupResult(outcomes=tuple(outcomes), steps=step, work=work, seconds=seconds, stopped=stopped,
                       history=tuple(history))
