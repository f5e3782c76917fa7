"""The MIPS RNN in torch, batched over seeds (mips-method.md §3).

One ``RNN`` holds ``n_seeds`` independent networks of one architecture: every weight has a
leading seed axis, so several seeds train as a single model at the cost of about one.
``select(i)`` extracts one network; ``state_dict_paper`` gives the authors' key layout
(``hmlp.mlp.{0,2,4}``, ``ymlp.mlp.{0,2,4}``) and ``weights()`` a float64 numpy view that the
downstream (torch-free) stages use.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from mips.errors import CheckpointError, ConfigError
from mips.network.config import RNNConfig


@dataclass(frozen=True, slots=True, kw_only=True)
class RNNWeights:
    """Plain float64 weights of one network: lists of (out, in) matrices and (out,) biases."""

    config: RNNConfig
    f_weights: tuple[np.ndarray, ...]
    f_biases: tuple[np.ndarray, ...]
    g_weights: tuple[np.ndarray, ...]
    g_biases: tuple[np.ndarray, ...]

    def __post_init__(self) -> None:
        for name, arrays, shapes in (
            ("f", zip(self.f_weights, self.f_biases), self.config.f_shapes()),
            ("g", zip(self.g_weights, self.g_biases), self.config.g_shapes()),
        ):
            arrays = list(arrays)
            if len(arrays) != len(shapes):
                raise ConfigError(f"{name} has {len(arrays)} layers; the config needs {len(shapes)}.")
            for k, ((w, b), shape) in enumerate(zip(arrays, shapes)):
                if w.shape != shape or b.shape != (shape[0],):
                    raise ConfigError(
                        f"Layer {k} of {name} has weight {w.shape} and bias {b.shape}; "
                        f"the config needs {shape} and ({shape[0]},)."
                    )
                w.flags.writeable = False
                b.flags.writeable = False


def _init_linear(gen: torch.Generator, n_out: int, n_in: int) -> tuple[torch.Tensor, torch.Tensor]:
    """PyTorch's default ``nn.Linear`` init, drawn from a local generator."""
    bound = 1.0 / math.sqrt(n_in)
    w = (torch.rand(n_out, n_in, generator=gen) * 2 - 1) * bound
    b = (torch.rand(n_out, generator=gen) * 2 - 1) * bound
    return w, b


