"""A state view: integer state variables over the traced sequences, which regression turns into a program."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class StateView:
    """Integer state variables over a traced set of sequences.

    Attributes
    ----------
    name : str
        ``"lattice"``, ``"modular"``, ``"boolean"``, ``"cluster"`` or ``"last k inputs"``.
    codes : int64 array of shape (n_sequences, seq_len + 1, k)
        ``codes[:, 0]`` is the initial state.
    moduli : tuple of (int or None)
    comments : tuple of str
        What each variable holds.
    valid : bool array of shape (n_sequences,) or None
        Sequences the view describes (None: all).
    """

    name: str
    codes: np.ndarray
    moduli: tuple[int | None, ...]
    comments: tuple[str, ...] = ()
    valid: np.ndarray | None = None

    @property
    def n_vars(self) -> int:
        return int(self.codes.shape[2])
