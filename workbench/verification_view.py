"""What a verification checked, said plainly, and its counterexample with the wrong steps marked
(pure: no streamlit).

"The whole test split" means different numbers in different places: the benchmark and the command
line generate 1,000,000 sequences per task, the workbench 20,000 (so a first analysis takes
seconds). :func:`check_rows` states each check's sequences and lengths, so a reader never has to
guess.
"""

from __future__ import annotations

import pandas as pd

from mips.program.verify import N_LENGTH_SEQUENCES, Verification
from workbench.tables import counterexample_rows

WRONG_ROW = "background-color: #fde2e1; color: #7a1712; font-weight: 600"
WRONG_CELL = "background-color: #f4a8a3; color: #5c0f0b; font-weight: 700"


def _pct(value: float | None) -> str:
    return "not run" if value is None else f"{value:.2%}"


def check_rows(v: Verification, *, seq_len: int, n_generated: int | None) -> list[dict]:
    """One row per check: what it compared, on which sequences (how many, how long), the result."""
    if v.exhaustive:
        on = f"all {v.n_sequences:,} possible input sequences of length {seq_len}"
    else:
        split = (f" (the test part of the {n_generated:,} sequences generated for this analysis)"
                 if n_generated else "")
        on = f"{v.n_sequences:,} test sequences of length {seq_len}{split}"
    rows = [{"check": "program vs task", "sequences checked": on,
             "result": f"{_pct(v.task_accuracy)} of sequences right at every step"}]
    if v.rnn_agreement is not None:
        rows.append({"check": "program vs network", "sequences checked": f"the same {v.n_sequences:,}",
                     "result": f"{_pct(v.rnn_agreement)} of sequences with the same output at every step"})
    if v.length_generalization is not None:
        rows.append({"check": "longer sequences", "sequences checked":
                     f"{N_LENGTH_SEQUENCES:,} random sequences of length {v.length} ({v.length // max(seq_len, 1)}x "
                     f"the training length)",
                     "result": f"{_pct(v.length_generalization)} of sequences right at every step"})
    else:
        rows.append({"check": "longer sequences", "sequences checked": "none", "result": "not run"})
    return rows


def checks_sentence(v: Verification, *, seq_len: int) -> str:
    """The checks in one sentence, with the number of sequences of each."""
    where = (f"all {v.n_sequences:,} possible sequences" if v.exhaustive
             else f"{v.n_sequences:,} test sequences")
    parts = [f"task {v.task_accuracy:.2%} of {where} of length {seq_len}"]
    if v.rnn_agreement is not None:
        parts.append(f"network agreement {v.rnn_agreement:.2%} on the same {v.n_sequences:,}")
    if v.length_generalization is not None:
        parts.append(f"{v.length_generalization:.2%} of {N_LENGTH_SEQUENCES:,} sequences of length {v.length}")
    return "; ".join(parts)


def counterexample_table(steps: list[dict]):
    """The counterexample trace as a styled table: wrong steps shaded, their outputs marked.

    Returns a pandas ``Styler`` (``st.dataframe`` shows its colours); the ``ok`` column says
    ``WRONG`` in words as well, so the mark does not rely on colour alone.
    """
    rows = counterexample_rows(steps)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    cols = ["ok"] + [c for c in frame.columns if c != "ok"]
    frame = frame[cols]
    wrong = frame["ok"] == "WRONG"
    marked = [c for c in ("program_output", "expected", "ok") if c in frame.columns]

    def shade(row: pd.Series) -> list[str]:
        if not wrong.loc[row.name]:
            return [""] * len(row)
        return [WRONG_CELL if c in marked else WRONG_ROW for c in row.index]

    return frame.style.apply(shade, axis=1)


def wrong_steps(steps: list[dict]) -> list[int]:
    """Indices of the steps whose program output differs from the expected one."""
    return [i for i, row in enumerate(counterexample_rows(steps)) if row["ok"] == "WRONG"]


def readability_caption(program, task) -> str:
    """One line on how a program reads: its score (lower reads better), size, variables and flags."""
    from mips.program.readable import readability, task_constants
    r = readability(program, task_constants(task.input_values))
    flags = f"; reads poorly: {', '.join(r.flags)}" if r.flags else ""
    return (f"readability score {r.score:g} (lower reads better): size {r.size}, "
            f"{r.n_vars} state variable{'s' if r.n_vars != 1 else ''}{flags}")
