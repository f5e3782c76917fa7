"""Benchmark results for the Benchmark page (pure: no streamlit).

``assets/bench/results.json`` (written by ``make bench``) holds ``{"summary": {...}, "rows": [...]}``
with one row per task. The environment variable ``MIPS_BENCH_RESULTS`` points the page at another
file (the tests use a small fixture).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RESULTS = ROOT / "assets" / "bench" / "results.json"
ENV_VAR = "MIPS_BENCH_RESULTS"
PAPER_MIPS_SOLVED = 32
GPT4_SOLVED = 30

#: Columns shown by default, in order (others remain available in the JSON).
TABLE_COLUMNS = ("paper_index", "task", "solved", "paper_mips_solved", "gpt4_solved", "program_kind", "method",
                 "encoding", "n_states", "program_size", "task_accuracy", "rnn_agreement",
                 "length_generalization", "exhaustive", "network", "failed_stage", "seconds", "message")


class BenchResultsError(ValueError):
    """The results file exists but cannot be used."""


def results_path() -> Path:
    """The results file the page reads: ``$MIPS_BENCH_RESULTS`` or ``assets/bench/results.json``."""
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else DEFAULT_RESULTS


def load_results(path: str | os.PathLike | None = None) -> dict | None:
    """Read the results file; None when it does not exist.

    Raises
    ------
    BenchResultsError
        The file is not JSON or lacks ``rows``.
    """
    p = Path(path) if path is not None else results_path()
    if not p.is_file():
        return None
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise BenchResultsError(f"Cannot read the benchmark results ({p.name}): it is not a readable JSON file. "
                                f"Rerun `make bench`.") from None
    if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
        raise BenchResultsError(f"'{p.name}' is not a benchmark results file (expected a dict with a 'rows' list). "
                                f"Rerun `make bench`.")
    data.setdefault("summary", {})
    return data


def table_rows(data: dict) -> list[dict]:
    """Rows with the default columns, in the paper's task order."""
    rows = [{c: r.get(c) for c in TABLE_COLUMNS} for r in data["rows"] if isinstance(r, dict)]
    return sorted(rows, key=lambda r: (r["paper_index"] is None, r["paper_index"] or 0, str(r["task"])))


def filter_rows(rows: list[dict], *, ours: str = "all", paper: str = "all", gpt4: str = "all",
                text: str = "") -> list[dict]:
    """Keep rows matching each filter (``"all"``, ``"solved"`` or ``"not solved"``) and a task-name substring."""
    def match(value, want: str) -> bool:
        return want == "all" or bool(value) == (want == "solved")

    text = text.strip().lower()
    return [r for r in rows if match(r.get("solved"), ours) and match(r.get("paper_mips_solved"), paper)
            and match(r.get("gpt4_solved"), gpt4) and (not text or text in str(r.get("task", "")).lower())]


def solved_counts(data: dict) -> tuple[dict[str, int], int]:
    """Solved counts (ours, paper's MIPS, GPT-4) and the total, from the summary or else the rows."""
    rows = [r for r in data["rows"] if isinstance(r, dict)]
    s = data.get("summary", {})
    total = int(s.get("total", len(rows)))
    ours = int(s.get("solved", sum(bool(r.get("solved")) for r in rows)))
    paper = int(s.get("paper_mips", PAPER_MIPS_SOLVED))
    gpt4 = int(s.get("gpt4", GPT4_SOLVED))
    return {"this workbench": ours, "MIPS (paper)": paper, "GPT-4 (paper)": gpt4}, total


def overlap_counts(rows: list[dict]) -> dict[str, int]:
    """How our solves overlap the paper's MIPS column."""
    us = {r["task"] for r in rows if r.get("solved")}
    paper = {r["task"] for r in rows if r.get("paper_mips_solved")}
    every = {r["task"] for r in rows}
    return {"solved by both": len(us & paper), "only by this workbench": len(us - paper),
            "only by the paper": len(paper - us), "by neither": len(every - us - paper)}


def shown_counts(rows: list[dict]) -> tuple[dict[str, int], int]:
    """Solved counts (ours, the paper's MIPS, GPT-4) among ``rows`` (the filtered table) and their number."""
    return ({"this workbench": sum(bool(r.get("solved")) for r in rows),
             "MIPS (paper)": sum(bool(r.get("paper_mips_solved")) for r in rows),
             "GPT-4 (paper)": sum(bool(r.get("gpt4_solved")) for r in rows)}, len(rows))


def filter_summary(*, ours: str = "all", paper: str = "all", gpt4: str = "all", text: str = "") -> str:
    """The active filters in words ("" when none), for the chart's title."""
    parts = [f"{who} {want}" for who, want in (("this workbench:", ours), ("MIPS (paper):", paper),
                                               ("GPT-4 (paper):", gpt4)) if want != "all"]
    if text.strip():
        parts.append(f"name contains '{text.strip()}'")
    return ", ".join(parts)


def task_link(task: str, page: str = "program") -> str:
    """A link that opens ``task`` on a workbench page (relative, so it works under any base URL)."""
    from urllib.parse import quote

    from workbench.page_table import page as page_info
    return f"./{page_info(page).url_path}?task={quote(str(task), safe='')}"


def table_frame(rows: list[dict]):
    """The rows as a data frame with a link per task (``open``: its Program page in the workbench)."""
    import pandas as pd

    frame = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    frame.insert(2, "open", [task_link(t) for t in frame["task"]])
    return frame

