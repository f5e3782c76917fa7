"""Session state and cached loaders of the workbench.

What survives page changes lives in ``st.session_state`` under the ``mips_*`` keys below: the chosen
task (a benchmark name or an uploaded task file), per task the network that replaces the zoo model
for this session (uploaded or trained here, kept as checkpoint bytes), the Train page's last run and
the Program page's editor. Only this module reads or writes those keys: the pages call the typed
accessors below (:func:`current_task`, :func:`current_model`, :func:`analysis`,
:func:`training_record`, :func:`program_workspace`, ...), and the tests of ``tests/app`` check that
no page touches ``st.session_state`` itself. Live objects are cached with ``st.cache_resource``
(models, task specs, datasets, pipeline results); arrays for plots with ``st.cache_data``.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from mips.errors import MipsError
from mips.network.adapters import LoadedNetwork, load_network, task_mismatch
from mips.network.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from mips.network.rnn import RNN
from mips.pipeline import STAGES, PipelineConfig, PipelineResult, run_pipeline
from mips.encodings.projection import Projection, project
from mips.tasks import get_task, make_dataset
from mips.tasks.dataset import Dataset
from mips.tasks.spec import TaskSpec
from mips.tasks.taskfile import load_task_source
from workbench.code_editor import code_editor, set_text
from workbench.plain_text import escape_markdown
from workbench.task_upload import TaskFileLoad
from workbench.training_run import TrainingRecord
from workbench.user_messages import clean, for_browser

if TYPE_CHECKING:
    from workbench.program_edit import EditCheck

# -- session keys (everything the app keeps per session; only this module and the tests use them) ---
K_TASK = "mips_task"                # benchmark task name chosen on the Home page
K_TASK_SOURCE = "mips_task_source"  # "builtin" or "file"
K_TASK_FILE = "mips_task_file"      # the TaskFile uploaded in this session
K_MODELS = "mips_models"            # task key -> {"source", "label", "bytes", "sha", "note"[, "description"]}
K_SEEN_UPLOADS = "mips_seen_uploads"  # upload tags already handled (the uploader keeps its file)
K_TASK_LOAD = "mips_task_load"      # the TaskFileLoad of an upload being checked (background thread)
K_TASK_LOAD_OUTCOME = "mips_task_load_outcome"  # the TaskLoadOutcome of the last finished check
K_PENDING_CHECKPOINT = "mips_pending_checkpoint"  # a PendingCheckpoint trained for another task
K_CHECKPOINT_MESSAGE = "mips_checkpoint_message"  # (upload tag, error or None) of the last checkpoint upload
K_PROGRAM_OWNER = "mips_program_owner"  # the ProgramWorkspace.owner the editor's text belongs to
K_PROGRAM_TEXT = "mips_program_text"    # the editor's text (the code editor component writes it)
K_PROGRAM_CHECK = "mips_program_check"  # {owner: EditCheck} of the last "Verify edited program"
K_PROGRAM_ACCEPTED = "mips_program_accepted"  # owner -> accepted record (workbench.program_accept)
K_TRAIN_HISTORY = "mips_train_history"  # the TrainingRecord of the Train page's last run
#: The Home page's task selectbox (switching to a checkpoint's own task moves it too).
TASK_SELECTBOX = "task_name"

DEFAULT_TASK = "Parity_All"
#: The app's pipeline settings: a 20k-sequence dataset keeps a first run to seconds on a zoo model.
APP_CONFIG = PipelineConfig(n_sequences=20_000, n_trace_sequences=4096, regression_seconds=2.0)
PROJECTION_SEQUENCES = 400
MAX_STORED_RESULTS = 16


@dataclass(frozen=True, slots=True)
class TaskFile:
    """A task file uploaded in this session (its task is the current one while it is active)."""

    sha: str
    filename: str
    data: bytes = field(repr=False)
    name: str                        # the task's NAME
    trust: bool = False

    @property
    def shown_name(self) -> str:
        return shown_name(self.filename)


@dataclass(frozen=True, slots=True)
class TaskLoadOutcome:
    """How the last background check of a task file ended (the Home page shows it once it finished)."""

    ok: bool
    message: str
    cancelled: bool = False


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


@dataclass(frozen=True, slots=True)
class TaskContext:
    spec: TaskSpec
    key: str          # "builtin:<name>" or "file:<sha>"
    source: str       # "builtin" or "file"


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


def ensure_routed() -> None:
    """Route through ``streamlit_app.py`` even when the first visit after a server start opens a page's URL.

    Streamlit runs a ``pages/`` folder next to the entry point the legacy (v1) way, each page on
    its own without the entry point, until some run has called ``st.navigation``; a first visitor
    opening ``/train`` would get the legacy sidebar and no page config. Every page calls this
    first: in that situation it switches the legacy mode off and reruns, so the entry point routes
    to the same page (the URL path, hence the page hash, is the same).

    AppTest resets that mode before every run, so a rerun there would drop the button click that
    started it; the AppTests set ``MIPS_APPTEST=1`` to run the pages directly instead.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory and not os.environ.get("MIPS_APPTEST"):
        PagesManager.uses_pages_directory = False
        st.rerun()
    from workbench import url_state    # idempotent: the entry point applied the link already
    url_state.apply_url()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


