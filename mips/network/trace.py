"""Hidden-state tracing: every h_t of every step of every sequence (mips-method.md §8.1).

The paper's autoencoder looked only at the last two steps; the trace keeps all of them, with
the inputs, the task's outputs and the network's outputs, as one read-only artefact that the
encodings, the FSM stage and the app share.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from mips.errors import ConfigError
from mips.network.rnn import RNN, RNNWeights


@dataclass(frozen=True, slots=True, kw_only=True)
class HiddenTrace:
    """Everything one network did on a set of sequences.

    Attributes
    ----------
    task : str
    x : int64 array of shape (n_sequences, seq_len, input_dim)
    y : int64 array of shape (n_sequences, seq_len, output_dim)
        The task's labels.
    hidden : float64 array of shape (n_sequences, seq_len + 1, hidden_dim)
        ``hidden[:, 0]`` is the initial state h_{-1} = 0; ``hidden[:, t + 1]`` is h_t.
    output : float64 array of shape (n_sequences, seq_len, output_dim)
        The network's raw outputs y_t = g(h_t) (round them for predictions).
    """

    task: str
    x: np.ndarray
    y: np.ndarray
    hidden: np.ndarray
    output: np.ndarray

    def __post_init__(self) -> None:
        n, t, _ = self.x.shape
        if self.y.shape[:2] != (n, t) or self.output.shape != self.y.shape:
            raise ConfigError(f"Trace arrays disagree: x {self.x.shape}, y {self.y.shape}, "
                              f"output {self.output.shape}.")
        if self.hidden.shape[:2] != (n, t + 1):
            raise ConfigError(f"hidden must have shape ({n}, {t + 1}, H); got {self.hidden.shape}.")
        for a in (self.x, self.y, self.hidden, self.output):
            a.flags.writeable = False

    @property
    def n_sequences(self) -> int:
        return self.x.shape[0]

    @property
    def seq_len(self) -> int:
        return self.x.shape[1]

    @property
    def hidden_dim(self) -> int:
        return self.hidden.shape[2]

    def transitions(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All (h_{t-1}, x_t, h_t) triples, flattened over sequences and steps.

        Returns
        -------
        h_prev : (n_sequences * seq_len, hidden_dim)
        x : (n_sequences * seq_len, input_dim)
        h_next : (n_sequences * seq_len, hidden_dim)
        """
        H = self.hidden_dim
        return (self.hidden[:, :-1].reshape(-1, H), self.x.reshape(-1, self.x.shape[2]),
                self.hidden[:, 1:].reshape(-1, H))

    def predictions(self) -> np.ndarray:
        """The network's rounded outputs (half to even, as torch.round)."""
        return np.round(self.output).astype(np.int64)


@torch.no_grad()
def trace(model: RNN | RNNWeights, x: np.ndarray, y: np.ndarray | None = None, *, task: str = "",
          batch_size: int = 32768) -> HiddenTrace:
    """Run one network on ``x`` in float64 and record every hidden state.

    Parameters
    ----------
    model : RNN (network 0 is traced) or RNNWeights
    x : int array of shape (n_sequences, seq_len, input_dim)
    y : int array of shape (n_sequences, seq_len, output_dim), optional
        The task's labels; when omitted the network's rounded outputs are stored.
    """
    if isinstance(model, RNNWeights):
        net = RNN.from_weights(model, dtype=torch.float64)
    else:
        net = RNN.from_weights(model.weights(0), dtype=torch.float64)
    x = np.asarray(x)
    if x.ndim != 3 or x.shape[2] != net.config.input_dim:
        raise ConfigError(f"x must have shape (n_sequences, seq_len, {net.config.input_dim}); got {x.shape}.")
    hs, outs = [], []
    for start in range(0, x.shape[0], batch_size):
        xb = torch.tensor(x[start:start + batch_size], dtype=torch.float64)
        out, h = net(xb, return_hidden=True)                        # (1, b, T, O), (1, b, T, H)
        hs.append(h[0].numpy())
        outs.append(out[0].numpy())
    hidden = np.concatenate(hs) if hs else np.zeros((0, x.shape[1], net.config.hidden_dim))
    output = np.concatenate(outs) if outs else np.zeros((0, x.shape[1], net.config.output_dim))
    hidden = np.concatenate([np.zeros((hidden.shape[0], 1, hidden.shape[2])), hidden], axis=1)
    labels = np.asarray(y, dtype=np.int64) if y is not None else np.round(output).astype(np.int64)
    return HiddenTrace(task=task, x=x.astype(np.int64), y=labels, hidden=hidden, output=output)
