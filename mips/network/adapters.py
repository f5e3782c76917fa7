"""Network stage: networks brought from one's own PyTorch code, loaded behind the one interface.

A state dict (``torch.save(model.state_dict(), "net.pt")``) plus its description
(:mod:`mips.network.description`) becomes a :class:`~mips.network.torch_networks.TorchRecurrent`
(``nn.RNN`` tanh / ReLU, ``nn.GRU``, ``nn.LSTM`` with a read-out MLP) or, for the authors' own
``hmlp.mlp.*`` / ``ymlp.mlp.*`` state dicts, the project's MIPS ``RNN`` (so the normalizers run
on it). Files are read with ``torch.load(weights_only=True)`` after the same size and archive
checks as checkpoints; every key, shape and value is checked, and every error names the problem
and the fix.

The description is given explicitly, or lies next to the weights with the same name and the
suffix ``.json`` (``net.pt`` + ``net.json``). A file in the project's own checkpoint format needs
none.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mips.errors import CheckpointError, ConfigError
from mips.network.checkpoint import (MAX_ARCHIVE_ENTRIES, MAX_CHECKPOINT_BYTES, _check_archive, check_tensor,
                                     first_line, load_checkpoint)
from mips.network.config import RNNConfig
from mips.network.description import HOW, NetworkDescription, read_description
from mips.network.interface import RecurrentNetwork
from mips.network.mips_network import MipsNetwork
from mips.network.rnn import RNN
from mips.network.torch_networks import GATES, LinearLayer, RecurrentLayer, TorchRecurrent
from mips.tasks.spec import TaskSpec

EXPORT = "Save the weights with torch.save(model.state_dict(), path)."


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadedNetwork:
    """A network read from files.

    Attributes
    ----------
    network : RecurrentNetwork
    model : RNN or None
        The MIPS RNN itself when the network is one (the normalizers need it); None otherwise.
    description : NetworkDescription or None
        None for a checkpoint in the project's own format.
    task : str or None
        The task it was trained for, when the files say.
    training : dict
        Training metadata (project checkpoints only).
    """

    network: RecurrentNetwork
    model: RNN | None = None
    description: NetworkDescription | None = None
    task: str | None = None
    training: dict[str, Any] = field(default_factory=dict)


# -- reading files ------------------------------------------------------------------------------
def _read_bytes(source: str | os.PathLike | bytes, name: str) -> bytes:
    if isinstance(source, bytes):
        data = source
    else:
        path = Path(source)
        if not path.is_file():
            raise CheckpointError(f"Cannot read {name}: no such file.")
        if path.stat().st_size > MAX_CHECKPOINT_BYTES:
            raise CheckpointError(f"{name} is larger than {MAX_CHECKPOINT_BYTES} bytes, the limit.")
        data = path.read_bytes()
    if len(data) > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(f"{name} is larger than {MAX_CHECKPOINT_BYTES} bytes, the limit.")
    return data


def read_state_dict(source: str | os.PathLike | bytes) -> dict[str, torch.Tensor]:
    """A state dict file (path or bytes), read with ``weights_only=True``: a dict of str -> tensor."""
    name = "the uploaded weights" if isinstance(source, bytes) else f"the weights '{source}'"
    data = _read_bytes(source, name)
    try:
        _check_archive(data, name)
    except CheckpointError:
        raise CheckpointError(f"Cannot read {name}: it is not a file written by torch.save. {EXPORT}") from None
    try:
        state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch and pickle raise many types
        if "Weights only load failed" in str(exc):
            raise CheckpointError(f"Cannot read {name}: it holds Python objects, not only tensors (was the whole "
                                  f"model saved?). {EXPORT}") from None
        raise CheckpointError(f"Cannot read {name} ({type(exc).__name__}: {first_line(exc)}). {EXPORT}") from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict) and "format" not in state:
        state = state["state_dict"]                  # {"state_dict": ...} as many training scripts save
    if not isinstance(state, dict) or not state:
        raise CheckpointError(f"{name} must hold a state dict (a dict of tensors). Got "
                              f"{type(state).__name__} instead. {EXPORT}")
    return state


def _check_tensors(state: dict, name: str) -> dict[str, torch.Tensor]:
    if len(state) > MAX_ARCHIVE_ENTRIES:
        raise CheckpointError(f"{name} holds {len(state)} entries; at most {MAX_ARCHIVE_ENTRIES} are read.")
    for key, t in state.items():
        if not isinstance(key, str) or len(key) > 200:
            raise CheckpointError(f"{name} must be keyed by parameter names (str). Got the key {str(key)[:60]!r}.")
        if not isinstance(t, torch.Tensor):
            raise CheckpointError(f"Entry '{key}' of {name} must be a dense tensor. Got {type(t).__name__}. {EXPORT}")
        check_tensor(key, t, name, EXPORT)            # metadata only: layout, strides, storage, sizes
        if not torch.isfinite(t).all():
            raise CheckpointError(f"Entry '{key}' of {name} must hold finite floating-point values.")
    return state


def _modules(state: dict) -> list[str]:
    """The module prefixes of a state dict's keys (``rnn``, ``fc``, ``head.0`` ...)."""
    return sorted({k.rsplit(".", 1)[0] for k in state if "." in k})


