"""The whole pipeline, one task at a time (design.md §1, §3).

``run_pipeline`` is straight-line code: it calls the stages in order, times each, reports
progress through ``on_event`` and turns an expected negative outcome ("no encoding", "no formula",
"the program is wrong") into a stage status with a message. Exceptions are for misuse only (an
unknown task, an unreadable checkpoint, invalid settings).

Stages: ``model`` (given, or found by the smallest-network search), ``normalize``, ``trace``,
``encode``, ``fsm``, ``regress`` (candidate programs from every state view, §9), ``verify`` (the
three checks of :mod:`mips.program.verify`; the shortest candidate that passes them wins, else the
state-table fallback).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal

from mips.encodings import choose_encoding, prepare_states
from mips.encodings.base import Encoding
from mips.encodings.behaviour import find_behavioural
from mips.encodings.choose import EncodingChoice
from mips.errors import ConfigError, MipsError, check_choice, check_float, check_int
from mips.machine.extract import FSMResult, extract_fsm
from mips.network.adapters import LoadedNetwork, load_network, task_mismatch
from mips.network.checkpoint import Checkpoint
from mips.network.interface import RecurrentNetwork, as_network
from mips.network.rnn import RNN, RNNWeights
from mips.normalizers import normalize
from mips.normalizers.chain import NormalizationReport
from mips.program.program import Program
from mips.program.readable import polish, readability, task_constants
from mips.program.synthesis import Synthesis, synthesize, table_program
from mips.tasks.dataset import Dataset, make_dataset
from mips.tasks.spec import TaskSpec
from mips.tasks.taskfile import resolve_task
from mips.network.trace import HiddenTrace, trace
from mips.program.check_sets import prepare_checks_or_skip
from mips.tasks.label_cache import with_label_cache
from mips.program.verify import Verification, verify_program

log = logging.getLogger(__name__)

STAGES = ("model", "normalize", "trace", "encode", "fsm", "regress", "verify")
Status = Literal["ok", "failed", "skipped"]
EventFn = Callable[[dict], None]
MAX_CANDIDATES_VERIFIED = 4      # shortest synthesised programs considered (each also simplified)
MAX_RUNNERS_UP = 2               # verified programs reported besides the chosen one
MAX_FSM_CANDIDATES = 6
BEHAVIOUR_PROBE_LENGTHS = (2, 3, 4)


def _conflicts(fsm: FSMResult) -> int:
    return len(fsm.transition_conflicts) + len(fsm.output_conflicts)


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
        Budget of the smallest-network search when no model is given.
    seed : int
    """

    n_sequences: int | None = None
    n_trace_sequences: int = 16_384
    normalize: bool = True
    regression_seconds: float = 3.0
    length_factor: int = 5
    search_seconds: float = 1800.0
    seed: int = 0

    def __post_init__(self) -> None:
        owner = "PipelineConfig"
        if self.n_sequences is not None:
            check_int(owner, "n_sequences", self.n_sequences, 10, 10_000_000)
        check_int(owner, "n_trace_sequences", self.n_trace_sequences, 1, 1_000_000)
        check_float(owner, "regression_seconds", self.regression_seconds, 0.0, 3600.0, low_open=True)
        check_int(owner, "length_factor", self.length_factor, 0, 100)
        check_float(owner, "search_seconds", self.search_seconds, 0.0, 1e6, low_open=True)
        check_int(owner, "seed", self.seed, 0)


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
        from mips.program.codegen import to_source
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


