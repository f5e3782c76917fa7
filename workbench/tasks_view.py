"""Task summaries and sample tables for the app (pure functions, no streamlit calls)."""

from __future__ import annotations


from mips.tasks import list_tasks, make_dataset
from mips.tasks.spec import TaskSpec


def task_names() -> list[str]:
    return [t.name for t in list_tasks()]


def spec_summary(t: TaskSpec) -> dict[str, str]:
    """The task's one-line description and its facts (alphabet, dimensions, length, split)."""
    values = t.input_values
    alphabet = f"{{{values[0]}..{values[-1]}}}" if len(values) > 3 else "{" + ", ".join(map(str, values)) + "}"
    facts = (f"{t.input_dim} input(s) per step from {alphabet}, {t.output_dim} output(s), "
             f"sequences of length {t.seq_len}, train/test split {t.train_fraction:.0%}/{1 - t.train_fraction:.0%}.")
    return {"description": t.description, "facts": facts}


def _fmt(v) -> str:
    return str(int(v[0])) if len(v) == 1 else "(" + ",".join(str(int(a)) for a in v) + ")"


def spec_samples(t: TaskSpec, n: int = 5) -> list[dict[str, str]]:
    """First ``n`` test sequences of a task as rows of input and output lists."""
    ds = make_dataset(t, n_sequences=max(50, 2 * n), seed=0)
    return [{"input": " ".join(_fmt(v) for v in x), "output": " ".join(_fmt(v) for v in y)}
            for x, y in zip(ds.x_test[:n], ds.y_test[:n])]
