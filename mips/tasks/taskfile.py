"""Custom tasks from a Python file: load, validate against the task-file contract, wrap as a TaskSpec.

Contract (a module-level definition of each name)::

    NAME = "my_task"        # non-empty identifier-like str
    INPUT_DIM = 1           # numbers per step
    INPUT_VALUES = [0, 1]   # allowed values of each input number
    SEQ_LEN = 10            # training sequence length
    OUTPUT_DIM = 1          # optional, default 1
    def target(xs):         # xs: list of SEQ_LEN items, an int each if INPUT_DIM == 1, else a tuple
        return ys           # list of SEQ_LEN items, an int each if OUTPUT_DIM == 1, else a tuple

Every broken rule raises ``TaskFileError`` naming the file and the rule.

A task file is untrusted code: it is never imported into the calling process. Its bytes are read
once (at most ``MAX_FILE_BYTES``); those bytes, and never the path again, are what every child
runs, so a file swapped after it was checked changes nothing. Loading it (contract checks,
``target`` on a few sample sequences) and labelling sequences with ``target`` run in an isolated
child process (:mod:`mips.sandbox`: namespaces, seccomp, resource limits), one child per call or
per batch of ``LABEL_BATCH_STEPS`` steps. A host that cannot isolate the child refuses the file
unless the caller trusts it (``trust=True``, ``--trust-task-file``). A file that loops, eats
memory or kills its process gets a ``SandboxError`` naming the file and the limit; everything else
in the contract reports a ``TaskFileError``.

Sizes are bounded before anything is allocated: ``SEQ_LEN <= MAX_SEQ_LEN``, ``INPUT_DIM`` and
``OUTPUT_DIM <= MAX_DIM``, at most ``MAX_INPUT_VALUES`` input values; the parent checks the
child's reply against the same bounds.
"""

from __future__ import annotations

import os
import stat
import threading
import traceback
import types
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import numpy as np

from mips.errors import ConfigError, TaskFileError
from mips.sandbox import SandboxLimits, run_sandboxed
from mips.tasks._vec import uniform_sampler
from mips.tasks.registry import get_task
from mips.tasks.spec import TaskSpec

N_TRIAL_SEQUENCES = 5
LABEL_BATCH_STEPS = 2_000_000   # sequence steps x output numbers labelled per sandboxed child
MAX_FILE_BYTES = 1 << 20
MAX_SEQ_LEN = 1_000
MAX_DIM = 16
MAX_INPUT_VALUES = 1_024
MAX_NAME = 64
MAX_DESCRIPTION = 300
TASK_FILE_LIMITS = SandboxLimits(cpu_seconds=60.0, memory_mb=2048, wall_seconds=120.0)
_INT64_SAFE = 2**62
_MISSING = object()
TRUST_HELP = ("run a task file even where this host cannot isolate it (bubblewrap or seccomp missing); "
              "only for files you trust")


_FILENAME = "<task file>"   # the name the file's code runs under (tracebacks give its lines)


def _line_in(exc: BaseException) -> str:
    """Return ``" (line N)"`` for the deepest traceback frame inside the task file, or ``""``."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename == _FILENAME:
            return f" (line {frame.lineno})"
    return ""


def _import(code: bytes, where: str) -> ModuleType:
    """Run the file's bytes as a module (only ever in the sandboxed child)."""
    module = types.ModuleType("_mips_task_file")
    module.__file__ = _FILENAME
    try:
        exec(compile(code, _FILENAME, "exec", dont_inherit=True), module.__dict__)  # noqa: S102 - sandboxed
    except SyntaxError as exc:
        raise TaskFileError(f"{where} has a syntax error at line {exc.lineno}: {exc.msg}.") from exc
    except MemoryError:  # the sandbox reports its memory limit
        raise
    except (Exception, SystemExit) as exc:
        raise TaskFileError(f"{where} raised {type(exc).__name__}: {exc}{_line_in(exc)} "
                            f"while being imported.") from exc
    return module


