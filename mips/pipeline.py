"""The whole pipeline, one task at a time (design.md §1, §3).

``run_pipeline`` is straight-line code: it calls the stages in order, times each, reports
progress through ``on_event`` and turns an expected negative outcome ("no encoding", "no formula",
"the program is wrong") into a stage status with a message. Exceptions are for misuse only (an
unknown task, an unreadable checkpoint, invalid settings).

Stages: ``model`` (given, or found by :func:`mips.network.find_network.find_network`),
``normalize`` (the MIPS RNN only), ``trace``, ``encode``, ``fsm`` (:func:`mips.machine.stage.machine_stage`:
the machine with the fewest conflicts), ``regress`` (candidate programs from every state view, §9),
``verify`` (:func:`mips.program.choose.choose_program`: the three checks of :mod:`mips.program.verify`;
the most readable verified candidate wins, else the state-table fallback). The policies live in
those stages; this module only orders them.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal

from mips.encodings import EncodingChoice, choose_encoding, prepare_states
from mips.errors import ConfigError, check_choice, check_float, check_int
from mips.failure import Failure
from mips.machine import FSMResult, machine_stage
from mips.margins import collect_notes, notes_text
from mips.network import (ORDERS, RNN, Checkpoint, HiddenTrace, LoadedNetwork, RecurrentNetwork, RNNWeights,
                          as_network, find_network, load_network, task_mismatch, trace)
from mips.normalizers import NormalizationReport, normalize
from mips.program import (Program, ProgramChoice, Synthesis, Verification, choose_program, readability, synthesize,
                          task_constants, to_source)
from mips.tasks import DATA_SEED, Dataset, TaskSpec, make_dataset, resolve_task, with_label_cache

log = logging.getLogger(__name__)

STAGES = ("model", "normalize", "trace", "encode", "fsm", "regress", "verify")
Status = Literal["ok", "failed", "skipped"]
EventFn = Callable[[dict], None]
#: what a stage function returns: its status, message and artefact, or the Failure of a stage that found nothing
Outcome = tuple[Status, str, Any] | Failure
#: stages that run even when the named earlier stage failed (the state table remains to verify)
RUNS_AFTER_FAILED = {"verify": ("regress",)}


@dataclass(frozen=True, slots=True, kw_only=True)
class PipelineConfig:
    """Settings of one pipeline run.

    Attributes
    ----------
    n_sequences : int or None
        Dataset size (None: the task's default, 1,000,000 for the benchmark tasks).
    n_trace_sequences : int
        Training sequences whose hidden states are traced for the encoding and the regression.
    normalize : bool
        Run the normalizer chain before tracing.
    regression_seconds : float
        Symbolic-search budget per formula set.
    length_factor : int
        Length generalisation check on sequences this many times longer (0: skip).
    search_seconds : float
        Wall-clock limit of the network search when no model is given.
    search_order : {"practical", "paper"}
        The network search when no model is given (:mod:`mips.network.find_network`).
    seed : int
        Seed of the longer test sequences and the behavioural probes.
    data_seed : int
        Seed of the task's dataset (:data:`mips.tasks.dataset.DATA_SEED`, the zoo's and benchmark's).
    """

    n_sequences: int | None = None
    n_trace_sequences: int = 16_384
    normalize: bool = True
    regression_seconds: float = 3.0
    length_factor: int = 5
    search_seconds: float = 1800.0
    search_order: str = "practical"
    seed: int = 0
    data_seed: int = DATA_SEED

    def __post_init__(self) -> None:
        owner = "PipelineConfig"
        if self.n_sequences is not None:
            check_int(owner, "n_sequences", self.n_sequences, 10, 10_000_000)
        check_int(owner, "n_trace_sequences", self.n_trace_sequences, 1, 1_000_000)
        check_float(owner, "regression_seconds", self.regression_seconds, 0.0, 3600.0, low_open=True)
        check_int(owner, "length_factor", self.length_factor, 0, 100)
        check_float(owner, "search_seconds", self.search_seconds, 0.0, 1e6, low_open=True)
        check_choice(owner, "search_order", self.search_order, ORDERS)
        check_int(owner, "seed", self.seed, 0)
        check_int(owner, "data_seed", self.data_seed, 0)


@dataclass(frozen=True, slots=True, kw_only=True)
class StageResult:
    """One stage: status, message, seconds, and its artefact (None when it did not run)."""

    name: str
    status: Status
    seconds: float
    message: str
    artefact: Any = None

    def to_dict(self) -> dict:
        return {"status": self.status, "seconds": round(self.seconds, 4), "message": self.message}


@dataclass(frozen=True, slots=True, kw_only=True)
class PipelineResult:
    """Every stage's result and the artefacts, from task to verified program."""

    task: TaskSpec
    config: PipelineConfig
    stages: dict[str, StageResult]
    model: RNN | None = None
    weights: RNNWeights | None = None
    network: RecurrentNetwork | None = None       # the given or found network, MIPS RNN or not
    training: dict = field(default_factory=dict)
    dataset: Dataset | None = None
    normalization: NormalizationReport | None = None
    trace: HiddenTrace | None = None
    encoding: EncodingChoice | None = None
    fsm: FSMResult | None = None
    synthesis: Synthesis | None = None
    program: Program | None = None
    verification: Verification | None = None
    alternatives: tuple[tuple[Program, Verification], ...] = ()
    seconds: float = 0.0

    @property
    def solved(self) -> bool:
        """A symbolic program that is right on every checked sequence of the task."""
        return (self.program is not None and self.program.kind == "symbolic"
                and self.verification is not None and self.verification.task_accuracy == 1.0)

    @property
    def traced_weights(self) -> RNNWeights | RecurrentNetwork | None:
        """The network whose hidden states were encoded (normalized when normalization ran); a network
        other than the MIPS RNN has no RNNWeights and is returned itself."""
        if self.normalization is not None:
            return self.normalization.final
        return self.weights if self.weights is not None else self.network

    @property
    def traced_network(self) -> RecurrentNetwork | None:
        """:attr:`traced_weights` behind the one network interface."""
        traced = self.traced_weights
        return as_network(traced) if traced is not None else None

    def report(self) -> dict:
        """The JSON report of ``python -m mips run --json`` (schema in the README)."""
        cfg = self.model.config if self.model is not None else None
        rnn = None
        if cfg is not None:
            rnn = {"hidden_dim": cfg.hidden_dim, "hidden_depth": cfg.hidden_depth,
                   "hidden_width": cfg.hidden_width, "output_depth": cfg.output_depth,
                   "output_width": cfg.output_width,
                   "test_accuracy": float(self.training.get("test_accuracy", float("nan")))}
        return {"task": self.task.name, "solved": self.solved,
                "program_kind": self.program.kind if self.program is not None else None,
                "program": to_source(self.program) if self.program is not None else None,
                "method": self.program.method if self.program is not None else None,
                "rnn": rnn,
                "network": _network_report(self.network, self.stages.get("normalize")),
                "verification": self.verification.to_dict() if self.verification is not None else None,
                "readability": (readability(self.program, task_constants(self.task.input_values)).to_dict()
                                if self.program is not None else None),
                "alternatives": [{"program": to_source(p), "method": p.method,
                                  "readability": readability(p, task_constants(self.task.input_values)).to_dict()}
                                 for p, _ in self.alternatives],
                "stages": {name: self.stages[name].to_dict() for name in STAGES if name in self.stages},
                "seconds": round(self.seconds, 4)}


def _network_report(network: RecurrentNetwork | None, normalize: StageResult | None) -> dict | None:
    """The report's "network" field: what ran, and whether the normalizers did (and why not)."""
    if network is None:
        return None
    return {"kind": network.kind, "description": network.describe(), "hidden_dim": network.hidden_dim,
            "n_parameters": network.n_parameters, "input_encoding": network.input_encoding.describe(),
            "output": network.output_decoding.describe(),
            "normalizers": normalize.message if normalize is not None else None}


def _as_model(model: Any) -> tuple[RNN | RecurrentNetwork, dict]:
    """The model stage's network: the MIPS RNN when it is one (the normalizers need it), else the interface."""
    if isinstance(model, Checkpoint):
        return model.model, dict(model.training)
    if isinstance(model, (str, os.PathLike)):
        model = load_network(Path(model))          # a checkpoint, or weights with their description
    if isinstance(model, LoadedNetwork):
        return (model.model if model.model is not None else model.network), dict(model.training)
    if isinstance(model, (RNN, RecurrentNetwork)):
        return model, {}
    raise ConfigError(f"The 'model' parameter of run_pipeline must be an RNN, a RecurrentNetwork, a Checkpoint, a "
                      f"LoadedNetwork or a checkpoint path. Got {type(model).__name__} instead.")


class _Stages:
    """Runs stages in order and records them: a stage is skipped after ``until``, once
    ``should_stop`` said stop, or when an earlier stage failed; it is timed and reported through
    ``on_event``.

    A stage that ran correctly and found nothing says so with its status ("failed") or returns a
    :class:`~mips.failure.Failure`: a scientific negative is data. An exception is not caught: it
    is misuse (an invalid setting, a network that does not fit the task, a task file that breaks
    its contract) or a bug, and the caller sees it with its own message."""

    def __init__(self, spec: TaskSpec, until: str | None, on_event: EventFn | None,
                 should_stop: Callable[[], bool] | None) -> None:
        self.spec, self.emit, self.should_stop = spec, on_event or (lambda event: None), should_stop
        self.last = STAGES.index(check_choice("run_pipeline", "until", until, STAGES)) if until else len(STAGES) - 1
        self.results: dict[str, StageResult] = {}
        self.stopped = False

    def run(self, name: str, fn: Callable[[], Outcome]) -> Any:
        index = STAGES.index(name)
        needed = [s for s in STAGES[:index] if s not in RUNS_AFTER_FAILED.get(name, ())]
        blocked = next((s for s in needed if s in self.results and self.results[s].status == "failed"), None)
        if not self.stopped and index <= self.last and self.should_stop is not None and self.should_stop():
            self.stopped = True
        if index > self.last or blocked or self.stopped:
            why = (f"after '{STAGES[self.last]}'" if index > self.last else "stopped" if self.stopped else
                   f"'{blocked}' did not succeed")
            self.results[name] = StageResult(name=name, status="skipped", seconds=0.0, message=f"skipped: {why}")
            return None
        self.emit({"event": "stage_start", "stage": name, "task": self.spec.name})
        t0 = time.perf_counter()
        with collect_notes() as notes:      # decisions taken within their float margin
            outcome = fn()
        status, message, value = ("failed", outcome.message, None) if isinstance(outcome, Failure) else outcome
        message += notes_text(notes)
        seconds = time.perf_counter() - t0
        self.results[name] = StageResult(name=name, status=status, seconds=seconds, message=message, artefact=value)
        self.emit({"event": "stage_end", "stage": name, "task": self.spec.name, "status": status,
                   "seconds": seconds, "message": message})
        log.info("%s %s: %s (%.2f s) %s", self.spec.name, name, status, seconds, message)
        return value


class _Data:
    """The task's dataset, made on first use (a stage that needs none never pays for it)."""

    def __init__(self, spec: TaskSpec, config: PipelineConfig, given: Dataset | None) -> None:
        self.spec, self.config, self.value = spec, config, given

    def get(self) -> Dataset:
        if self.value is None:
            self.value = make_dataset(self.spec, n_sequences=self.config.n_sequences, seed=self.config.data_seed)
        return self.value


def _model_stage(spec: TaskSpec, given: tuple | None, data: _Data, config: PipelineConfig,
                 should_stop: Callable[[], bool] | None) -> Outcome:
    """The given network checked against the task, or the network search's best."""
    if given is not None:
        m, training = given
        problem = task_mismatch(as_network(m), spec)
        if problem:
            raise ConfigError(problem)
        acc = training.get("test_accuracy")
        shown = m.config.describe() if isinstance(m, RNN) else m.describe()
        return "ok", f"given network {shown}" + (f", test accuracy {acc:.4%}" if isinstance(acc, float) else ""), given
    res = find_network(spec, order=config.search_order, dataset=data.get(),
                       time_budget_seconds=config.search_seconds, should_stop=should_stop)
    if res.best is None:
        return Failure(stage="model", method=config.search_order, message="the search found no network")
    return ("ok" if res.found else "failed"), res.summary(), (res.best.model, res.best.metadata())


def _normalize_stage(config: PipelineConfig, weights: RNNWeights | None, network: RecurrentNetwork,
                     data: _Data) -> tuple[Status, str, NormalizationReport | None]:
    if not config.normalize:
        return "ok", "normalizers switched off", None
    if weights is None:   # not a stage failure: the later stages run on the network as it is
        return "skipped", (f"skipped: the normalizers are specific to the MIPS RNN; this network is "
                           f"{network.describe()}"), None
    report = normalize(weights, data.get())
    accepted = [s.name for s in report.steps if s.accepted and s.changed]
    return "ok", f"applied {', '.join(accepted) or 'none'}", report


def _trace_stage(network: RecurrentNetwork, data: _Data, config: PipelineConfig, spec: TaskSpec):
    ds = data.get()
    n = min(config.n_trace_sequences, ds.x_train.shape[0])
    tr = trace(network, ds.x_train[:n], ds.y_train[:n], task=spec.name)
    return "ok", f"{n:,} sequences x {tr.seq_len} steps, H = {tr.hidden_dim}", tr


def _encode_stage(tr: HiddenTrace):
    choice = choose_encoding(prepare_states(tr))
    if choice.chosen is None:
        return "failed", "no encoding found: " + "; ".join(f.message for f in choice.failures), choice
    return "ok", choice.chosen.summary, choice


def _regress_stage(choice: EncodingChoice, fsm: FSMResult | None, spec: TaskSpec, config: PipelineConfig):
    syn = synthesize(choice.data, choice, task=spec.name, fsm=fsm, time_budget_seconds=config.regression_seconds)
    if not syn.programs:
        note = "; a state table remains" if fsm is not None and fsm.minimal is not None else ""
        return "failed", "no symbolic program: " + "; ".join(map(str, syn.failures)) + note, syn
    best = syn.programs[0]
    return "ok", f"{len(syn.programs)} candidate program(s); shortest: {best.method}, size {best.size}", syn


def run_pipeline(task: TaskSpec | str, config: PipelineConfig | None = None, *, model: Any = None,
                 dataset: Dataset | None = None, until: str | None = None, on_event: EventFn | None = None,
                 should_stop: Callable[[], bool] | None = None) -> PipelineResult:
    """Run the stages on one task and return every artefact.

    Parameters
    ----------
    task : TaskSpec, a task name or a task file path
    config : PipelineConfig, optional
    model : RNN, Checkpoint or checkpoint path, optional
        Without it the smallest-network search runs first (``config.search_seconds``).
    dataset : Dataset, optional
        Reused instead of generating the task's dataset.
    until : str, optional
        Last stage to run (one of ``STAGES``); the later ones are ``skipped``.
    on_event : callable(dict), optional
        ``{"event": "stage_start" | "stage_end", "stage": name, ...}``.
    should_stop : callable() -> bool, optional
        Checked between stages; True skips the remaining stages.
    """
    start = time.perf_counter()
    spec = resolve_task(task) if not isinstance(task, TaskSpec) else task
    spec = with_label_cache(spec)           # a task file's labels: once per distinct sequence, reused
    config = config or PipelineConfig()
    if not isinstance(config, PipelineConfig):
        raise ConfigError(f"The 'config' parameter of run_pipeline must be a PipelineConfig. "
                          f"Got {type(config).__name__} instead.")
    stages = _Stages(spec, until, on_event, should_stop)
    data = _Data(spec, config, dataset)
    given = _as_model(model) if model is not None else None

    m, training = stages.run("model", lambda: _model_stage(spec, given, data, config, should_stop)) or (None, {})
    network = as_network(m) if m is not None else None
    weights = m.weights(0) if isinstance(m, RNN) else None      # the MIPS RNN's, which the normalizers read
    norm = stages.run("normalize", lambda: _normalize_stage(config, weights, network, data))
    traced = as_network(norm.final) if norm is not None else network
    tr = stages.run("trace", lambda: _trace_stage(traced, data, config, spec))
    choice = stages.run("encode", lambda: _encode_stage(tr))
    fsm = stages.run("fsm", lambda: ("ok", *machine_stage(choice, traced, seed=config.seed)[::-1]))
    syn = stages.run("regress", lambda: _regress_stage(choice, fsm, spec, config))
    chosen = stages.run("verify", lambda: _verify_stage(choose_program(
        syn, choice, fsm, spec, dataset=data.get(), network=network, traced=traced,
        length_factor=config.length_factor, seed=config.seed)))
    return PipelineResult(task=spec, config=config, stages=stages.results, model=m if isinstance(m, RNN) else None,
                          weights=weights, network=network, training=training, dataset=data.value,
                          normalization=norm, trace=tr, encoding=choice, fsm=fsm, synthesis=syn,
                          program=chosen.program if chosen else None,
                          verification=chosen.verification if chosen else None,
                          alternatives=chosen.alternatives if chosen else (), seconds=time.perf_counter() - start)


def _verify_stage(chosen: ProgramChoice) -> Outcome:
    if chosen.program is None:
        return Failure(stage="verify", message=chosen.message)
    return ("ok" if chosen.solved else "failed"), chosen.message, chosen
