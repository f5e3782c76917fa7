"""Checkpoint files: one network with its config, weights, training metadata and seed.

A checkpoint is a ``torch.save`` of plain data (dicts, lists, str, numbers, tensors) and is read
back with ``torch.load(weights_only=True)``, which executes nothing from the file. Weights use
the authors' key layout (``hmlp.mlp.{0,2,4}``, ``ymlp.mlp.{0,2,4}``).
"""

from __future__ import annotations

import io
import os
import re
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from mips.errors import CheckpointError, ConfigError, check_int
from mips.network.config import RNNConfig
from mips.network.rnn import RNN

FORMAT = "mips-rnn"
VERSION = 1
FIELDS = ("format", "version", "task", "seed", "config", "state_dict", "training")
MAX_CHECKPOINT_BYTES = 64 * 1024 * 1024   # the file, and the sum of its parts once unpacked
MAX_ARCHIVE_ENTRIES = 100                 # the largest network's checkpoint holds 18
MAX_TASK_CHARS = 200
MAX_SEED = 2**32 - 1
MAX_INT = 2**63 - 1                       # any int in 'config' or 'training'
MAX_METADATA_DEPTH = 8                    # nesting of 'config' and 'training'
MAX_METADATA_VALUES = 100_000
MAX_METADATA_CHARS = 1_000_000
RESAVE = "Save the network again with `mips.network.save_checkpoint` or `python -m mips train`."


@dataclass(frozen=True, slots=True, kw_only=True)
class Checkpoint:
    """A loaded checkpoint."""

    model: RNN
    config: RNNConfig
    task: str
    seed: int
    training: dict[str, Any] = field(default_factory=dict)   # recipe, steps, seconds, accuracy, ...


def save_checkpoint(path: str | os.PathLike, model: RNN, *, task: str, seed: int,
                    training: dict[str, Any] | None = None, index: int = 0) -> Path:
    """Write network ``index`` of ``model`` to ``path`` atomically (temp file + rename).

    The seed is checked here with the same rule as on loading, so no checkpoint is written that
    :func:`load_checkpoint` would refuse for it.
    """
    check_int("save_checkpoint", "seed", seed, 0, MAX_SEED)
    path = Path(path)
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "task": str(task),
        "seed": int(seed),
        "config": model.config.to_dict(),
        "state_dict": model.state_dict_paper(index),
        "training": dict(training or {}),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            torch.save(payload, fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_checkpoint(source: str | os.PathLike | bytes) -> Checkpoint:
    """Read and validate a checkpoint from a path or from bytes (an upload).

    The file is checked before torch reads it (a zip archive of at most ``MAX_ARCHIVE_ENTRIES``
    entries that unpacks to at most ``MAX_CHECKPOINT_BYTES``), then every field is checked
    (types, ranges, lengths, nesting), then the weights in the model's dtype.

    Raises
    ------
    CheckpointError
        For any file that is not a valid checkpoint; nothing in the file is executed.
    """
    name = "the uploaded checkpoint" if isinstance(source, bytes) else f"checkpoint '{source}'"
    try:
        return _load(source, name)
    except CheckpointError:
        raise
    except Exception as exc:  # noqa: BLE001 - torch and pickle raise many types (even RecursionError)
        first = first_line(exc)
        if "Weights only load failed" in str(exc):  # never pass on torch's hint to load unsafely
            first = "it refers to Python objects other than plain data and tensors; loading those could run code"
        raise CheckpointError(f"Cannot read {name}: it is not a valid MIPS checkpoint "
                              f"({type(exc).__name__}: {first}).") from None


_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[\\/][\w.+@~-]+){2,}[\\/]?")


def first_line(exc: BaseException) -> str:
    """The first line of a library's exception message (at most 200 characters), without file paths."""
    return _PATH.sub("<path>", (str(exc).splitlines() or ["(no message)"])[0])[:200]


def _load(source: str | os.PathLike | bytes, name: str) -> Checkpoint:
    if isinstance(source, bytes):
        data = source
    else:
        p = Path(source)
        if not p.is_file():
            raise CheckpointError(f"Cannot read {name}: no such file. Train one with "
                                  f"`python -m mips train --task NAME --out {p}`.")
        if p.stat().st_size > MAX_CHECKPOINT_BYTES:
            raise CheckpointError(f"{name} is {p.stat().st_size} bytes; the limit is {MAX_CHECKPOINT_BYTES}.")
        data = p.read_bytes()
    if len(data) > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(f"{name} is {len(data)} bytes; the limit is {MAX_CHECKPOINT_BYTES}.")
    _check_archive(data, name)
    payload = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    _check_payload(payload, name)
    try:
        config = RNNConfig.from_dict(payload["config"])
    except (ConfigError, TypeError) as exc:
        raise CheckpointError(f"{name} has an invalid config: {str(exc)[:500]}") from None
    model = RNN.from_state_dict_paper(config, payload["state_dict"], seed=payload["seed"])
    for key, weight in model.state_dict_paper().items():  # float64 values beyond float32's range became inf
        if not torch.isfinite(weight).all():
            raise CheckpointError(f"Weight '{key}' of {name} must hold finite floating-point values in "
                                  f"{weight.dtype} (|x| <= {torch.finfo(weight.dtype).max:.4g}). Got a value that "
                                  f"overflows {weight.dtype} instead. {RESAVE}")
    return Checkpoint(model=model, config=config, task=payload["task"], seed=payload["seed"],
                      training=payload["training"])