def _is_int(v: object) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _positive_int(module: ModuleType, rule: str, where: str, high: int, default: object = _MISSING) -> int:
    value = getattr(module, rule, default)
    if value is _MISSING:
        raise TaskFileError(f"{where} must define {rule}, an int in [1, {high}].")
    if not _is_int(value) or not 1 <= int(value) <= high:
        raise TaskFileError(f"{where}: {rule} must be an int in [1, {high}]. Got {_short(value)} instead.")
    return int(value)


def _short(value: object) -> str:
    plain = (int, str, float, list, tuple, range, type(None))
    text = repr(value) if isinstance(value, plain) else f"a {type(value).__name__}"
    return text if len(text) <= 80 else text[:77] + "..."


def _input_values(module: ModuleType, where: str) -> tuple[int, ...]:
    values = getattr(module, "INPUT_VALUES", _MISSING)
    if values is _MISSING:
        raise TaskFileError(f"{where} must define INPUT_VALUES, a non-empty list of ints.")
    rule = (f"{where}: INPUT_VALUES must be a non-empty list or tuple of at most {MAX_INPUT_VALUES} "
            f"distinct ints (no bools).")
    if not isinstance(values, (list, tuple)) or not values or len(values) > MAX_INPUT_VALUES:
        got = f"{len(values):,} values" if isinstance(values, (list, tuple)) and values else _short(values)
        got = got + " instead"
        raise TaskFileError(f"{rule} Got {got}.")
    for v in values:
        if not _is_int(v) or abs(int(v)) >= _INT64_SAFE:
            raise TaskFileError(f"{rule} Got the item {v!r} of type {type(v).__name__}.")
    ints = [int(v) for v in values]
    duplicates = sorted(v for v, n in Counter(ints).items() if n > 1)
    if duplicates:
        raise TaskFileError(f"{rule} Got duplicates {duplicates}.")
    return tuple(sorted(ints))


def _name(module: ModuleType, where: str) -> str:
    name = getattr(module, "NAME", _MISSING)
    if name is _MISSING:
        raise TaskFileError(f"{where} must define NAME, a non-empty str such as NAME = \"my_task\".")
    if not isinstance(name, str) or not name.isascii() or not name.isidentifier() or len(name) > MAX_NAME:
        raise TaskFileError(f"{where}: NAME must be a non-empty identifier-like str of at most {MAX_NAME} "
                            f"characters (ASCII letters, digits and '_', not starting with a digit). "
                            f"Got {_short(name)} instead.")
    return name


def _format_xs(xs: list) -> str:
    text = repr(xs)
    return text if len(text) <= 200 else text[:197] + "..."


def _normalise_item(item: object, output_dim: int) -> int | tuple[int, ...] | None:
    """Coerce one output item to int / tuple of ints; None when its type breaks the contract."""
    def as_int(v: object) -> int | None:
        if isinstance(v, (int, np.integer, np.bool_)) and abs(int(v)) < _INT64_SAFE:
            return int(v)
        return None

    if output_dim == 1:
        return as_int(item)
    if not isinstance(item, tuple) or len(item) != output_dim:
        return None
    values = [as_int(v) for v in item]
    return None if any(v is None for v in values) else tuple(values)  # type: ignore[arg-type]


def _plain_ints(ys: list, output_dim: int) -> bool:
    """Fast path: True if ``ys`` already holds plain ints (or plain tuples of ints) in range."""
    if output_dim == 1:
        flat = ys
    elif all(type(item) is tuple and len(item) == output_dim for item in ys):
        flat = [v for item in ys for v in item]
    else:
        return False
    return (all(type(v) is int for v in flat)
            and (not flat or (-_INT64_SAFE < min(flat) and max(flat) < _INT64_SAFE)))


