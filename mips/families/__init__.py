"""A seeded generator of small sequential tasks from 13 families with random parameters (issue 21).

Each generated task is a :class:`GeneratedTask`: a task file (the contract of
:mod:`mips.tasks.taskfile`) and the generator's own reference program in the project's program
form, with its size (AST nodes, as :attr:`mips.program.program.Program.size` counts) and the role
of each variable. The same ``(seed, index)`` always gives the same task::

    from mips.families import generate
    tasks = generate(100, seed=0)                 # spread round-robin over FAMILIES
    tasks[0].write("runs/generated")              # -> runs/generated/ModSum_000.py

Sizes stay in the range of the 62 benchmark tasks: one to three input numbers with 2 to 21
values each, one or two outputs, sequences of 10 to 20 steps.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from mips.errors import ConfigError
from mips.families import automata, counters, windows
from mips.families.base import ROLES, GeneratedTask, Reference, check_task, role_of

__all__ = ["FAMILIES", "ROLES", "GeneratedTask", "Reference", "generate", "generate_family", "role_of",
           "write_tasks"]

Family = Callable[[np.random.Generator, str], GeneratedTask]

#: family name -> (generator, prefix of its task names)
FAMILIES: dict[str, tuple[Family, str]] = {
    "mod_sum": (counters.mod_sum, "ModSum"),
    "saturating": (counters.saturating, "Saturating"),
    "resetting": (counters.resetting, "Resetting"),
    "run_length": (windows.run_length, "RunLength"),
    "lag_op": (windows.lag_op, "LagOp"),
    "pattern_seen": (windows.pattern_seen, "PatternSeen"),
    "first_difference": (automata.first_difference, "FirstDiff"),
    "threshold": (counters.threshold, "Threshold"),
    "product": (automata.product, "Product"),
    "regular": (automata.regular, "Regular"),
    "mapped_counter": (counters.mapped_counter, "MappedCounter"),
    "hold": (counters.hold, "Hold"),
    "moore": (automata.moore, "Moore"),
}


def _check_family(family: str) -> None:
    if family not in FAMILIES:
        raise ConfigError(f"Unknown task family {family!r}; the families are: {', '.join(FAMILIES)}.")


def generate_family(family: str, index: int, seed: int = 0) -> GeneratedTask:
    """Task number ``index`` of ``family`` under ``seed`` (the same arguments, the same task)."""
    _check_family(family)
    make, prefix = FAMILIES[family]
    salt = list(FAMILIES).index(family)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), salt, int(index)]))
    return check_task(make(rng, f"{prefix}_{index:03d}"))


def generate(n: int, seed: int = 0, families: Sequence[str] | None = None) -> list[GeneratedTask]:
    """``n`` tasks spread round-robin over ``families`` (default: all), numbered per family."""
    chosen = list(families) if families else list(FAMILIES)
    for f in chosen:
        _check_family(f)
    if not isinstance(n, int) or n < 1:
        raise ConfigError(f"Ask for at least one generated task. Got n = {n!r}.")
    counts = dict.fromkeys(chosen, 0)
    tasks = []
    for i in range(n):
        family = chosen[i % len(chosen)]
        tasks.append(generate_family(family, counts[family], seed))
        counts[family] += 1
    return tasks


def write_tasks(tasks: Sequence[GeneratedTask], folder: str | Path) -> dict[str, Path]:
    """Write each task file and ``manifest.json`` (family, parameters, reference program, size,
    roles per task) into ``folder``; return task name -> file path."""
    folder = Path(folder)
    paths = {t.name: t.write(folder) for t in tasks}
    manifest = [t.manifest_entry() for t in tasks]
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return paths
