"""The network stage: the one network interface, the MIPS RNN, its config and checkpoint files,
the network search, and the trace of hidden states.

Public API::

    find_network, ORDERS, SearchResult       the stage: the smallest perfect network (or the best found)
    load_network, LoadedNetwork, task_mismatch   a given network from its file
    RecurrentNetwork, as_network, NETWORK_KINDS  the one interface, and the kinds behind it
    RNN, RNNWeights, RNNConfig               the MIPS RNN
    Checkpoint, load_checkpoint, save_checkpoint
    trace, HiddenTrace                       every hidden state of every step

Networks from one's own PyTorch code load through :func:`mips.network.adapters.load_network`.
"""

from mips.network.adapters import LoadedNetwork, load_network, task_mismatch
from mips.network.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from mips.network.config import RNNConfig
from mips.network.find_network import ORDERS, find_network
from mips.network.interface import NETWORK_KINDS, RecurrentNetwork
from mips.network.mips_network import as_network
from mips.network.paper_search import SearchResult
from mips.network.rnn import RNN, RNNWeights
from mips.network.trace import HiddenTrace, trace

__all__ = ["NETWORK_KINDS", "ORDERS", "RNN", "Checkpoint", "HiddenTrace", "LoadedNetwork", "RNNConfig", "RNNWeights",
           "RecurrentNetwork", "SearchResult", "as_network", "find_network", "load_checkpoint", "load_network",
           "save_checkpoint", "task_mismatch", "trace"]