def _call_target(target: object, xs: list, output_dim: int, shown: str) -> list:
    """Call ``target(xs)`` and validate the result; return it as a list of ints or int tuples."""
    where = f"Task file '{shown}'"
    try:
        ys = target(xs)  # type: ignore[operator]
    except MemoryError:  # the sandbox reports its memory limit
        raise
    except Exception as exc:
        raise TaskFileError(f"{where}: target(xs) raised {type(exc).__name__}: {exc}"
                            f"{_line_in(exc)} "
                            f"for xs = {_format_xs(xs)}.") from exc
    if not isinstance(ys, list):
        raise TaskFileError(f"{where}: target(xs) must return a list. Got {type(ys).__name__} "
                            f"for xs = {_format_xs(xs)}.")
    if len(ys) != len(xs):
        raise TaskFileError(f"{where}: target(xs) must return a list of the same length as xs "
                            f"({len(xs)}). Got length {len(ys)} for xs = {_format_xs(xs)}.")
    if _plain_ints(ys, output_dim):
        return ys
    expected = "an int" if output_dim == 1 else f"a tuple of OUTPUT_DIM={output_dim} ints"
    out = []
    for t, item in enumerate(ys):
        value = _normalise_item(item, output_dim)
        if value is None:
            raise TaskFileError(f"{where}: each item returned by target(xs) must be {expected}. "
                                f"Got {item!r} of type {type(item).__name__} at position {t} "
                                f"for xs = {_format_xs(xs)}.")
        out.append(value)
    return out


def _rows_as_target_input(x: np.ndarray) -> list[list]:
    """Turn int64 x of shape (n, T, d) into per-sequence lists of ints (d == 1) or int tuples."""
    rows = x.tolist()
    if x.shape[2] == 1:
        return [[step[0] for step in row] for row in rows]
    return [[tuple(step) for step in row] for row in rows]


def _load_module(code: bytes, shown: str) -> tuple[ModuleType, dict]:
    """Run the file and check its constants (in the sandboxed child); return module and fields."""
    where = f"Task file '{shown}'"
    module = _import(code, where)
    fields = {"name": _name(module, where), "input_dim": _positive_int(module, "INPUT_DIM", where, MAX_DIM),
              "input_values": _input_values(module, where),
              "seq_len": _positive_int(module, "SEQ_LEN", where, MAX_SEQ_LEN),
              "output_dim": _positive_int(module, "OUTPUT_DIM", where, MAX_DIM, default=1)}
    target = getattr(module, "target", _MISSING)
    if target is _MISSING:
        raise TaskFileError(f"{where} must define a function target(xs) returning the list of outputs.")
    if not callable(target):
        raise TaskFileError(f"{where}: target must be a callable target(xs). "
                            f"Got {type(target).__name__} instead.")
    return module, fields


def _inspect_in_child(code: bytes, shown: str) -> dict:
    """Sandboxed: load the file, call ``target`` on sample sequences, return the TaskSpec fields."""
    module, fields = _load_module(code, shown)
    sampler = uniform_sampler(fields["input_values"], fields["input_dim"])
    trial = sampler(np.random.default_rng(np.random.SeedSequence(0)), N_TRIAL_SEQUENCES, fields["seq_len"])
    for xs in _rows_as_target_input(trial):
        _call_target(module.target, xs, fields["output_dim"], shown)
    doc = (getattr(module.target, "__doc__", None) or module.__doc__ or "").strip()
    fields["description"] = str(doc.splitlines()[0])[:MAX_DESCRIPTION] if doc else f"custom task from {shown}"
    return fields


def _label_in_child(code: bytes, shown: str, x: np.ndarray) -> np.ndarray:
    """Sandboxed: label int64 ``x`` of shape (n, T, input_dim) with the file's ``target``."""
    module, fields = _load_module(code, shown)
    output_dim = fields["output_dim"]
    rows = [_call_target(module.target, xs, output_dim, shown) for xs in _rows_as_target_input(x)]
    return np.asarray(rows, dtype=np.int64).reshape(x.shape[0], x.shape[1], output_dim)


