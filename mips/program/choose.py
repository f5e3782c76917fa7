"""The program stage's last step: verify candidates and choose the one a person should read.

Candidates are the shortest synthesised programs, each also simplified and named by evidence
(:func:`polished_candidates`). They are verified most readable first; the first right on the task
is the choice and up to :data:`MAX_RUNNERS_UP` more verified ones are kept as alternatives. When
none is right, the network's state table (when the machine stage gave one) is verified as the
fallback; it is reported, but a table is not a symbolic solve.
"""

from __future__ import annotations

from dataclasses import dataclass

from mips.encodings.choose import EncodingChoice
from mips.machine.extract import FSMResult
from mips.network.interface import RecurrentNetwork
from mips.program.check_sets import prepare_checks_or_skip
from mips.program.program import Program
from mips.program.readable import polish, readability, task_constants
from mips.program.synthesis import Synthesis, table_program
from mips.program.verify import Verification, verify_program
from mips.tasks.dataset import Dataset
from mips.tasks.spec import TaskSpec

MAX_CANDIDATES_VERIFIED = 4      # shortest synthesised programs considered (each also simplified)
MAX_RUNNERS_UP = 2               # verified programs reported besides the chosen one


@dataclass(frozen=True, slots=True)
class ProgramChoice:
    """The chosen program, its verification, the verified runners-up, and the stage's account."""

    program: Program | None
    verification: Verification | None
    alternatives: tuple[tuple[Program, Verification], ...]
    solved: bool
    message: str


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


def choose_program(syn: Synthesis | None, choice: EncodingChoice | None, fsm: FSMResult | None, spec: TaskSpec, *,
                   dataset: Dataset, network: RecurrentNetwork | None, traced: RecurrentNetwork | None,
                   length_factor: int, seed: int) -> ProgramChoice:
    """Verify the candidates (three ways, :mod:`mips.program.verify`) and choose among them."""
    candidates = polished_candidates(syn, choice, spec)
    table = table_program(fsm, spec.name, spec.input_dim) if fsm is not None else None
    encoding = fsm.encoding if fsm is not None else None
    # a check whose labels the task cannot compute within its limits is skipped, not fatal
    checks, skipped = prepare_checks_or_skip(spec, dataset=dataset, weights=network,
                                             length_factor=length_factor, seed=seed)
    allowed = task_constants(spec.input_values)
    candidates.sort(key=lambda p: (readability(p, allowed).score, p.size))
    tried: list[tuple[Program, Verification]] = []
    for cand in candidates:
        v = verify_program(cand, spec, checks=checks, weights=network, encoding=encoding, trace_weights=traced)
        tried.append((cand, v))
        if sum(w.task_accuracy == 1.0 for _, w in tried) > MAX_RUNNERS_UP:
            break
    if table is not None and not any(v.task_accuracy == 1.0 for _, v in tried):
        tried.append((table, verify_program(table, spec, checks=checks, weights=network,
                                            encoding=encoding, trace_weights=traced)))
    if not tried:
        return ProgramChoice(None, None, (), False, "no program to verify")
    # the most readable symbolic program right on the task; else the table if right; else the best try
    good = sorted(((p, v) for p, v in tried if v.task_accuracy == 1.0),
                  key=lambda pv: (pv[0].kind != "symbolic", readability(pv[0], allowed).score, pv[0].size))
    program, verification = good[0] if good else max(tried, key=lambda pv: pv[1].task_accuracy)
    alternatives = tuple((p, v) for p, v in good[1:] if p.kind == "symbolic")
    solved = verification.task_accuracy == 1.0 and program.kind == "symbolic"
    msg = f"{program.kind} program ({program.method}): {verification.summary()}"
    if program.kind == "table":
        msg += "; a state table is not a symbolic solve"
    elif alternatives:
        msg += f"; the most readable of {len(alternatives) + 1} verified programs"
    if skipped:
        msg += "; " + "; ".join(skipped)
    return ProgramChoice(program, verification, alternatives, solved, msg)
