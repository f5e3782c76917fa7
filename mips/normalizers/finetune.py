"""Stage 2 (simplification): fine-tuning around the normalizers (mips-method.md §6).

``l1_finetune``
    Before the normalizers: AdamW (lr 1e-4, no weight decay) on the log loss plus
    ``ε·Σ|θ|`` over every weight and bias; the checkpoint with the lowest total loss on held-out
    test sequences is kept (the paper ran 300k steps; the defaults here take seconds on a CPU).
``retrain_with_zeros_fixed``
    After the normalizers: AdamW on the log loss, resetting the parameters that are exactly 0
    (or, with ``hold="integers"``, exactly integer) after every optimizer step; the checkpoint
    with the lowest test loss is kept.

Both train in float64 under :func:`mips.network.training.cpu_settings` (one torch thread, denormals
flushed), and refuse a result that is below 100% element
accuracy on the whole test split when the input was at 100% (the input is returned unchanged,
with a message).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

from mips.errors import ConfigError, check_choice, check_float, check_int
from mips.network.rnn import RNN, RNNWeights
from mips.normalizers.metrics import NetworkMetrics
from mips.normalizers.step import evaluate_weights, prepare_data
from mips.tasks.dataset import Dataset
from mips.network.training import cpu_settings


@dataclass(frozen=True, slots=True, kw_only=True)
class FinetuneResult:
    """A fine-tuned network and how it was obtained.

    Attributes
    ----------
    kind : "l1" or "retrain"
    weights : RNNWeights
        The result: ``initial`` itself when refused or when no checkpoint beat it.
    initial : RNNWeights
    accepted : bool
        False when the best checkpoint lost the input's 100% test accuracy.
    message : str
    steps : int
        Optimizer steps taken.
    best_step : int
        Step of the kept checkpoint (0 = the input).
    seconds : float
    stopped : "max_steps" or "time_limit"
    n_held : int
        Parameters held fixed (retraining only).
    metrics_before, metrics_after : NetworkMetrics
        On the whole test split (float64); ``metrics_after`` describes ``weights``.
    history : tuple of (step, loss, accuracy, l1)
        Log loss, element accuracy and ``Σ|θ|`` on the tracking sequences at each evaluation.
    """

    kind: Literal["l1", "retrain"]
    weights: RNNWeights
    initial: RNNWeights
    accepted: bool
    message: str
    steps: int
    best_step: int
    seconds: float
    stopped: Literal["max_steps", "time_limit"]
    n_held: int
    metrics_before: NetworkMetrics
    metrics_after: NetworkMetrics
    history: tuple[tuple[int, float, float, float], ...]

    @property
    def changed(self) -> bool:
        return self.weights is not self.initial


def l1_finetune(weights: RNNWeights, dataset: Dataset, *, epsilon: float = 5e-5, steps: int = 2000,
                lr: float = 1e-4, batch_size: int = 512, eval_every: int = 100, n_track_sequences: int = 4096,
                time_limit_seconds: float | None = None, seed: int = 0, n_threads: int = 1
                ) -> FinetuneResult:
    """L1-regularised fine-tuning (§6.1).

    Parameters
    ----------
    weights : RNNWeights
    dataset : Dataset
        Batches come from the train split; checkpoints are compared on the first
        ``n_track_sequences`` test sequences; the kept one is checked on the whole test split.
    epsilon : float
        Weight of ``Σ|θ|`` in the loss (5e-5 in the paper).
    steps, lr, batch_size, eval_every : int, float, int, int
        Optimizer steps, AdamW learning rate, sequences per batch, steps between checkpoints.
    time_limit_seconds : float, optional
        Stop early after this long.
    seed : int
        Seed of the batch sampler.
    n_threads : int
        Torch threads while training (see :func:`mips.network.training.cpu_settings`; restored afterwards):
        1 is fastest for these tiny networks (measured: 5 ms per step against 36-170 ms with 2
        threads on a busy 2-core machine).
    """
    epsilon = check_float("l1_finetune", "epsilon", epsilon, 0.0, 1e3)
    return _finetune("l1", weights, dataset, l1=epsilon, hold=None, steps=steps, lr=lr, batch_size=batch_size,
                     eval_every=eval_every, n_track=n_track_sequences, time_limit=time_limit_seconds, seed=seed,
                     n_threads=n_threads)


def retrain_with_zeros_fixed(weights: RNNWeights, dataset: Dataset, *, steps: int = 1000, lr: float = 1e-3,
                             hold: Literal["zeros", "integers"] = "zeros", batch_size: int = 512,
                             eval_every: int = 100, n_track_sequences: int = 4096,
                             time_limit_seconds: float | None = None, seed: int = 0,
                             n_threads: int = 1) -> FinetuneResult:
    """Retrain with the exact zeros (or exact integers) of ``weights`` held fixed (§6.3).

    Parameters
    ----------
    weights : RNNWeights
        Usually the output of :func:`~mips.normalizers.normalize`.
    dataset : Dataset
    hold : "zeros" or "integers"
        Which parameters keep their value: those exactly 0 (the paper) or those exactly integer.
    steps, lr, batch_size, eval_every, n_track_sequences, time_limit_seconds, seed, n_threads
        As in :func:`l1_finetune` (the paper used lr 1e-3 and 10,000 steps).
    """
    check_choice("retrain_with_zeros_fixed", "hold", hold, ("zeros", "integers"))
    return _finetune("retrain", weights, dataset, l1=0.0, hold=hold, steps=steps, lr=lr, batch_size=batch_size,
                     eval_every=eval_every, n_track=n_track_sequences, time_limit=time_limit_seconds, seed=seed,
                     n_threads=n_threads)


def _log_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    diff = pred - target
    return (0.5 * torch.log1p(diff * diff)).mean()


def _finetune(kind, weights, dataset, *, l1, hold, steps, lr, batch_size, eval_every, n_track, time_limit, seed,
              n_threads) -> FinetuneResult:
    owner = "l1_finetune" if kind == "l1" else "retrain_with_zeros_fixed"
    if not isinstance(weights, RNNWeights):
        raise ConfigError(f"The 'weights' parameter of {owner} must be RNNWeights. Got {type(weights).__name__} "
                          f"instead.")
    if not isinstance(dataset, Dataset):
        raise ConfigError(f"The 'dataset' parameter of {owner} must be a Dataset. Got {type(dataset).__name__} "
                          f"instead.")
    check_int(owner, "steps", steps, 0, 10_000_000)
    check_float(owner, "lr", lr, 0.0, 1.0, low_open=True)
    check_int(owner, "batch_size", batch_size, 1, 1 << 20)
    check_int(owner, "eval_every", eval_every, 1, 10_000_000)
    check_int(owner, "n_track_sequences", n_track, 1, 10_000_000)
    check_int(owner, "seed", seed, 0)
    if time_limit is not None:
        check_float(owner, "time_limit_seconds", time_limit, 0.0, 1e9, low_open=True)
    check_int(owner, "n_threads", n_threads, 1, 1024)
    with cpu_settings(n_threads):
        return _run(kind, weights, dataset, l1=l1, hold=hold, steps=steps, lr=lr, batch_size=batch_size,
                    eval_every=eval_every, n_track=n_track, time_limit=time_limit, seed=seed)


def _run(kind, weights, dataset, *, l1, hold, steps, lr, batch_size, eval_every, n_track, time_limit, seed
         ) -> FinetuneResult:
    start = time.perf_counter()
    data = prepare_data(dataset, n_fit_sequences=1)
    ev_before = evaluate_weights(weights, data)
    perfect = ev_before.accuracy == 1.0
    model = RNN.from_weights(weights, dtype=torch.float64)
    params = list(model.parameters())
    masks, held = [], []
    if hold is not None:
        with torch.no_grad():
            for p in params:
                masks.append(p == 0 if hold == "zeros" else p == torch.round(p))
                held.append(p.detach().clone())
    n_held = int(sum(int(m.sum()) for m in masks))
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    x_tr, y_tr = dataset.x_train, dataset.y_train
    x_track = torch.tensor(dataset.x_test[:n_track], dtype=torch.float64)
    y_track = torch.tensor(dataset.y_test[:n_track], dtype=torch.float64)

    @torch.no_grad()
    def check() -> tuple[float, float, float]:
        pred = model(x_track)[0]                                        # (n, T, O)
        l1_sum = float(sum(p.abs().sum() for p in params))
        return float(_log_loss(pred, y_track)), float((torch.round(pred) == y_track).double().mean()), l1_sum

    loss0, acc0, l10 = check()
    history = [(0, loss0, acc0, l10)]
    best_score, best_step, best_state = loss0 + l1 * l10, 0, None
    step, stopped = 0, "max_steps"
    while step < steps:
        idx = rng.integers(0, x_tr.shape[0], size=batch_size)
        xb = torch.from_numpy(x_tr[idx]).to(torch.float64)                # (B, T, I)
        yb = torch.from_numpy(y_tr[idx]).to(torch.float64)                # (B, T, O)
        loss = _log_loss(model(xb)[0], yb)
        if l1:
            loss = loss + l1 * sum(p.abs().sum() for p in params)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if masks:
            with torch.no_grad():
                for p, m, h in zip(params, masks, held):
                    p[m] = h[m]
        step += 1
        if step % eval_every == 0 or step == steps:
            loss_t, acc_t, l1_t = check()
            history.append((step, loss_t, acc_t, l1_t))
            score = loss_t + l1 * l1_t
            if (acc_t == 1.0 or not perfect) and np.isfinite(score) and score < best_score:
                best_score, best_step = score, step
                best_state = [p.detach().clone() for p in params]
        if time_limit is not None and time.perf_counter() - start > time_limit:
            stopped = "time_limit"
            break
    if best_state is None:
        return _result(kind, weights, weights, True, f"no checkpoint of {step} steps beat the input",
                       step, 0, start, stopped, n_held, ev_before.metrics, ev_before.metrics, history)
    with torch.no_grad():
        for p, b in zip(params, best_state):
            p.copy_(b)
    candidate = model.weights(0)
    ev_after = evaluate_weights(candidate, data)
    if perfect and ev_after.accuracy < 1.0:
        return _result(kind, weights, weights, False,
                       f"refused: the best checkpoint (step {best_step}) has test accuracy "
                       f"{100 * ev_after.accuracy:.4f}% < 100%; the input is returned unchanged",
                       step, 0, start, stopped, n_held, ev_before.metrics, ev_before.metrics, history)
    what = f"L1 weight {l1:g}" if kind == "l1" else f"{n_held} {hold}-valued parameters held"
    return _result(kind, weights, candidate, True,
                   f"kept step {best_step} of {step} ({what}); test loss {ev_before.metrics.loss:.3g} -> "
                   f"{ev_after.metrics.loss:.3g}, accuracy {ev_after.accuracy:.6f}",
                   step, best_step, start, stopped, n_held, ev_before.metrics, ev_after.metrics, history)


def _result(kind, initial, weights, accepted, message, steps, best_step, start, stopped, n_held, m_before, m_after,
            history) -> FinetuneResult:
    return FinetuneResult(kind=kind, weights=weights, initial=initial, accepted=accepted, message=message,
                          steps=steps, best_step=best_step, seconds=time.perf_counter() - start, stopped=stopped,
                          n_held=n_held, metrics_before=m_before, metrics_after=m_after, history=tuple(history))
