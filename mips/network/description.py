"""Network stage: the JSON file that describes a network brought from one's own PyTorch code.

A state dict holds weights, not the architecture: which module is the recurrent one, its kind
(``nn.RNN``'s nonlinearity is not in its weights), the read-out layers, how inputs were encoded
and what the outputs mean. The description says it (README, "Networks from your own PyTorch code")::

    {"kind": "gru", "input_size": 2, "hidden_size": 8,
     "rnn": "rnn", "readout": ["fc"],
     "input": {"encoding": "one-hot", "values": [0, 1]},
     "output": {"type": "regression"}}

For the authors' own checkpoints (a bare ``hmlp.mlp.*`` / ``ymlp.mlp.*`` state dict) it is
``{"kind": "mips-rnn"}``, optionally with the ``RNNConfig`` fields to check the shapes against.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mips.errors import CheckpointError, ConfigError, did_you_mean
from mips.network.interface import NETWORK_KINDS, InputEncoding, OutputDecoding
from mips.network.torch_networks import READOUT_ACTIVATIONS

MAX_DESCRIPTION_BYTES = 64 * 1024
MAX_SIZE = 1024                  # input_size, hidden_size
MAX_LAYERS = 4
FIELDS = ("kind", "input_size", "hidden_size", "num_layers", "bias", "rnn", "readout", "readout_activation",
          "input", "output", "task", "config")
HOW = "See the README section 'Networks from your own PyTorch code' for the description file."


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkDescription:
    """What a state dict needs to become a network (validated; see the module docstring).

    Attributes
    ----------
    kind : one of ``NETWORK_KINDS``
    input_size, hidden_size, num_layers, bias : as the torch module's constructor arguments
    rnn : key prefix of the recurrent module in the state dict (``"rnn"`` for ``self.rnn = nn.GRU(...)``)
    readout : key prefixes of the read-out ``nn.Linear`` layers, in order
    readout_activation : between read-out layers
    input_encoding, output_decoding
    task : the task the network was trained for, if given
    config : for ``mips-rnn``, the RNNConfig fields to check the shapes against (may be empty)
    """

    kind: str
    input_size: int = 0
    hidden_size: int = 0
    num_layers: int = 1
    bias: bool = True
    rnn: str = "rnn"
    readout: tuple[str, ...] = ("fc",)
    readout_activation: str = "relu"
    input_encoding: InputEncoding = InputEncoding()
    output_decoding: OutputDecoding = OutputDecoding()
    task: str | None = None
    config: dict = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        if self.kind == "mips-rnn":
            return {"kind": self.kind, "task": self.task, "config": dict(self.config)}
        inp = {"encoding": self.input_encoding.kind}
        if self.input_encoding.kind == "one-hot":
            inp["values"] = list(self.input_encoding.values)
        out = {"type": self.output_decoding.kind}
        if self.output_decoding.kind == "classification":
            out["classes"] = list(self.output_decoding.classes)
        return {"kind": self.kind, "input_size": self.input_size, "hidden_size": self.hidden_size,
                "num_layers": self.num_layers, "bias": self.bias, "rnn": self.rnn, "readout": list(self.readout),
                "readout_activation": self.readout_activation, "input": inp, "output": out, "task": self.task}


def _bad(field_name: str, rule: str, got: object) -> ConfigError:
    shown = repr(got) if isinstance(got, (str, int, float, bool, type(None))) else f"a {type(got).__name__}"
    return ConfigError(f"The '{field_name}' field of the network description must {rule}. Got {shown[:100]} "
                       f"instead. {HOW}")


def _int(data: dict, name: str, low: int, high: int, default: int | None = None) -> int:
    if name not in data and default is not None:
        return default
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _bad(name, f"be an int in [{low}, {high}]", value)
    return value


def _prefix(value: object, name: str) -> str:
    if not (isinstance(value, str) and 0 < len(value) <= 200 and value.isprintable()):
        raise _bad(name, "be the key prefix of a module in the state dict (a non-empty str)", value)
    return value


def _ints(value: object) -> tuple[int, ...] | None:
    if isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return tuple(value)
    return None


def parse_description(data: object) -> NetworkDescription:
    """Validate a parsed description (a dict) field by field; errors name the field and the fix."""
    if not isinstance(data, dict):
        raise ConfigError(f"A network description must be a JSON object. Got {type(data).__name__} instead. {HOW}")
    unknown = [k for k in data if k not in FIELDS]
    if unknown:
        key = str(unknown[0])[:100]
        raise ConfigError(f"Unknown field '{key}' in the network description; allowed: {', '.join(FIELDS)}."
                          f"{did_you_mean(key, FIELDS)}")
    kind = data.get("kind")
    if kind not in NETWORK_KINDS:
        hint = did_you_mean(kind, NETWORK_KINDS) if isinstance(kind, str) else ""
        raise ConfigError(f"The 'kind' field of the network description must be one of "
                          f"{', '.join(repr(k) for k in NETWORK_KINDS)}. Got {kind!r:.100} instead.{hint}")
    task = data.get("task")
    if task is not None and not (isinstance(task, str) and 0 < len(task) <= 200 and task.isprintable()):
        raise _bad("task", "be a task name (a str)", task)
    if kind == "mips-rnn":
        torch_only = [k for k in data if k not in ("kind", "task", "config")]
        if torch_only:
            raise ConfigError(f"A 'mips-rnn' description takes only 'kind', 'task' and 'config' (the RNNConfig "
                              f"fields); its architecture is read from the hmlp/ymlp weights. Remove "
                              f"{', '.join(repr(k) for k in torch_only)}.")
        config = data.get("config", {})
        if not isinstance(config, dict):
            raise _bad("config", "be an object of RNNConfig fields", config)
        return NetworkDescription(kind=kind, task=task, config=dict(config))
    if "config" in data:
        raise ConfigError("The 'config' field is only for kind 'mips-rnn'; describe a PyTorch network with "
                          "'input_size', 'hidden_size', 'num_layers', 'rnn' and 'readout'.")
    for name in ("input_size", "hidden_size"):
        if name not in data:
            raise ConfigError(f"The network description lacks '{name}' (the {name} argument of the torch "
                              f"module). {HOW}")
    bias = data.get("bias", True)
    if not isinstance(bias, bool):
        raise _bad("bias", "be true or false", bias)
    readout = data.get("readout", ["fc"])
    if isinstance(readout, str):
        readout = [readout]
    if not (isinstance(readout, list) and 1 <= len(readout) <= 4):
        raise _bad("readout", "list the key prefixes of 1 to 4 nn.Linear read-out layers (e.g. [\"fc\"] or "
                              "[\"head.0\", \"head.2\"])", readout)
    act = data.get("readout_activation", "relu")
    if act not in READOUT_ACTIVATIONS:
        raise _bad("readout_activation", f"be one of {', '.join(repr(a) for a in READOUT_ACTIVATIONS)}", act)
    return NetworkDescription(
        kind=kind, input_size=_int(data, "input_size", 1, MAX_SIZE), hidden_size=_int(data, "hidden_size", 1, MAX_SIZE),
        num_layers=_int(data, "num_layers", 1, MAX_LAYERS, default=1), bias=bias, rnn=_prefix(data.get("rnn", "rnn"), "rnn"),
        readout=tuple(_prefix(p, "readout") for p in readout), readout_activation=act,
        input_encoding=_input(data.get("input", {"encoding": "raw"})),
        output_decoding=_output(data.get("output", {"type": "regression"})), task=task)


def _input(value: object) -> InputEncoding:
    if not isinstance(value, dict) or value.get("encoding") not in ("raw", "one-hot") \
            or set(value) - {"encoding", "values"}:
        raise _bad("input", 'be {"encoding": "raw"} or {"encoding": "one-hot", "values": [...]}', value)
    if value["encoding"] == "raw":
        return InputEncoding()
    values = _ints(value.get("values"))
    if values is None:
        raise _bad("input.values", "list the task's input values (ints) in the order of the one-hot features",
                   value.get("values"))
    return InputEncoding(kind="one-hot", values=values)


def _output(value: object) -> OutputDecoding:
    if not isinstance(value, dict) or value.get("type") not in ("regression", "classification") \
            or set(value) - {"type", "classes"}:
        raise _bad("output", 'be {"type": "regression"} or {"type": "classification", "classes": [...]}', value)
    if value["type"] == "regression":
        return OutputDecoding()
    classes = _ints(value.get("classes"))
    if classes is None:
        raise _bad("output.classes", "list the output value of each logit (ints), in order", value.get("classes"))
    return OutputDecoding(kind="classification", classes=classes)


def read_description(source: str | os.PathLike | bytes) -> NetworkDescription:
    """Read and validate a description file (a path, or the bytes of an upload)."""
    name = "the network description" if isinstance(source, bytes) else f"the network description '{source}'"
    if isinstance(source, bytes):
        raw = source
    else:
        path = Path(source)
        if not path.is_file():
            raise CheckpointError(f"Cannot read {name}: no such file. Write a JSON file describing the network. {HOW}")
        if path.stat().st_size > MAX_DESCRIPTION_BYTES:
            raise CheckpointError(f"{name} is larger than {MAX_DESCRIPTION_BYTES} bytes; a description is a few "
                                  f"lines of JSON.")
        raw = path.read_bytes()
    if len(raw) > MAX_DESCRIPTION_BYTES:
        raise CheckpointError(f"{name} is larger than {MAX_DESCRIPTION_BYTES} bytes; a description is a few "
                              f"lines of JSON.")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise CheckpointError(f"Cannot read {name}: it is not valid JSON ({exc}). {HOW}") from None
    return parse_description(data)
