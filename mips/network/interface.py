"""Network stage: the one interface every recurrent network offers downstream (mips-method.md §3, §8.1).

Tracing, the behavioural encoding, verification and the workbench only ever call
``initial_state`` / ``step`` / ``readout`` (numpy, float64, batched) or ``run`` built on them;
``torch_forward`` runs the same weights in torch (float64) for fast batched tracing. The MIPS
RNN (:mod:`mips.network.mips_network`) and the PyTorch ``nn.RNN`` / ``nn.GRU`` / ``nn.LSTM``
adapters (:mod:`mips.network.adapters`) implement it; :func:`mips.network.mips_network.as_network`
turns the project's own objects (``RNN``, ``RNNWeights``) into it.

Inputs are the task's raw integers: a network trained on one-hot vectors encodes them itself
(``input_encoding``). Outputs are in the task's units: a regression output is the raw read-out
(round it for a prediction), a classifier's is the value of its arg-max class.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

from mips.errors import ConfigError

NetworkKind = Literal["mips-rnn", "rnn-tanh", "rnn-relu", "gru", "lstm"]
NETWORK_KINDS: tuple[str, ...] = ("mips-rnn", "rnn-tanh", "rnn-relu", "gru", "lstm")
MAX_VALUES = 256
RUN_BATCH = 65_536


@dataclass(frozen=True, slots=True, kw_only=True)
class InputEncoding:
    """How the task's integers reach the network: ``raw`` (as floats) or ``one-hot`` over ``values``
    (each input number becomes ``len(values)`` features, in order)."""

    kind: Literal["raw", "one-hot"] = "raw"
    values: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in ("raw", "one-hot"):
            raise ConfigError(f"The input encoding must be 'raw' or 'one-hot'. Got {self.kind!r} instead.")
        if self.kind == "one-hot":
            vals = self.values
            if not (1 <= len(vals) <= MAX_VALUES and all(isinstance(v, int) and not isinstance(v, bool)
                                                         for v in vals) and len(set(vals)) == len(vals)):
                raise ConfigError(f"A one-hot input encoding needs 'values': 1 to {MAX_VALUES} distinct ints, the "
                                  f"task's input values in the order of the one-hot features. Got {vals!r} instead.")

    def width(self, input_dim: int) -> int:
        """Features per step the network reads."""
        return input_dim * len(self.values) if self.kind == "one-hot" else input_dim

    def encode(self, x: np.ndarray) -> np.ndarray:
        """``x (..., input_dim)`` integers -> float64 ``(..., width)``."""
        x = np.asarray(x)
        if self.kind == "raw":
            return x.astype(np.float64)
        vals = np.asarray(self.values)
        hot = x[..., None] == vals                                  # (..., input_dim, n_values)
        if not hot.any(axis=-1).all():
            bad = x[~hot.any(axis=-1)].reshape(-1)[0].item()
            raise ConfigError(f"The input {bad!r} is not one of the one-hot encoding's values {list(self.values)}; "
                              f"list every input value of the task under 'values'.")
        return hot.reshape(*x.shape[:-1], -1).astype(np.float64)

    def describe(self) -> str:
        return "raw integers" if self.kind == "raw" else f"one-hot over {list(self.values)}"


@dataclass(frozen=True, slots=True, kw_only=True)
class OutputDecoding:
    """How the read-out becomes the task's outputs: ``regression`` (the read-out itself, rounded for a
    prediction) or ``classification`` (``len(classes)`` logits per output, arg-max -> its class value)."""

    kind: Literal["regression", "classification"] = "regression"
    classes: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in ("regression", "classification"):
            raise ConfigError(f"The output type must be 'regression' or 'classification'. Got {self.kind!r} instead.")
        if self.kind == "classification":
            cls = self.classes
            if not (2 <= len(cls) <= MAX_VALUES and all(isinstance(v, int) and not isinstance(v, bool)
                                                        for v in cls) and len(set(cls)) == len(cls)):
                raise ConfigError(f"A classification output needs 'classes': 2 to {MAX_VALUES} distinct ints, the "
                                  f"output value of each logit in order. Got {cls!r} instead.")

    def width(self, output_dim: int) -> int:
        """Read-out features per step."""
        return output_dim * len(self.classes) if self.kind == "classification" else output_dim

    def decode(self, raw: np.ndarray) -> np.ndarray:
        """``raw (..., width)`` -> float64 ``(..., output_dim)`` in the task's units."""
        if self.kind == "regression":
            return raw
        c = len(self.classes)
        best = np.argmax(raw.reshape(*raw.shape[:-1], -1, c), axis=-1)
        return np.asarray(self.classes, dtype=np.float64)[best]

    def describe(self) -> str:
        return "regression (rounded)" if self.kind == "regression" else f"classification over {list(self.classes)}"


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkRun:
    """What :meth:`RecurrentNetwork.run` recorded.

    Attributes
    ----------
    hidden : float64 array of shape (n_sequences, seq_len + 1, hidden_dim)
        ``hidden[:, 0]`` is the initial state; ``hidden[:, t + 1]`` is the state after step t.
    output : float64 array of shape (n_sequences, seq_len, output_dim)
        The outputs in the task's units (round them for predictions).
    """

    hidden: np.ndarray
    output: np.ndarray


