"""Helpers shared by the normalizer tests: network configs, random networks and data, trained networks."""

import numpy as np

from mips.network import RNN, RNNConfig
from mips.network.training import train
from mips.normalizers import NormalizerData
from mips.tasks import make_dataset

LINEAR2 = RNNConfig(input_dim=1, output_dim=1, hidden_dim=2)
BINADD = RNNConfig(input_dim=2, output_dim=1, hidden_dim=2, hidden_depth=2, hidden_width=8)

RANDOM_CONFIGS = [
    RNNConfig(input_dim=1, output_dim=1, hidden_dim=3),
    RNNConfig(input_dim=2, output_dim=1, hidden_dim=3, hidden_depth=2, hidden_width=5),
    RNNConfig(input_dim=1, output_dim=2, hidden_dim=4, hidden_depth=3, hidden_width=6),
    RNNConfig(input_dim=2, output_dim=1, hidden_dim=2, output_depth=2, output_width=4),
    RNNConfig(input_dim=1, output_dim=1, hidden_dim=4, hidden_depth=2, hidden_width=3, output_depth=3,
              output_width=5),
]
RANDOM_IDS = [c.describe() + f", I={c.input_dim}" for c in RANDOM_CONFIGS]


class Trained:
    """A trained network with its dataset."""

    def __init__(self, task, config):
        self.task = task
        self.dataset = make_dataset(task, n_sequences=20_000, seed=3)
        res = train(task, config, seeds=(0, 1, 2, 3), dataset=self.dataset, n_threads=1)
        assert res.perfect, f"{task} did not train to 100%"
        self.weights = res.model.weights(0)



def random_weights(config: RNNConfig, seed: int):
    return RNN(config, seeds=(seed,)).weights(0)


def random_data(config: RNNConfig, seed: int, n: int = 300, seq_len: int = 6) -> NormalizerData:
    """Random small-integer inputs; labels are zeros (so no accuracy-based rejection applies)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 4, size=(n, seq_len, config.input_dim))
    x_fit = rng.integers(-3, 4, size=(n, seq_len, config.input_dim))
    y = np.zeros((n, seq_len, config.output_dim), dtype=np.int64)
    return NormalizerData(task="random", x_fit=x_fit, x_eval=x, y_eval=y)