def _checked_fields(reply: object, where: str) -> dict:
    """The child's reply is untrusted data: check types and bounds before building a TaskSpec."""
    types_ = {"name": str, "input_dim": int, "input_values": tuple, "seq_len": int, "output_dim": int,
              "description": str}
    ok = (isinstance(reply, dict) and set(reply) == set(types_)
          and all(type(reply[k]) is t for k, t in types_.items()))
    if ok:
        values = reply["input_values"]
        ok = (reply["name"].isascii() and reply["name"].isidentifier() and len(reply["name"]) <= MAX_NAME
              and 1 <= reply["input_dim"] <= MAX_DIM and 1 <= reply["output_dim"] <= MAX_DIM
              and 1 <= reply["seq_len"] <= MAX_SEQ_LEN and 1 <= len(values) <= MAX_INPUT_VALUES
              and all(type(v) is int and abs(v) < _INT64_SAFE for v in values) and len(set(values)) == len(values)
              and len(reply["description"]) <= MAX_DESCRIPTION)
    if not ok:
        raise TaskFileError(f"{where} sent back malformed task fields from its sandboxed process.")
    return {**reply, "input_values": tuple(sorted(reply["input_values"]))}


@dataclass(frozen=True, slots=True)
class _FileLabeller:
    """``compute_outputs`` of a file-backed task: ``target`` per sequence, in sandboxed batches."""

    code: bytes = field(repr=False)
    shown: str
    output_dim: int
    limits: SandboxLimits
    trust: bool = False

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.int64)
        n, t_len = x.shape[0], x.shape[1]
        per_batch = max(1, LABEL_BATCH_STEPS // max(1, t_len * self.output_dim))
        parts = []
        for lo in range(0, n, per_batch):
            chunk = x[lo:lo + per_batch]
            y = run_sandboxed(_label_in_child, self.code, self.shown, chunk, limits=self.limits,
                              what=f"Task file '{self.shown}' (target on {chunk.shape[0]} sequences)",
                              require_isolation=not self.trust)
            expected = (chunk.shape[0], t_len, self.output_dim)
            if not isinstance(y, np.ndarray) or y.dtype != np.int64 or y.shape != expected:
                raise TaskFileError(f"Task file '{self.shown}' sent back labels that are not an int64 array "
                                    f"of shape {expected} from its sandboxed process.")
            parts.append(y)
        if not parts:
            return np.zeros((0, t_len, self.output_dim), dtype=np.int64)
        return np.concatenate(parts) if len(parts) > 1 else parts[0]


@dataclass(frozen=True, slots=True)
class _FileReference:
    """``reference`` of a file-backed task: ``target(xs)`` on one sequence, in a sandboxed child."""

    labeller: _FileLabeller
    input_dim: int

    def __call__(self, xs: list) -> list:
        items = list(xs)
        steps = [[v] if self.input_dim == 1 else list(v) for v in items]
        x = np.asarray(steps, dtype=np.int64).reshape(1, len(items), self.input_dim)
        y = self.labeller(x)[0]
        return [int(r[0]) if self.labeller.output_dim == 1 else tuple(int(v) for v in r) for r in y.tolist()]


def load_task_file(path: str | os.PathLike, *, limits: SandboxLimits | None = None,
                   trust: bool = False) -> TaskSpec:
    """Read a custom task file once and check it against the task-file contract (in a sandbox).

    Parameters
    ----------
    path : str or os.PathLike
        Path of a ``.py`` file defining NAME, INPUT_DIM, INPUT_VALUES, SEQ_LEN, optional
        OUTPUT_DIM, and ``target(xs)``; at most ``MAX_FILE_BYTES`` bytes.
    limits : SandboxLimits, optional
        Limits of each sandboxed child (loading, and each batch of labels); default
        ``TASK_FILE_LIMITS``.
    trust : bool
        Run the file even where this host cannot isolate it (see :func:`mips.sandbox.isolation`).

    Returns
    -------
    TaskSpec
        ``family="custom"``, ``train_fraction=0.9``, ``source=str(path)``; its ``compute_outputs``
        and ``reference`` run the bytes read here in sandboxed children.

    Raises
    ------
    TaskFileError
        Naming the file and the broken rule.
    SandboxError
        When loading the file or calling ``target`` exceeds a limit, crashes its process, raises
        something that is not an ``Exception`` of the code, or the host cannot isolate it.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise ConfigError(f"The 'path' parameter of load_task_file must be a str or path. "
                          f"Got {path!r} of type {type(path).__name__} instead.")
    p = Path(path)
    where = f"Task file '{p}'"
    if p.suffix != ".py":
        raise TaskFileError(f"{where} must be a Python file ending in '.py'.")
    try:
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO must not block the open
    except FileNotFoundError:
        raise TaskFileError(f"{where} does not exist.") from None
    except OSError as exc:
        raise TaskFileError(f"{where} cannot be read: {exc.strerror}.") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise TaskFileError(f"{where} is not a file.")
    with os.fdopen(fd, "rb") as f:
        code = f.read(MAX_FILE_BYTES + 1)
    return load_task_source(code, str(p), limits=limits, trust=trust, source=str(path))


def load_task_source(code: bytes, shown: str, *, limits: SandboxLimits | None = None, trust: bool = False,
                     source: str | None = None, cancel: threading.Event | None = None) -> TaskSpec:
    """Check a task file's bytes (e.g. an upload) against the contract; see :func:`load_task_file`.

    ``shown`` names the file in messages; ``source`` is the spec's ``source`` (default ``shown``);
    setting ``cancel`` stops the check at once (``SandboxError`` of kind ``"cancelled"``).
    """
    if not isinstance(code, bytes):
        raise ConfigError(f"The 'code' parameter of load_task_source must be bytes. Got {type(code).__name__}.")
    where = f"Task file '{shown}'"
    if len(code) > MAX_FILE_BYTES:
        raise TaskFileError(f"{where} is larger than {MAX_FILE_BYTES // 1024} KiB; a task file is a short "
                            f"Python file.")
    limits = TASK_FILE_LIMITS if limits is None else limits
    fields = _checked_fields(run_sandboxed(_inspect_in_child, code, shown, limits=limits, what=where,
                                           require_isolation=not trust, cancel=cancel), where)
    labeller = _FileLabeller(code, shown, fields["output_dim"], limits, trust)
    return TaskSpec(
        name=fields["name"], description=fields["description"], family="custom",
        input_dim=fields["input_dim"], input_values=fields["input_values"], seq_len=fields["seq_len"],
        output_dim=fields["output_dim"], train_fraction=0.9, source=shown if source is None else source,
        sample_inputs=uniform_sampler(fields["input_values"], fields["input_dim"]),
        compute_outputs=labeller, reference=_FileReference(labeller, fields["input_dim"]),
    )


def resolve_task(name: str | None = None, task_file: str | None = None, *, trust: bool = False) -> TaskSpec:
    """Return a built-in task by name or a custom task from a file; exactly one must be given.

    Raises
    ------
    ConfigError
        If both or neither of ``name`` and ``task_file`` are given.
    UnknownTaskError, TaskFileError
        From ``get_task`` / ``load_task_file``.
    """
    if (name is None) == (task_file is None):
        got = "both" if name is not None else "neither"
        raise ConfigError(f"Give exactly one of 'name' (a built-in task, see `python -m mips tasks`) "
                          f"and 'task_file' (a custom task file) to resolve_task. Got {got}.")
    if name is not None:
        return get_task(name)
    return load_task_file(task_file, trust=trust)  # type: ignore[arg-type]
