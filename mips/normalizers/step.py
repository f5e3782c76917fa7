"""Stage 2 (simplification): what every normalizer returns, and the accept/reject rule (mips-method.md §7).

A normalizer *proposes* new weights; :func:`finish_step` runs the proposal over the test split in
float64, measures it and decides. A proposal that would lower the element accuracy on the whole
test split is rejected (the paper's rule, "not below 100%", for a perfect network; an imperfect
network may not lose more: a quantization that took Add_Mod_7's 99.9994% to 98.94% was once
accepted): the step's ``after`` is then its ``before`` and ``message`` says why.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import numpy as np

from mips.errors import ConfigError, check_int
from mips.failure import Failure
from mips.network.rnn import RNNWeights
from mips.normalizers.forward import forward_pass, to_feature_major
from mips.normalizers.metrics import TOLERANCE, NetworkMetrics, compute_metrics
from mips.tasks.dataset import Dataset

#: Training sequences the data-driven normalizers (whitening) fit on, by default.
N_FIT_SEQUENCES = 20_000


@dataclass(frozen=True, slots=True, kw_only=True)
class NormalizerData:
    """The data the normalizers read.

    Attributes
    ----------
    task : str
    x_fit : int64 array of shape (n_fit, seq_len, input_dim)
        Training sequences for data-driven normalizers: the first ``n_fit`` of the train split.
    x_eval : int64 array of shape (n_eval, seq_len, input_dim)
        The test split (or its first ``n_eval`` sequences): outputs and accuracy are measured here.
    y_eval : int64 array of shape (n_eval, seq_len, output_dim)

    The same arrays are also kept feature-major (``(seq_len, dim, n)`` float64) for
    :mod:`mips.normalizers.forward`.
    """

    task: str
    x_fit: np.ndarray
    x_eval: np.ndarray
    y_eval: np.ndarray
    x_fit_fm: np.ndarray = field(init=False, repr=False, compare=False)
    x_eval_fm: np.ndarray = field(init=False, repr=False, compare=False)
    y_eval_fm: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("x_fit", "x_eval", "y_eval"):
            a = getattr(self, name)
            if not isinstance(a, np.ndarray) or a.ndim != 3 or a.shape[0] == 0:
                got = f"shape {a.shape}" if isinstance(a, np.ndarray) else type(a).__name__
                raise ConfigError(f"The '{name}' parameter of NormalizerData must be a non-empty array of shape "
                                  f"(n, seq_len, dim). Got {got} instead.")
        if self.x_eval.shape[:2] != self.y_eval.shape[:2]:
            raise ConfigError(f"x_eval and y_eval of NormalizerData must agree on (n, seq_len). "
                              f"Got {self.x_eval.shape} and {self.y_eval.shape} instead.")
        for name in ("x_fit", "x_eval", "y_eval"):
            getattr(self, name).flags.writeable = False
            fm = to_feature_major(getattr(self, name))
            fm.flags.writeable = False
            object.__setattr__(self, f"{name}_fm", fm)


def prepare_data(data: Dataset | NormalizerData, *, n_fit_sequences: int = N_FIT_SEQUENCES,
                 n_eval_sequences: int | None = None) -> NormalizerData:
    """Select the sequences the normalizers use from a dataset (a NormalizerData passes through).

    Parameters
    ----------
    data : Dataset or NormalizerData
    n_fit_sequences : int
        How many training sequences whitening fits on (the first ones of the train split; the
        paper used the whole split, a 20k sample gives the same moments to about 1%).
    n_eval_sequences : int, optional
        How many test sequences to evaluate on (default: the whole test split).
    """
    if isinstance(data, NormalizerData):
        return data
    if not isinstance(data, Dataset):
        raise ConfigError(f"The 'data' parameter of the normalizers must be a Dataset or NormalizerData. "
                          f"Got {type(data).__name__} instead.")
    n_fit = check_int("prepare_data", "n_fit_sequences", n_fit_sequences, 1)
    n_eval = data.n_test if n_eval_sequences is None else check_int(
        "prepare_data", "n_eval_sequences", n_eval_sequences, 1)
    return NormalizerData(task=data.task, x_fit=data.x_train[:n_fit], x_eval=data.x_test[:n_eval],
                          y_eval=data.y_test[:n_eval])


@dataclass(frozen=True, slots=True, kw_only=True)
class Evaluation:
    """One network's float64 outputs on the evaluation data, with its metrics."""

    output: np.ndarray      # (seq_len, output_dim, n_eval), feature-major
    accuracy: float
    metrics: NetworkMetrics


