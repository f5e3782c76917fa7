"""The model zoo: one trained network per benchmark task, in ``assets/zoo`` (mips-method.md §2.4, §4, §5).

Every network is found by the practical search (:mod:`mips.network.practical_search`), the same search a
new task gets from ``python -m mips run``: small linear and nonlinear candidates interleaved by
cost, several trained together, hopeless ones dropped early, then shrinking toward a smaller
perfect network with the budget left. Each task has a *work* budget
(:data:`DEFAULT_WORK_PER_TASK`), so the zoo is the same on any machine; the network is perfect
(100% of the outputs of the whole test split right) unless the search ran out of budget, and a
task where nothing is perfect keeps its most accurate network, flagged ``perfect=false``. No
hint from the paper's Table B is used.

``assets/zoo/manifest.json`` lists every task's outcome and every trial of its search; it is
rewritten atomically after each task, so an interrupted build resumes where it stopped. Tasks
can be built in parallel on a Dask cluster (:mod:`mips.runtime.zoo_dispatch`).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mips.paths import ASSETS
from mips.errors import CheckpointError, ConfigError, UnknownTaskError, check_float, did_you_mean
from mips.network.budget import Budget
from mips.network.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from mips.network.practical_search import practical_search
from mips.tasks import get_task
from mips.tasks.dataset import search_dataset
from mips.tasks.paper import BENCHMARK_TASKS

log = logging.getLogger(__name__)

ZOO_DIR = ASSETS / "zoo"
MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = "mips-zoo"
MANIFEST_VERSION = 1
SEARCH_NAME = "practical-v1"
DEFAULT_WORK_PER_TASK = 1_000_000.0   # work units (mips.network.work.WORK_UNIT); easy tasks use a few thousand

EventFn = Callable[[dict[str, Any]], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class ZooEntry:
    """One task's row of the zoo manifest.

    ``file`` is relative to the zoo folder (None when no network was trained);
    ``architecture`` is ``RNNConfig.to_dict()`` plus a ``describe`` string; accuracies are over
    the whole test split; ``trials`` holds every candidate tried, in order.
    """

    task: str
    file: str | None
    perfect: bool
    architecture: dict[str, Any]
    seed: int | None
    recipe: str
    steps: int
    training_seconds: float
    test_accuracy: float
    test_sequence_accuracy: float
    trials: tuple[dict[str, Any], ...] = field(default=())
    search: str = SEARCH_NAME
    work: float | None = None                    # work units the search spent
    first_perfect_seconds: float | None = None   # seconds until its first perfect network

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["trials"] = [dict(t) for t in self.trials]
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ZooEntry":
        if not isinstance(data, dict):
            raise CheckpointError(f"A zoo manifest entry must be a dict. Got {type(data).__name__} instead.")
        known = set(cls.__dataclass_fields__)
        missing = sorted(known - set(data) - {"trials", "search", "work", "first_perfect_seconds"})
        if missing:
            raise CheckpointError(f"Zoo manifest entry for {data.get('task')!r} lacks field(s) {missing}.")
        values = {k: v for k, v in data.items() if k in known}
        values["trials"] = tuple(dict(t) for t in values.get("trials", ()))
        return cls(**values)

    @property
    def describe(self) -> str:
        """The architecture's short form, e.g. ``H=2, f 2/4, g 1/-`` ("none" without a network)."""
        return str(self.architecture.get("describe", "none"))


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildResult:
    """What :func:`build_zoo` did: the manifest afterwards, tasks built and skipped, wall time."""

    entries: dict[str, ZooEntry]
    built: tuple[str, ...]
    skipped: tuple[str, ...]
    seconds: float


# -- manifest -----------------------------------------------------------------------------
def manifest(zoo_dir: str | os.PathLike = ZOO_DIR) -> dict[str, ZooEntry]:
    """Read the zoo manifest; an absent manifest is an empty zoo.

    Raises
    ------
    CheckpointError
        The manifest exists but is not valid JSON in the zoo format.
    """
    path = Path(zoo_dir) / MANIFEST_NAME
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"Cannot read the zoo manifest '{path}' ({exc}). Delete it and rebuild "
                              f"with `python -m mips zoo build --force`.") from None
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT \
            or not isinstance(data.get("tasks"), dict):
        raise CheckpointError(f"'{path}' is not a zoo manifest (expected a dict with format "
                              f"'{MANIFEST_FORMAT}' and a 'tasks' dict).")
    if data.get("version") != MANIFEST_VERSION:
        raise CheckpointError(f"Zoo manifest '{path}' has version {data.get('version')!r}; this build "
                              f"reads {MANIFEST_VERSION}. Rebuild with `python -m mips zoo build --force`.")
    return {name: ZooEntry.from_dict(entry) for name, entry in data["tasks"].items()}