# -- the authors' MIPS RNN -------------------------------------------------------------------------
def _mlp_shapes(state: dict, prefix: str) -> list[tuple[int, ...]]:
    shapes = []
    while f"{prefix}.mlp.{2 * len(shapes)}.weight" in state:
        shapes.append(tuple(state[f"{prefix}.mlp.{2 * len(shapes)}.weight"].shape))
    return shapes


def mips_rnn(state: dict, description: NetworkDescription, name: str = "the weights") -> RNN:
    """The MIPS RNN of a bare ``hmlp.mlp.*`` / ``ymlp.mlp.*`` state dict, its architecture read from the shapes
    (and checked against ``description.config`` when given)."""
    state = _check_tensors(state, name)
    f, g = _mlp_shapes(state, "hmlp"), _mlp_shapes(state, "ymlp")
    if not f or not g or any(len(s) != 2 for s in f + g):
        raise CheckpointError(f"{name} is not a MIPS RNN state dict: it needs 2-D 'hmlp.mlp.0.weight' and "
                              f"'ymlp.mlp.0.weight' (the authors' layout). It has modules {_modules(state)[:8]}.")
    hidden = f[-1][0]
    inferred = {"input_dim": f[0][1] - hidden, "output_dim": g[-1][0], "hidden_dim": hidden,
                "hidden_depth": len(f), "hidden_width": f[0][0] if len(f) > 1 else 1,
                "output_depth": len(g), "output_width": g[0][0] if len(g) > 1 else 1}
    try:
        config = RNNConfig.from_dict(inferred)
        given = RNNConfig.from_dict({**inferred, **description.config}) if description.config else config
    except ConfigError as exc:
        raise CheckpointError(f"{name} does not describe a MIPS RNN this build runs: {exc}") from None
    if given != config:
        raise CheckpointError(f"The description's config ({given.describe()}, input_dim {given.input_dim}) does not "
                              f"match the weights ({config.describe()}, input_dim {config.input_dim}); fix or drop "
                              f"'config' in the description.")
    return RNN.from_state_dict_paper(config, state)


# -- PyTorch networks ----------------------------------------------------------------------------------
def _array(state: dict, key: str, shape: tuple[int, ...], why: str) -> np.ndarray:
    t = state[key]
    if tuple(t.shape) != shape:
        raise CheckpointError(f"State dict entry '{key}' has shape {tuple(t.shape)}; {why} needs {shape}. Fix the "
                              f"description's sizes (or the key prefixes) to match the network.")
    return t.detach().to(torch.float64).numpy().copy()


