"""Stage 2 (simplification): quantisation, normalizer 5 of 5 (mips-method.md §7.5).

Every weight and bias of f and g within the tolerance (0.01) of an integer becomes that integer;
all others are left exactly as they are. "Within" is inclusive (``|θ − round(θ)| ≤ tol``), so after
the step every parameter the metrics count as integer (``< tol``) is an exact integer.
"""

from __future__ import annotations

import numpy as np

from mips.errors import check_float
from mips.margins import compare_many
from mips.network.rnn import RNNWeights
from mips.normalizers.basis import replace_layers
from mips.normalizers.step import NormalizerData, NormalizerStep, Proposal, run_normalizer
from mips.tasks.dataset import Dataset

NAME = "quantize"
DEFAULTS = {"tolerance": 0.01}
_FIELDS = ("f_weights", "f_biases", "g_weights", "g_biases")


def snap(values: np.ndarray, tolerance: float = 0.01) -> np.ndarray:
    """Round the entries within ``tolerance`` of an integer (inclusive); a new float64 array."""
    tolerance = check_float("snap", "tolerance", tolerance, 0.0, 0.5)
    a = np.asarray(values, dtype=np.float64)
    nearest = np.round(a)
    # the tolerance is inclusive on the float as it is (the metrics count on it); a distance at the
    # tolerance but for its last bits is reported
    close = compare_many("quantization: a parameter's distance to the nearest integer", np.abs(a - nearest), "<=",
                         tolerance, exact=True)
    return np.where(close, nearest, a)


def quantize_weights(weights: RNNWeights, tolerance: float = 0.01) -> tuple[RNNWeights, int]:
    """Snap every parameter of f and g; returns the new weights and how many parameters changed."""
    new = {name: [snap(a, tolerance) for a in getattr(weights, name)] for name in _FIELDS}
    changed = sum(int(np.count_nonzero(n != o)) for name in _FIELDS
                  for n, o in zip(new[name], getattr(weights, name)))
    return replace_layers(weights, **new), changed


def propose(weights: RNNWeights, data: NormalizerData, *, tolerance: float) -> Proposal:
    """Snap near-integer parameters."""
    tolerance = check_float(NAME, "tolerance", tolerance, 0.0, 0.5)
    candidate, changed = quantize_weights(weights, tolerance)
    if changed == 0:
        return Proposal(candidate=None, message=f"no-op: no parameter within {tolerance:g} of an integer "
                                                f"that is not one already")
    total = weights.config.n_parameters
    return Proposal(candidate=candidate,
                    message=f"snapped {changed} of {total} parameters to integers (tolerance {tolerance:g})")


def quantize(weights: RNNWeights, data: Dataset | NormalizerData, *, tolerance: float = 0.01) -> NormalizerStep:
    """Round near-integer weights and biases (§7.5).

    Parameters
    ----------
    weights : RNNWeights
    data : Dataset or NormalizerData
        Used only to evaluate the result on the test split.
    tolerance : float
        Largest distance to an integer that is snapped, in [0, 0.5] (0.01 in the paper).
    """
    return run_normalizer(NAME, propose, weights, data, {"tolerance": tolerance})[0]
