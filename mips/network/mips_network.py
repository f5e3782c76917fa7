"""Network stage: the MIPS RNN behind the one network interface (mips-method.md §3), and
:func:`as_network`, which puts any of the project's network objects behind it.

``h_t = f([h_{t-1}; x_t])``, ``y_t = g(h_t)`` with f and g MLPs (ReLU between Linear layers, none
after the last), on raw integer inputs. The numpy step and read-out here are the only numpy
forward pass of the MIPS RNN outside the normalizers' feature-major pass
(:mod:`mips.normalizers.forward`), which is tested equal to it.
"""

from __future__ import annotations

import numpy as np
import torch

from mips.errors import ConfigError
from mips.network.interface import RecurrentNetwork
from mips.network.rnn import RNN, RNNWeights


class MipsNetwork(RecurrentNetwork):
    """The MIPS RNN of one set of :class:`RNNWeights`.

    Parameters
    ----------
    weights : RNNWeights
    """

    kind = "mips-rnn"

    def __init__(self, weights: RNNWeights) -> None:
        self.weights = weights
        cfg = weights.config
        self.input_dim, self.output_dim, self.hidden_dim = cfg.input_dim, cfg.output_dim, cfg.hidden_dim
        self._torch: RNN | None = None

    def step(self, h: np.ndarray, x: np.ndarray) -> np.ndarray:
        w = self.weights
        w0 = w.f_weights[0]
        H = self.hidden_dim
        u = h @ w0[:, :H].T + (np.asarray(x, dtype=np.float64) @ w0[:, H:].T + w.f_biases[0])
        for wk, bk in zip(w.f_weights[1:], w.f_biases[1:]):
            u = np.maximum(u, 0.0) @ wk.T + bk
        return u                                            # no activation on f's output

    def readout_raw(self, h: np.ndarray) -> np.ndarray:
        u = h
        for k, (wk, bk) in enumerate(zip(self.weights.g_weights, self.weights.g_biases)):
            if k:
                u = np.maximum(u, 0.0)
            u = u @ wk.T + bk
        return u

    def as_torch(self) -> RNN:
        if self._torch is None:
            self._torch = RNN.from_weights(self.weights, dtype=torch.float64)
        return self._torch

    def torch_forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        y, h = self.as_torch()(x, return_hidden=True)       # (1, b, T, O), (1, b, T, H)
        return y[0], h[0]

    @property
    def step_width(self) -> int:
        return max(w.shape[0] for w in self.weights.f_weights)

    @property
    def n_parameters(self) -> int:
        return self.weights.config.n_parameters

    def describe(self) -> str:
        return f"MIPS RNN {self.weights.config.describe()}"


def as_network(model: object) -> RecurrentNetwork:
    """The interface of ``model``: a RecurrentNetwork itself, or the MIPS RNN of an ``RNN`` (network 0),
    ``RNNWeights`` or ``Checkpoint``."""
    if isinstance(model, RecurrentNetwork):
        return model
    if isinstance(model, RNNWeights):
        return MipsNetwork(model)
    if isinstance(model, RNN):
        return MipsNetwork(model.weights(0))
    inner = getattr(model, "model", None)       # a Checkpoint
    if isinstance(inner, RNN):
        return MipsNetwork(inner.weights(0))
    raise ConfigError(f"Expected a recurrent network (RecurrentNetwork, RNN, RNNWeights or Checkpoint). "
                      f"Got {type(model).__name__} instead.")
