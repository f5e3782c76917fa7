"""Network stage: PyTorch's ``nn.RNN`` (tanh or ReLU), ``nn.GRU`` and ``nn.LSTM`` with a read-out MLP,
behind the one network interface.

The numpy step follows PyTorch's documented equations and gate order (``nn.GRU``: r, z, n;
``nn.LSTM``: i, f, g, o); the torch path rebuilds the modules themselves from the same weights, so
tests compare the two. The state that ``step`` carries is every layer's ``h`` in order (an LSTM's
is ``concat(h_1 .. h_L, c_1 .. c_L)``); the read-out reads the last layer's ``h``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from mips.network.interface import InputEncoding, OutputDecoding, RecurrentNetwork

GATES = {"rnn-tanh": 1, "rnn-relu": 1, "gru": 3, "lstm": 4}
READOUT_ACTIVATIONS = ("relu", "tanh")


@dataclass(frozen=True, slots=True, kw_only=True)
class RecurrentLayer:
    """One layer's weights as PyTorch stores them: ``weight_ih (G*H, in)``, ``weight_hh (G*H, H)``,
    ``bias_ih``, ``bias_hh (G*H,)`` (zeros for ``bias=False``)."""

    weight_ih: np.ndarray
    weight_hh: np.ndarray
    bias_ih: np.ndarray
    bias_hh: np.ndarray


@dataclass(frozen=True, slots=True, kw_only=True)
class LinearLayer:
    """One read-out layer: ``weight (out, in)``, ``bias (out,)``."""

    weight: np.ndarray
    bias: np.ndarray


def _sigmoid(u: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * u))          # no overflow for large |u|


class TorchRecurrent(RecurrentNetwork):
    """A PyTorch recurrent network and its read-out, in float64.

    Parameters
    ----------
    kind : {"rnn-tanh", "rnn-relu", "gru", "lstm"}
    layers : sequence of RecurrentLayer
        Bottom layer first; all of hidden size ``H``.
    readout : sequence of LinearLayer
        Applied to the last layer's ``h`` with ``readout_activation`` between layers.
    input_encoding, output_decoding : how task integers enter and leave the network
    input_dim, output_dim : numbers per step of the task
    bias : bool
        Whether the recurrent layers have biases (rebuilds the torch modules faithfully).
    """

    def __init__(self, *, kind: str, layers: tuple[RecurrentLayer, ...], readout: tuple[LinearLayer, ...],
                 readout_activation: str, input_encoding: InputEncoding, output_decoding: OutputDecoding,
                 input_dim: int, output_dim: int, bias: bool = True) -> None:
        self.kind = kind
        self.layers = tuple(layers)
        self.readout_layers = tuple(readout)
        self.readout_activation = readout_activation
        self.input_encoding, self.output_decoding = input_encoding, output_decoding
        self.input_dim, self.output_dim = input_dim, output_dim
        self.bias = bias
        self.size = self.layers[0].weight_hh.shape[1]                  # H of each layer
        n_states = 2 if kind == "lstm" else 1
        self.hidden_dim = n_states * len(self.layers) * self.size
        self._torch: _TorchModule | None = None

    # -- numpy ------------------------------------------------------------------------------
    def step(self, h: np.ndarray, x: np.ndarray) -> np.ndarray:
        H, L = self.size, len(self.layers)
        u = self.input_encoding.encode(x)
        hs, cs = [], []
        for k, layer in enumerate(self.layers):
            hk = h[..., k * H:(k + 1) * H]
            gi = u @ layer.weight_ih.T + layer.bias_ih
            gh = hk @ layer.weight_hh.T + layer.bias_hh
            if self.kind == "rnn-tanh":
                new = np.tanh(gi + gh)
            elif self.kind == "rnn-relu":
                new = np.maximum(gi + gh, 0.0)
            elif self.kind == "gru":
                r = _sigmoid(gi[..., :H] + gh[..., :H])
                z = _sigmoid(gi[..., H:2 * H] + gh[..., H:2 * H])
                n = np.tanh(gi[..., 2 * H:] + r * gh[..., 2 * H:])
                new = (1.0 - z) * n + z * hk
            else:                                                        # lstm: i, f, g, o
                g = gi + gh
                ck = h[..., (L + k) * H:(L + k + 1) * H]
                c = _sigmoid(g[..., H:2 * H]) * ck + _sigmoid(g[..., :H]) * np.tanh(g[..., 2 * H:3 * H])
                new = _sigmoid(g[..., 3 * H:]) * np.tanh(c)
                cs.append(c)
            hs.append(new)
            u = new
        return np.concatenate(hs + cs, axis=-1)

    def readout_raw(self, h: np.ndarray) -> np.ndarray:
        L, H = len(self.layers), self.size
        u = h[..., (L - 1) * H:L * H]
        for k, layer in enumerate(self.readout_layers):
            if k:
                u = np.maximum(u, 0.0) if self.readout_activation == "relu" else np.tanh(u)
            u = u @ layer.weight.T + layer.bias
        return u

    # -- torch ------------------------------------------------------------------------------
    def as_torch(self) -> "_TorchModule":
        if self._torch is None:
            self._torch = _TorchModule(self)
        return self._torch

    def torch_forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.as_torch()(x)

    # -- description --------------------------------------------------------------------------
    @property
    def step_width(self) -> int:
        return GATES[self.kind] * self.size

    @property
    def n_parameters(self) -> int:
        arrays = [a for layer in self.layers for a in (layer.weight_ih, layer.weight_hh, layer.bias_ih, layer.bias_hh)]
        arrays += [a for layer in self.readout_layers for a in (layer.weight, layer.bias)]
        return int(sum(a.size for a in arrays))

    def describe(self) -> str:
        name = {"rnn-tanh": "nn.RNN (tanh)", "rnn-relu": "nn.RNN (ReLU)", "gru": "nn.GRU", "lstm": "nn.LSTM"}[self.kind]
        sizes = " -> ".join(str(layer.weight.shape[0]) for layer in self.readout_layers)
        layers = f", {len(self.layers)} layers" if len(self.layers) > 1 else ""
        return f"{name} H={self.size}{layers}, read-out {sizes}"


class _TorchModule(nn.Module):
    """The network rebuilt from PyTorch modules (float64): raw inputs -> (read-out, every state)."""

    def __init__(self, net: TorchRecurrent) -> None:
        super().__init__()
        cls = {"rnn-tanh": nn.RNN, "rnn-relu": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[net.kind]
        extra = {"nonlinearity": "relu" if net.kind == "rnn-relu" else "tanh"} if net.kind.startswith("rnn") else {}
        n_in = net.layers[0].weight_ih.shape[1]
        self.net = net
        self.rnn = cls(n_in, net.size, num_layers=len(net.layers), bias=net.bias, batch_first=True,
                       dtype=torch.float64, **extra)
        mods: list[nn.Module] = []
        for k, layer in enumerate(net.readout_layers):
            if k:
                mods.append(nn.ReLU() if net.readout_activation == "relu" else nn.Tanh())
            mods.append(nn.Linear(layer.weight.shape[1], layer.weight.shape[0], dtype=torch.float64))
        self.readout = nn.Sequential(*mods)
        with torch.no_grad():
            for k, layer in enumerate(net.layers):
                getattr(self.rnn, f"weight_ih_l{k}").copy_(torch.from_numpy(layer.weight_ih))
                getattr(self.rnn, f"weight_hh_l{k}").copy_(torch.from_numpy(layer.weight_hh))
                if net.bias:
                    getattr(self.rnn, f"bias_ih_l{k}").copy_(torch.from_numpy(layer.bias_ih))
                    getattr(self.rnn, f"bias_hh_l{k}").copy_(torch.from_numpy(layer.bias_hh))
            linears = [m for m in self.readout if isinstance(m, nn.Linear)]
            for lin, layer in zip(linears, net.readout_layers):
                lin.weight.copy_(torch.from_numpy(layer.weight))
                lin.bias.copy_(torch.from_numpy(layer.bias))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        enc = self.net.input_encoding
        if enc.kind == "raw":
            return x.to(torch.float64)
        values = torch.tensor(enc.values, dtype=x.dtype)
        return (x.unsqueeze(-1) == values).reshape(*x.shape[:-1], -1).to(torch.float64)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (batch, T, input_dim) -> read-out (batch, T, width), states (batch, T, hidden_dim)."""
        u = self.encode(x)                                               # (B, T, in)
        B, T = u.shape[:2]
        L, H = len(self.net.layers), self.net.size
        h = u.new_zeros(L, B, H)
        state = (h, h.clone()) if self.net.kind == "lstm" else h
        states = []
        for t in range(T):
            _, state = self.rnn(u[:, t:t + 1], state)
            parts = list(state) if self.net.kind == "lstm" else [state]
            states.append(torch.cat([p.permute(1, 0, 2).reshape(B, L * H) for p in parts], dim=-1))
        hidden = torch.stack(states, dim=1)                              # (B, T, hidden_dim)
        out = self.readout(hidden[..., (L - 1) * H:L * H])
        return out, hidden
