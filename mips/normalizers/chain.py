"""Stage 2 (simplification): the normalizer chain, in the paper's order (mips-method.md §7).

``whiten → jnf → toeplitz → debias → quantize``: each accepted step's output feeds the next; a
rejected step passes its input on unchanged. Every network is evaluated once per step on the test
split in float64 (the previous step's evaluation is reused as the next step's "before").
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from mips.errors import ConfigError, did_you_mean
from mips.network.rnn import RNNWeights
from mips.normalizers.debiasing import DEFAULTS as _DEBIAS, propose as _propose_debias
from mips.normalizers.jordan import DEFAULTS as _JNF, propose as _propose_jnf
from mips.normalizers.quantization import DEFAULTS as _QUANTIZE, propose as _propose_quantize
from mips.normalizers.step import (N_FIT_SEQUENCES, NormalizerData, NormalizerStep, evaluate_weights,
                                   prepare_data, run_normalizer)
from mips.normalizers.toeplitz_form import DEFAULTS as _TOEPLITZ, propose as _propose_toeplitz
from mips.normalizers.whitening import DEFAULTS as _WHITEN, propose as _propose_whiten
from mips.tasks.dataset import Dataset

#: Step name -> its propose function and default parameters, in the paper's order.
STEPS = MappingProxyType({
    name: (propose, MappingProxyType(dict(defaults))) for name, propose, defaults in (
        ("whiten", _propose_whiten, _WHITEN),
        ("jnf", _propose_jnf, _JNF),
        ("toeplitz", _propose_toeplitz, _TOEPLITZ),
        ("debias", _propose_debias, _DEBIAS),
        ("quantize", _propose_quantize, _QUANTIZE),
    )})
DEFAULT_STEPS: tuple[str, ...] = tuple(STEPS)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class NormalizationReport:
    """Everything the chain did to one network.

    Attributes
    ----------
    initial, final : RNNWeights
    steps : tuple of NormalizerStep
        In the order run.
    data_seconds : float
        Preparing the data and evaluating the initial network.
    seconds : float
        The whole chain, data preparation included.
    """

    initial: RNNWeights
    final: RNNWeights
    steps: tuple[NormalizerStep, ...]
    data_seconds: float
    seconds: float

    def step(self, name: str) -> NormalizerStep:
        """The (first) step called ``name``."""
        for s in self.steps:
            if s.name == name:
                return s
        raise ConfigError(f"No step '{name}' in this report; it ran {[s.name for s in self.steps]}."
                          f"{did_you_mean(name, [s.name for s in self.steps])}")

    def largest_accepted_change(self) -> NormalizerStep | None:
        """The accepted step that moved the network's outputs most (largest ``max_output_change``),
        or None when no step was accepted. A rejected step left the network as it was, so its
        proposal's change does not count."""
        accepted = [s for s in self.steps if s.accepted]
        return max(accepted, key=lambda s: s.max_output_change) if accepted else None

    def table(self) -> str:
        """A plain-text table: one row per step (seconds, outcome, main metrics after the step)."""
        head = (f"{'step':<9} {'sec':>6} {'ok':>3} {'chg':>3} {'acc':>8} {'max|dy|':>9} {'wts':>4} {'int w':>5} "
                f"{'bias':>4} {'int b':>5} {'neur':>4} {'Heff':>4} {'|W|':>8} {'sparse':>6}")
        rows = [head, _row("initial", None, self.steps[0].metrics_before if self.steps else None)]
        for s in self.steps:
            rows.append(_row(s.name, s, s.metrics_after))
        return "\n".join(rows)


def _row(name: str, step: NormalizerStep | None, m) -> str:
    if m is None:
        return name
    sec = f"{step.seconds:6.3f}" if step else " " * 6
    ok = ("yes" if step.accepted else "NO") if step else ""
    chg = ("yes" if step.changed else "no") if step else ""
    dy = f"{step.max_output_change:9.2g}" if step else " " * 9
    return (f"{name:<9} {sec} {ok:>3} {chg:>3} {m.accuracy:8.5f} {dy} {m.n_weights:4d} {m.n_integer_weights:5d} "
            f"{m.n_biases:4d} {m.n_integer_biases:5d} {m.n_neurons:4d} {m.effective_hidden_dim:4d} "
            f"{m.weight_l2_norm:8.3g} {m.activation_sparsity:6.3f}")


