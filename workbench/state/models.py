"""The network of each task in this session: the zoo's, or one uploaded or trained here.

A network uploaded or trained in this session replaces the zoo model for its task, in this browser
tab only; the session keeps it as bytes (a checkpoint, or a PyTorch state dict with its JSON
description), and the loaded networks are cached by content for every session.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st

from mips.errors import MipsError
from mips.network.adapters import LoadedNetwork, load_network, task_mismatch
from mips.network.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from mips.network.rnn import RNN
from mips.network.zoo import ZOO_DIR, load_zoo_model, manifest
from workbench.state.keys import K_CHECKPOINT_MESSAGE, K_MODELS, K_PENDING_CHECKPOINT, TASK_SELECTBOX
from workbench.state.task import TaskContext, current_task, set_builtin_task
from workbench.state.uploads import sha, shown_name
from workbench.user_messages import for_browser


@dataclass(frozen=True, slots=True)
class ModelChoice:
    """The network in use for a task in this session."""

    source: str                      # "zoo", "upload", "trained" or "none"
    label: str
    fingerprint: str
    checkpoint: Checkpoint | None = None
    accuracy: float | None = None
    note: str = ""                   # a warning to show next to it (imperfect network, other task, ...)
    error: str = ""                  # why there is no network
    network: LoadedNetwork | None = None   # a state dict uploaded with its description (no checkpoint)

    @property
    def available(self) -> bool:
        return self.checkpoint is not None or self.network is not None

    @property
    def n_parameters(self) -> int:
        if self.checkpoint is not None:
            return self.checkpoint.config.n_parameters
        return self.network.network.n_parameters if self.network is not None else 0

    @property
    def pipeline_model(self) -> Checkpoint | LoadedNetwork | None:
        """What :func:`mips.pipeline.run_pipeline` takes as its ``model``."""
        return self.checkpoint if self.checkpoint is not None else self.network


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingCheckpoint:
    """An uploaded checkpoint trained for another task, refused until the user confirms it."""

    task_key: str                    # the task it was uploaded for
    filename: str
    data: bytes = field(repr=False)
    checkpoint_task: str             # the task it was trained for
    label: str

    @property
    def shown_name(self) -> str:
        return shown_name(self.filename)


def _no_network(error: str) -> ModelChoice:
    return ModelChoice(source="none", label="none", fingerprint="none", error=error)


# -- loaders (cached for every session) ---------------------------------------------------------
@st.cache_resource(show_spinner=False)
def zoo_manifest() -> dict:
    """The zoo's entries by task name (empty when the zoo cannot be read)."""
    try:
        return manifest()
    except MipsError:
        return {}


@st.cache_resource(show_spinner=False, max_entries=64)
def _zoo_checkpoint(task: str, stamp: str) -> Checkpoint:
    return load_zoo_model(task, allow_imperfect=True)


@st.cache_resource(show_spinner=False, max_entries=32)
def _checkpoint_from_bytes(sha: str, _data: bytes) -> Checkpoint:
    return load_checkpoint(_data)


@st.cache_resource(show_spinner=False, max_entries=32)
def _network_from_bytes(sha: str, _data: bytes, _description: bytes) -> LoadedNetwork:
    return load_network(_data, _description)


def _zoo_stamp(file: str) -> str:
    p = ZOO_DIR / file
    try:
        s = p.stat()
    except OSError:
        return "missing"
    return f"{s.st_size}-{s.st_mtime_ns}"


