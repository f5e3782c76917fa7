"""The network stage: the one network interface, the MIPS RNN, its config and checkpoint files.

Networks from one's own PyTorch code load through :func:`mips.network.adapters.load_network`.
"""

from mips.network.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from mips.network.config import RNNConfig
from mips.network.interface import RecurrentNetwork
from mips.network.mips_network import as_network
from mips.network.rnn import RNN, RNNWeights

__all__ = ["RNN", "RNNConfig", "RNNWeights", "Checkpoint", "RecurrentNetwork", "as_network", "load_checkpoint",
           "save_checkpoint"]
