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


from mips.errors import SandboxError, TaskFileError
from mips.tasks.dataset import Dataset
from mips.tasks.spec import TaskSpec
from mips.program.verify import LENGTH_FACTOR, N_LENGTH_SEQUENCES, Checks, Network, prepare_checks

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
    checks = prepare_checks(task, dataset=dataset, weights=weights, length_factor=length_factor,
                            n_length_sequences=n_length_sequences, seed=seed, skip_errors=LABEL_ERRORS,
                            skipped=skipped)
    for reason in skipped:
        log.warning("%s: %s", task.name, reason)
    return checks, tuple(skipped)