def torch_network(state: dict, description: NetworkDescription, name: str = "the weights") -> TorchRecurrent:
    """The ``nn.RNN`` / ``nn.GRU`` / ``nn.LSTM`` + read-out network of a state dict and its description."""
    state = _check_tensors(state, name)
    d = description
    rnn, G, H = d.rnn, GATES[d.kind], d.hidden_size
    keys = [k for k in state if k.startswith(rnn + ".")]
    if f"{rnn}.weight_ih_l0" not in state:
        raise CheckpointError(f"{name} has no recurrent module '{rnn}' (no key '{rnn}.weight_ih_l0'). Its modules are "
                              f"{_modules(state)[:10]}; set 'rnn' in the description to the recurrent one.")
    if any(k.endswith("_reverse") for k in keys):
        raise CheckpointError(f"The recurrent module '{rnn}' is bidirectional; a program runs forward in time, so "
                              f"only unidirectional networks (bidirectional=False) are supported.")
    if any(re.search(r"\.weight_hr_l\d+$", k) for k in keys):
        raise CheckpointError(f"The LSTM '{rnn}' has projections (proj_size > 0), which are not supported.")
    layers, expected = [], set()
    what = f"a {d.kind} with input_size {d.input_size} and hidden_size {H}"
    for k in range(d.num_layers):
        names = [f"{rnn}.weight_ih_l{k}", f"{rnn}.weight_hh_l{k}"] + (
            [f"{rnn}.bias_ih_l{k}", f"{rnn}.bias_hh_l{k}"] if d.bias else [])
        missing = [n for n in names if n not in state]
        if missing:
            raise CheckpointError(f"{name} lacks {missing[0]!r}: {what} and num_layers {d.num_layers}"
                                  f"{' and bias' if d.bias else ''} has it. Fix 'num_layers' or 'bias' in the "
                                  f"description.")
        expected.update(names)
        n_in = d.input_size if k == 0 else H
        zeros = np.zeros(G * H)
        layers.append(RecurrentLayer(
            weight_ih=_array(state, names[0], (G * H, n_in), what), weight_hh=_array(state, names[1], (G * H, H), what),
            bias_ih=_array(state, names[2], (G * H,), what) if d.bias else zeros,
            bias_hh=_array(state, names[3], (G * H,), what) if d.bias else zeros))
    readout, n_in = [], H
    for prefix in d.readout:
        wkey, bkey = f"{prefix}.weight", f"{prefix}.bias"
        if wkey not in state:
            raise CheckpointError(f"{name} has no read-out layer '{prefix}' (no key '{wkey}'). Its modules are "
                                  f"{_modules(state)[:10]}; list the nn.Linear read-out layers in 'readout'.")
        shape = tuple(state[wkey].shape)
        if len(shape) != 2 or shape[1] != n_in:
            raise CheckpointError(f"Read-out layer '{prefix}' has weight shape {shape}; after "
                                  f"{'the recurrent layer' if n_in == H else 'the previous read-out layer'} it needs "
                                  f"({shape[0] if shape else '?'}, {n_in}). Fix the order of 'readout' or "
                                  f"'hidden_size'.")
        w = _array(state, wkey, shape, "the read-out")
        b = _array(state, bkey, (shape[0],), "the read-out") if bkey in state else np.zeros(shape[0])
        expected.update({wkey, bkey} & set(state))
        readout.append(LinearLayer(weight=w, bias=b))
        n_in = shape[0]
    extra = sorted(set(state) - expected)
    if extra:
        more = " (more recurrent layers: raise 'num_layers')" if any(k.startswith(rnn + ".") for k in extra) else \
               " (more read-out layers: list them in 'readout')"
        raise CheckpointError(f"{name} has entries the description does not account for: {extra[:5]}{more}.")
    return TorchRecurrent(kind=d.kind, layers=tuple(layers), readout=tuple(readout),
                          readout_activation=d.readout_activation, input_encoding=d.input_encoding,
                          output_decoding=d.output_decoding, bias=d.bias,
                          input_dim=_per_step(d.input_size, d.input_encoding.width(1), "input_size", "input.values"),
                          output_dim=_per_step(n_in, d.output_decoding.width(1), "the read-out's output size",
                                               "output.classes"))


def _per_step(size: int, per_number: int, what: str, field_name: str) -> int:
    if size % per_number:
        raise CheckpointError(f"{what} is {size}, not a multiple of the {per_number} values in '{field_name}': "
                              f"each number per step needs one feature per value.")
    return size // per_number


