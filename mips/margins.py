"""Decisions on float quantities that do not flip on their last bits (every stage; design.md §4).

Linear algebra with another BLAS kernel (another processor, or ``OPENBLAS_CORETYPE``) moves the
last bits of every float the pipeline computes: the normalized weights, the hidden states, the
bases and residuals fitted to them. A decision made on such a float (a threshold test, the
smallest of several values) must not depend on those bits:

* a quantity within :data:`REL_MARGIN` of its threshold (relative to the larger of the two)
  counts as *equal* to it, so a value that ideally sits on the threshold
  (a gap ratio of exactly 3, a coordinate exactly half-way between two integers) is decided the
  same way on every machine; the decision is reported (a note in the stage's message,
  :func:`collect_notes`, and a line in the log), never taken silently;
* a value within ``1e-9`` of a half-integer is rounded as the half-integer itself
  (:func:`round_half`);
* values within the margin of each other are tied, and ties are broken by a discrete key
  (:func:`tolerant_order`, :func:`tolerant_min`);
* quantities that are integers in exact arithmetic (the rank of integer codes, the sign of a sum
  of codes) are computed exactly.

The margin is far above the last-bit noise (about 1e-13 relative in the normalized weights and
hidden states between the Haswell and SkylakeX kernels) and far below any threshold's meaning.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Literal, TypeVar

import numpy as np

from mips.errors import ConfigError

log = logging.getLogger(__name__)

#: Relative margin: quantities closer than this (relative to the larger magnitude) are equal.
REL_MARGIN = 1e-6
#: Absolute floor of the margin (none by default: thresholds scale with the states, which may be
#: tiny; a caller comparing with a threshold of zero passes its own).
ABS_MARGIN = 0.0
#: Notes kept per collection (a stage that reports more says how many were left out).
MAX_NOTES = 8

Op = Literal["<", "<=", ">", ">="]
T = TypeVar("T")

_notes: ContextVar[list[str] | None] = ContextVar("mips_margin_notes", default=None)


def margin(value: float, threshold: float, rel: float = REL_MARGIN, abs_margin: float = ABS_MARGIN) -> float:
    """The margin around ``threshold`` for ``value``: ``rel`` of the larger magnitude, at least ``abs_margin``."""
    return max(rel * max(abs(float(value)), abs(float(threshold))), abs_margin)


def is_near(value: float, threshold: float, rel: float = REL_MARGIN, abs_margin: float = ABS_MARGIN) -> bool:
    """Whether ``value`` lies within the margin of ``threshold`` (both finite)."""
    value, threshold = float(value), float(threshold)
    if not (math.isfinite(value) and math.isfinite(threshold)):
        return value == threshold
    return abs(value - threshold) <= margin(value, threshold, rel, abs_margin)


def report(what: str, detail: str = "") -> None:
    """Record a decision taken within its margin: a note ``what`` for the stage that collects them
    (:func:`collect_notes`; the pipeline adds them to the stage's message) and a line in the log
    (a warning where no stage collects them)."""
    notes = _notes.get()
    if notes is None:
        log.warning("near a threshold: %s%s", what, f" ({detail})" if detail else "")
    elif what not in notes:
        log.info("near a threshold: %s%s", what, f" ({detail})" if detail else "")
        notes.append(what)


def compare(what: str, value: float, op: Op, threshold: float, *, rel: float = REL_MARGIN,
            abs_margin: float = ABS_MARGIN) -> bool:
    """``value op threshold``, with a value within the margin of the threshold counted as equal to
    it (so ``<=`` and ``>=`` hold, ``<`` and ``>`` do not) and reported.

    ``what`` names the quantity for the report (``"single linkage: a gap ratio"``).
    """
    value, threshold = float(value), float(threshold)
    if is_near(value, threshold, rel, abs_margin):
        holds = op in ("<=", ">=")
        report(f"{what} {op} its threshold: at the threshold, decided {'yes' if holds else 'no'}",
               f"{value:.12g} {op} {threshold:.12g}")
        return holds
    return {"<": value < threshold, "<=": value <= threshold, ">": value > threshold,
            ">=": value >= threshold}[op]


def compare_many(what: str, values: np.ndarray, op: Op, threshold: float | np.ndarray, *,
                 rel: float = REL_MARGIN, abs_margin: float = ABS_MARGIN, exact: bool = False) -> np.ndarray:
    """Element-wise :func:`compare` (one report for all the values within the margin).

    ``exact``: keep the plain comparison even within the margin (a parameter whose float meaning
    is part of a contract, as the quantization tolerance is) and only report the values there.
    """
    v = np.asarray(values, dtype=np.float64)
    t = np.broadcast_to(np.asarray(threshold, dtype=np.float64), v.shape)
    with np.errstate(invalid="ignore"):
        tol = np.maximum(rel * np.maximum(np.abs(v), np.abs(t)), abs_margin)
        near = np.isfinite(v) & np.isfinite(t) & (np.abs(v - t) <= tol)
        plain = {"<": v < t, "<=": v <= t, ">": v > t, ">=": v >= t}[op]
    if near.any():
        i = int(np.flatnonzero(near)[0])
        holds = op in ("<=", ">=")
        detail = f"{int(near.sum())} value(s) within {rel:g}, the first {v.flat[i]:.12g} {op} {t.flat[i]:.12g}"
        if exact:
            report(f"{what} {op} its threshold: at the threshold, decided on the float as it is", detail)
            return plain
        report(f"{what} {op} its threshold: at the threshold, decided {'yes' if holds else 'no'}", detail)
        plain = np.where(near, holds, plain)
    return plain


def round_half(what: str, values: np.ndarray, *, abs_margin: float = 1e-9) -> np.ndarray:
    """``np.round`` (half to even) that decides values within ``abs_margin`` of a half-integer as the
    half-integer itself (so the last bits never choose the integer) and reports them."""
    rounded, near = snap_half(values, abs_margin=abs_margin)
    if near.any():
        v = np.asarray(values, dtype=np.float64)
        report(f"{what} half-way between two integers: rounded half to even",
               f"{int(near.sum())} value(s) within {abs_margin:g}, the first {v[near].flat[0]:.12g}")
    return rounded


def snap_half(values: np.ndarray, *, abs_margin: float = 1e-9) -> tuple[np.ndarray, np.ndarray]:
    """:func:`round_half` without the report: the rounded values and where they were near a half."""
    v = np.asarray(values, dtype=np.float64)
    low = np.floor(v)
    with np.errstate(invalid="ignore"):
        near = np.isfinite(v) & (np.abs(v - low - 0.5) <= abs_margin)
    rounded = np.round(v)
    if near.any():
        rounded = np.where(near, np.round(low + 0.5), rounded)
    return rounded, near


def tolerant_order(items: Sequence[T], value: Callable[[T], float], tie: Callable[[T], object] | None = None,
                   *, rel: float = REL_MARGIN, abs_margin: float = ABS_MARGIN) -> list[T]:
    """``items`` by increasing ``value``, where values within the margin of the smallest of their run
    count as tied and are ordered by ``tie`` (default: their given order)."""
    idx = sorted(range(len(items)), key=lambda i: (value(items[i]), i))
    out: list[T] = []
    k = 0
    while k < len(idx):
        start = value(items[idx[k]])
        group = [idx[k]]
        k += 1
        while k < len(idx) and is_near(value(items[idx[k]]), start, rel, abs_margin):
            group.append(idx[k])
            k += 1
        group.sort(key=(lambda i: i) if tie is None else (lambda i: (tie(items[i]), i)))
        out.extend(items[i] for i in group)
    return out


def tolerant_min(items: Sequence[T], value: Callable[[T], float], tie: Callable[[T], object] | None = None,
                 *, rel: float = REL_MARGIN, abs_margin: float = ABS_MARGIN) -> T:
    """The first of :func:`tolerant_order` (a minimum that near-ties do not decide)."""
    if not items:
        raise ConfigError("The 'items' parameter of tolerant_min must not be empty. Got an empty sequence instead.")
    return tolerant_order(items, value, tie, rel=rel, abs_margin=abs_margin)[0]


@contextmanager
def collect_notes() -> Iterator[list[str]]:
    """Collect the reports made inside the block (nested blocks collect their own)."""
    notes: list[str] = []
    token = _notes.set(notes)
    try:
        yield notes
    finally:
        _notes.reset(token)


def notes_text(notes: Iterable[str]) -> str:
    """One line for a stage's message: the decisions that sat within their margin ("" if none)."""
    notes = list(notes)
    if not notes:
        return ""
    shown = notes[:MAX_NOTES]
    more = f"; and {len(notes) - len(shown)} more" if len(notes) > len(shown) else ""
    return f"; decided at a threshold (within the float margin; the same on every machine): {'; '.join(shown)}{more}"
