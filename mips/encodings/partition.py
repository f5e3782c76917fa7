"""Partition refinement for Moore machines (shared by the modular finder and mips.machine.extract).

Two states are equivalent when they have the same output and, for every input, equivalent
successors (Moore's algorithm; a missing transition, -1, is its own successor class).
"""

from __future__ import annotations

import numpy as np

from mips.encodings.data import unique_rows


def refine_partition(initial: np.ndarray, table: np.ndarray, edge_labels: np.ndarray | None = None) -> np.ndarray:
    """Coarsest partition that refines ``initial`` and is compatible with ``table``.

    Parameters
    ----------
    initial : int array of shape (n,)
        Initial block of each state (e.g. its output class).
    table : int array of shape (n, n_inputs)
        Successor of each state under each input; -1 where unknown.
    edge_labels : int array of shape (n, n_inputs), optional
        A label on each transition that equivalent states must share (Mealy outputs).

    Returns
    -------
    int64 array of shape (n,): block of each state, numbered by first occurrence.
    """
    initial = np.asarray(initial, dtype=np.int64)
    table = np.asarray(table, dtype=np.int64)
    n = initial.shape[0]
    if n == 0:
        return initial.copy()
    _, block = np.unique(initial, return_inverse=True)
    block = _first_occurrence_numbering(block.reshape(-1))
    n_blocks = int(block.max()) + 1
    while True:
        succ = np.where(table >= 0, block[np.maximum(table, 0)], -1)
        parts = [block[:, None], succ] + ([np.asarray(edge_labels, dtype=np.int64)] if edge_labels is not None else [])
        _, inverse, _ = unique_rows(np.concatenate(parts, axis=1))
        new = _first_occurrence_numbering(inverse)
        n_new = int(new.max()) + 1
        block = new
        if n_new == n_blocks:
            return block
        n_blocks = n_new


def _first_occurrence_numbering(labels: np.ndarray) -> np.ndarray:
    """Renumber labels 0, 1, ... in order of first occurrence."""
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(first.size, dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(first.size)
    return rank[inverse.reshape(-1)]
