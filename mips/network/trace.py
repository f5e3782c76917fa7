"""Hidden-state tracing: every h_t of every step of every sequence (mips-method.md §8.1).

The paper's autoencoder looked only at the last two steps; the trace keeps all of them, with
the inputs, the task's outputs and the network's outputs, as one read-only artefact that the
encodings, the FSM stage and the app share.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mips.errors import ConfigError
from mips.margins import round_half
from mips.network.interface import RecurrentNetwork
from mips.network.mips_network import as_network
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
        """The network's rounded outputs (half to even, as torch.round); an output within the float
        margin of a half-integer is reported (:func:`mips.margins.round_half`)."""
        return round_half("trace: a network output", self.output).astype(np.int64)


def trace(model: RecurrentNetwork | RNN | RNNWeights, x: np.ndarray, y: np.ndarray | None = None, *,
          task: str = "", batch_size: int = 32768) -> HiddenTrace:
    """Run one network on ``x`` in float64 and record every hidden state.

    Parameters
    ----------
    model : RecurrentNetwork, RNN (network 0 is traced) or RNNWeights
        Run through the interface's torch path (:meth:`RecurrentNetwork.run_torch`), batched over
        whole sequences.
    x : int array of shape (n_sequences, seq_len, input_dim)
    y : int array of shape (n_sequences, seq_len, output_dim), optional
        The task's labels; when omitted the network's rounded outputs are stored.
    """
    net = as_network(model)
    x = np.asarray(x)
    if x.ndim != 3 or x.shape[2] != net.input_dim:
        raise ConfigError(f"x must have shape (n_sequences, seq_len, {net.input_dim}); got {x.shape}.")
    result = net.run_torch(x, batch_size=batch_size)
    output = result.output
    labels = np.asarray(y, dtype=np.int64) if y is not None else np.round(output).astype(np.int64)
    return HiddenTrace(task=task, x=x.astype(np.int64), y=labels, hidden=result.hidden, output=output)