def network_from_state_dict(state: dict, description: NetworkDescription,
                            name: str = "the weights") -> LoadedNetwork:
    """A state dict and its description as a :class:`LoadedNetwork`."""
    if not isinstance(state, dict):
        raise CheckpointError(f"{name} must be a state dict (a dict of tensors). Got {type(state).__name__}.")
    if description.kind == "mips-rnn":
        model = mips_rnn(state, description, name)
        return LoadedNetwork(network=MipsNetwork(model.weights(0)), model=model, description=description,
                             task=description.task)
    return LoadedNetwork(network=torch_network(state, description, name), description=description,
                         task=description.task)


def sidecar(path: str | os.PathLike) -> Path | None:
    """``net.json`` next to ``net.pt``, when it exists."""
    p = Path(path).with_suffix(".json")
    return p if p.is_file() and p != Path(path) else None


def load_network(model: str | os.PathLike | bytes,
                 description: str | os.PathLike | bytes | NetworkDescription | None = None) -> LoadedNetwork:
    """Load a network from its weights file and description (see the module docstring).

    Without a description, a project checkpoint loads as itself (a ``.json`` beside it, such as a
    run's report, is not read), a state dict uses the ``.json`` next to it, and a bare ``hmlp`` /
    ``ymlp`` state dict is read as a MIPS RNN.

    Raises
    ------
    CheckpointError
        For every file that cannot be used (any other exception from torch becomes one, without a path).
    """
    try:
        return _load_network(model, description)
    except (CheckpointError, ConfigError):
        raise
    except Exception as exc:  # noqa: BLE001 - torch raises many types (RuntimeError, MemoryError, ...)
        name = "the uploaded weights" if isinstance(model, bytes) else f"'{Path(model).name}'"
        first = first_line(exc)
        raise CheckpointError(f"Cannot use {name}: {type(exc).__name__} ({first}). {EXPORT}") from None


def _load_network(model: str | os.PathLike | bytes,
                  description: str | os.PathLike | bytes | NetworkDescription | None) -> LoadedNetwork:
    if description is None and not isinstance(model, bytes):
        try:
            ck = load_checkpoint(model)
        except CheckpointError as exc:
            description = sidecar(model)
            if description is None:
                return _without_description(model, exc)
        else:
            return LoadedNetwork(network=MipsNetwork(ck.model.weights(0)), model=ck.model, task=ck.task,
                                 training=dict(ck.training))
    if description is None:
        raise CheckpointError(f"Uploaded weights need their description (a JSON file). {HOW}")
    desc = description if isinstance(description, NetworkDescription) else read_description(description)
    name = "the uploaded weights" if isinstance(model, bytes) else f"'{model}'"
    state = read_state_dict(model)
    if "format" in state:
        raise CheckpointError(f"{name} is a MIPS checkpoint, which carries its own architecture: load it without "
                              f"a description.")
    return network_from_state_dict(state, desc, name)


def _without_description(model: str | os.PathLike, exc: CheckpointError) -> LoadedNetwork:
    """A weights file that is not a valid project checkpoint and has no description."""
    try:
        state = read_state_dict(model)
    except CheckpointError:
        raise exc from None
    if "format" in state:
        raise exc from None                          # a damaged project checkpoint: its own message
    if not any(str(k).startswith("hmlp.") for k in state):
        raise CheckpointError(f"'{model}' is a bare state dict, not a MIPS checkpoint: give its description with "
                              f"--model-description FILE.json or as '{Path(model).with_suffix('.json').name}' next "
                              f"to it. {HOW}") from None
    return network_from_state_dict(state, NetworkDescription(kind="mips-rnn"), f"'{model}'")


def task_mismatch(network: RecurrentNetwork, spec: TaskSpec) -> str | None:
    """Why ``network`` cannot run on ``spec`` (None when it can)."""
    if network.input_dim != spec.input_dim or network.output_dim != spec.output_dim:
        return (f"The model reads {network.input_dim} and writes {network.output_dim} number(s) per step; task "
                f"{spec.name} has {spec.input_dim} and {spec.output_dim}.")
    enc = network.input_encoding
    missing = sorted(set(spec.input_values) - set(enc.values)) if enc.kind == "one-hot" else []
    if missing:
        return (f"The network's one-hot input encoding has no feature for the input value(s) {missing[:10]} of task "
                f"{spec.name}; its 'input.values' must list {list(spec.input_values)}.")
    return None
