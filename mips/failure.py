"""The one "nothing found" result of every stage (design.md §3).

A finder or a regression that ran correctly and found nothing (no lattice, no cycle, no formula
within budget) returns a :class:`Failure`: a scientific negative outcome is data, not an
exception. Exceptions stay for misuse (bad arguments, unreadable files). Callers test
``isinstance(result, Failure)``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class Failure:
    """An expected negative outcome: which stage, which method, and why.

    Attributes
    ----------
    stage : str
        The pipeline stage (``"encode"``, ``"regress"``, ...).
    method : str
        The finder or regression method that found nothing (may be empty).
    message : str
        Why, in words a user can read.
    """

    stage: str
    method: str = ""
    message: str

    def __str__(self) -> str:
        return f"{self.method}: {self.message}" if self.method else self.message
