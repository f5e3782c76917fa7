"""Training and search runs for the Train page (no streamlit: the page passes callbacks).

A :class:`TrainingLog` collects the evaluation points (for the live curves) and the search trials;
:func:`run_training` and :func:`run_search` call :func:`mips.network.training.train` /
:func:`mips.network.find_network.find_network` with a progress callback and a cancel flag, and return a
:class:`RunOutcome` the page shows and keeps in the session.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mips.network.budget import Budget
from mips.network.config import RNNConfig
from mips.network.rnn import RNN
from mips.network.training import EvalPoint, train
from mips.tasks.dataset import Dataset
from mips.tasks.spec import TaskSpec

DEFAULT_ARCHITECTURE = {"hidden_dim": 2, "hidden_depth": 2, "hidden_width": 16, "output_depth": 1, "output_width": 1}


@dataclass
class TrainingLog:
    """What a run reported so far (mutable: filled by the callbacks)."""

    steps: list[int] = field(default_factory=list)
    loss: list[list[float]] = field(default_factory=list)
    accuracy: list[list[float]] = field(default_factory=list)
    total_steps: int = 0
    trials: list[dict[str, Any]] = field(default_factory=list)
    status: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add_point(self, point: EvalPoint, total_steps: int) -> None:
        with self.lock:
            self.steps.append(int(point.step))
            self.loss.append([float(v) for v in point.loss])
            self.accuracy.append([float(v) for v in point.accuracy])
            self.total_steps = int(total_steps)
        best = max(point.accuracy) if point.accuracy else 0.0
        self.status = f"step {point.step:,} of {total_steps:,}: best checked accuracy {best:.4%}"

    elapsed: float = 0.0     # searches: work done (practical order) or seconds (paper order), against total_steps

    @property
    def fraction(self) -> float:
        if self.trials or (self.elapsed and not self.steps):
            return min(1.0, self.elapsed / self.total_steps) if self.total_steps else 0.0
        return min(1.0, self.steps[-1] / self.total_steps) if self.steps and self.total_steps else 0.0

    def snapshot(self) -> tuple[list[int], list[list[float]], list[list[float]], list[dict[str, Any]]]:
        """Consistent copies of the curves and trials (the run may be adding to them in another thread)."""
        with self.lock:
            return list(self.steps), [list(v) for v in self.loss], [list(v) for v in self.accuracy], \
                [dict(t) for t in self.trials]

    def to_dict(self) -> dict[str, Any]:
        return {"steps": list(self.steps), "loss": [list(v) for v in self.loss],
                "accuracy": [list(v) for v in self.accuracy], "total_steps": self.total_steps,
                "trials": [dict(t) for t in self.trials], "status": self.status}


class BackgroundRun:
    """A training or search run in a worker thread, so the page stays responsive and Cancel is immediate.

    ``target(should_stop)`` runs in the thread; :meth:`cancel` makes ``should_stop`` return True
    (the run stops at its next evaluation); :attr:`outcome` / :attr:`error` hold the result.
    """

    def __init__(self, target: Callable[[Callable[[], bool]], "RunOutcome"]) -> None:
        self._stop = threading.Event()
        self.outcome: RunOutcome | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, args=(target,), daemon=True, name="mips-train")
        self._thread.start()

    def _work(self, target) -> None:
        try:
            self.outcome = target(self._stop.is_set)
        except BaseException as exc:  # noqa: BLE001 - handed to the page
            self.error = exc

    def cancel(self) -> None:
        self._stop.set()

    @property
    def cancelled(self) -> bool:
        return self._stop.is_set()

    def wait(self, seconds: float) -> bool:
        """Wait up to ``seconds``; True when the run has finished."""
        self._thread.join(seconds)
        return not self._thread.is_alive()


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOutcome:
    """A finished (or cancelled) training or search run."""

    kind: str                      # "train" or "search"
    model: RNN | None
    training: dict[str, Any]       # checkpoint metadata
    seed: int
    perfect: bool
    stopped: str
    summary: str


@dataclass(slots=True, kw_only=True)
class TrainingRecord:
    """The Train page's last run in this session (mutable: filled while the run goes on).

    Attributes
    ----------
    task_key : the task it trains for (:attr:`workbench.state.task.TaskContext.key`)
    log : what the run reported so far
    run : the worker running it (None until it started, or when it could not start)
    outcome : the finished run's outcome (None while it runs, or when it was cancelled or failed)
    data : the trained network as checkpoint bytes (None without a network)
    cancelled : the user cancelled it (or left the page while it ran)
    error : why it failed (None when it did not)
    """

    task_key: str
    log: TrainingLog = field(default_factory=TrainingLog)
    run: BackgroundRun | None = None
    outcome: RunOutcome | None = None
    data: bytes | None = None
    cancelled: bool = False
    error: str | None = None

    def cancel(self) -> None:
        """Tell the worker to stop at its next evaluation (pure: safe while the page is being stopped)."""
        if self.run is not None:
            self.run.cancel()
            self.cancelled = True

    @property
    def interrupted(self) -> bool:
        """Started, not finished, not failed: the rerun that polled it was interrupted."""
        return self.outcome is None and self.error is None and self.run is not None


def follow(record: TrainingRecord, draw: Callable[[TrainingLog, float | None], None], *,
           seconds: float | None = None, work_fraction: bool = False, poll_seconds: float = 0.3) -> None:
    """Poll the record's worker until it finishes, calling ``draw(log, fraction)`` between polls, then
    keep its outcome or its error in the record.

    ``fraction`` is None for training (the log counts its own steps); a search passes its
    ``seconds`` limit and gets the budget that runs out first: work (``work_fraction``, the practical
    order) or time. Whatever interrupts the polling (a rerun: Cancel, or leaving the page) tells the
    worker to stop at its next evaluation and is raised again.
    """
    run, log = record.run, record.log
    if run is None:
        return
    t0 = time.perf_counter()
    try:
        while not run.wait(poll_seconds):
            fraction = None
            if seconds is not None:
                fraction = max(log.fraction if work_fraction else 0.0, min(1.0, (time.perf_counter() - t0) / seconds))
            draw(log, fraction)
    except BaseException:
        record.cancel()        # pure: the caller may be a page being stopped
        raise
    if run.error is not None:
        record.error = f"{type(run.error).__name__}: {run.error}"
    else:
        record.outcome = run.outcome


def config_from(spec: TaskSpec, arch: dict[str, int]) -> RNNConfig:
    """An RNNConfig for ``spec`` from the page's architecture fields (raises ConfigError when invalid)."""
    return RNNConfig(input_dim=spec.input_dim, output_dim=spec.output_dim, hidden_dim=int(arch["hidden_dim"]),
                     hidden_depth=int(arch["hidden_depth"]), hidden_width=int(arch["hidden_width"]),
                     output_depth=int(arch["output_depth"]), output_width=int(arch["output_width"]))


