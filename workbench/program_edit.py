"""Edit-and-re-verify for the Program page (pure: no streamlit).

An edited program is never executed: :func:`mips.program.codegen.parse_program` reads it into a
:class:`~mips.program.program.Program` (rejecting anything outside the program grammar with a
line-numbered message) and :func:`mips.program.verify.verify_program` interprets it against the task, the
network and longer sequences. The page shows the returned :class:`EditCheck` as it is.

Two lines of defence: the grammar check runs first, in this process, on at most
``MAX_SOURCE_CHARS`` characters (every construct outside the grammar is refused with its name and
line; the combined updates are refused before they are built once they pass ``MAX_NODES``
operations; names that shadow ``x``, ``xs``, ``ys`` are refused; constants and initial values stay
within 2**53); then parsing and verification run again in an isolated child process
(:mod:`mips.sandbox`, limits ``EDIT_LIMITS``), so a program that would take too long or too much
memory to check ends as an ``error`` outcome naming the limit, never as a hung or crashed app. The
child's reply is plain data, checked field by field (:func:`_from_reply`) before it is shown.
Arithmetic is overflow-checked, so "verified" never stands for a program whose Python differs.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass
from typing import Literal

import numpy as np

from mips.program.codegen import ProgramSyntaxError, parse_program, to_latex, to_source
from mips.encodings.base import Encoding
from mips.errors import MipsError, SandboxError
from mips.network.interface import RecurrentNetwork
from mips.pipeline import PipelineResult
from mips.program.limits import LATEX_NOTE, MAX_PROGRAM_CHARS
from mips.program.program import Program
from mips.sandbox import SandboxLimits, run_sandboxed
from mips.tasks.dataset import Dataset
from mips.tasks.registry import get_task
from mips.tasks.spec import TaskSpec
from mips.program.verify import Checks, Counterexample, Verification, prepare_checks, verify_program

MAX_SOURCE_CHARS = MAX_PROGRAM_CHARS   # the one bound of mips.program.limits
EDIT_LIMITS = SandboxLimits(cpu_seconds=60.0, memory_mb=4096, wall_seconds=180.0)

Outcome = Literal["verified", "failed", "syntax_error", "error"]


@dataclass(frozen=True, slots=True, kw_only=True)
class EditCheck:
    """The outcome of checking an edited program.

    Attributes
    ----------
    outcome : {"verified", "failed", "syntax_error", "error"}
        ``verified``: right on every checked sequence of the task, the network and the longer
        sequences; ``failed``: parsed but wrong somewhere (see ``verification.counterexample``);
        ``syntax_error``: outside the program grammar (``message`` names the line); ``error``: it
        could not be checked against this task (e.g. wrong number of inputs).
    message : str
    line : int or None
        Line of a syntax error.
    source : str
        The source that was checked.
    program : Program or None
    verification : Verification or None
    """

    outcome: Outcome
    message: str
    source: str
    line: int | None = None
    program: Program | None = None
    verification: Verification | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "verified"


def _parse(source: str, spec_name: str, input_dim: int) -> Program | EditCheck:
    """The grammar check: a Program, or a ``syntax_error`` EditCheck naming the line."""
    try:
        return parse_program(source, task=spec_name, input_dim=input_dim)
    except ProgramSyntaxError as exc:
        line = getattr(exc, "line", None)
        text = str(exc)
        if line is not None and f"line {line}" not in text:
            text = f"line {line}: {text}"
        return EditCheck(outcome="syntax_error", message=text, source=source, line=line)


def _unavailable(*args: object) -> None:
    raise SandboxError("The task's labels are not available in the edited-program check.", kind="raised")


def _stand_in(fields: dict) -> TaskSpec:
    """A TaskSpec with the task's shape only (its labels are already in the prepared checks)."""
    return TaskSpec(**fields, sample_inputs=_unavailable, compute_outputs=_unavailable, reference=_unavailable)


def _task_in_child(ref: tuple) -> TaskSpec:
    kind, value = ref
    return get_task(value) if kind == "builtin" else _stand_in(value)


def _check(source: str, spec: TaskSpec, *, checks: Checks | None, dataset: Dataset | None,
           network: RecurrentNetwork | None, traced: RecurrentNetwork | None, encoding: Encoding | None,
           length_factor: int, seed: int) -> EditCheck:
    """Parse and verify (the body of the sandboxed check): against ``network`` (the given one), with the
    encoded states of a counterexample read from ``traced`` (the network the encoding was fitted on)."""
    program = _parse(source, spec.name, spec.input_dim)
    if isinstance(program, EditCheck):
        return program
    try:
        v = verify_program(program, spec, checks=checks, dataset=dataset, weights=network, encoding=encoding,
                           trace_weights=traced, length_factor=length_factor, seed=seed)
    except MipsError as exc:
        return EditCheck(outcome="error", message=str(exc), source=source, program=program)
    if v.passed:
        return EditCheck(outcome="verified", message=f"Verified: {v.summary()}.", source=source, program=program,
                         verification=v)
    ce = v.counterexample
    where = ""
    if ce is not None:
        against = {"task": "the task", "network": "the network", "length": f"the task on length {v.length}"}
        where = (f" First counterexample: sequence {ce.sequence} disagrees with {against.get(ce.against, ce.against)} "
                 f"at step {ce.first_wrong_step}" + (f" ({ce.error})" if ce.error else "") + ".")
    return EditCheck(outcome="failed", message=f"Not verified: {v.summary()}.{where}", source=source,
                     program=program, verification=v)


