"""The task of this session: a benchmark task chosen on the Home page, or an uploaded task file.

An uploaded file is checked in a sandboxed child in the background (:mod:`workbench.task_upload`);
once the check finished, its task becomes the current one. The checked specs are shared by every
session, keyed by the file's content (:class:`~workbench.state.lru.LRU`); a dropped spec is checked
again from the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from mips.errors import MipsError
from mips.tasks import get_task, make_dataset
from mips.tasks.dataset import Dataset
from mips.tasks.spec import TaskSpec
from mips.tasks.taskfile import load_task_source
from workbench.state.keys import K_TASK, K_TASK_FILE, K_TASK_LOAD, K_TASK_LOAD_OUTCOME, K_TASK_SOURCE
from workbench.state.lru import LRU
from workbench.state.uploads import sha, shown_name
from workbench.task_upload import TaskFileLoad

DEFAULT_TASK = "Parity_All"
STORED_SPECS = 32


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


@dataclass(frozen=True, slots=True)
class TaskContext:
    spec: TaskSpec
    key: str          # "builtin:<name>" or "file:<sha>"
    source: str       # "builtin" or "file"


@st.cache_resource(show_spinner=False)
def _spec_store() -> LRU[tuple[str, bool], TaskSpec]:
    """Task specs of checked task files by (sha, trust)."""
    return LRU(STORED_SPECS)


def _task_from_file(file: TaskFile) -> TaskSpec:
    """The checked spec of an uploaded file (checked again, from the same bytes, if it was dropped)."""
    spec = _spec_store().get((file.sha, file.trust))
    if spec is None:
        spec = load_task_source(file.data, file.shown_name, trust=file.trust)
        _spec_store().put((file.sha, file.trust), spec)
    return spec


def chosen_task_name() -> str:
    """The benchmark task chosen in this session (the default one before any choice)."""
    return st.session_state.get(K_TASK, DEFAULT_TASK)


def set_builtin_task(name: str) -> None:
    """Make the benchmark task ``name`` the current task."""
    if st.session_state.get(K_TASK) != name or st.session_state.get(K_TASK_SOURCE) == "file":
        st.session_state.pop(K_TASK_LOAD_OUTCOME, None)     # the last upload's message is about another task
    st.session_state[K_TASK] = name
    st.session_state[K_TASK_SOURCE] = "builtin"


def task_chosen() -> bool:
    """Whether this session has chosen its task yet (a benchmark task or a task file)."""
    return st.session_state.get(K_TASK_SOURCE) is not None


def active_task_file() -> TaskFile | None:
    """The uploaded task file when it is the current task (None on a benchmark task)."""
    file = st.session_state.get(K_TASK_FILE)
    return file if st.session_state.get(K_TASK_SOURCE) == "file" and isinstance(file, TaskFile) else None


def _adopt_task_file(filename: str, data: bytes, trust: bool, spec: TaskSpec) -> None:
    digest = sha(data)
    _spec_store().put((digest, trust), spec)
    st.session_state[K_TASK_FILE] = TaskFile(sha=digest, filename=filename, data=data, name=spec.name, trust=trust)
    st.session_state[K_TASK_SOURCE] = "file"


def set_task_file(filename: str, data: bytes, trust: bool = False) -> str | None:
    """Load an uploaded task file now and make it the current task; returns an error message or None.

    ``trust``: run it even where this host cannot isolate it (the user ticked "I trust this file").
    The Home page uses :func:`start_task_file` instead, which checks the file in the background.
    """
    job = TaskFileLoad(filename=shown_name(filename), data=data, sha=sha(data), trust=trust)
    job.run()
    return finish_task_file(job, filename)


def start_task_file(filename: str, data: bytes, trust: bool = False) -> TaskFileLoad:
    """Start checking an uploaded task file in the background (see :mod:`workbench.task_upload`)."""
    old = st.session_state.get(K_TASK_LOAD)
    if isinstance(old, TaskFileLoad) and not old.done:
        old.cancel()
    job = TaskFileLoad(filename=shown_name(filename), data=data, sha=sha(data), trust=trust).start()
    st.session_state[K_TASK_LOAD] = job
    st.session_state.pop(K_TASK_LOAD_OUTCOME, None)
    return job


def task_upload_tag(data: bytes, trust: bool) -> tuple:
    """What identifies a task-file upload (the uploader keeps its file across reruns)."""
    return ("task", sha(data), trust)


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
            return TaskContext(spec=_task_from_file(f), key=f"file:{f.sha}", source="file")
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


@st.cache_resource(show_spinner=False, max_entries=8)
def task_dataset(task_key: str, n_sequences: int, _spec: TaskSpec) -> Dataset:
    """The dataset of ``n_sequences`` sequences of the task ``task_key`` (shared by every session)."""
    return make_dataset(_spec, n_sequences=n_sequences)