def run_training(spec: TaskSpec, config: RNNConfig, dataset: Dataset, log: TrainingLog, *, recipe: str = "fast",
                 n_seeds: int = 3, max_steps: int | None = None, time_limit_seconds: float | None = None,
                 on_update: Callable[[TrainingLog], None] | None = None,
                 should_stop: Callable[[], bool] | None = None) -> RunOutcome:
    """Train ``config`` with ``n_seeds`` seeds together; ``on_update`` is called after every evaluation."""
    def progress(point: EvalPoint, total: int) -> None:
        log.add_point(point, total)
        if on_update is not None:
            on_update(log)

    res = train(spec, config, recipe=recipe, seeds=tuple(range(n_seeds)), dataset=dataset, max_steps=max_steps,
                budget=Budget(seconds=time_limit_seconds, should_stop=should_stop), on_progress=progress)
    state = "perfect" if res.perfect else f"not perfect (test accuracy {res.test_accuracy:.4%})"
    summary = (f"{config.describe()}, seed {res.seed}: {state} after {res.steps:,} steps in {res.seconds:.1f} s "
               f"(stopped: {res.stopped}).")
    return RunOutcome(kind="train", model=res.model, training=res.metadata(), seed=res.seed, perfect=res.perfect,
                      stopped=res.stopped, summary=summary)


def run_search(spec: TaskSpec, dataset: Dataset, log: TrainingLog, *, recipe: str = "fast", n_seeds: int = 3,
               order: str = "practical", work_budget: float | None = None,
               time_budget_seconds: float | None = None, on_update: Callable[[TrainingLog], None] | None = None,
               should_stop: Callable[[], bool] | None = None) -> RunOutcome:
    """A network search (``order``: practical or paper); ``on_update`` is called at every group or trial
    start and end. Progress is work against ``work_budget`` (practical order) or time against
    ``time_budget_seconds``."""
    from mips.network.find_network import find_network
    from mips.network.practical_search import DEFAULT_WORK_BUDGET

    start = time.perf_counter()
    budget = (DEFAULT_WORK_BUDGET if work_budget is None else float(work_budget)) if order == "practical" else None
    work_done = [0.0]

    def on_event(event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "group_start":
            seeds = event.get("seeds") or [0]
            log.status = (f"group {event.get('group')} ({event.get('phase')}): training "
                          f"{', '.join(event.get('architectures', []))}, seeds {seeds[0]}-{seeds[-1]}...")
        elif kind == "trial_start" and "group" not in event and order == "paper":
            log.status = f"trial {event.get('n_trials', 0) + 1}: training {event.get('architecture')}..."
        elif kind == "trial_end":
            seeds = event.get("seeds") or ()
            with log.lock:
                log.trials.append({"phase": event.get("phase"), "architecture": event.get("architecture"),
                                   "seeds": f"{seeds[0]}-{seeds[-1]}" if seeds else "",
                                   "perfect": bool(event.get("perfect")),
                                   "test_accuracy": float(event.get("test_accuracy", 0.0)),
                                   "steps": int(event.get("steps", 0)),
                                   "stopped": event.get("stopped") or "",
                                   "seconds": round(float(event.get("seconds", 0)), 2)})
            log.status = f"{len(log.trials)} trial(s) done"
        elif kind == "done":
            log.status = event.get("summary", log.status)
        if "work_total" in event or "work" in event:
            work_done[0] = float(event.get("work_total", event.get("work")) or 0.0)
        with log.lock:
            if budget is not None:             # progress: work done against the work budget
                log.total_steps, log.elapsed = int(budget), work_done[0]
            else:                              # progress: seconds against the wall-clock budget
                log.total_steps, log.elapsed = int(time_budget_seconds or 0), time.perf_counter() - start
        if on_update is not None:
            on_update(log)

    res = find_network(spec, order=order, dataset=dataset, recipe=recipe, n_seeds=n_seeds, work_budget=budget,
                       time_budget_seconds=time_budget_seconds, on_event=on_event, should_stop=should_stop)
    if res.best is None:
        return RunOutcome(kind="search", model=None, training={}, seed=0, perfect=False, stopped=res.stopped,
                          summary=res.summary())
    meta = {**res.best.metadata(), "search": res.metadata()}
    return RunOutcome(kind="search", model=res.best.model, training=meta, seed=res.best.seed, perfect=res.found,
                      stopped=res.stopped, summary=res.summary())