def _check_archive(data: bytes, name: str) -> None:
    """Refuse, before torch reads it, a file that is not a zip archive or unpacks to too much (a zip bomb)."""
    # zipfile builds one object per entry: count the central-directory records first (an upper bound)
    if data.count(b"PK\x01\x02") > MAX_ARCHIVE_ENTRIES:
        raise CheckpointError(f"{name} holds more than {MAX_ARCHIVE_ENTRIES} archive entries; a MIPS checkpoint "
                              f"holds at most {MAX_ARCHIVE_ENTRIES}. {RESAVE}")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except Exception as exc:  # noqa: BLE001 - BadZipFile, OSError, ValueError, EOFError for damaged archives
        raise CheckpointError(f"Cannot read {name}: it is not a valid MIPS checkpoint (a checkpoint is the zip "
                              f"archive that torch.save writes; this file is not one: {exc}). {RESAVE}") from None
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(f"{name} unpacks to {unpacked} bytes; the limit is {MAX_CHECKPOINT_BYTES} "
                              f"(MAX_CHECKPOINT_BYTES), and even the largest network needs a few MB. {RESAVE}")


def _is_int(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _is_real(value: object, low: float, high: float) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high  # not NaN


def _is_huge(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT


def _show(value: object) -> str:
    """A short description of a value read from a checkpoint (messages stay small whatever the file holds)."""
    if _is_huge(value):  # repr() refuses ints of over 4300 digits
        return f"an int of {value.bit_length()} bits"
    if isinstance(value, (str, int, float, type(None))):
        text = repr(value)
        return text if len(text) <= 80 else f"{text[:60]}... ({len(value)} characters)"  # only a str gets here
    return f"a {type(value).__name__}"


def _field_error(name: str, field: str, rule: str, got: str) -> CheckpointError:
    field = field if len(field) <= 100 else field[:100] + "..."
    return CheckpointError(f"The '{field}' field of {name} must {rule}. Got {got} instead. {RESAVE}")


#: The fields of 'training' that the code reads: the rule each must follow, and its check.
TRAINING_FIELDS = {
    "task": ("be a str", lambda v: isinstance(v, str)),
    "recipe": ("be a str", lambda v: isinstance(v, str)),
    "stopped": ("be a str", lambda v: isinstance(v, str)),
    "seed": (f"be an int in [0, {MAX_SEED}]", lambda v: _is_int(v, 0, MAX_SEED)),
    "seeds": (f"be a list of ints in [0, {MAX_SEED}]",
              lambda v: isinstance(v, list) and all(_is_int(s, 0, MAX_SEED) for s in v)),
    "steps": (f"be an int in [0, {MAX_INT}]", lambda v: _is_int(v, 0, MAX_INT)),
    "seconds": ("be a finite float >= 0", lambda v: _is_real(v, 0, sys.float_info.max)),
    "perfect": ("be a bool", lambda v: isinstance(v, bool)),
    "test_accuracy": ("be a float in [0, 1]", lambda v: _is_real(v, 0, 1)),
    "test_sequence_accuracy": ("be a float in [0, 1]", lambda v: _is_real(v, 0, 1)),
}


def _check_payload(payload: object, name: str) -> None:
    """Refuse anything but the fields that save_checkpoint writes, each of the right type, range and size."""
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{name} is not a MIPS checkpoint (expected a dict with format '{FORMAT}').")
    version = payload.get("version")
    if not _is_int(version, VERSION, VERSION):
        raise CheckpointError(f"{name} has version {_show(version)}; this build reads {VERSION}.")
    unexpected = [k for k in payload if k not in FIELDS]
    if unexpected:
        raise CheckpointError(f"{name} has unexpected field(s) {', '.join(_show(k) for k in unexpected[:5])}; a "
                              f"MIPS checkpoint holds only {', '.join(FIELDS)}. {RESAVE}")
    task, seed = payload.get("task"), payload.get("seed")
    if not (isinstance(task, str) and 0 < len(task) <= MAX_TASK_CHARS and task.isprintable()):
        raise _field_error(name, "task", f"be a str of 1 to {MAX_TASK_CHARS} printable characters", _show(task))
    if not _is_int(seed, 0, MAX_SEED):
        raise _field_error(name, "seed", f"be an int in [0, {MAX_SEED}]", _show(seed))
    for key in ("config", "state_dict", "training"):
        if not isinstance(payload.get(key), dict):
            raise _field_error(name, key, "be a dict", _show(payload.get(key)))
    weights = payload["state_dict"]
    if len(weights) > MAX_ARCHIVE_ENTRIES or not all(isinstance(k, str) and len(k) <= 100 for k in weights):
        raise _field_error(name, "state_dict", f"be a dict of at most {MAX_ARCHIVE_ENTRIES} tensors named by strs",
                           f"{len(weights)} entries")
    for key, tensor in weights.items():
        check_tensor(key, tensor, name)
    _check_plain(payload["config"], "config", name)
    _check_plain(payload["training"], "training", name)
    for key, (rule, ok) in TRAINING_FIELDS.items():
        if key in payload["training"] and not ok(payload["training"][key]):
            raise _field_error(name, f"training.{key}", rule, _show(payload["training"][key]))


MAX_TENSOR_DIMS = 4


def check_tensor(key: str, t: object, name: str, hint: str = RESAVE) -> None:
    """Refuse, before any computation reads its values, a tensor that is not a plain dense floating-point
    array backed by storage of its own size: a zero-stride (expanded) or overlapping layout, a storage
    smaller than ``numel * element size``, more than :data:`MAX_TENSOR_DIMS` dimensions, or more elements
    than a checkpoint's byte limit could hold. Only the tensor's metadata is read; an entry that is not
    a tensor is left to the caller's shape checks.

    Raises
    ------
    CheckpointError
        Naming the entry, what is allowed and what was found.
    """
    if not isinstance(t, torch.Tensor):
        return
    shown = f"Weight '{key[:100]}'"
    if t.layout != torch.strided or t.is_quantized or t.is_meta:
        raise CheckpointError(f"{shown} must be a dense tensor; got layout {t.layout} in {name}. {hint}")
    if not t.is_floating_point():
        raise CheckpointError(f"{shown} must hold finite floating-point values; got {t.dtype} in {name}. {hint}")
    shape = tuple(t.shape)
    if len(shape) > MAX_TENSOR_DIMS or any(d > MAX_CHECKPOINT_BYTES for d in shape):
        raise CheckpointError(f"{shown} must have at most {MAX_TENSOR_DIMS} dimensions of at most "
                              f"{MAX_CHECKPOINT_BYTES:,} each; got shape {shape[:8]} in {name}. {hint}")
    n = 1
    for d in shape:
        n *= d
    needed = (n + t.storage_offset()) * t.element_size()
    expected_strides, step = [], 1
    for d in reversed(shape):
        expected_strides.append(step)
        step *= max(d, 1)
    contiguous = all(d <= 1 or s == e for d, s, e in zip(shape, t.stride(), reversed(expected_strides)))
    if not contiguous or needed > MAX_CHECKPOINT_BYTES or t.untyped_storage().nbytes() < needed:
        raise CheckpointError(f"{shown} of {name} claims {n:,} values that its file does not hold (an expanded, "
                              f"strided or overlapping tensor, or one larger than its storage). A tensor must be "
                              f"stored whole and contiguous. {hint}")


def _check_plain(root: dict, field: str, name: str) -> None:
    """Refuse metadata that is not small plain data: str, int, float, bool, None, and lists and dicts of them.

    Walks without recursion and counts every visit, so a deep or self-sharing structure is cheap to refuse.
    """
    n_values = n_chars = 0
    stack = [(field, root, 0)]
    while stack:
        path, value, depth = stack.pop()
        if isinstance(value, (dict, list, tuple)):
            if depth == MAX_METADATA_DEPTH:
                raise _field_error(name, field, f"nest at most {MAX_METADATA_DEPTH} levels deep",
                                   f"deeper nesting at '{path[:100]}'")
            n_values += len(value)
            if n_values > MAX_METADATA_VALUES:
                raise _field_error(name, field, f"hold at most {MAX_METADATA_VALUES} values in all", "more than that")
            if isinstance(value, dict):
                bad = [k for k in value if not isinstance(k, str)]
                if bad:
                    raise _field_error(name, path, "be a dict with str keys", f"the key {_show(bad[0])}")
                n_chars += sum(map(len, value))
                stack.extend((f"{path}.{k}", v, depth + 1) for k, v in value.items())
            else:
                stack.extend((f"{path}[{i}]", v, depth + 1) for i, v in enumerate(value))
        elif isinstance(value, str):
            n_chars += len(value)
        elif _is_huge(value):
            raise _field_error(name, path, f"be an int in [-{MAX_INT}, {MAX_INT}]", _show(value))
        elif not isinstance(value, (int, float, type(None))):
            raise _field_error(name, path, "be plain data (str, int, float, bool, None, list or dict)", _show(value))
        if n_chars > MAX_METADATA_CHARS:
            raise _field_error(name, field, f"hold at most {MAX_METADATA_CHARS} characters of text in all",
                               "more than that")