def _check_in_child(source: str, task_ref: tuple, checks: Checks | None, dataset: Dataset | None,
                    network: RecurrentNetwork | None, traced: RecurrentNetwork | None, encoding: Encoding | None,
                    length_factor: int, seed: int) -> dict:
    """Sandboxed: rebuild the task, parse and verify; reply with plain data only (see ``_from_reply``)."""
    spec = _task_in_child(task_ref)
    check = _check(source, spec, checks=checks, dataset=dataset, network=network, traced=traced, encoding=encoding,
                   length_factor=length_factor, seed=seed)
    v = check.verification
    reply: dict = {"outcome": check.outcome, "message": check.message, "line": check.line, "verification": None}
    if v is not None:
        reply["verification"] = {**v.to_dict(), "length": v.length, "seconds": v.seconds,
                                 "counterexample": None if v.counterexample is None
                                 else _plain(v.counterexample.to_dict())}
    return reply


def _plain(value: object) -> object:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


_MAX_STEPS = 10_000


def _from_reply(reply: object, source: str, program: Program) -> EditCheck:
    """The child's reply is untrusted data: check every field before building the EditCheck."""
    bad = EditCheck(outcome="error", message="The sandboxed check sent back a malformed result.", source=source,
                    program=program)
    if not (isinstance(reply, dict) and set(reply) == {"outcome", "message", "line", "verification"}
            and reply["outcome"] in ("verified", "failed", "syntax_error", "error")
            and isinstance(reply["message"], str) and (reply["line"] is None or type(reply["line"]) is int)):
        return bad
    verification = None
    v = reply["verification"]
    if v is not None:
        fraction = (lambda f: isinstance(f, float) and 0.0 <= f <= 1.0)
        if not (isinstance(v, dict) and fraction(v.get("task_accuracy"))
                and all(v.get(k) is None or fraction(v.get(k)) for k in ("rnn_agreement", "length_generalization"))
                and all(type(v.get(k)) is int and v.get(k) >= 0 for k in ("n_sequences", "length"))
                and type(v.get("exhaustive")) is bool and isinstance(v.get("seconds"), float)):
            return bad
        ce = v.get("counterexample")
        counterexample = None
        if ce is not None:
            if not (isinstance(ce, dict) and ce.get("against") in ("task", "network", "length")
                    and all(type(ce.get(k)) is int for k in ("sequence", "first_wrong_step"))
                    and all(isinstance(ce.get(k), list) and len(ce[k]) <= _MAX_STEPS
                            for k in ("inputs", "expected", "got", "steps"))
                    and all(isinstance(row, dict) and all(isinstance(k, str) for k in row) for row in ce["steps"])
                    and (ce.get("error") is None or isinstance(ce.get("error"), str))):
                return bad
            counterexample = Counterexample(**{k: ce[k] for k in ("against", "sequence", "inputs", "expected", "got",
                                                                 "first_wrong_step", "steps", "error")})
        verification = Verification(task_accuracy=v["task_accuracy"], rnn_agreement=v["rnn_agreement"],
                                    n_sequences=v["n_sequences"], exhaustive=v["exhaustive"],
                                    length_generalization=v["length_generalization"], length=v["length"],
                                    counterexample=counterexample, seconds=v["seconds"])
    if reply["outcome"] == "verified" and (verification is None or not verification.passed):
        return bad
    return EditCheck(outcome=reply["outcome"], message=reply["message"], source=source, line=reply["line"],
                     program=None if reply["outcome"] == "syntax_error" else program,
                     verification=verification)


def _task_ref(spec: TaskSpec, result: PipelineResult, factor: int) -> tuple[tuple, Checks | None]:
    """How the child gets the task: by built-in name, by task file, or as a shape with prepared checks."""
    if spec.source == "builtin":
        try:
            if get_task(spec.name) == spec:
                return ("builtin", spec.name), None
        except MipsError:
            pass
    # a custom task: its labels are computed here (in their own sandboxed children) before the check
    fields = {f: getattr(spec, f) for f in ("name", "description", "family", "input_dim", "input_values",
                                             "seq_len", "output_dim", "train_fraction")}
    checks = prepare_checks(spec, dataset=result.dataset, weights=result.network, length_factor=factor,
                            seed=result.config.seed)
    return ("shape", fields), checks


