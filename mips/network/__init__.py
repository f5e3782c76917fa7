"""The MIPS RNN, its config and checkpoint files."""

from mips.network.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from mips.network.config import RNNConfig
from mips.network.rnn import RNN, RNNWeights

__all__ = ["RNN", "RNNConfig", "RNNWeights", "Checkpoint", "load_checkpoint", "save_checkpoint"]