class RNN(nn.Module):
    """``n_seeds`` RNNs of one architecture, evaluated together.

    Parameters
    ----------
    config : RNNConfig
    seeds : sequence of int
        One network per seed; seed ``s`` initialises exactly as a single network with seed ``s``.
    """

    def __init__(self, config: RNNConfig, seeds: Sequence[int] = (0,)) -> None:
        super().__init__()
        if len(seeds) == 0:
            raise ConfigError("The 'seeds' parameter of RNN must hold at least one seed. Got [] instead.")
        self.config = config
        self.seeds = tuple(int(s) for s in seeds)
        f_init: list[list[tuple[torch.Tensor, torch.Tensor]]] = []
        g_init: list[list[tuple[torch.Tensor, torch.Tensor]]] = []
        for s in self.seeds:
            gen = torch.Generator().manual_seed(s)
            f_init.append([_init_linear(gen, o, i) for o, i in config.f_shapes()])
            g_init.append([_init_linear(gen, o, i) for o, i in config.g_shapes()])
        self.f_w = nn.ParameterList([nn.Parameter(torch.stack([f[k][0] for f in f_init]))
                                     for k in range(config.hidden_depth)])
        self.f_b = nn.ParameterList([nn.Parameter(torch.stack([f[k][1] for f in f_init]))
                                     for k in range(config.hidden_depth)])
        self.g_w = nn.ParameterList([nn.Parameter(torch.stack([g[k][0] for g in g_init]))
                                     for k in range(config.output_depth)])
        self.g_b = nn.ParameterList([nn.Parameter(torch.stack([g[k][1] for g in g_init]))
                                     for k in range(config.output_depth)])

    @property
    def n_seeds(self) -> int:
        return len(self.seeds)

    # -- forward -------------------------------------------------------------------
    def forward(self, x: torch.Tensor, return_hidden: bool = False):
        """Run every network on the same (or per-seed) inputs.

        Parameters
        ----------
        x : tensor of shape (batch, seq_len, input_dim) or (n_seeds, batch, seq_len, input_dim)

        Returns
        -------
        y : tensor of shape (n_seeds, batch, seq_len, output_dim)
        h : tensor of shape (n_seeds, batch, seq_len, hidden_dim), only if ``return_hidden``
        """
        cfg = self.config
        S, H = self.n_seeds, cfg.hidden_dim
        x = x.to(self.f_w[0].dtype)
        if x.dim() == 3:
            x = x.unsqueeze(0).expand(S, -1, -1, -1)
        _, B, T, _ = x.shape
        w0 = self.f_w[0]                                   # (S, out0, H + I)
        w0h, w0x = w0[:, :, :H], w0[:, :, H:]
        # input part of f's first layer for all steps at once: (S, B*T, out0)
        pre_x = torch.baddbmm(self.f_b[0].unsqueeze(1), x.reshape(S, B * T, -1), w0x.transpose(1, 2))
        pre_x = pre_x.reshape(S, B, T, -1)
        h = x.new_zeros(S, B, H)
        hs = []
        w0h_t = w0h.transpose(1, 2)
        for t in range(T):
            u = torch.baddbmm(pre_x[:, :, t], h, w0h_t)            # (S, B, out0)
            for k in range(1, cfg.hidden_depth):
                u = torch.baddbmm(self.f_b[k].unsqueeze(1), torch.relu(u), self.f_w[k].transpose(1, 2))
            h = u                                           # no activation on f's output
            hs.append(h)
        hidden = torch.stack(hs, dim=2)                     # (S, B, T, H)
        y = self._g(hidden.reshape(S, B * T, H)).reshape(S, B, T, -1)
        return (y, hidden) if return_hidden else y

    def _g(self, h: torch.Tensor) -> torch.Tensor:
        u = h
        for k in range(self.config.output_depth):
            if k > 0:
                u = torch.relu(u)
            u = torch.baddbmm(self.g_b[k].unsqueeze(1), u, self.g_w[k].transpose(1, 2))
        return u

    # -- conversions ------------------------------------------------------------------
    def select(self, index: int) -> "RNN":
        """A single-seed copy of network ``index`` (0-based position in ``seeds``)."""
        if not 0 <= index < self.n_seeds:
            raise ConfigError(f"The 'index' parameter of RNN.select must be in [0, {self.n_seeds - 1}]. "
                              f"Got {index} instead.")
        single = RNN(self.config, seeds=(self.seeds[index],))
        with torch.no_grad():
            for mine, theirs in zip(single.parameters(), self.parameters()):
                mine.copy_(theirs[index:index + 1])
        return single

    def weights(self, index: int = 0) -> RNNWeights:
        """Float64 numpy copy of network ``index``."""
        def grab(plist: nn.ParameterList) -> tuple[np.ndarray, ...]:
            return tuple(p[index].detach().to(torch.float64).numpy().copy() for p in plist)
        return RNNWeights(config=self.config, f_weights=grab(self.f_w), f_biases=grab(self.f_b),
                          g_weights=grab(self.g_w), g_biases=grab(self.g_b))

    @classmethod
    def from_weights(cls, weights: RNNWeights | Sequence[RNNWeights], seeds: Sequence[int] | None = None,
                     dtype: torch.dtype = torch.float32) -> "RNN":
        """Build an RNN (one network per item) from numpy weights."""
        items = [weights] if isinstance(weights, RNNWeights) else list(weights)
        config = items[0].config
        if any(w.config != config for w in items):
            raise ConfigError("All weights given to RNN.from_weights must share one RNNConfig.")
        model = cls(config, seeds=seeds if seeds is not None else tuple(range(len(items))))
        with torch.no_grad():
            for plist, attr in ((model.f_w, "f_weights"), (model.f_b, "f_biases"),
                                (model.g_w, "g_weights"), (model.g_b, "g_biases")):
                for k, p in enumerate(plist):
                    p.copy_(torch.as_tensor(np.stack([getattr(w, attr)[k] for w in items])))
        return model.to(dtype)

    def state_dict_paper(self, index: int = 0) -> dict[str, torch.Tensor]:
        """Network ``index`` in the authors' layout: ``hmlp.mlp.{0,2,4}.*``, ``ymlp.mlp.{0,2,4}.*``."""
        out: dict[str, torch.Tensor] = {}
        for prefix, ws, bs in (("hmlp", self.f_w, self.f_b), ("ymlp", self.g_w, self.g_b)):
            for k, (w, b) in enumerate(zip(ws, bs)):
                out[f"{prefix}.mlp.{2 * k}.weight"] = w[index].detach().clone()
                out[f"{prefix}.mlp.{2 * k}.bias"] = b[index].detach().clone()
        return out

    @classmethod
    def from_state_dict_paper(cls, config: RNNConfig, state: dict[str, torch.Tensor],
                              seed: int = 0) -> "RNN":
        """Inverse of :meth:`state_dict_paper`; checks every key and shape."""
        expected = {}
        for prefix, shapes in (("hmlp", config.f_shapes()), ("ymlp", config.g_shapes())):
            for k, (o, i) in enumerate(shapes):
                expected[f"{prefix}.mlp.{2 * k}.weight"] = (o, i)
                expected[f"{prefix}.mlp.{2 * k}.bias"] = (o,)
        if not isinstance(state, dict):
            raise CheckpointError(f"The weights must be a dict of tensors. Got {type(state).__name__}.")
        missing = sorted(set(expected) - set(state))
        extra = sorted(set(state) - set(expected))
        if missing or extra:
            raise CheckpointError(f"The weights do not match the config {config.describe()}: "
                                  f"missing keys {missing}, unexpected keys {extra}.")
        for key, shape in expected.items():
            t = state[key]
            if not isinstance(t, torch.Tensor) or tuple(t.shape) != shape:
                got = tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__
                raise CheckpointError(f"Weight '{key}' must have shape {shape}; got {got}.")
            if t.layout != torch.strided or t.is_quantized or t.is_meta:
                raise CheckpointError(f"Weight '{key}' must be a dense tensor. Got layout {t.layout}.")
            if not t.is_floating_point() or not torch.isfinite(t).all():
                raise CheckpointError(f"Weight '{key}' must hold finite floating-point values.")
        model = cls(config, seeds=(seed,))
        with torch.no_grad():
            for prefix, ws, bs in (("hmlp", model.f_w, model.f_b), ("ymlp", model.g_w, model.g_b)):
                for k, (w, b) in enumerate(zip(ws, bs)):
                    w.copy_(state[f"{prefix}.mlp.{2 * k}.weight"].unsqueeze(0))
                    b.copy_(state[f"{prefix}.mlp.{2 * k}.bias"].unsqueeze(0))
        return model