def write_manifest(entries: dict[str, ZooEntry], zoo_dir: str | os.PathLike = ZOO_DIR) -> Path:
    """Write the manifest atomically (temp file + ``os.replace``), tasks in the paper's order."""

    order = {name: i for i, name in enumerate(BENCHMARK_TASKS)}
    names = sorted(entries, key=lambda n: (order.get(n, len(order)), n))
    payload = {"format": MANIFEST_FORMAT, "version": MANIFEST_VERSION,
               "tasks": {n: entries[n].to_dict() for n in names}}
    path = Path(zoo_dir) / MANIFEST_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, indent=1)
            fh.write("\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_zoo_model(task_name: str, zoo_dir: str | os.PathLike = ZOO_DIR, *,
                   allow_imperfect: bool = False) -> Checkpoint:
    """Load a task's network from the zoo.

    Parameters
    ----------
    task_name : a benchmark task name
    zoo_dir : the zoo folder (default: the shipped ``assets/zoo``)
    allow_imperfect : also return a network that is not 100% on the test split

    Raises
    ------
    UnknownTaskError
        The zoo has no entry for ``task_name``.
    CheckpointError
        The entry has no perfect network (unless ``allow_imperfect``), or its file is unreadable.
    """
    entries = manifest(zoo_dir)
    entry = entries.get(task_name)
    if entry is None:
        known = list(entries) or list(BENCHMARK_TASKS)
        raise UnknownTaskError(
            f"The zoo in '{zoo_dir}' has no network for task '{task_name}'.{did_you_mean(task_name, known)} "
            f"Build it with `python -m mips zoo build --tasks {task_name}`.")
    if entry.file is None or not (entry.perfect or allow_imperfect):
        best = f"best test accuracy {entry.test_accuracy:.6f}" if entry.file else "no network saved"
        raise CheckpointError(
            f"The zoo has no perfect network for task '{task_name}' ({best}). Rebuild it with a "
            f"larger budget: `python -m mips zoo build --tasks {task_name} --force "
            f"--time-budget-per-task 300`" + (", or pass allow_imperfect=True." if entry.file else "."))
    return load_checkpoint(Path(zoo_dir) / entry.file)


# -- building -------------------------------------------------------------------------------
WORK_PER_SECOND = 1_000.0     # about: the default 250,000 units of a search take some 4 minutes


def longest_first(names: Sequence[str], hint_dir: str | os.PathLike = ZOO_DIR) -> list[str]:
    """``names`` in the order to start them on parallel workers: the costliest first, by the
    search work the zoo in ``hint_dir`` recorded for each task (its training seconds where an
    older entry recorded no work), unknown tasks first of all. A scheduling hint only: it
    changes when a task starts, never its network, and it keeps a slow task from starting last
    and running on alone while the other workers sit idle."""
    try:
        hints = manifest(hint_dir)
    except CheckpointError:
        hints = {}

    def cost(name: str) -> float:
        e = hints.get(name)
        if e is None:
            return float("inf")
        return e.work if e.work is not None else e.training_seconds * WORK_PER_SECOND

    return sorted(names, key=lambda n: -cost(n))         # stable: the given order on ties


def _arch(config) -> dict[str, Any]:
    return {**config.to_dict(), "describe": config.describe()}


def train_task(spec, zoo_dir: str | os.PathLike, *, work_budget: float = DEFAULT_WORK_PER_TASK,
               time_budget_seconds: float | None = None, dataset=None, on_event: EventFn | None = None,
               search_fn: Callable[..., Any] | None = None) -> ZooEntry:
    """Search one task's network and save it as ``<zoo_dir>/<task>.pt``; return its manifest entry.

    ``search_fn`` (default :func:`mips.network.practical_search.practical_search`) is called as
    ``search_fn(spec, dataset=..., budget=Budget(work=work_budget, seconds=time_budget_seconds), on_event=...)``.
    """

    search_fn = search_fn or practical_search
    emit = on_event or (lambda _e: None)
    data = dataset if dataset is not None else search_dataset(spec)

    def relay(e: dict) -> None:
        emit({**e, "task": spec.name})

    res = search_fn(spec, dataset=data, budget=Budget(work=work_budget, seconds=time_budget_seconds),
                    on_event=relay)
    best = res.best
    if best is None:
        raise ConfigError(f"The search for task '{spec.name}' trained no network ({res.stopped}); give it a "
                          f"work budget above 0.")
    trials = tuple(t.to_dict() for t in res.trials)
    file = f"{spec.name}.pt"
    training = {**best.metadata(), "zoo": {"search": SEARCH_NAME, **res.metadata()}}
    zoo = Path(zoo_dir)
    save_checkpoint(zoo / file, best.model, task=spec.name, seed=best.seed, training=training)
    os.chmod(zoo / file, 0o644)                  # readable like the rest of the assets
    return ZooEntry(task=spec.name, file=file, perfect=bool(res.found), architecture=_arch(best.config),
                    seed=int(best.seed), recipe=best.recipe.name, steps=int(best.steps),
                    training_seconds=round(float(res.seconds), 3), test_accuracy=float(best.test_accuracy),
                    test_sequence_accuracy=float(best.test_sequence_accuracy), trials=trials, search=SEARCH_NAME,
                    work=None if res.work is None else round(float(res.work), 1),
                    first_perfect_seconds=(None if res.first_perfect_seconds is None
                                           else round(float(res.first_perfect_seconds), 3)))