# -- tasks ------------------------------------------------------------------------------------
class _SpecStore:
    """Task specs of checked task files by (sha, trust), least recently used dropped first."""

    def __init__(self, size: int = 32) -> None:
        self.size = size
        self.specs: OrderedDict[tuple[str, bool], TaskSpec] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[str, bool]) -> TaskSpec | None:
        with self.lock:
            if key in self.specs:
                self.specs.move_to_end(key)
                return self.specs[key]
        return None

    def put(self, key: tuple[str, bool], spec: TaskSpec) -> None:
        with self.lock:
            self.specs[key] = spec
            while len(self.specs) > self.size:
                self.specs.popitem(last=False)


@st.cache_resource(show_spinner=False)
def _spec_store() -> _SpecStore:
    return _SpecStore()


def _task_from_file(sha: str, filename: str, trust: bool, data: bytes) -> TaskSpec:
    """The checked spec of an uploaded file (checked again, from the same bytes, if it was dropped)."""
    spec = _spec_store().get((sha, trust))
    if spec is None:
        spec = load_task_source(data, shown_name(filename), trust=trust)
        _spec_store().put((sha, trust), spec)
    return spec


def shown_name(filename: str) -> str:
    """The upload's name as messages show it: the base name, plain characters only."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", Path(str(filename)).name)[:80] or "task.py"


def chosen_task_name() -> str:
    return st.session_state.get(K_TASK, DEFAULT_TASK)


def set_builtin_task(name: str) -> None:
    if st.session_state.get(K_TASK) != name or st.session_state.get(K_TASK_SOURCE) == "file":
        st.session_state.pop(K_TASK_LOAD_OUTCOME, None)     # the last upload's message is about another task
    st.session_state[K_TASK] = name
    st.session_state[K_TASK_SOURCE] = "builtin"
    _write_url()


def _write_url() -> None:
    """The task is part of the URL (``?task=NAME``): keep it there as soon as it changes."""
    from workbench import url_state    # url_state calls this module: imported here, not at the top
    url_state.write_url()


def task_chosen() -> bool:
    """Whether this session has chosen its task yet (a benchmark task or a task file)."""
    return st.session_state.get(K_TASK_SOURCE) is not None


def active_task_file() -> TaskFile | None:
    """The uploaded task file when it is the current task (None on a benchmark task)."""
    file = st.session_state.get(K_TASK_FILE)
    return file if st.session_state.get(K_TASK_SOURCE) == "file" and isinstance(file, TaskFile) else None


def _adopt_task_file(filename: str, data: bytes, trust: bool, spec: TaskSpec) -> None:
    sha = _sha(data)
    _spec_store().put((sha, trust), spec)
    st.session_state[K_TASK_FILE] = TaskFile(sha=sha, filename=filename, data=data, name=spec.name, trust=trust)
    st.session_state[K_TASK_SOURCE] = "file"
    _write_url()


def set_task_file(filename: str, data: bytes, trust: bool = False) -> str | None:
    """Load an uploaded task file now and make it the current task; returns an error message or None.

    ``trust``: run it even where this host cannot isolate it (the user ticked "I trust this file").
    The Home page uses :func:`start_task_file` instead, which checks the file in the background.
    """
    job = TaskFileLoad(filename=shown_name(filename), data=data, sha=_sha(data), trust=trust)
    job.run()
    return finish_task_file(job, filename)


def start_task_file(filename: str, data: bytes, trust: bool = False) -> TaskFileLoad:
    """Start checking an uploaded task file in the background (see :mod:`workbench.task_upload`)."""
    old = st.session_state.get(K_TASK_LOAD)
    if isinstance(old, TaskFileLoad) and not old.done:
        old.cancel()
    job = TaskFileLoad(filename=shown_name(filename), data=data, sha=_sha(data), trust=trust).start()
    st.session_state[K_TASK_LOAD] = job
    st.session_state.pop(K_TASK_LOAD_OUTCOME, None)
    return job


def task_upload_tag(data: bytes, trust: bool) -> tuple:
    """What identifies a task-file upload (the uploader keeps its file across reruns)."""
    return ("task", _sha(data), trust)


def first_sight(tag: tuple) -> bool:
    """True the first time this session sees the upload ``tag`` (then it counts as handled)."""
    seen = st.session_state.setdefault(K_SEEN_UPLOADS, set())
    if tag in seen:
        return False
    seen.add(tag)
    return True


def forget_uploads(kind: str) -> None:
    """Forget the handled uploads of ``kind`` ("task" or "ckpt"): the same file may be uploaded again."""
    seen = st.session_state.get(K_SEEN_UPLOADS)
    if seen:
        seen.difference_update({t for t in seen if t[0] == kind})


def task_file_job() -> TaskFileLoad | None:
    """The upload being checked in this session, if any."""
    job = st.session_state.get(K_TASK_LOAD)
    return job if isinstance(job, TaskFileLoad) else None


def finish_task_file(job: TaskFileLoad, filename: str | None = None) -> str | None:
    """Adopt a finished check's task (or keep its error); returns the error message or None."""
    st.session_state.pop(K_TASK_LOAD, None)
    if job.spec is not None:
        _adopt_task_file(filename or job.filename, job.data, job.trust, job.spec)
        st.session_state[K_TASK_LOAD_OUTCOME] = TaskLoadOutcome(
            ok=True, message=f"Task file '{job.filename}' loaded: task {job.spec.name}.")
        return None
    message = job.error or f"Task file '{job.filename}' could not be loaded."
    st.session_state[K_TASK_LOAD_OUTCOME] = TaskLoadOutcome(ok=False, message=message, cancelled=job.cancelled)
    return message