def check_steps(steps: Sequence[str] | str, params: Mapping[str, Mapping[str, object]] | None
                ) -> tuple[tuple[str, ...], dict[str, dict[str, object]]]:
    """Validate step names and parameter names; fill in defaults.

    Returns the step names and, per step name, its full parameter dict.
    """
    if isinstance(steps, str):
        steps = (steps,)
    steps = tuple(steps)
    for name in steps:
        if not isinstance(name, str) or name not in STEPS:
            hint = did_you_mean(name, STEPS) if isinstance(name, str) else ""
            raise ConfigError(f"Unknown normalizer step {name!r}; allowed: {', '.join(DEFAULT_STEPS)}.{hint}")
    params = {} if params is None else params
    if not isinstance(params, Mapping):
        raise ConfigError(f"The 'params' parameter of normalize must be a dict of step name -> dict of "
                          f"parameters. Got {type(params).__name__} instead.")
    full: dict[str, dict[str, object]] = {}
    for name in STEPS:
        full[name] = dict(STEPS[name][1])
    for name, given in params.items():
        if name not in STEPS:
            hint = did_you_mean(name, STEPS) if isinstance(name, str) else ""
            raise ConfigError(f"Unknown normalizer step {name!r} in 'params'; allowed: "
                              f"{', '.join(DEFAULT_STEPS)}.{hint}")
        if not isinstance(given, Mapping):
            raise ConfigError(f"The parameters of step '{name}' must be a dict. Got {type(given).__name__} instead.")
        for key, value in given.items():
            if key not in STEPS[name][1]:
                allowed = ", ".join(f"'{k}'" for k in STEPS[name][1]) or "none"
                raise ConfigError(f"Unknown parameter {key!r} of normalizer step '{name}'; allowed: {allowed}."
                                  f"{did_you_mean(str(key), STEPS[name][1])}")
            full[name][key] = value
    return steps, full


def normalize(weights: RNNWeights, data: Dataset | NormalizerData,
              steps: Sequence[str] | str = DEFAULT_STEPS,
              params: Mapping[str, Mapping[str, object]] | None = None, *,
              n_fit_sequences: int = N_FIT_SEQUENCES, n_eval_sequences: int | None = None,
              ) -> NormalizationReport:
    """Run normalizers one after the other (§7).

    Parameters
    ----------
    weights : RNNWeights
    data : Dataset or NormalizerData
        Whitening fits on the first ``n_fit_sequences`` training sequences; every step is
        evaluated on the test split (or its first ``n_eval_sequences``).
    steps : sequence of str
        Step names, run in the order given (default: the paper's order
        ``("whiten", "jnf", "toeplitz", "debias", "quantize")``).
    params : dict, optional
        Per step name, parameters overriding the defaults, e.g. ``{"quantize": {"tolerance": 0.02}}``.

    Returns
    -------
    NormalizationReport
    """
    start = time.perf_counter()
    if not isinstance(weights, RNNWeights):
        raise ConfigError(f"The 'weights' parameter of normalize must be RNNWeights (see RNN.weights()). "
                          f"Got {type(weights).__name__} instead.")
    names, full = check_steps(steps, params)
    prepared = prepare_data(data, n_fit_sequences=n_fit_sequences, n_eval_sequences=n_eval_sequences)
    current = weights
    current_eval = evaluate_weights(weights, prepared) if names else None
    data_seconds = time.perf_counter() - start
    done: list[NormalizerStep] = []
    for name in names:
        step, current_eval = run_normalizer(name, STEPS[name][0], current, prepared, full[name],
                                            before_eval=current_eval)
        done.append(step)
        current = step.after
        log.info("%s %s in %.3fs: %s", name, "accepted" if step.accepted else "rejected", step.seconds,
                 step.message)
    return NormalizationReport(initial=weights, final=current, steps=tuple(done), data_seconds=data_seconds,
                               seconds=time.perf_counter() - start)