# -- the network in use ---------------------------------------------------------------------------
def current_model(task: TaskContext) -> ModelChoice:
    """The network for ``task`` in this session: uploaded or trained here, else the zoo's."""
    override = st.session_state.get(K_MODELS, {}).get(task.key)
    if override:
        return _override_model(override)
    if task.source != "builtin":
        return _no_network("A custom task has no zoo network: train one on the Train page or upload a checkpoint "
                           "on the Home page.")
    entry = zoo_manifest().get(task.spec.name)
    if entry is None or entry.file is None:
        return _no_network(f"The zoo has no network for {task.spec.name} yet: train one on the Train page or "
                           f"upload a checkpoint on the Home page.")
    stamp = _zoo_stamp(entry.file)
    try:
        ck = _zoo_checkpoint(task.spec.name, stamp)
    except MipsError as exc:
        return _no_network(str(exc))
    note = "" if entry.perfect else (f"The zoo network is not perfect (test accuracy {entry.test_accuracy:.4%}); "
                                     f"its program may be wrong.")
    return ModelChoice(source="zoo", label=f"zoo network {entry.describe}", fingerprint=f"zoo:{task.spec.name}:{stamp}",
                       checkpoint=ck, accuracy=float(entry.test_accuracy), note=note)


def _override_model(override: dict) -> ModelChoice:
    """The network uploaded or trained in this session, as kept by :func:`_set_override`."""
    fingerprint = f"{override['source']}:{override['sha']}"
    try:
        if override.get("description") is not None:
            loaded = _network_from_bytes(override["sha"], override["bytes"], override["description"])
            return ModelChoice(source=override["source"], label=override["label"], fingerprint=fingerprint,
                               network=loaded, note=override.get("note", ""))
        ck = _checkpoint_from_bytes(override["sha"], override["bytes"])
    except MipsError as exc:
        return _no_network(for_browser(exc, what=f"The network '{override['label']}'"))
    acc = ck.training.get("test_accuracy")
    return ModelChoice(source=override["source"], label=override["label"], fingerprint=fingerprint, checkpoint=ck,
                       accuracy=float(acc) if isinstance(acc, (int, float)) else None, note=override.get("note", ""))


def _set_override(task: TaskContext, source: str, label: str, data: bytes, note: str = "",
                  description: bytes | None = None) -> None:
    models = dict(st.session_state.get(K_MODELS, {}))
    digest = sha(data) if description is None else sha(data + b"\0" + description)
    models[task.key] = {"source": source, "label": label, "bytes": data, "sha": digest, "note": note,
                        "description": description}
    st.session_state[K_MODELS] = models


def forget_override(task: TaskContext) -> None:
    """Go back to the zoo's network for ``task``."""
    models = dict(st.session_state.get(K_MODELS, {}))
    models.pop(task.key, None)
    st.session_state[K_MODELS] = models


