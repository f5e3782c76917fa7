"""The check sets of a verification, built so that a slow task skips a check instead of losing
the program (issue 12).

:func:`mips.program.verify.prepare_checks` labels two sets with the task: every possible sequence (when
there are at most 2**20) and 10,000 sequences five times longer. A task file's ``target`` can be
too slow for either (a regular expression run on every prefix of a 50-step string may need more
than the sandbox's CPU limit). :func:`prepare_checks_or_skip` builds the same
:class:`~mips.program.verify.Checks`, but a set whose labels cannot be computed within the task's limits
is left out and the reason returned: the exhaustive check falls back to the dataset's test split
(labelled already), the longer-sequence check is skipped. The verification of the candidate
programs then runs on what remains, and the pipeline reports the skipped checks with their reasons.
"""

from __future__ import annotations

import logging

import numpy as np

from mips.errors import SandboxError, TaskFileError
from mips.network.interface import as_network
from mips.tasks.dataset import Dataset, make_dataset
from mips.tasks.spec import TaskSpec
from mips.program.verify import LENGTH_FACTOR, N_LENGTH_SEQUENCES, Checks, Network, all_sequences

log = logging.getLogger(__name__)

LABEL_ERRORS = (SandboxError, TaskFileError)   # a task's labeller over its limits or failing on the set


def prepare_checks_or_skip(task: TaskSpec, *, dataset: Dataset | None = None,
                           weights: Network | None = None, length_factor: int = LENGTH_FACTOR,
                           n_length_sequences: int = N_LENGTH_SEQUENCES,
                           seed: int = 0) -> tuple[Checks, tuple[str, ...]]:
    """:func:`mips.program.verify.prepare_checks`, leaving out a set the task cannot label.

    Returns
    -------
    checks : Checks
    skipped : tuple of str
        One sentence per check left out or replaced, naming the set and the reason.
    """
    skipped: list[str] = []
    x = all_sequences(task)
    y = None
    if x is not None:
        try:
            y = task.compute_outputs(x)
        except LABEL_ERRORS as exc:
            skipped.append(f"check on all {x.shape[0]:,} possible sequences replaced by the test split: "
                           f"labelling them failed ({exc})")
            x = None
    exhaustive = x is not None
    if x is None:
        data = dataset if dataset is not None else make_dataset(task)
        x, y = data.x_test, data.y_test
    network = None
    if weights is not None:
        network = as_network(weights).predict(x)
    long_x = long_y = None
    length = 0
    if length_factor:
        length = task.seq_len * int(length_factor)
        try:
            long = make_dataset(task, n_sequences=max(2, int(n_length_sequences)), seed=seed + 1,
                                seq_len=length)
            long_x = np.concatenate([long.x_train, long.x_test])
            long_y = np.concatenate([long.y_train, long.y_test])
        except LABEL_ERRORS as exc:
            skipped.append(f"check on {n_length_sequences:,} sequences of length {length} skipped: "
                           f"labelling them failed ({exc})")
            length = 0
    for reason in skipped:
        log.warning("%s: %s", task.name, reason)
    return (Checks(x=x, y=y, exhaustive=exhaustive, network=network, long_x=long_x, long_y=long_y,
                   length=length), tuple(skipped))