class RecurrentNetwork(ABC):
    """A recurrent network as the pipeline sees it: batched numpy step and read-out, and a torch path.

    Attributes
    ----------
    kind : NetworkKind
    input_dim, output_dim : int
        Numbers per step of the task (before any one-hot encoding / after decoding).
    hidden_dim : int
        Size of the state that ``step`` carries (an LSTM's is ``concat(h, c)``).
    input_encoding : InputEncoding
    output_decoding : OutputDecoding
    """

    kind: str
    input_dim: int
    output_dim: int
    hidden_dim: int
    input_encoding: InputEncoding = InputEncoding()
    output_decoding: OutputDecoding = OutputDecoding()

    # -- numpy, float64 ----------------------------------------------------------------
    def initial_state(self, n: int) -> np.ndarray:
        """The state before the first step, for ``n`` sequences: float64 ``(n, hidden_dim)`` (zeros)."""
        return np.zeros((n, self.hidden_dim))

    @abstractmethod
    def step(self, h: np.ndarray, x: np.ndarray) -> np.ndarray:
        """One step: states ``h (..., hidden_dim)`` and raw inputs ``x (..., input_dim)`` (broadcast
        together) -> the next states."""

    @abstractmethod
    def readout_raw(self, h: np.ndarray) -> np.ndarray:
        """The read-out layers on states ``h (..., hidden_dim)`` -> ``(..., output_decoding.width(output_dim))``."""

    def readout(self, h: np.ndarray) -> np.ndarray:
        """Outputs in the task's units: ``h (..., hidden_dim)`` -> float64 ``(..., output_dim)``."""
        return self.output_decoding.decode(self.readout_raw(h))

    def run(self, xs: np.ndarray, *, batch_size: int = RUN_BATCH) -> NetworkRun:
        """Every state and output on ``xs (n_sequences, seq_len, input_dim)``, by ``step`` and ``readout``."""
        xs = self._check_inputs(xs)
        n, t_len, _ = xs.shape
        hidden = np.empty((n, t_len + 1, self.hidden_dim))
        output = np.empty((n, t_len, self.output_dim))
        for s in range(0, n, batch_size):
            e = min(n, s + batch_size)
            h = self.initial_state(e - s)
            hidden[s:e, 0] = h
            for t in range(t_len):
                h = self.step(h, xs[s:e, t])
                hidden[s:e, t + 1] = h
                output[s:e, t] = self.readout(h)
        return NetworkRun(hidden=hidden, output=output)

    def predict(self, xs: np.ndarray, *, batch_size: int = RUN_BATCH) -> np.ndarray:
        """Rounded outputs ``(n_sequences, seq_len, output_dim)`` int64, without keeping the states."""
        xs = self._check_inputs(xs)
        n, t_len, _ = xs.shape
        out = np.empty((n, t_len, self.output_dim), dtype=np.int64)
        for s in range(0, n, batch_size):
            e = min(n, s + batch_size)
            h = self.initial_state(e - s)
            for t in range(t_len):
                h = self.step(h, xs[s:e, t])
                out[s:e, t] = np.round(self.readout(h))
        return out

    # -- torch, from the same weights -------------------------------------------------------
    @abstractmethod
    def as_torch(self) -> torch.nn.Module:
        """The network as a float64 torch module (its own forward convention)."""

    @abstractmethod
    def torch_forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Raw inputs ``x (batch, seq_len, input_dim)`` -> read-out ``(batch, seq_len, width)`` and states
        ``(batch, seq_len, hidden_dim)`` (float64, the initial state not included)."""

    @torch.no_grad()
    def run_torch(self, xs: np.ndarray, *, batch_size: int = 32_768) -> NetworkRun:
        """As :meth:`run`, computed by :meth:`torch_forward` (batched over the whole sequence)."""
        xs = self._check_inputs(xs)
        n, t_len, _ = xs.shape
        hs, outs = [], []
        for s in range(0, n, batch_size):
            raw, h = self.torch_forward(torch.tensor(xs[s:s + batch_size], dtype=torch.float64))
            hs.append(h.numpy())
            outs.append(self.output_decoding.decode(raw.numpy()))
        hidden = np.concatenate(hs) if hs else np.zeros((0, t_len, self.hidden_dim))
        output = np.concatenate(outs) if outs else np.zeros((0, t_len, self.output_dim))
        first = self.initial_state(n)[:, None, :]
        return NetworkRun(hidden=np.concatenate([first, hidden], axis=1), output=output)

    # -- description ------------------------------------------------------------------------
    @property
    def step_width(self) -> int:
        """The widest layer one step computes (a work estimate for callers that budget steps)."""
        return self.hidden_dim

    @property
    @abstractmethod
    def n_parameters(self) -> int:
        """Number of weights and biases."""

    @abstractmethod
    def describe(self) -> str:
        """Short human form of the architecture."""

    def _check_inputs(self, xs: np.ndarray) -> np.ndarray:
        xs = np.asarray(xs)
        if xs.ndim != 3 or xs.shape[2] != self.input_dim:
            raise ConfigError(f"The inputs must have shape (n_sequences, seq_len, {self.input_dim}); "
                              f"got {xs.shape}.")
        return xs

