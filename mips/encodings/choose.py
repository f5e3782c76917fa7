"""Encoding stage: try every finder and keep the shortest description (mips-method.md §8.4, extended).

The paper chose between its two lattice finders by description length. Here every kind of
encoding competes on the same two-part code (:mod:`mips.encodings.mdl`): lattice (linear and GCD
finders), modular cycle, Boolean bits and clusters. An encoding whose codes do not determine the
network's output (more than 0.5 % of the states off their code's output) cannot make a machine
and ranks after every one that can. Candidates within 2 % of the shortest count as tied: fewer output
exceptions, then an exact update rule, then fewer states, then the kind order ``lattice, modular,
boolean, cluster`` wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from mips.encodings.base import KINDS, Encoding, EncodingFailure
from mips.encodings.cluster import encodings_from_cut, output_exception_fraction, output_split_cut
from mips.encodings.linkage import single_linkage_cuts
from mips.encodings.data import StateData, prepare_states
from mips.encodings.lattice import find_lattice, lattice_point_sets
from mips.encodings.mdl import DEFAULT_EPS
from mips.encodings.modular import find_modular
from mips.errors import ConfigError, check_choice, check_float
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
MAX_OUTPUT_EXCEPTIONS = 0.005


def _order(found: list[Encoding]) -> list[Encoding]:
    """Encodings whose codes determine the output (exceptions on at most ``MAX_OUTPUT_EXCEPTIONS``
    of the states) first; among them the shortest description; within ``TIE_TOLERANCE``
    (relative) of the shortest, fewer output exceptions, an exact update rule, fewer states, then
    the kind order."""
    if not found:
        return []
    limit = max(1.0, MAX_OUTPUT_EXCEPTIONS * found[0].description_length.n_points)
    ok = [e for e in found if e.output_exceptions <= limit]
    rest = sorted((e for e in found if e.output_exceptions > limit),
                  key=lambda e: (e.output_exceptions, e.description_length.total_bits))
    if not ok:
        return rest
    found = sorted(ok, key=lambda e: (e.description_length.total_bits, KINDS.index(e.kind)))
    best = found[0].description_length.total_bits
    near = [e for e in found if e.description_length.total_bits <= best + TIE_TOLERANCE * abs(best)]
    near.sort(key=lambda e: (e.output_exceptions, e.update_rule is None, e.n_states, KINDS.index(e.kind),
                             e.description_length.total_bits))
    return near + [e for e in found if all(e is not f for f in near)] + rest


def _usable_cuts(data: StateData, min_gap: float, max_clusters: int, seed: int) -> tuple[list, str]:
    """Clusterings worth encoding (single-linkage cuts and the output split) that determine the
    output; else the reason there are none."""
    cuts = single_linkage_cuts(data.points, data.counts, min_gap=min_gap, max_clusters=max_clusters,
                               must_include=data.initial, seed=seed)
    split = output_split_cut(data, min_gap=min_gap, max_clusters=max_clusters, seed=seed)
    if split is not None and not any(np.array_equal(split.labels, c.labels) for c in cuts):
        cuts.append(split)
    if not cuts:
        return [], (f"no clear cluster structure: no gap of ratio >= {min_gap:g} between single-linkage merge "
                    f"heights with at most {max_clusters} clusters ({data.n_points} distinct states)")
    off = [output_exception_fraction(data, c) for c in cuts]
    usable = [c for c, f in zip(cuts, off) if f <= MAX_OUTPUT_EXCEPTIONS]
    if usable:
        return usable, ""
    best = int(np.argmin(off))
    return [], (f"no clustering determines the output: the best ({cuts[best].n_clusters} clusters, "
                f"{cuts[best].method}) leaves {100 * off[best]:.1f} % of the states off their cluster's output")


def choose_encoding(trace: HiddenTrace | StateData, *, kinds: tuple[str, ...] = KINDS,
                    eps: float = DEFAULT_EPS, outputs: Literal["network", "labels"] = "network",
                    min_gap: float = 3.0, max_clusters: int = 256, seed: int = 0) -> EncodingChoice:
    """Run every requested finder and choose the encoding of minimum description length.

    Parameters
    ----------
    trace : HiddenTrace or StateData
    kinds : tuple of str
        Subset of ``("lattice", "modular", "boolean", "cluster")``.
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

    def keep(result):
        if isinstance(result, EncodingFailure):
            failures.append(result)
        elif isinstance(result, list):
            found.extend(result)
        else:
            found.append(result)

    if "lattice" in kinds:
        sets = lattice_point_sets(data, seed)
        keep(find_lattice(data, method="gcd", eps=eps, seed=seed, point_sets=sets))
        keep(find_lattice(data, method="linear", eps=eps, seed=seed, point_sets=sets))
    cluster_kinds = {"modular", "boolean", "cluster"} & set(kinds)
    if cluster_kinds:
        cuts, reason = _usable_cuts(data, min_gap, max_clusters, seed)
        if not cuts:
            for k in sorted(cluster_kinds, key=KINDS.index):
                failures.append(EncodingFailure(kind=k, method="single-linkage", message=reason))
        else:
            if "modular" in kinds:
                keep(find_modular(data, cuts, eps=eps))
            if {"boolean", "cluster"} & set(kinds):
                for cut in cuts:
                    keep([e for e in encodings_from_cut(data, cut, eps=eps) if e.kind in kinds])
    found = _order(found)
    return EncodingChoice(chosen=found[0] if found else None, candidates=tuple(found),
                          failures=tuple(failures), data=data)