def task_load_outcome() -> TaskLoadOutcome | None:
    """How the last finished check of a task file ended (None when none finished, or after another task was
    chosen)."""
    outcome = st.session_state.get(K_TASK_LOAD_OUTCOME)
    return outcome if isinstance(outcome, TaskLoadOutcome) else None


def current_task() -> TaskContext:
    """The task chosen in this session (an uploaded task file when one is active)."""
    job = task_file_job()
    if job is not None and job.done:      # checked in the background while the user was elsewhere
        finish_task_file(job)
    f = active_task_file()
    if f is not None:
        try:
            return TaskContext(spec=_task_from_file(f.sha, f.filename, f.trust, f.data), key=f"file:{f.sha}",
                               source="file")
        except Exception:  # noqa: BLE001 - fall back to the benchmark task below
            st.session_state[K_TASK_SOURCE] = "builtin"
    name = chosen_task_name()
    try:
        spec = get_task(name)
    except MipsError:
        name = DEFAULT_TASK
        st.session_state[K_TASK] = name
        spec = get_task(name)
    return TaskContext(spec=spec, key=f"builtin:{name}", source="builtin")


# -- models -------------------------------------------------------------------------------------
@st.cache_resource(show_spinner=False)
def zoo_manifest() -> dict:
    from mips.network.zoo import manifest
    try:
        return manifest()
    except MipsError:
        return {}


@st.cache_resource(show_spinner=False, max_entries=64)
def _zoo_checkpoint(task: str, stamp: str) -> Checkpoint:
    from mips.network.zoo import load_zoo_model
    return load_zoo_model(task, allow_imperfect=True)


@st.cache_resource(show_spinner=False, max_entries=32)
def _checkpoint_from_bytes(sha: str, _data: bytes) -> Checkpoint:
    return load_checkpoint(_data)


