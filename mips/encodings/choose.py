"""Encoding stage: try every finder and keep the shortest description (mips-method.md §8.4, extended).

The paper chose between its two lattice finders by description length. Here every kind of
encoding competes on the same two-part code (:mod:`mips.encodings.mdl`): lattice (linear and GCD
finders), modular cycle, Boolean bits and clusters. An encoding whose codes do not determine the
network's output (more than 0.5 % of the states off their code's output) cannot make a machine
and ranks after every one that can. Candidates within 2 % of the shortest count as tied: fewer output
exceptions, then an exact update rule, then fewer states, then the registry's kind order
(:data:`mips.encodings.registry.KINDS`: lattice, modular, boolean, cluster) wins. Description
lengths within the float margin of :mod:`mips.margins` are equal, so the last bits of a sum of
logarithms (another BLAS kernel) never choose between two encodings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mips.encodings.base import Encoding, EncodingFailure
from mips.encodings.cluster import MAX_OUTPUT_EXCEPTIONS
from mips.encodings.data import StateData, prepare_states
from mips.encodings.kind import Search
from mips.encodings.mdl import DEFAULT_EPS
from mips.encodings.registry import ENCODINGS, KINDS
from mips.errors import ConfigError, check_choice, check_float
from mips.failure import Failure
from mips.margins import compare, tolerant_order
from mips.network.trace import HiddenTrace


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)   # arrays inside: identity equality
class EncodingChoice:
    """Every candidate encoding with its description length, and the one chosen.

    Attributes
    ----------
    chosen : Encoding or None
        The candidate of smallest description length (None when every finder failed).
    candidates : tuple of Encoding
        All encodings found, shortest description first.
    failures : tuple of EncodingFailure
        Finders that found nothing, with the reason.
    data : StateData
        The de-duplicated states the candidates were fitted on.
    """

    chosen: Encoding | None
    candidates: tuple[Encoding, ...]
    failures: tuple[EncodingFailure, ...]
    data: StateData

    @property
    def messages(self) -> tuple[str, ...]:
        """One line per candidate and per failure."""
        lines = [("* " if c is self.chosen else "  ") + c.summary for c in self.candidates]
        lines += [f"  {f.kind} ({f.method}) failed: {f.message}" for f in self.failures]
        return tuple(lines)

    def table(self) -> list[dict]:
        """One row per candidate: kind, method, states, residuals and bits (for display)."""
        rows = []
        for c in self.candidates:
            row = {"kind": c.kind, "method": c.method, "variables": c.n_vars, "states": c.n_states,
                   "max_residual": c.max_residual, "rms_residual": c.rms_residual, "chosen": c is self.chosen}
            row.update(c.description_length.as_dict())
            rows.append(row)
        return rows


TIE_TOLERANCE = 0.02


def _order(found: list[Encoding]) -> list[Encoding]:
    """Encodings whose codes determine the output (exceptions on at most ``MAX_OUTPUT_EXCEPTIONS``
    of the states) first; among them the shortest description; within ``TIE_TOLERANCE``
    (relative) of the shortest, fewer output exceptions, an exact update rule, fewer states, then
    the kind order."""
    if not found:
        return []
    limit = max(1.0, MAX_OUTPUT_EXCEPTIONS * found[0].description_length.n_points)
    ok = [e for e in found if e.output_exceptions <= limit]
    rest = tolerant_order([e for e in found if e.output_exceptions > limit], _bits, _discrete_key)
    rest.sort(key=lambda e: e.output_exceptions)
    if not ok:
        return rest
    # description lengths within the float margin of each other are tied: the kind order, the kind's
    # order of its methods, then the order found decide (never the last bits of two sums of logarithms)
    found = tolerant_order(ok, _bits, _discrete_key)
    best = _bits(found[0])
    near = [e for e in found
            if compare("encoding choice: a description length against the tie band", _bits(e), "<=",
                       best + TIE_TOLERANCE * abs(best))]
    near.sort(key=lambda e: (e.output_exceptions, e.update_rule is None, e.n_states, KINDS.index(e.kind)))
    return near + [e for e in found if all(e is not f for f in near)] + rest


def _bits(e: Encoding) -> float:
    return e.description_length.total_bits


def _discrete_key(e: Encoding) -> tuple:
    """The tie-break of description lengths equal within the float margin: the kind order, the
    kind's own order of its methods, then the order found (the registry's and each finder's)."""
    order = e.kind_type.tie_order
    return (KINDS.index(e.kind), order.index(e.method) if e.method in order else len(order))


def choose_encoding(trace: HiddenTrace | StateData, *, kinds: tuple[str, ...] = KINDS,
                    eps: float = DEFAULT_EPS, outputs: Literal["network", "labels"] = "network",
                    min_gap: float = 3.0, max_clusters: int = 256, seed: int = 0) -> EncodingChoice:
    """Run every requested finder and choose the encoding of minimum description length.

    Parameters
    ----------
    trace : HiddenTrace or StateData
    kinds : tuple of str
        Subset of the registered kinds (:data:`mips.encodings.registry.KINDS`).
    eps : float
        Resolution (hidden-state units) of the description length.
    outputs : {"network", "labels"}
        Outputs the codes must determine (ignored when ``trace`` is already a StateData).
    min_gap : float
        Smallest ratio of single-linkage merge heights that separates clusters.
    max_clusters : int
        Largest number of clusters for the cluster, Boolean and modular encodings.
    seed : int
        Seed of the sampling inside the finders.
    """
    owner = "choose_encoding"
    if isinstance(kinds, str) or not kinds:
        raise ConfigError(f"The 'kinds' parameter of {owner} must be a non-empty tuple of {KINDS}. "
                          f"Got {kinds!r} instead.")
    for k in kinds:
        check_choice(owner, "kinds", k, KINDS)
    check_float(owner, "eps", eps, 0.0, float("inf"), low_open=True)
    check_float(owner, "min_gap", min_gap, 1.0, float("inf"))
    data = trace if isinstance(trace, StateData) else prepare_states(trace, outputs=outputs)
    found: list[Encoding] = []
    failures: list[EncodingFailure] = []

    def keep(results):
        for result in results:
            (failures if isinstance(result, Failure) else found).append(result)

    search = Search(data, eps=eps, min_gap=min_gap, max_clusters=max_clusters, seed=seed)
    for name, kind in ENCODINGS.items():                # the registry's order, whatever the caller's
        if name in kinds:
            keep(kind.find(search))
    found = _order(found)
    return EncodingChoice(chosen=found[0] if found else None, candidates=tuple(found),
                          failures=tuple(failures), data=data)
