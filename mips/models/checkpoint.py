"""Checkpoint files: one network with its config, weights, training metadata and seed.

A checkpoint is a ``torch.save`` of plain data (dicts, lists, str, numbers, tensors) and is read
back with ``torch.load(weights_only=True)``, which executes nothing from the file. Weights use
the authors' key layout (``hmlp.mlp.{0,2,4}``, ``ymlp.mlp.{0,2,4}``).
"""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from mips.errors import CheckpointError, ConfigError
from mips.models.config import RNNConfig
from mips.models.rnn import RNN

FORMAT = "mips-rnn"
VERSION = 1
MAX_CHECKPOINT_BYTES = 64 * 1024 * 1024


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
    """Write network ``index`` of ``model`` to ``path`` atomically (temp file + rename)."""
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

    Raises
    ------
    CheckpointError
        Missing, oversized, unreadable or malformed file; nothing in the file is executed.
    """
    name = "the uploaded checkpoint" if isinstance(source, bytes) else f"checkpoint '{source}'"
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
    try:
        payload = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for corrupt or unsafe files
        first = (str(exc).splitlines() or ["(no message)"])[0][:200]
        if "Weights only load failed" in str(exc):  # never pass on torch's hint to load unsafely
            first = "it refers to Python objects other than plain data and tensors; loading those could run code"
        raise CheckpointError(f"Cannot read {name}: it is not a valid MIPS checkpoint "
                              f"({type(exc).__name__}: {first}).") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{name} is not a MIPS checkpoint (expected a dict with format '{FORMAT}').")
    if payload.get("version") != VERSION:
        raise CheckpointError(f"{name} has version {payload.get('version')!r}; this build reads {VERSION}.")
    for key, kind in (("task", str), ("seed", int), ("config", dict), ("state_dict", dict), ("training", dict)):
        if not isinstance(payload.get(key), kind):
            raise CheckpointError(f"{name}: field '{key}' must be a {kind.__name__}.")
    try:
        config = RNNConfig.from_dict(payload["config"])
    except (ConfigError, TypeError) as exc:
        raise CheckpointError(f"{name} has an invalid config: {exc}") from None
    model = RNN.from_state_dict_paper(config, payload["state_dict"], seed=payload["seed"])
    return Checkpoint(model=model, config=config, task=payload["task"], seed=payload["seed"],
                      training=payload["training"])