def _test_split(dataset: Dataset | None) -> Dataset | None:
    """The dataset as the check reads it: the test split only (a task without an exhaustive check set
    is verified on it). The training split is most of the data, and sending it to the child took
    longer than the check itself (Binary_Addition: 240 MB, about 3 s a check)."""
    if dataset is None:
        return None
    return Dataset(task=dataset.task, seed=dataset.seed, x_train=dataset.x_train[:0], y_train=dataset.y_train[:0],
                   x_test=dataset.x_test, y_test=dataset.y_test)


def _picklable(obj: object) -> bool:
    try:
        pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - anything unpicklable is simply left out
        return False
    return True


def check_edited_program(source: str, result: PipelineResult, *, length_factor: int | None = None,
                         limits: SandboxLimits | None = None) -> EditCheck:
    """Parse ``source`` and verify it the way the pipeline verified its own program, in a sandbox.

    Parameters
    ----------
    source : the edited Python source (``def f(xs): ...``)
    result : the pipeline run whose task, dataset and network the program is checked against
    length_factor : longer-sequence check (default: the pipeline's setting)
    limits : limits of the sandboxed check (default ``EDIT_LIMITS``)

    Returns
    -------
    EditCheck
        Never raises for a bad program: a limit that fired is an ``error`` outcome whose message
        names the limit.
    """
    spec = result.task
    if not isinstance(source, str):
        return EditCheck(outcome="syntax_error", message=f"The program must be text. Got {type(source).__name__}.",
                         source=str(source))
    if len(source) > MAX_SOURCE_CHARS:
        return EditCheck(outcome="syntax_error", source=source,
                         message=f"The program is {len(source):,} characters long; at most {MAX_SOURCE_CHARS:,} "
                                 f"are allowed. Shorten it.")
    first = _parse(source, spec.name, spec.input_dim)  # first line of defence, cheap and bounded
    if isinstance(first, EditCheck):
        return first
    # the network the pipeline verified against (the MIPS RNN or an uploaded GRU / LSTM / nn.RNN), and the
    # encoding the machine was read with, applied to the states of the network it was fitted on
    # (normalized when the normalizers ran), as the pipeline's own verification does
    encoding = result.fsm.encoding if result.fsm is not None else (
        result.encoding.chosen if result.encoding is not None else None)
    if encoding is not None and not _picklable(encoding):
        encoding = None
    factor = result.config.length_factor if length_factor is None else length_factor
    limits = EDIT_LIMITS if limits is None else limits
    try:
        task_ref, checks = _task_ref(spec, result, factor)
        reply = run_sandboxed(_check_in_child, source, task_ref, checks, _test_split(result.dataset) if checks is None else None,
                              result.network, result.traced_network, encoding, factor, result.config.seed,
                              limits=limits,
                              what="Checking the edited program", require_isolation=False)
    except MipsError as exc:
        return EditCheck(outcome="error", message=str(exc), source=source, program=first)
    return _from_reply(reply, source, first)


def program_latex(program: Program) -> str | None:
    """LaTeX of a symbolic program (None for tables, for a program over the typesetting work budget,
    or when sympy cannot print it)."""
    return latex_or_note(program)[0]


def latex_or_note(program: Program) -> tuple[str | None, str | None]:
    """``(latex, None)``, or ``(None, one-line note)`` when the program is over the typesetting work
    budget (:data:`mips.program.limits.MAX_LATEX_WORK`, counted before sympy runs), or ``(None, None)``
    for tables and expressions sympy cannot print."""
    if program.kind != "symbolic":
        return None, None
    try:
        return to_latex(program), None
    except Exception as exc:  # sympy printing of unusual expressions is best effort
        return None, (LATEX_NOTE if str(exc) == LATEX_NOTE else None)


def report_json(result: PipelineResult, edit: EditCheck | None = None, accepted: dict | None = None) -> str:
    """The pipeline's JSON report, plus the edited program and its verification when there is one, and
    the accepted program (``accepted_program``: the record of :func:`workbench.program_accept.accepted_record`,
    or null when none was accepted)."""
    report = result.report()
    if edit is not None and edit.program is not None:
        report["edited_program"] = {"program": to_source(edit.program), "outcome": edit.outcome,
                                    "message": edit.message,
                                    "verification": edit.verification.to_dict() if edit.verification else None,
                                    "counterexample": (edit.verification.counterexample.to_dict()
                                                       if edit.verification and edit.verification.counterexample
                                                       else None)}
    report["accepted_program"] = accepted
    return json.dumps(report, indent=1, default=_json_default)


def _json_default(o):
    try:
        import numpy as np
        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, np.ndarray):
            return o.tolist()
    except ImportError:  # pragma: no cover
        pass
    return str(o)