def evaluate_weights(weights: RNNWeights, data: NormalizerData) -> Evaluation:
    """Run ``weights`` over ``data.x_eval`` in float64 and measure it."""
    with np.errstate(over="ignore", invalid="ignore"):
        run = forward_pass(weights, data.x_eval_fm, small=TOLERANCE)
        metrics = compute_metrics(weights, output=run.output, labels=data.y_eval_fm)
    n_hidden = data.x_eval_fm.shape[0] * data.x_eval_fm.shape[2] * weights.config.hidden_dim
    metrics = replace(metrics, activation_sparsity=run.n_small_hidden / n_hidden)
    return Evaluation(output=run.output, accuracy=float(metrics.accuracy), metrics=metrics)


@dataclass(frozen=True, slots=True, kw_only=True)
class Proposal:
    """What a normalizer's transform produced, before it is evaluated.

    ``candidate`` is None for a no-op (nothing to do: ``failure`` is None) or for a transform that
    failed numerically (``failure`` says why, e.g. a Jordan basis that blew the weights up; build it
    with :meth:`failed`). ``message`` says what was done, or why nothing was.
    """

    candidate: RNNWeights | None
    message: str
    matrix: np.ndarray | None = None
    failure: Failure | None = None

    @classmethod
    def failed(cls, failure: Failure, *, matrix: np.ndarray | None = None) -> Proposal:
        """A proposal that found nothing: its message is the failure's."""
        return cls(candidate=None, message=failure.message, matrix=matrix, failure=failure)


@dataclass(frozen=True, slots=True, kw_only=True)
class NormalizerStep:
    """One normalizer applied to one network.

    Attributes
    ----------
    name : str
        ``"whiten"``, ``"jnf"``, ``"toeplitz"``, ``"debias"`` or ``"quantize"``.
    params : mapping
        The parameters used (defaults filled in).
    before, after : RNNWeights
        Input and output; ``after is before`` when the step was a no-op or was rejected.
    candidate : RNNWeights
        The proposed weights (``before`` for a no-op or a numerical failure).
    accepted : bool
        False when the proposal was rejected (accuracy) or reverted (numerical failure).
    failure : Failure or None
        The numerical failure of the transform (stage ``"normalize"``), None when it produced
        weights or had nothing to do.
    message : str
        What the step did, or why it did nothing or was rejected.
    matrix : ndarray of shape (hidden_dim, hidden_dim) or None
        For basis changes: the M of ``h' = M h`` that was proposed.
    metrics_before, metrics_after : NetworkMetrics
        The §7 table for ``before`` and ``after`` on the evaluation data.
    accuracy_before, accuracy_after : float
        Element accuracy of ``before`` / ``after`` on the evaluation data (the whole test split).
    candidate_accuracy : float
        Element accuracy of the proposal (equals ``accuracy_after`` when accepted).
    max_output_change : float
        Largest ``|Δ output|`` of the proposal against ``before`` over the evaluation data (float64).
    seconds : float
        Wall time of the step, evaluation included.
    """

    name: str
    params: Mapping[str, object]
    before: RNNWeights
    after: RNNWeights
    candidate: RNNWeights
    accepted: bool
    message: str
    matrix: np.ndarray | None
    metrics_before: NetworkMetrics
    metrics_after: NetworkMetrics
    accuracy_before: float
    accuracy_after: float
    candidate_accuracy: float
    max_output_change: float
    seconds: float
    failure: Failure | None = None

    @property
    def changed(self) -> bool:
        """True when ``after`` differs from ``before``."""
        return self.after is not self.before


