"""The one training loop: steps, evaluations and stop checks, configured by each trainer.

A trainer (:mod:`mips.network.training`, :mod:`mips.network.group_training`,
:mod:`mips.network.polish`) is a :class:`Trainer`: it takes one optimiser step at a time and
adds its work to the run's :class:`~mips.network.budget.Meter`; at every evaluation the loop asks,
in this order, the trainer's own verdict (:meth:`Trainer.evaluate`: perfect, or polishing's
plateau), the budget (cancelled, work, seconds), and the trainer's verdict after the budget
(:meth:`Trainer.after`: plateau, or a group with no member left). The first reason given stops
the run; a run that never meets one stops at ``max_steps``.

:class:`Batches` is the data side that plain and group training share: the task's fixed batch
order (a generator seeded by the task's name, so a seed's run does not depend on its
companions), the standardisation of inputs and outputs, and its exact folding back into the weights.
"""

from __future__ import annotations

import copy
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch

from mips.network.budget import Meter, StopReason
from mips.network.rnn import RNN


class Trainer(Protocol):
    def step(self, step: int) -> None:
        """One optimiser step (``step`` counts the steps before it); adds its work to the meter."""

    def evaluate(self, step: int) -> StopReason | None:
        """An evaluation after ``step`` steps: a reason to stop before the budget is asked, or None."""

    def after(self, step: int) -> StopReason | None:
        """After the budget let the run go on: a reason to stop, or None."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Schedule:
    """``total_steps`` steps, an evaluation every ``every`` steps. Evaluations come after the step
    (and after the last one), or, with ``before_step``, before it (at step 0, ``every``, ...,
    never after the last)."""

    total_steps: int
    every: int
    before_step: bool = False


def run_loop(trainer: Trainer, meter: Meter, schedule: Schedule) -> tuple[int, StopReason]:
    """Run ``trainer`` on ``schedule``; returns the steps taken and why the run stopped."""
    total, every = schedule.total_steps, schedule.every
    step = 0
    while step < total:
        if schedule.before_step and step % every == 0:
            reason = _check(trainer, meter, step)
            if reason is not None:
                return step, reason
        trainer.step(step)
        step += 1
        if not schedule.before_step and (step % every == 0 or step == total):
            reason = _check(trainer, meter, step)
            if reason is not None:
                return step, reason
    return step, "max_steps"


def _check(trainer: Trainer, meter: Meter, step: int) -> StopReason | None:
    return trainer.evaluate(step) or meter.reason() or trainer.after(step)


def train_loss(pred: torch.Tensor, target: torch.Tensor, kind: str) -> torch.Tensor:
    """Per-element loss: ``log`` is the paper's ``½·log(1 + d²)``, ``mse`` is ``½·d²``."""
    diff = pred - target
    if kind == "log":
        return 0.5 * torch.log1p(diff * diff)
    return 0.5 * diff * diff


def standardizer(a: np.ndarray, max_sequences: int = 16384) -> tuple[np.ndarray, np.ndarray]:
    """Per-column mean and scale (scale 1 for constant columns) over all steps.

    Estimated on the first ``max_sequences`` sequences: any fixed affine map works (it is folded
    back exactly), it only has to be roughly the data's scale.
    """
    flat = a[:max_sequences].reshape(-1, a.shape[-1]).astype(np.float64)
    mean = flat.mean(axis=0)
    scale = flat.std(axis=0)
    scale[scale < 1e-12] = 1.0
    return mean, scale


def fold_standardization(model: RNN, x_mean, x_scale, y_mean, y_scale) -> None:
    """Rewrite weights trained on standardised data so they act on raw integers (exact)."""
    H = model.config.hidden_dim
    dt = model.f_w[0].dtype
    xm, xs = torch.as_tensor(x_mean, dtype=dt), torch.as_tensor(x_scale, dtype=dt)
    ym, ys = torch.as_tensor(y_mean, dtype=dt), torch.as_tensor(y_scale, dtype=dt)
    with torch.no_grad():
        w0 = model.f_w[0]                                   # (S, out, H + I)
        wx = w0[:, :, H:] / xs                              # acts on raw x
        model.f_b[0].sub_(torch.einsum("soi,i->so", wx, xm))
        w0[:, :, H:] = wx
        model.g_w[-1].mul_(ys.view(1, -1, 1))
        model.g_b[-1].mul_(ys.view(1, -1)).add_(ym.view(1, -1))


class Batches:
    """Training batches of one task's dataset, standardised when the recipe says so."""

    def __init__(self, spec, data, *, standardize: bool, loss: str) -> None:
        self.gen = torch.Generator().manual_seed(zlib.crc32(spec.name.encode()))
        self.x_train, self.y_train = data.x_train, data.y_train   # int64 numpy; batches gathered per step
        self.standardize, self.loss_kind = standardize, loss
        if standardize:
            self.x_mean, self.x_scale = standardizer(data.x_train)
            self.y_mean, self.y_scale = standardizer(data.y_train)
        else:
            self.x_mean, self.x_scale = np.zeros(spec.input_dim), np.ones(spec.input_dim)
            self.y_mean, self.y_scale = np.zeros(spec.output_dim), np.ones(spec.output_dim)
        as_t = lambda a: torch.as_tensor(a, dtype=torch.float32)    # noqa: E731
        self.xm, self.xs, self.ym, self.ys = as_t(self.x_mean), as_t(self.x_scale), as_t(self.y_mean), as_t(self.y_scale)
        self.n_train, self.seq_len = self.x_train.shape[0], self.x_train.shape[1]

    def draw(self, size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``size`` sequences, uniform with replacement (the paper cycled shuffled epochs; with ~10^6
        sequences the difference is immaterial, and a permutation costs more than a step)."""
        idx = torch.randint(self.n_train, (size,), generator=self.gen).numpy()
        xb = (torch.from_numpy(self.x_train[idx]).float() - self.xm) / self.xs    # (B, T, I)
        yb = (torch.from_numpy(self.y_train[idx]).float() - self.ym) / self.ys    # (B, T, O)
        return xb, yb

    def losses(self, model: RNN, xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        """The loss of each network of ``model`` on one batch (in the units of the raw outputs for mse)."""
        pred = model(xb)                                                             # (S, B, T, O)
        scale = self.ys * self.ys if self.loss_kind == "mse" else 1.0
        per_elem = train_loss(pred, yb.unsqueeze(0), self.loss_kind) * scale
        return per_elem.mean(dim=(1, 2, 3))                                          # (S,)

    def folded(self, model: RNN) -> RNN:
        """The networks acting on raw integers (the live model itself when nothing is folded)."""
        if not self.standardize:
            return model
        m = copy.deepcopy(model)
        fold_standardization(m, self.x_mean, self.x_scale, self.y_mean, self.y_scale)
        return m


def optimizer_step(opt: torch.optim.Optimizer, lr: float, losses: torch.Tensor) -> None:
    """One AdamW step on the sum of independent networks' losses at learning rate ``lr``."""
    for group in opt.param_groups:
        group["lr"] = lr
    opt.zero_grad(set_to_none=True)
    losses.sum().backward()
    opt.step()


def progress_point(history: list, on_progress: Callable | None, point, total_steps: int) -> None:
    """Record an evaluation and pass it on (progress bars and live curves)."""
    history.append(point)
    if on_progress is not None:
        on_progress(point, total_steps)

