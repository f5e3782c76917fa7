"""Accepting a program on the Program page: which programs may be accepted, the record kept, and
what the download holds (pure: no streamlit).

A program may be accepted when it is exact on the task: right on every checked sequence
(``task_accuracy == 1``). A state table that is not exact (Majority_0_1's table is right on 37% of
the sequences) is not offered. The accepted program goes into the JSON report
(``accepted_program``) and is what the ``.py`` download holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from mips.program.codegen import to_source
from mips.program.program import Program
from mips.program.verify import Verification


def acceptable(program: Program | None, verification: Verification | None) -> tuple[bool, str]:
    """Whether ``program`` may be accepted, and if not, why (one sentence for the page)."""
    if program is None:
        return False, "There is no program to accept."
    if verification is None:
        return False, "This program was not verified, so it cannot be accepted."
    if verification.task_accuracy != 1.0:
        kind = "state table" if program.kind == "table" else "program"
        return False, (f"This {kind} is right on {verification.task_accuracy:.2%} of the checked sequences, so it "
                       f"cannot be accepted; edit it below until it is verified.")
    return True, ""


def accepted_record(program: Program, verification: Verification, *, origin: str) -> dict:
    """What the session keeps, and the report holds, for an accepted program.

    ``origin``: ``"generated"`` (the pipeline's program) or ``"edited"`` (a verified edit).
    """
    return {"origin": origin, "kind": program.kind, "method": program.method, "program": to_source(program),
            "solved": program.kind == "symbolic" and verification.task_accuracy == 1.0,
            "verification": {**verification.to_dict(), "length": verification.length}}


@dataclass(frozen=True, slots=True)
class Download:
    source: str
    label: str
    help: str


def download_choice(accepted: dict | None, edited: Program | None, generated: str) -> Download:
    """The ``.py`` download: the accepted program, else a verified edit, else the generated program."""
    if accepted is not None:
        return Download(accepted["program"], "Download the accepted program (.py)",
                        f"The program you accepted ({accepted['origin']}).")
    if edited is not None:
        return Download(to_source(edited), "Download the verified edited program (.py)",
                        "Your edited program, verified; accept it to record it in the report.")
    return Download(generated or "# no program\n", "Download the generated program (.py)",
                    "The program the pipeline found (not accepted yet).")
