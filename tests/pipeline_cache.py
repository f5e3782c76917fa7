"""One pipeline run per (built-in task, settings, network, last stage) per test session.

The suite runs the same zoo analyses in many places: the figure tests, the shipped-program check, the
workbench's AppTests (in each pytest-xdist worker) and the app servers the browser tests start. Each
run goes through :func:`run_pipeline` here: the first caller of a key runs the real pipeline and
stores the result under the session's temporary folder (:data:`ENV` names it; every xdist worker and
every app server started from the session inherits it); later callers, in any process, load it. A
lock per key makes a second caller wait for the first instead of running the same analysis beside
it. The pipeline is deterministic for a given task, settings and network (``tests/program`` checks
that), so a stored result is the result a fresh run would give.

Outside a test session (:data:`ENV` unset, or set to ``off`` before the session starts), and for
task files, a given dataset or a stop callback, it is :func:`mips.pipeline.run_pipeline` itself.
"""

from __future__ import annotations

import copyreg
import fcntl
import hashlib
import io
import os
import pickle
import types
from pathlib import Path

from mips.pipeline import PipelineResult
from mips.pipeline import run_pipeline as _real_run_pipeline

ENV = "MIPS_TEST_PIPELINE_RUNS"


def _proxy(d: dict) -> types.MappingProxyType:
    return types.MappingProxyType(d)


class _Pickler(pickle.Pickler):
    """Built-in tasks by name (their samplers are local functions); read-only dicts as dicts."""

    dispatch_table = copyreg.dispatch_table.copy()
    dispatch_table[types.MappingProxyType] = lambda m: (_proxy, (dict(m),))

    def persistent_id(self, obj):
        from mips.tasks.spec import TaskSpec
        if isinstance(obj, TaskSpec):
            return ("task", obj.name)
        return None


class _Unpickler(pickle.Unpickler):
    def persistent_load(self, pid):
        from mips.tasks.registry import get_task
        return get_task(pid[1])


def _builtin_name(task) -> str | None:
    from mips.errors import MipsError
    from mips.tasks.registry import get_task
    from mips.tasks.spec import TaskSpec
    name = task.name if isinstance(task, TaskSpec) else task
    if not isinstance(name, str):
        return None
    try:
        spec = get_task(name)
    except MipsError:
        return None
    if isinstance(task, TaskSpec) and task is not spec:
        return None                     # a task file's spec with a built-in name
    return spec.name


def _model_digest(model) -> str | None:
    if model is None:
        return "none"
    if isinstance(model, (str, Path)):
        path = Path(model)
        return "file:" + hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
    f = io.BytesIO()
    try:
        _ContentPickler(f, protocol=pickle.HIGHEST_PROTOCOL).dump(model)
    except Exception:                                          # noqa: BLE001 - not picklable: not cached
        return None
    return "object:" + hashlib.sha256(f.getvalue()).hexdigest()


class _ContentPickler(pickle.Pickler):
    """Torch modules and tensors by their values (their own pickles differ between two loads of one file)."""

    def persistent_id(self, obj):
        import torch
        if isinstance(obj, torch.nn.Module):
            return ("module", type(obj).__qualname__,
                    tuple((k, _tensor_bytes(v)) for k, v in obj.state_dict().items()))
        if isinstance(obj, torch.Tensor):
            return ("tensor", _tensor_bytes(obj))
        return None


def _tensor_bytes(t) -> tuple:
    a = t.detach().cpu().numpy()
    return str(a.dtype), a.shape, a.tobytes()


def _key(task, config, model, until) -> str | None:
    name = _builtin_name(task)
    digest = _model_digest(model)
    if name is None or digest is None:
        return None
    return hashlib.sha256(repr((name, repr(config), digest, until)).encode()).hexdigest()[:32]


def _dumps(result: PipelineResult) -> bytes | None:
    f = io.BytesIO()
    try:
        _Pickler(f, protocol=pickle.HIGHEST_PROTOCOL).dump(result)
    except Exception:                                          # noqa: BLE001 - not picklable: not stored
        return None
    return f.getvalue()


def run_pipeline(task, config=None, *, model=None, until=None, on_event=None, should_stop=None, **kwargs):
    """:func:`mips.pipeline.run_pipeline`, run once per key per test session (see the module)."""
    folder = os.environ.get(ENV)
    shared = folder and folder != "off" and should_stop is None and not kwargs
    key = _key(task, config, model, until) if shared else None
    if key is None:
        return _real_run_pipeline(task, config, model=model, until=until, on_event=on_event,
                                  should_stop=should_stop, **kwargs)
    stored = Path(folder) / f"{key}.pickle"
    with open(Path(folder) / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stored.is_file():
            return _Unpickler(io.BytesIO(stored.read_bytes())).load()
        result = _real_run_pipeline(task, config, model=model, until=until, on_event=on_event)
        data = _dumps(result)
        if data is not None:
            tmp = stored.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(stored)
        return result


def share_with_the_app() -> None:
    """The workbench's analyses (``workbench.state.results``) go through :func:`run_pipeline`."""
    import workbench.state.results as results
    results.run_pipeline = run_pipeline