def checkpoint_bytes(task: TaskContext, model: RNN, training: dict, seed: int) -> bytes:
    """A trained network as checkpoint bytes (what the session keeps and what can be downloaded)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = save_checkpoint(Path(tmp) / "trained.pt", model, task=task.spec.name, seed=int(seed),
                               training=training)
        return path.read_bytes()


def use_trained_model(task: TaskContext, data: bytes, label: str, note: str = "") -> None:
    """Make a network trained on the Train page the one in use for ``task`` (this session only)."""
    _set_override(task, "trained", label, data, note)


# -- uploads ---------------------------------------------------------------------------------------
def upload_tag(task: TaskContext, data: bytes, description: bytes | None) -> tuple:
    """What identifies a network upload (the uploader keeps its files across reruns)."""
    return ("ckpt", task.key, sha(data), sha(description) if description is not None else None)


def remember_upload_error(tag: tuple, error: str | None) -> None:
    """Keep the outcome of the network upload ``tag`` (shown while the uploader holds that file)."""
    st.session_state[K_CHECKPOINT_MESSAGE] = (tag, error)


def upload_error(tag: tuple) -> str | None:
    """Why the network upload ``tag`` was not used (None when it was, or when it is not the last upload)."""
    last = st.session_state.get(K_CHECKPOINT_MESSAGE)
    return last[1] if last and last[0] == tag else None


def use_uploaded_network(task: TaskContext, filename: str, data: bytes, description_name: str,
                         description: bytes) -> str | None:
    """Validate a PyTorch state dict with its JSON description and use it for ``task``; returns an error
    message or None (README, "Networks from your own PyTorch code")."""
    what = f"The upload '{shown_name(filename)}' with '{shown_name(description_name)}'"
    try:
        loaded = _network_from_bytes(sha(data + b"\0" + description), data, description)
    except MipsError as exc:
        return for_browser(exc, what=what)
    problem = task_mismatch(loaded.network, task.spec)
    if problem:
        return problem
    note = "" if loaded.task in (None, task.spec.name) else (
        f"Its description says it was trained for task '{loaded.task}', not {task.spec.name}.")
    _set_override(task, "upload", f"uploaded {shown_name(filename)} ({loaded.network.describe()})", data, note,
                  description=description)
    return None


def use_uploaded_checkpoint(task: TaskContext, filename: str, data: bytes, *, confirmed: bool = False) -> str | None:
    """Validate an uploaded checkpoint and use it for ``task``; returns an error message or None.

    A checkpoint trained for another task is refused and kept as pending (:func:`pending_checkpoint`)
    until the user confirms it (:func:`confirm_pending_checkpoint`) or chooses its own task.
    """
    what = f"The upload '{shown_name(filename)}'"
    try:
        ck = _checkpoint_from_bytes(sha(data), data)
    except MipsError as exc:
        return for_browser(exc, what=what)
    cfg, spec = ck.config, task.spec
    if cfg.input_dim != spec.input_dim or cfg.output_dim != spec.output_dim:
        return (f"The checkpoint '{shown_name(filename)}' reads {cfg.input_dim} and writes {cfg.output_dim} "
                f"number(s) per step; task {spec.name} has {spec.input_dim} and {spec.output_dim}. Choose the task "
                f"it was trained for ({ck.task}) first.")
    label = f"uploaded {shown_name(filename)} ({cfg.describe()})"
    if ck.task != spec.name and not confirmed:
        st.session_state[K_PENDING_CHECKPOINT] = PendingCheckpoint(task_key=task.key, filename=filename, data=data,
                                                                   checkpoint_task=ck.task, label=label)
        return (f"Not used: the checkpoint '{shown_name(filename)}' was trained for task '{ck.task}', not "
                f"{spec.name}. Its program would be checked against {spec.name} and fail. Choose its task, or "
                f"confirm that you want it for {spec.name}.")
    note = "" if ck.task == spec.name else (f"This checkpoint was trained for task '{ck.task}', not {spec.name}; "
                                            f"you chose to use it anyway.")
    st.session_state.pop(K_PENDING_CHECKPOINT, None)
    _set_override(task, "upload", label, data, note)
    return None


def pending_checkpoint(task: TaskContext) -> PendingCheckpoint | None:
    """The refused checkpoint of another task waiting for a confirmation for ``task`` (None if none)."""
    pending = st.session_state.get(K_PENDING_CHECKPOINT)
    return pending if isinstance(pending, PendingCheckpoint) and pending.task_key == task.key else None


def confirm_pending_checkpoint(task: TaskContext) -> str | None:
    """Use the pending checkpoint for ``task`` although it was trained for another task."""
    pending = pending_checkpoint(task)
    if pending is None:
        return "There is no checkpoint waiting for a confirmation."
    return use_uploaded_checkpoint(task, pending.filename, pending.data, confirmed=True)


def use_pending_for_its_task(task: TaskContext) -> str | None:
    """Switch to the benchmark task the pending checkpoint was trained for (the Home page's task selectbox
    too) and use it there; returns an error message or None."""
    pending = pending_checkpoint(task)
    if pending is None:
        return "There is no checkpoint waiting for a confirmation."
    set_builtin_task(pending.checkpoint_task)
    st.session_state[TASK_SELECTBOX] = pending.checkpoint_task
    return use_uploaded_checkpoint(current_task(), pending.filename, pending.data)


def discard_pending_checkpoint() -> None:
    """Forget the refused checkpoint of another task."""
    st.session_state.pop(K_PENDING_CHECKPOINT, None)