def run_normalizer(name: str, propose, weights: RNNWeights, data: Dataset | NormalizerData,
                   params: Mapping[str, object], *, before_eval: Evaluation | None = None,
                   ) -> tuple[NormalizerStep, Evaluation]:
    """Propose with ``propose(weights, data, **params)``, then evaluate and decide (:func:`finish_step`)."""
    start = time.perf_counter()
    if not isinstance(weights, RNNWeights):
        raise ConfigError(f"The 'weights' parameter of {name} must be RNNWeights (see RNN.weights()). "
                          f"Got {type(weights).__name__} instead.")
    prepared = prepare_data(data)
    if prepared.x_eval.shape[2] != weights.config.input_dim or prepared.y_eval.shape[2] != weights.config.output_dim:
        raise ConfigError(f"The data of {name} has input_dim={prepared.x_eval.shape[2]}, "
                          f"output_dim={prepared.y_eval.shape[2]} but the network "
                          f"{weights.config.describe()} has input_dim={weights.config.input_dim}, "
                          f"output_dim={weights.config.output_dim}.")
    proposal = propose(weights, prepared, **params)
    return finish_step(name, params, weights, proposal, prepared, start=start, before_eval=before_eval)


def _percent(accuracy: float) -> str:
    return "100%" if accuracy == 1.0 else f"{100 * accuracy:.4f}%"


def finish_step(name: str, params: Mapping[str, object], before: RNNWeights, proposal: Proposal,
                data: NormalizerData, *, start: float, before_eval: Evaluation | None = None,
                ) -> tuple[NormalizerStep, Evaluation]:
    """Evaluate a proposal, apply the accept/reject rule and build the step.

    Returns the step and the evaluation of its ``after`` (for the next step of a chain).
    """
    ev_before = before_eval if before_eval is not None else evaluate_weights(before, data)
    if proposal.matrix is not None:
        proposal.matrix.flags.writeable = False
    common = dict(name=name, params=MappingProxyType(dict(params)), before=before, matrix=proposal.matrix,
                  metrics_before=ev_before.metrics, accuracy_before=ev_before.accuracy)
    if proposal.candidate is None:
        step = NormalizerStep(**common, after=before, candidate=before, accepted=proposal.failure is None,
                              failure=proposal.failure, message=proposal.message, metrics_after=ev_before.metrics,
                              accuracy_after=ev_before.accuracy, candidate_accuracy=ev_before.accuracy,
                              max_output_change=0.0, seconds=time.perf_counter() - start)
        return step, ev_before
    ev_cand = evaluate_weights(proposal.candidate, data)
    change = float(np.max(np.abs(ev_cand.output - ev_before.output))) if ev_cand.output.size else 0.0
    if not np.isfinite(change):
        change = float("inf")
    if ev_cand.accuracy < ev_before.accuracy:
        message = (f"rejected: test accuracy would drop from {_percent(ev_before.accuracy)} to "
                   f"{100 * ev_cand.accuracy:.4f}% "
                   f"(largest output change {change:.3g}); proposal was: {proposal.message}")
        accepted, after, ev_after = False, before, ev_before
    else:
        message, accepted, after, ev_after = proposal.message, True, proposal.candidate, ev_cand
    step = NormalizerStep(**common, after=after, candidate=proposal.candidate, accepted=accepted, message=message,
                          metrics_after=ev_after.metrics, accuracy_after=ev_after.accuracy,
                          candidate_accuracy=ev_cand.accuracy, max_output_change=change,
                          seconds=time.perf_counter() - start)
    return step, ev_after
