"""Several architectures and seeds as one batched model (issue 12).

:class:`~mips.network.rnn.RNN` batches seeds of *one* architecture: every weight has a leading
seed axis. Networks with the same depths but different hidden sizes or widths fit the same
batched model once each is padded to the largest shape with zeros, and the padding is kept at
zero during training by masking its gradients (with Adam and no weight decay a zero gradient
gives a zero update). A padded hidden unit or width unit then receives nothing and sends nothing,
so each member computes exactly its own network; :func:`extract` slices it back out.

Each member starts from exactly the weights ``RNN(config, seeds=(seed,))`` would give it, so a
member's initialisation does not depend on its companions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from mips.errors import ConfigError
from mips.network.config import RNNConfig
from mips.network.rnn import RNN


@dataclass(frozen=True, slots=True)
class Member:
    """One network of a stack: an architecture and the seed of its initialisation."""

    config: RNNConfig
    seed: int


def envelope(configs: Sequence[RNNConfig]) -> RNNConfig:
    """The smallest architecture every config fits in (same depths, largest H and widths)."""
    first = configs[0]
    for c in configs:
        if (c.hidden_depth, c.output_depth, c.input_dim, c.output_dim) != \
                (first.hidden_depth, first.output_depth, first.input_dim, first.output_dim):
            raise ConfigError(f"Networks stacked in one model must share depths and input/output sizes. "
                              f"Got {first.describe()} and {c.describe()}.")
    return RNNConfig(input_dim=first.input_dim, output_dim=first.output_dim,
                     hidden_dim=max(c.hidden_dim for c in configs), hidden_depth=first.hidden_depth,
                     hidden_width=max(c.hidden_width for c in configs), output_depth=first.output_depth,
                     output_width=max(c.output_width for c in configs))


def _layer_slices(config: RNNConfig, big: RNNConfig) -> dict[str, list[tuple[slice, list[int]]]]:
    """For every layer of f and g: the rows a member uses and the columns (as index lists)."""
    H, Hb, I = config.hidden_dim, big.hidden_dim, config.input_dim
    f_in = list(range(H)) + list(range(Hb, Hb + I))           # [h ; x] with h padded to Hb
    out: dict[str, list[tuple[slice, list[int]]]] = {"f": [], "g": []}
    fd = config.hidden_depth
    for k in range(fd):
        rows = slice(0, H) if k == fd - 1 else slice(0, config.hidden_width)
        cols = f_in if k == 0 else list(range(config.hidden_width))
        out["f"].append((rows, cols))
    gd = config.output_depth
    for k in range(gd):
        rows = slice(0, config.output_dim) if k == gd - 1 else slice(0, config.output_width)
        cols = list(range(H)) if k == 0 else list(range(config.output_width))
        out["g"].append((rows, cols))
    return out


def stack(members: Sequence[Member]) -> tuple[RNN, list[torch.Tensor]]:
    """One batched model holding every member, padded to their envelope, and the gradient masks.

    Returns
    -------
    model : RNN
        ``model.config`` is the envelope; ``model.seeds`` the members' seeds in order.
    masks : list of tensors
        One per parameter of ``model.parameters()``, 1 where a member has a weight, 0 on padding.
        :func:`mask_gradients` registers them.
    """
    if not members:
        raise ConfigError("A stack needs at least one member. Got none.")
    big = envelope([m.config for m in members])
    model = RNN(big, seeds=tuple(m.seed for m in members))
    masks = [torch.zeros_like(p) for p in model.parameters()]
    params = list(model.parameters())
    n_f, n_g = big.hidden_depth, big.output_depth
    index = {("f_w", k): k for k in range(n_f)}
    index.update({("f_b", k): n_f + k for k in range(n_f)})
    index.update({("g_w", k): 2 * n_f + k for k in range(n_g)})
    index.update({("g_b", k): 2 * n_f + n_g + k for k in range(n_g)})
    with torch.no_grad():
        for p in params:
            p.zero_()
        for i, m in enumerate(members):
            own = RNN(m.config, seeds=(m.seed,))
            slices = _layer_slices(m.config, big)
            for part, ws, bs in (("f", own.f_w, own.f_b), ("g", own.g_w, own.g_b)):
                for k, (rows, cols) in enumerate(slices[part]):
                    w_i, b_i = index[(f"{part}_w", k)], index[(f"{part}_b", k)]
                    cols_t = torch.tensor(cols, dtype=torch.long)
                    params[w_i][i, rows][:, cols_t] = ws[k][0]
                    masks[w_i][i, rows][:, cols_t] = 1.0
                    params[b_i][i, rows] = bs[k][0]
                    masks[b_i][i, rows] = 1.0
    return model, masks


def mask_gradients(model: RNN, masks: Sequence[torch.Tensor]) -> list:
    """Keep the padding of a stacked model at zero: every gradient is multiplied by its mask."""
    return [p.register_hook(lambda g, m=m: g * m) for p, m in zip(model.parameters(), masks)]


def extract(model: RNN, index: int, config: RNNConfig) -> RNN:
    """Member ``index`` of a stacked ``model`` as a single network of its own architecture."""
    big = model.config
    single = RNN(config, seeds=(model.seeds[index],))
    slices = _layer_slices(config, big)
    with torch.no_grad():
        for part, ws, bs, src_w, src_b in (("f", single.f_w, single.f_b, model.f_w, model.f_b),
                                           ("g", single.g_w, single.g_b, model.g_w, model.g_b)):
            for k, (rows, cols) in enumerate(slices[part]):
                cols_t = torch.tensor(cols, dtype=torch.long)
                ws[k].copy_(src_w[k][index, rows][:, cols_t].unsqueeze(0))
                bs[k].copy_(src_b[k][index, rows].unsqueeze(0))
    return single


def subset(model: RNN, masks: Sequence[torch.Tensor], keep: Sequence[int]) -> tuple[RNN, list[torch.Tensor]]:
    """A stacked model of only the members ``keep`` (same envelope), and their masks."""
    keep_t = torch.tensor(list(keep), dtype=torch.long)
    small = RNN(model.config, seeds=tuple(model.seeds[i] for i in keep))
    with torch.no_grad():
        for mine, theirs in zip(small.parameters(), model.parameters()):
            mine.copy_(theirs[keep_t])
    return small, [m[keep_t].clone() for m in masks]
