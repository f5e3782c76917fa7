"""Is a network perfect? Checked in steps of growing cost, with the work each check costs.

"Perfect" means every output of every sequence of the whole test split is right after rounding,
and, when the dataset is small enough to check cheaply (:data:`CONFIRM_TRAIN_MAX` sequences in
all, as after de-duplicating a small input space), every output of the training split too. A
network is first checked on a few thousand test sequences (by its trainer, for all networks at
once), then on :data:`MEDIUM_CHECK` of them, then on all of them. Work is counted in the units of
:mod:`mips.network.group_training` (evaluating a sequence costs :data:`EVAL_COST` of training on it).
"""

from __future__ import annotations

import numpy as np

from mips.network.config import RNNConfig
from mips.network.rnn import RNN
from mips.network.training import evaluate
from mips.network.work import EVAL_COST, work_of

CONFIRM_TRAIN_MAX = 262_144       # datasets up to this many sequences: perfect means train and test
MEDIUM_CHECK = 32_768             # test sequences of the second check before the whole test split
QUICK_CHECK = 4_096               # test sequences of the first check


class PerfectCheck:
    """The check sets of one dataset, built once."""

    def __init__(self, data, quick_size: int = QUICK_CHECK) -> None:
        self.data = data
        n_test = data.x_test.shape[0]
        self.seq_len = data.x_test.shape[1]
        quick = min(quick_size, n_test)
        q_idx = np.random.default_rng(0).choice(n_test, size=quick, replace=False)
        self.x_quick, self.y_quick = data.x_test[q_idx], data.y_test[q_idx]
        medium = min(n_test, MEDIUM_CHECK)
        if medium < n_test:
            m_idx = np.random.default_rng(1).choice(n_test, size=medium, replace=False)
            self.x_medium, self.y_medium = data.x_test[m_idx], data.y_test[m_idx]
        else:
            self.x_medium = self.y_medium = None
        self.with_train = data.x_train.shape[0] + n_test <= CONFIRM_TRAIN_MAX

    def cost(self, config: RNNConfig, n_sequences: int) -> float:
        return work_of(config, 1, n_sequences, self.seq_len) * EVAL_COST

    def quick(self, net: RNN) -> np.ndarray:
        """Element accuracy of every network of ``net`` on the first check's sequences."""
        acc, _ = evaluate(net, self.x_quick, self.y_quick)
        return acc

    def confirm(self, single: RNN, config: RNNConfig) -> tuple[bool, float]:
        """Whether a single network (already right on the first check) is perfect, and the work spent.

        ``config`` is the network's own architecture (the one its work is counted for).
        """
        data = self.data
        work = 0.0
        if self.x_medium is not None and len(self.x_medium) > len(self.x_quick):
            work += self.cost(config, len(self.x_medium))
            acc, _ = evaluate(single, self.x_medium, self.y_medium)
            if acc[0] != 1.0:
                return False, work
        work += self.cost(config, data.x_test.shape[0])
        full, _ = evaluate(single, data.x_test, data.y_test)
        if full[0] != 1.0:
            return False, work
        if self.with_train:
            work += self.cost(config, data.x_train.shape[0])
            tr, _ = evaluate(single, data.x_train, data.y_train)
            return bool(tr[0] == 1.0), work
        return True, work
