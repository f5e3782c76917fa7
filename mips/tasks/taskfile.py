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
"""

from __future__ import annotations

import importlib.util
import os
import sys
import traceback
import uuid
from pathlib import Path
from types import ModuleType

import numpy as np

from mips.errors import ConfigError, TaskFileError
from mips.tasks._vec import uniform_sampler
from mips.tasks.registry import get_task
from mips.tasks.spec import TaskSpec

N_TRIAL_SEQUENCES = 5
_INT64_SAFE = 2**62
_MISSING = object()


def _line_in(exc: BaseException, path: Path) -> str:
    """Return ``" (line N)"`` for the deepest traceback frame inside ``path``, or ``""``."""
    target = os.path.abspath(path)
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if os.path.abspath(frame.filename) == target:
            return f" (line {frame.lineno})"
    return ""


def _import(path: Path, where: str) -> ModuleType:
    module_name = f"_mips_task_file_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise TaskFileError(f"{where} cannot be imported as a Python module.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # only while executing (dataclasses and pickling need it)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise TaskFileError(f"{where} has a syntax error at line {exc.lineno}: {exc.msg}.") from exc
    except (Exception, SystemExit) as exc:
        raise TaskFileError(f"{where} raised {type(exc).__name__}: {exc}{_line_in(exc, path)} "
                            f"while being imported.") from exc
    finally:
        sys.modules.pop(module_name, None)
    return module


def _is_int(v: object) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _positive_int(module: ModuleType, rule: str, where: str, default: object = _MISSING) -> int:
    value = getattr(module, rule, default)
    if value is _MISSING:
        raise TaskFileError(f"{where} must define {rule}, a positive int.")
    if not _is_int(value) or int(value) < 1:
        raise TaskFileError(f"{where}: {rule} must be a positive int. Got {value!r} instead.")
    return int(value)


def _input_values(module: ModuleType, where: str) -> tuple[int, ...]:
    values = getattr(module, "INPUT_VALUES", _MISSING)
    if values is _MISSING:
        raise TaskFileError(f"{where} must define INPUT_VALUES, a non-empty list of ints.")
    rule = f"{where}: INPUT_VALUES must be a non-empty list or tuple of distinct ints (no bools)."
    if not isinstance(values, (list, tuple)) or not values:
        raise TaskFileError(f"{rule} Got {values!r} instead.")
    for v in values:
        if not _is_int(v) or abs(int(v)) >= _INT64_SAFE:
            raise TaskFileError(f"{rule} Got the item {v!r} of type {type(v).__name__}.")
    ints = [int(v) for v in values]
    duplicates = sorted({v for v in ints if ints.count(v) > 1})
    if duplicates:
        raise TaskFileError(f"{rule} Got duplicates {duplicates}.")
    return tuple(sorted(ints))


def _name(module: ModuleType, where: str) -> str:
    name = getattr(module, "NAME", _MISSING)
    if name is _MISSING:
        raise TaskFileError(f"{where} must define NAME, a non-empty str such as NAME = \"my_task\".")
    if not isinstance(name, str) or not name.isascii() or not name.isidentifier():
        raise TaskFileError(f"{where}: NAME must be a non-empty identifier-like str (ASCII letters, "
                            f"digits and '_', not starting with a digit). Got {name!r} instead.")
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


def _call_target(target: object, xs: list, output_dim: int, path: Path) -> list:
    """Call ``target(xs)`` and validate the result; return it as a list of ints or int tuples."""
    where = f"Task file '{path}'"
    try:
        ys = target(xs)  # type: ignore[operator]
    except Exception as exc:
        raise TaskFileError(f"{where}: target(xs) raised {type(exc).__name__}: {exc}"
                            f"{_line_in(exc, path)} "
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


def load_task_file(path: str | os.PathLike) -> TaskSpec:
    """Import a custom task file, check it against the task-file contract and wrap it as a TaskSpec.

    Parameters
    ----------
    path : str or os.PathLike
        Path of a ``.py`` file defining NAME, INPUT_DIM, INPUT_VALUES, SEQ_LEN, optional
        OUTPUT_DIM, and ``target(xs)``.

    Returns
    -------
    TaskSpec
        ``family="custom"``, ``train_fraction=0.9``, ``source=str(path)``.

    Raises
    ------
    TaskFileError
        Naming the file and the broken rule.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise ConfigError(f"The 'path' parameter of load_task_file must be a str or path. "
                          f"Got {path!r} of type {type(path).__name__} instead.")
    p = Path(path)
    where = f"Task file '{p}'"
    if not p.exists():
        raise TaskFileError(f"{where} does not exist.")
    if not p.is_file():
        raise TaskFileError(f"{where} is not a file.")
    if p.suffix != ".py":
        raise TaskFileError(f"{where} must be a Python file ending in '.py'.")
    module = _import(p, where)

    name = _name(module, where)
    input_dim = _positive_int(module, "INPUT_DIM", where)
    values = _input_values(module, where)
    seq_len = _positive_int(module, "SEQ_LEN", where)
    output_dim = _positive_int(module, "OUTPUT_DIM", where, default=1)
    target = getattr(module, "target", _MISSING)
    if target is _MISSING:
        raise TaskFileError(f"{where} must define a function target(xs) returning the list of outputs.")
    if not callable(target):
        raise TaskFileError(f"{where}: target must be a callable target(xs). "
                            f"Got {type(target).__name__} instead.")

    sampler = uniform_sampler(values, input_dim)
    trial = sampler(np.random.default_rng(np.random.SeedSequence(0)), N_TRIAL_SEQUENCES, seq_len)
    for xs in _rows_as_target_input(trial):
        _call_target(target, xs, output_dim, p)

    def reference(xs: list) -> list:
        return _call_target(target, list(xs), output_dim, p)

    def compute_outputs(x: np.ndarray) -> np.ndarray:
        rows = [_call_target(target, xs, output_dim, p) for xs in _rows_as_target_input(x)]
        return np.asarray(rows, dtype=np.int64).reshape(x.shape[0], x.shape[1], output_dim)

    doc = (getattr(target, "__doc__", None) or module.__doc__ or "").strip()
    description = doc.splitlines()[0] if doc else f"custom task from {p.name}"
    return TaskSpec(
        name=name, description=description, family="custom", input_dim=input_dim,
        input_values=values, seq_len=seq_len, output_dim=output_dim, train_fraction=0.9,
        source=str(path), sample_inputs=sampler, compute_outputs=compute_outputs,
        reference=reference,
    )


def resolve_task(name: str | None = None, task_file: str | None = None) -> TaskSpec:
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
    return load_task_file(task_file)  # type: ignore[arg-type]
