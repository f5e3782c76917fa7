"""Training work, counted rather than timed: the cost of one step of a network, in units of one
step of one H=2, f 2/16 network on 256 sequences of length 10 (:data:`WORK_UNIT`; about half a
millisecond on one idle core of this project's machines). A fixed formula, so the same training on
the same data stops at the same step on any machine under any load.
"""

from __future__ import annotations

from mips.network.config import RNNConfig

EVAL_COST = 1 / 3                 # work of evaluating a sequence, relative to training on it
STEP_OVERHEAD = 24                # per sequence step: the fixed cost of a tiny network (see step_cost)


def step_cost(config: RNNConfig) -> int:
    """Estimated cost of one sequence step of one network, for the work count.

    On CPUs these tiny networks cost what their activations cost more than their multiply-adds:
    ``STEP_OVERHEAD`` + 2 x the outputs of f's layers (run once per step, forward and backward)
    + the outputs of g's layers + multiply-adds / 32. Fitted to step times measured on this
    project's machines to within about 40%; it is a fixed formula, so work counts do not depend
    on the machine.
    """
    f_out = sum(o for o, _ in config.f_shapes())
    g_out = sum(o for o, _ in config.g_shapes())
    macs = sum(o * i for o, i in config.f_shapes() + config.g_shapes())
    return STEP_OVERHEAD + 2 * f_out + g_out + macs // 32


_REFERENCE = RNNConfig(input_dim=1, output_dim=1, hidden_dim=2, hidden_depth=2, hidden_width=16)
WORK_UNIT = 256 * 10 * step_cost(_REFERENCE)   # one step of H=2, f 2/16 on 256 sequences of length 10


def work_of(config: RNNConfig, n_members: int, n_sequences: int, seq_len: int) -> float:
    """Work units of one training step (forward and backward) of ``n_members`` stacked networks."""
    return n_members * n_sequences * seq_len * step_cost(config) / WORK_UNIT