@st.cache_resource(show_spinner=False, max_entries=32)
def _network_from_bytes(sha: str, _data: bytes, _description: bytes) -> LoadedNetwork:
    return load_network(_data, _description)


def _zoo_stamp(file: str) -> str:
    from mips.network.zoo import ZOO_DIR
    p = ZOO_DIR / file
    try:
        s = p.stat()
    except OSError:
        return "missing"
    return f"{s.st_size}-{s.st_mtime_ns}"


def current_model(task: TaskContext) -> ModelChoice:
    """The network for ``task`` in this session: uploaded or trained here, else the zoo's."""
    override = st.session_state.get(K_MODELS, {}).get(task.key)
    if override and override.get("description") is not None:
        try:
            loaded = _network_from_bytes(override["sha"], override["bytes"], override["description"])
        except MipsError as exc:
            return ModelChoice(source="none", label="none", fingerprint="none",
                               error=for_browser(exc, what=f"The network '{override['label']}'"))
        return ModelChoice(source=override["source"], label=override["label"],
                           fingerprint=f"{override['source']}:{override['sha']}", network=loaded,
                           note=override.get("note", ""))
    if override:
        try:
            ck = _checkpoint_from_bytes(override["sha"], override["bytes"])
        except MipsError as exc:
            return ModelChoice(source="none", label="none", fingerprint="none",
                               error=for_browser(exc, what=f"The network '{override['label']}'"))
        acc = ck.training.get("test_accuracy")
        return ModelChoice(source=override["source"], label=override["label"],
                           fingerprint=f"{override['source']}:{override['sha']}", checkpoint=ck,
                           accuracy=float(acc) if isinstance(acc, (int, float)) else None,
                           note=override.get("note", ""))
    if task.source != "builtin":
        return ModelChoice(source="none", label="none", fingerprint="none",
                           error="A custom task has no zoo network: train one on the Train page or upload a "
                                 "checkpoint on the Home page.")
    entry = zoo_manifest().get(task.spec.name)
    if entry is None or entry.file is None:
        return ModelChoice(source="none", label="none", fingerprint="none",
                           error=f"The zoo has no network for {task.spec.name} yet: train one on the Train page "
                                 f"or upload a checkpoint on the Home page.")
    stamp = _zoo_stamp(entry.file)
    try:
        ck = _zoo_checkpoint(task.spec.name, stamp)
    except MipsError as exc:
        return ModelChoice(source="none", label="none", fingerprint="none", error=str(exc))
    note = "" if entry.perfect else (f"The zoo network is not perfect (test accuracy {entry.test_accuracy:.4%}); "
                                     f"its program may be wrong.")
    return ModelChoice(source="zoo", label=f"zoo network {entry.describe}", fingerprint=f"zoo:{task.spec.name}:{stamp}",
                       checkpoint=ck, accuracy=float(entry.test_accuracy), note=note)


def _set_override(task: TaskContext, source: str, label: str, data: bytes, note: str = "",
                  description: bytes | None = None) -> None:
    models = dict(st.session_state.get(K_MODELS, {}))
    sha = _sha(data) if description is None else _sha(data + b"\0" + description)
    models[task.key] = {"source": source, "label": label, "bytes": data, "sha": sha, "note": note,
                        "description": description}
    st.session_state[K_MODELS] = models


def upload_tag(task: TaskContext, data: bytes, description: bytes | None) -> tuple:
    """What identifies a network upload (the uploader keeps its files across reruns)."""
    return ("ckpt", task.key, _sha(data), _sha(description) if description is not None else None)


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
        loaded = _network_from_bytes(_sha(data + b"\0" + description), data, description)
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
        ck = _checkpoint_from_bytes(_sha(data), data)
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
    st.session_state.pop(K_PENDING_CHECKPOINT, None)