def build_zoo(tasks: Sequence[str] | None = None, zoo_dir: str | os.PathLike = ZOO_DIR, *,
              work_per_task: float = DEFAULT_WORK_PER_TASK, time_budget_per_task: float | None = None,
              on_event: EventFn | None = None, force: bool = False,
              search_fn: Callable[..., Any] | None = None,
              dataset_fn: Callable[[Any], Any] | None = None) -> BuildResult:
    """Search the zoo's networks one task after another in this process, resumably.

    Parameters
    ----------
    tasks : task names (default: all 62 benchmark tasks, paper order)
    zoo_dir : where checkpoints and ``manifest.json`` go
    work_per_task : work budget of each task's search (units of
        :data:`mips.network.work.WORK_UNIT`; the dataset's generation not counted)
    time_budget_per_task : an explicit wall-clock limit per task (None: none)
    on_event : callable(dict), optional
        Receives ``task_start`` / ``task_skipped`` / ``task_end`` events and the search's
        ``group_start`` / ``trial_end`` events (each with ``"event"`` and ``"task"``).
    force : retrain tasks already in the manifest
    search_fn, dataset_fn : replace the search / ``search_dataset`` (tests)

    :func:`mips.runtime.zoo_dispatch.build_zoo_distributed` builds the same zoo on a Dask cluster.
    """

    check_float("build_zoo", "work_per_task", work_per_task, 0.0, 1e12, low_open=True)
    if time_budget_per_task is not None:
        check_float("build_zoo", "time_budget_per_task", time_budget_per_task, 0.0, 1e6, low_open=True)
    names = list(BENCHMARK_TASKS if tasks is None else tasks)
    if not names:
        raise ConfigError("The 'tasks' parameter of build_zoo must name at least one task. Got [] instead.")
    specs = [get_task(n) for n in names]           # unknown names fail before any training
    zoo = Path(zoo_dir)
    entries = manifest(zoo)
    emit = on_event or (lambda _e: None)
    dataset_fn = dataset_fn or (lambda spec: search_dataset(spec))
    start = time.perf_counter()
    built, skipped = [], []
    for i, spec in enumerate(specs):
        if spec.name in entries and not force:
            skipped.append(spec.name)
            emit({"event": "task_skipped", "task": spec.name, "index": i, "n_tasks": len(specs)})
            continue
        emit({"event": "task_start", "task": spec.name, "index": i, "n_tasks": len(specs)})
        t0 = time.perf_counter()
        entry = train_task(spec, zoo, work_budget=work_per_task, time_budget_seconds=time_budget_per_task,
                           dataset=dataset_fn(spec), on_event=on_event, search_fn=search_fn)
        entries[spec.name] = entry
        write_manifest(entries, zoo)
        built.append(spec.name)
        log.info("zoo %s: %s perfect=%s acc=%.6f (%.1fs)", spec.name, entry.describe, entry.perfect,
                 entry.test_accuracy, time.perf_counter() - t0)
        emit(task_end_event(entry, i, len(specs), time.perf_counter() - t0))
    return BuildResult(entries=entries, built=tuple(built), skipped=tuple(skipped),
                       seconds=time.perf_counter() - start)


def task_end_event(entry: ZooEntry, index: int, n_tasks: int, seconds: float) -> dict[str, Any]:
    return {"event": "task_end", "task": entry.task, "index": index, "n_tasks": n_tasks,
            "architecture": entry.describe, "perfect": entry.perfect, "accuracy": entry.test_accuracy,
            "seconds": seconds}
