"""The model zoo: one trained network per benchmark task, in ``assets/zoo`` (mips-method.md §2.4, §4, §5).

The paper's AutoML (``mips.search``) is too slow to rebuild 62 networks on a small CPU, so the
zoo uses a *seeded search*: a short ladder of candidate architectures per task, smallest first,
starting from the paper's Table B architecture (``mips.tasks.automl``). Each candidate trains
five seeds batched with the ``fast`` recipe under a time cap; the first perfect one (100% of
the outputs of the whole test split) wins. Where the paper's network is huge (H > 8) a few small
nonlinear candidates come first, because small networks are what interpretation needs. A task
where nothing is perfect keeps its most accurate network, flagged ``perfect=false``.

``assets/zoo/manifest.json`` lists every task's outcome and trials; it is rewritten atomically
after each task, so an interrupted build resumes where it stopped.
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

from mips.errors import CheckpointError, ConfigError, UnknownTaskError, check_float, did_you_mean
from mips.models.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from mips.models.config import MAX_WIDTH, RNNConfig
from mips.tasks.automl import PAPER_ARCHITECTURES, PaperArchitecture

log = logging.getLogger(__name__)

ZOO_DIR = Path(__file__).resolve().parent.parent / "assets" / "zoo"
MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = "mips-zoo"
MANIFEST_VERSION = 1
SEARCH_NAME = "seeded-ladder-v1"
SEEDS = (0, 1, 2, 3, 4)
DEFAULT_BUDGET_SECONDS = 75.0
MAX_CANDIDATES = 4
LARGE_HIDDEN_DIM = 8            # paper networks with H above this get small candidates first
MAX_ZOO_WIDTH = 64              # widest f tried (see candidates)

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

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["trials"] = [dict(t) for t in self.trials]
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ZooEntry":
        if not isinstance(data, dict):
            raise CheckpointError(f"A zoo manifest entry must be a dict. Got {type(data).__name__} instead.")
        known = set(cls.__dataclass_fields__)
        missing = sorted(known - set(data) - {"trials", "search"})
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
    from mips.tasks.paper import BENCHMARK_TASKS

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
        from mips.tasks.paper import BENCHMARK_TASKS
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


# -- the ladder -----------------------------------------------------------------------------
def _config(spec, h: int, fd: int, fw: int, gd: int = 1, gw: int = 1) -> RNNConfig:
    return RNNConfig(input_dim=spec.input_dim, output_dim=spec.output_dim, hidden_dim=h,
                     hidden_depth=fd, hidden_width=min(fw, MAX_WIDTH), output_depth=gd,
                     output_width=gw)


def candidates(spec, paper: PaperArchitecture | None = None) -> list[RNNConfig]:
    """The architectures tried for a task, in order (at most :data:`MAX_CANDIDATES`).

    * linear in the paper (f and g depth 1): the paper's H, then H + 1, H + 2 (still linear);
    * paper H > 8: small nonlinear networks H = 2..6, f depth 2 width 32-64, then f depth 3;
    * otherwise: the paper's network, then a wider f (at least 32), then H + 1, then f depth 3.

    f is never wider than :data:`MAX_ZOO_WIDTH` (the paper's width is capped there): on this
    project's CPUs a width-229 f trains 10x slower than width 32, and the fast recipe does not
    need the widths the paper's search happened to stop at.

    Tasks without a Table B row (custom tasks) start from H = 2, f 2/16.
    """
    if paper is None:
        paper = PAPER_ARCHITECTURES.get(spec.name, PaperArchitecture(
            hidden_dim=2, hidden_depth=2, hidden_width=16, output_depth=1, output_width=1, seed=0))
    h, gd, gw = paper.hidden_dim, paper.output_depth, paper.output_width
    if paper.is_linear:
        ladder = [_config(spec, h + k, 1, 1) for k in range(3)]
    elif h > LARGE_HIDDEN_DIM:
        ladder = [_config(spec, 2, 2, 32), _config(spec, 4, 2, 64), _config(spec, 6, 2, 64),
                  _config(spec, 6, 3, 64)]
    else:
        first = min(paper.hidden_width, MAX_ZOO_WIDTH)
        wide = min(max(2 * paper.hidden_width, 32), MAX_ZOO_WIDTH)
        ladder = [_config(spec, h, paper.hidden_depth, first, gd, gw),
                  _config(spec, h, paper.hidden_depth, wide, gd, gw),
                  _config(spec, h + 1, paper.hidden_depth, wide, gd, gw),
                  _config(spec, h + 1, 3, wide, gd, gw)]
    unique: list[RNNConfig] = []
    for c in ladder:
        if c not in unique:
            unique.append(c)
    return unique[:MAX_CANDIDATES]


def _arch(config: RNNConfig) -> dict[str, Any]:
    return {**config.to_dict(), "describe": config.describe()}


def train_task(spec, zoo_dir: Path, *, time_budget_seconds: float, dataset=None,
               on_event: EventFn | None = None, train_fn: Callable[..., Any] | None = None,
               ladder: Sequence[RNNConfig] | None = None) -> ZooEntry:
    """Run one task's ladder (default :func:`candidates`); save its best network as ``<task>.pt``.

    A candidate may use half of the budget that is left (the last one all of it), so the
    paper's architecture gets the most time; time a candidate does not use (it converged or
    plateaued early) passes on to the next.
    """
    from mips.tasks import make_dataset
    from mips.training import train

    train_fn = train_fn or train
    emit = on_event or (lambda _e: None)
    data = dataset if dataset is not None else make_dataset(spec, seed=42)
    search_name = SEARCH_NAME if ladder is None else f"{SEARCH_NAME} (custom ladder)"
    ladder = list(candidates(spec) if ladder is None else ladder)
    if not ladder:
        raise ConfigError(f"The ladder for task '{spec.name}' must hold at least one architecture. "
                          f"Got [] instead.")
    start = time.perf_counter()
    trials: list[dict[str, Any]] = []
    best = None
    for i, config in enumerate(ladder):
        left = time_budget_seconds - (time.perf_counter() - start)
        if left <= 0 and trials:
            break
        cap = max(left, 1.0) / min(2, len(ladder) - i)
        emit({"event": "trial_start", "task": spec.name, "architecture": config.describe(),
              "time_cap": cap})
        res = train_fn(spec, config, recipe="fast", seeds=SEEDS, dataset=data, time_limit_seconds=cap)
        trial = {"architecture": config.describe(), "perfect": bool(res.perfect),
                 "accuracy": float(res.test_accuracy), "seconds": round(float(res.seconds), 3),
                 "seed": int(res.seed), "steps": int(res.steps), "stopped": str(res.stopped)}
        trials.append(trial)
        emit({"event": "trial_end", "task": spec.name, **trial})
        if best is None or res.test_accuracy > best.test_accuracy or (res.perfect and not best.perfect):
            best = res
        if res.perfect:
            break
    assert best is not None  # the ladder is never empty and the first trial always runs
    file = f"{spec.name}.pt"
    training = {**best.metadata(), "zoo": {"search": search_name, "trials": trials}}
    save_checkpoint(zoo_dir / file, best.model, task=spec.name, seed=best.seed, training=training)
    return ZooEntry(task=spec.name, file=file, perfect=bool(best.perfect), architecture=_arch(best.config),
                    seed=int(best.seed), recipe=best.recipe.name, steps=int(best.steps),
                    training_seconds=round(sum(t["seconds"] for t in trials), 3),
                    test_accuracy=float(best.test_accuracy),
                    test_sequence_accuracy=float(best.test_sequence_accuracy), trials=tuple(trials),
                    search=search_name)


def build_zoo(tasks: Sequence[str] | None = None, zoo_dir: str | os.PathLike = ZOO_DIR, *,
              time_budget_per_task: float = DEFAULT_BUDGET_SECONDS, on_event: EventFn | None = None,
              force: bool = False, ladders: dict[str, Sequence[RNNConfig]] | None = None,
              train_fn: Callable[..., Any] | None = None,
              dataset_fn: Callable[[Any], Any] | None = None) -> BuildResult:
    """Train the zoo's networks, resumably.

    Parameters
    ----------
    tasks : task names (default: all 62 benchmark tasks, paper order)
    zoo_dir : where checkpoints and ``manifest.json`` go
    time_budget_per_task : seconds of training per task (the dataset's generation not counted)
    on_event : callable(dict), optional
        Receives ``task_start`` / ``task_skipped`` / ``trial_start`` / ``trial_end`` /
        ``task_end`` events (each with ``"event"`` and ``"task"``), for progress bars.
    force : retrain tasks already in the manifest
    ladders : per-task architectures to try instead of :func:`candidates` (for re-running a
        task that failed); recorded in the manifest as a custom ladder
    train_fn, dataset_fn : replace :func:`mips.training.train` / ``make_dataset`` (tests)

    Returns
    -------
    BuildResult
    """
    from mips.tasks import get_task, make_dataset
    from mips.tasks.paper import BENCHMARK_TASKS

    check_float("build_zoo", "time_budget_per_task", time_budget_per_task, 0.0, 1e6, low_open=True)
    names = list(BENCHMARK_TASKS if tasks is None else tasks)
    if not names:
        raise ConfigError("The 'tasks' parameter of build_zoo must name at least one task. Got [] instead.")
    specs = [get_task(n) for n in names]           # unknown names fail before any training
    zoo = Path(zoo_dir)
    entries = manifest(zoo)
    emit = on_event or (lambda _e: None)
    dataset_fn = dataset_fn or (lambda spec: make_dataset(spec, seed=42))
    start = time.perf_counter()
    built, skipped = [], []
    for i, spec in enumerate(specs):
        if spec.name in entries and not force:
            skipped.append(spec.name)
            emit({"event": "task_skipped", "task": spec.name, "index": i, "n_tasks": len(specs)})
            continue
        emit({"event": "task_start", "task": spec.name, "index": i, "n_tasks": len(specs)})
        t0 = time.perf_counter()
        entry = train_task(spec, zoo, time_budget_seconds=time_budget_per_task, dataset=dataset_fn(spec),
                           on_event=on_event, train_fn=train_fn, ladder=(ladders or {}).get(spec.name))
        entries[spec.name] = entry
        write_manifest(entries, zoo)
        built.append(spec.name)
        log.info("zoo %s: %s perfect=%s acc=%.6f (%.1fs)", spec.name, entry.describe, entry.perfect,
                 entry.test_accuracy, time.perf_counter() - t0)
        emit({"event": "task_end", "task": spec.name, "index": i, "n_tasks": len(specs),
              "architecture": entry.describe, "perfect": entry.perfect, "accuracy": entry.test_accuracy,
              "seconds": time.perf_counter() - t0})
    return BuildResult(entries=entries, built=tuple(built), skipped=tuple(skipped),
                       seconds=time.perf_counter() - start)