def checkpoint_bytes(task: TaskContext, model: RNN, training: dict, seed: int) -> bytes:
    """A trained network as checkpoint bytes (what the session keeps and what can be downloaded)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = save_checkpoint(Path(tmp) / "trained.pt", model, task=task.spec.name, seed=int(seed),
                               training=training)
        return path.read_bytes()


def use_trained_model(task: TaskContext, data: bytes, label: str, note: str = "") -> None:
    """Make a network trained on the Train page the one in use for ``task`` (this session only)."""
    _set_override(task, "trained", label, data, note)


def forget_override(task: TaskContext) -> None:
    models = dict(st.session_state.get(K_MODELS, {}))
    models.pop(task.key, None)
    st.session_state[K_MODELS] = models


# -- the Train page's run ----------------------------------------------------------------------------
def start_training_record(task: TaskContext) -> TrainingRecord:
    """A new record for a run about to start for ``task`` (it replaces the last one)."""
    record = TrainingRecord(task_key=task.key)
    st.session_state[K_TRAIN_HISTORY] = record
    return record


def training_record(task: TaskContext) -> TrainingRecord | None:
    """The last run of the Train page in this session when it was for ``task`` (None otherwise)."""
    record = st.session_state.get(K_TRAIN_HISTORY)
    return record if isinstance(record, TrainingRecord) and record.task_key == task.key else None


def cancel_training() -> None:
    """Stop the running training or search, if any (the Cancel button's callback)."""
    record = st.session_state.get(K_TRAIN_HISTORY)
    if isinstance(record, TrainingRecord):
        record.cancel()


# -- the Program page's editor and accepted program -------------------------------------------------
@dataclass(frozen=True, slots=True)
class ProgramWorkspace:
    """The Program page's state for one analysis (a task and its network): the editor's text, the last
    check of an edited program and the accepted program. Obtain it with :func:`program_workspace`.

    Attributes
    ----------
    owner : the analysis it belongs to (``"<task key>|<network fingerprint>"``)
    start : what the editor starts with, and what Reset puts back
    """

    owner: str
    start: str

    @property
    def text(self) -> str:
        """The editor's text (what the user typed, once the editor sent it)."""
        return st.session_state.get(K_PROGRAM_TEXT, self.start)

    def reset(self) -> None:
        """Put :attr:`start` back in the editor and forget the last check."""
        set_text(K_PROGRAM_TEXT, self.start)
        st.session_state.pop(K_PROGRAM_CHECK, None)

    def editor(self, **kwargs) -> str:
        """Draw the code editor on the text (keyword arguments: :func:`workbench.code_editor.code_editor`)."""
        return code_editor(K_PROGRAM_TEXT, **kwargs)

    @property
    def check(self) -> EditCheck | None:
        """The last check of an edited program of this analysis."""
        return st.session_state.get(K_PROGRAM_CHECK, {}).get(self.owner)

    def set_check(self, check: EditCheck) -> None:
        st.session_state[K_PROGRAM_CHECK] = {self.owner: check}

    @property
    def accepted(self) -> dict | None:
        """The accepted program's record (:func:`workbench.program_accept.accepted_record`), or None."""
        return st.session_state.get(K_PROGRAM_ACCEPTED, {}).get(self.owner)

    def accept(self, record: dict) -> None:
        st.session_state[K_PROGRAM_ACCEPTED] = {**st.session_state.get(K_PROGRAM_ACCEPTED, {}), self.owner: record}

    def withdraw(self) -> None:
        st.session_state[K_PROGRAM_ACCEPTED] = {k: v for k, v in st.session_state.get(K_PROGRAM_ACCEPTED, {}).items()
                                                if k != self.owner}


def program_workspace(task: TaskContext, model: ModelChoice, start: str) -> ProgramWorkspace:
    """The Program page's state for ``task`` analysed on ``model``; the editor starts over with ``start``
    when the task or the network changed since the page last showed it."""
    workspace = ProgramWorkspace(owner=f"{task.key}|{model.fingerprint}", start=start)
    if st.session_state.get(K_PROGRAM_OWNER) != workspace.owner:
        st.session_state[K_PROGRAM_OWNER] = workspace.owner
        workspace.reset()
    return workspace


# -- datasets and pipeline results ---------------------------------------------------------------
@st.cache_resource(show_spinner=False, max_entries=8)
def task_dataset(task_key: str, n_sequences: int, _spec: TaskSpec) -> Dataset:
    return make_dataset(_spec, n_sequences=n_sequences)


class _ResultStore:
    """Pipeline results by (task key, model fingerprint), least recently used dropped first.

    One computation lock per key: two sessions asking for the same analysis compute it once, and
    a slow analysis (a slow task file) never blocks another session's different analysis.
    """

    def __init__(self) -> None:
        self.results: OrderedDict[tuple[str, str], PipelineResult] = OrderedDict()
        self.lock = threading.Lock()
        self.computing: dict[tuple[str, str], threading.Lock] = {}

    def compute_lock(self, key) -> threading.Lock:
        with self.lock:
            return self.computing.setdefault(key, threading.Lock())

    def get(self, key):
        with self.lock:
            if key in self.results:
                self.results.move_to_end(key)
                return self.results[key]
        return None

    def put(self, key, value) -> None:
        with self.lock:
            self.results[key] = value
            while len(self.results) > MAX_STORED_RESULTS:
                self.results.popitem(last=False)


@st.cache_resource(show_spinner=False)
def _store() -> _ResultStore:
    return _ResultStore()


def analysis() -> tuple[TaskContext, ModelChoice, PipelineResult | None]:
    """The current task, its network, and the pipeline run on them (computed once, with a progress bar).

    Shows an ``st.info`` / ``st.error`` and returns None as the result when there is no network or
    the run failed; never raises for a user-facing problem.
    """
    task = current_task()
    model = current_model(task)
    if not model.available:
        st.info(escape_markdown(model.error or "No network for this task."))  # may quote the checkpoint
        return task, model, None
    key = (task.key, model.fingerprint)
    result = _store().get(key)
    if result is None:
        bar = st.progress(0.0, text=f"Analysing the network for {task.spec.name} (first visit only)...")

        def on_event(event: dict) -> None:
            if event.get("event") == "stage_start":
                i = STAGES.index(event["stage"])
                bar.progress(i / len(STAGES), text=f"Stage {i + 1}/{len(STAGES)}: {event['stage']}...")

        with _store().compute_lock(key):
            result = _store().get(key)
            if result is None:
                try:
                    result = run_pipeline(task.spec, APP_CONFIG, model=model.pipeline_model, on_event=on_event)
                except MipsError as exc:
                    bar.empty()
                    st.error("The analysis could not run: " + escape_markdown(for_browser(exc, what="The task")))
                    return task, model, None
                _store().put(key, result)
        bar.empty()
    return task, model, result


def stage_problem(result: PipelineResult, stage: str) -> str | None:
    """The message of ``stage`` when it did not succeed, as Markdown-safe text (None when it is ok)."""
    s = result.stages.get(stage)
    if s is None or s.status == "ok":
        return None
    message = s.message
    if message.startswith(f"{s.status}: "):       # "Stage 'normalize' skipped: skipped: ..." says it twice
        message = message[len(s.status) + 2:]
    return f"Stage '{stage}' {s.status}: " + escape_markdown(clean(message))  # may quote a task file


def stage_skipped(result: PipelineResult, stage: str) -> bool:
    """Whether ``stage`` was skipped on purpose (it does not apply to this network): not an error."""
    s = result.stages.get(stage)
    return s is not None and s.status == "skipped"


@st.cache_data(show_spinner=False, max_entries=64)
def cached_projection(key: tuple, n_components: int, candidate: int, max_sequences: int,
                      _result: PipelineResult) -> Projection:
    """PCA projection of the traced hidden states; ``candidate`` indexes ``encoding.candidates`` (-1: none)."""
    enc = None
    if candidate >= 0 and _result.encoding is not None and candidate < len(_result.encoding.candidates):
        enc = _result.encoding.candidates[candidate]
    return project(_result.trace, enc, n_components=n_components, max_sequences=max_sequences, seed=0)


def chosen_candidate(result: PipelineResult) -> int:
    """Index of the chosen encoding among the candidates (-1 when none)."""
    if result.encoding is None or result.encoding.chosen is None:
        return -1
    for i, c in enumerate(result.encoding.candidates):
        if c is result.encoding.chosen:
            return i
    return -1


def context_caption(task: TaskContext, model: ModelChoice) -> None:
    """One line naming the task and the network the page is about."""
    st.caption(f"Task **{task.spec.name}** · network: {escape_markdown(model.label)}")
    if model.note:
        st.warning(escape_markdown(model.note))  # may quote the checkpoint's task
