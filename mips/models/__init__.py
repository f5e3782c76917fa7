"""The MIPS RNN, its config and checkpoint files."""

from mips.models.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from mips.models.config import RNNConfig
from mips.models.rnn import RNN, RNNWeights

__all__ = ["RNN", "RNNConfig", "RNNWeights", "Checkpoint", "load_checkpoint", "save_checkpoint"]
