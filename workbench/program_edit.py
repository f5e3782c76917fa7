"""Edit-and-re-verify for the Program page (pure: no streamlit).

An edited program is never executed: :func:`mips.codegen.parse_program` reads it into a
:class:`~mips.program.Program` (rejecting anything outside the program grammar with a
line-numbered message) and :func:`mips.verify.verify_program` interprets it against the task, the
network and longer sequences. The page shows the returned :class:`EditCheck` as it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from mips.codegen import ProgramSyntaxError, parse_program, to_latex, to_source
from mips.errors import MipsError
from mips.pipeline import PipelineResult
from mips.program import Program
from mips.verify import Verification, verify_program

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


def check_edited_program(source: str, result: PipelineResult, *, length_factor: int | None = None) -> EditCheck:
    """Parse ``source`` and verify it the way the pipeline verified its own program.

    Parameters
    ----------
    source : the edited Python source (``def f(xs): ...``)
    result : the pipeline run whose task, dataset and network the program is checked against
    length_factor : longer-sequence check (default: the pipeline's setting)
    """
    spec = result.task
    try:
        program = parse_program(source, task=spec.name, input_dim=spec.input_dim)
    except ProgramSyntaxError as exc:
        line = getattr(exc, "line", None)
        text = str(exc)
        if line is not None and f"line {line}" not in text:
            text = f"line {line}: {text}"
        return EditCheck(outcome="syntax_error", message=text, source=source, line=line)
    encoding = None
    if result.encoding is not None and result.normalization is None:
        encoding = result.encoding.chosen
    factor = result.config.length_factor if length_factor is None else length_factor
    try:
        v = verify_program(program, spec, dataset=result.dataset, weights=result.weights, encoding=encoding,
                           length_factor=factor, seed=result.config.seed)
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


def program_latex(program: Program) -> str | None:
    """LaTeX of a symbolic program (None for tables or when sympy cannot print it)."""
    if program.kind != "symbolic":
        return None
    try:
        return to_latex(program)
    except Exception:  # sympy printing of unusual expressions is best effort
        return None


def report_json(result: PipelineResult, edit: EditCheck | None = None) -> str:
    """The pipeline's JSON report, plus the edited program and its verification when there is one."""
    report = result.report()
    if edit is not None and edit.program is not None:
        report["edited_program"] = {"program": to_source(edit.program), "outcome": edit.outcome,
                                    "message": edit.message,
                                    "verification": edit.verification.to_dict() if edit.verification else None,
                                    "counterexample": (edit.verification.counterexample.to_dict()
                                                       if edit.verification and edit.verification.counterexample
                                                       else None)}
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
