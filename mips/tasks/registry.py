"""Task registry: look up the 62 benchmark tasks and their variants by name (mips-method.md §2.2-2.3).

Variants (``Div_3_NoLag``, ``Div_5_NoLag``, ``Div_7_NoLag``, ``Max_Seen_0_99``) are built in but not
part of ``BENCHMARK_TASKS``.
"""

from __future__ import annotations

from mips.errors import ConfigError, UnknownTaskError, did_you_mean
from mips.tasks import builtin_bits, builtin_dynamics, builtin_numbers
from mips.tasks.paper import BENCHMARK_TASKS
from mips.tasks.spec import TaskSpec

_ALL: dict[str, TaskSpec] = {
    spec.name: spec
    for spec in builtin_bits.TASKS + builtin_numbers.TASKS + builtin_dynamics.TASKS
}
_BENCHMARK: tuple[TaskSpec, ...] = tuple(_ALL[name] for name in BENCHMARK_TASKS)
_VARIANTS: tuple[TaskSpec, ...] = tuple(
    sorted((s for s in _ALL.values() if s.paper_index is None),
           key=lambda s: (BENCHMARK_TASKS.index(s.variant_of or ""), s.name))
)
_BY_LOWER: dict[str, TaskSpec] = {name.lower(): spec for name, spec in _ALL.items()}


def list_tasks(include_variants: bool = False) -> list[TaskSpec]:
    """Return the built-in tasks in the paper's order, variants (if asked for) after.

    Parameters
    ----------
    include_variants : bool
        Also list the data-version variants of §2.3 (``Div_3_NoLag`` ..., ``Max_Seen_0_99``).

    Returns
    -------
    list of TaskSpec
    """
    tasks = list(_BENCHMARK)
    if include_variants:
        tasks += list(_VARIANTS)
    return tasks


def get_task(name: str) -> TaskSpec:
    """Return the built-in task called ``name`` (exact match first, then case-insensitive).

    Raises
    ------
    UnknownTaskError
        If no built-in task has that name; the message suggests the closest name.
    """
    if not isinstance(name, str):
        raise ConfigError(f"The 'name' parameter of get_task must be a str. "
                          f"Got {name!r} of type {type(name).__name__} instead.")
    spec = _ALL.get(name) or _BY_LOWER.get(name.lower())
    if spec is None:
        hint = did_you_mean(name, _ALL, n=1)
        raise UnknownTaskError(f"Unknown task '{name}'.{hint} "
                               f"Run `python -m mips tasks` to list all tasks.")
    return spec