def polished_candidates(syn: Synthesis | None, choice: EncodingChoice | None, spec: TaskSpec) -> list[Program]:
    """The shortest synthesised programs, each simplified and named by evidence, plus its raw form
    when that differs (verification decides; :mod:`mips.program.readable` then picks what reads best)."""
    if syn is None:
        return []
    raw = list(syn.programs[:MAX_CANDIDATES_VERIFIED])
    if choice is None:
        return raw
    x = choice.data.inputs[choice.data.x_index]
    out: list[Program] = []
    seen: set[tuple] = set()
    for p in raw:
        for q in (polish(p, x, spec.input_values), p):
            key = (q.state, q.initial, tuple(f.expr for f in q.updates), tuple(f.expr for f in q.outputs))
            if key not in seen:
                seen.add(key)
                out.append(q)
    return out


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
    last = STAGES.index(check_choice("run_pipeline", "until", until, STAGES)) if until else len(STAGES) - 1
    emit = on_event or (lambda event: None)
    stages: dict[str, StageResult] = {}
    art: dict[str, Any] = {}
    stopped: list[str] = []                 # the stage at which should_stop() said stop
    if model is not None:
        art["model"], art["training"] = _as_model(model)

    def stage(name: str, fn: Callable[[], tuple[Status, str, Any]]) -> Any:
        index = STAGES.index(name)
        # verification also runs after a failed regression: the state-table fallback remains
        needed = [s for s in STAGES[:index] if not (name == "verify" and s == "regress")]
        blocked = next((s for s in needed if s in stages and stages[s].status == "failed"), None)
        if not stopped and index <= last and should_stop is not None and should_stop():
            stopped.append(name)
        if index > last or blocked or stopped:
            why = (f"after '{STAGES[last]}'" if index > last else "stopped" if stopped else
                   f"'{blocked}' did not succeed")
            stages[name] = StageResult(name=name, status="skipped", seconds=0.0, message=f"skipped: {why}")
            return None
        emit({"event": "stage_start", "stage": name, "task": spec.name})
        t0 = time.perf_counter()
        try:
            status, message, value = fn()
        except MipsError as exc:
            # misuse of a later stage's inputs is still a bug worth seeing, but scientific
            # failures inside the numerical stages must not take the whole run down
            if isinstance(exc, ConfigError) and name == "model":
                raise
            status, message, value = "failed", f"{type(exc).__name__}: {exc}", None
        seconds = time.perf_counter() - t0
        stages[name] = StageResult(name=name, status=status, seconds=seconds, message=message, artefact=value)
        emit({"event": "stage_end", "stage": name, "task": spec.name, "status": status,
              "seconds": seconds, "message": message})
        log.info("%s %s: %s (%.2f s) %s", spec.name, name, status, seconds, message)
        return value

    def get_dataset() -> Dataset:
        if "dataset" not in art:
            art["dataset"] = dataset if dataset is not None else make_dataset(
                spec, n_sequences=config.n_sequences, seed=42)
        return art["dataset"]

    def do_model():
        if "model" in art:
            m = art["model"]
            problem = task_mismatch(as_network(m), spec)
            if problem:
                raise ConfigError(problem)
            acc = art["training"].get("test_accuracy")
            shown = m.config.describe() if isinstance(m, RNN) else m.describe()
            return "ok", f"given network {shown}" + (f", test accuracy {acc:.4%}" if isinstance(acc, float) else ""), m
        from mips.network.paper_search import search
        res = search(spec, dataset=get_dataset(), time_budget_seconds=config.search_seconds,
                     should_stop=should_stop)
        if res.best is None:
            return "failed", "the search found no network", None
        art["model"], art["training"] = res.best.model, res.best.metadata()
        status = "ok" if res.found else "failed"
        return status, res.summary(), res.best.model

    stage("model", do_model)
    m = art.get("model")
    network = as_network(m) if m is not None else None
    weights = m.weights(0) if isinstance(m, RNN) else None      # the MIPS RNN's, which the normalizers read

    def do_normalize():
        if not config.normalize:
            return "ok", "normalizers switched off", None
        if weights is None:   # not a stage failure: the later stages run on the network as it is
            return "skipped", (f"skipped: the normalizers are specific to the MIPS RNN; this network is "
                               f"{network.describe()}"), None
        report = normalize(weights, get_dataset())
        accepted = [s.name for s in report.steps if s.accepted and s.changed]
        return "ok", f"applied {', '.join(accepted) or 'none'}", report

    norm = stage("normalize", do_normalize)
    traced = as_network(norm.final) if norm is not None else network

    def do_trace():
        ds = get_dataset()
        n = min(config.n_trace_sequences, ds.x_train.shape[0])
        tr = trace(traced, ds.x_train[:n], ds.y_train[:n], task=spec.name)
        return "ok", f"{n:,} sequences x {tr.seq_len} steps, H = {tr.hidden_dim}", tr

    tr = stage("trace", do_trace)

    def do_encode():
        choice = choose_encoding(prepare_states(tr))
        if choice.chosen is None:
            return "failed", "no encoding found: " + "; ".join(f.message for f in choice.failures), choice
        return "ok", choice.chosen.summary, choice

    choice = stage("encode", do_encode)

    def do_fsm():
        # the chosen encoding's machine, unless it has conflicts (two successors for one state and
        # input, or two outputs for one state) and a runner-up encoding gives a clean one
        result = best = extract_fsm(choice)
        note = ""
        if _conflicts(result):
            others = [c for c in choice.candidates if c is not choice.chosen and not c.output_exceptions]
            for enc in others[:MAX_FSM_CANDIDATES]:
                alt = extract_fsm(choice, enc)
                if _conflicts(alt) < _conflicts(best):
                    best = alt
                if not _conflicts(best):
                    break
            # group states by behaviour, with short probes first (long ones leave the lengths
            # the network was trained on)
            for length in BEHAVIOUR_PROBE_LENGTHS:
                if not _conflicts(best) or traced is None:
                    break
                found = find_behavioural(choice.data, traced, length=length, seed=config.seed)
                if isinstance(found, Encoding):
                    alt = extract_fsm(choice, found)
                    if _conflicts(alt) < _conflicts(best):
                        best = alt
            if best is not result:
                note = (f" (the chosen encoding's machine had {_conflicts(result)} conflicts; "
                        f"using the {best.encoding.kind} encoding ({best.encoding.method}), "
                        f"{best.encoding.n_states} states)")
        return "ok", f"{best.status}: {best.message}{note}", best

    fsm = stage("fsm", do_fsm)

    def do_regress():
        syn = synthesize(choice.data, choice, task=spec.name, fsm=fsm,
                         time_budget_seconds=config.regression_seconds)
        if not syn.programs:
            note = "; a state table remains" if fsm is not None and fsm.minimal is not None else ""
            return "failed", "no symbolic program: " + "; ".join(syn.failures) + note, syn
        best = syn.programs[0]
        return "ok", f"{len(syn.programs)} candidate program(s); shortest: {best.method}, size {best.size}", syn

    syn = stage("regress", do_regress)
    program = verification = None
    alternatives: tuple = ()

    def do_verify():
        nonlocal program, verification, alternatives
        candidates = polished_candidates(syn, choice, spec)
        table = table_program(fsm, spec.name, spec.input_dim) if fsm is not None else None
        tried: list[tuple[Program, Verification]] = []
        # a check whose labels the task cannot compute within its limits is skipped, not fatal
        checks, skipped = prepare_checks_or_skip(spec, dataset=get_dataset(), weights=network,
                                                 length_factor=config.length_factor, seed=config.seed)
        # most readable first: the first verified one is the choice, then up to MAX_RUNNERS_UP more
        allowed = task_constants(spec.input_values)
        candidates.sort(key=lambda p: (readability(p, allowed).score, p.size))
        for cand in candidates:
            v = verify_program(cand, spec, checks=checks, weights=network,
                               encoding=fsm.encoding if fsm is not None else None, trace_weights=traced)
            tried.append((cand, v))
            if sum(w.task_accuracy == 1.0 for _, w in tried) > MAX_RUNNERS_UP:
                break
        if table is not None and not any(v.task_accuracy == 1.0 for _, v in tried):
            tried.append((table, verify_program(table, spec, checks=checks, weights=network,
                                                encoding=fsm.encoding, trace_weights=traced)))
        if not tried:
            return "failed", "no program to verify", None
        # the most readable symbolic program right on the task; else the table if right; else the best try
        good = sorted(((p, v) for p, v in tried if v.task_accuracy == 1.0),
                      key=lambda pv: (pv[0].kind != "symbolic", readability(pv[0], allowed).score, pv[0].size))
        program, verification = good[0] if good else max(tried, key=lambda pv: pv[1].task_accuracy)
        alternatives = tuple((p, v) for p, v in good[1:] if p.kind == "symbolic")
        status = "ok" if verification.task_accuracy == 1.0 and program.kind == "symbolic" else "failed"
        msg = f"{program.kind} program ({program.method}): {verification.summary()}"
        if program.kind == "table":
            msg += "; a state table is not a symbolic solve"
        elif alternatives:
            msg += f"; the most readable of {len(alternatives) + 1} verified programs"
        if skipped:
            msg += "; " + "; ".join(skipped)
        return status, msg, verification

    stage("verify", do_verify)
    return PipelineResult(task=spec, config=config, stages=stages, model=m if isinstance(m, RNN) else None,
                          weights=weights, network=network,
                          training=art.get("training", {}), dataset=art.get("dataset"), normalization=norm,
                          trace=tr, encoding=choice, fsm=fsm, synthesis=syn, program=program,
                          verification=verification, alternatives=alternatives,
                          seconds=time.perf_counter() - start)
