"""Benchmark: the zoo benchmark table next to the paper's MIPS and GPT-4 columns."""

import streamlit as st

from workbench import presentation, routing
from workbench.bench import (BenchResultsError, filter_rows, filter_summary, load_results, overlap_counts,
                             results_path, shown_counts, solved_counts, table_frame, table_rows)
from workbench.charts import solved_counts_figure
from workbench.page_table import heading

routing.ensure_routed()

st.title(heading("benchmark"))
st.write("The whole pipeline run on every task's zoo network: a task counts as solved when a symbolic program is "
         "right on every checked sequence. The paper's MIPS and GPT-4 columns are the results reported in the paper. "
         "Click a task's link to open its program in the workbench.")


@st.cache_data(show_spinner=False)
def _load(path: str, stamp: float):
    return load_results(path)


path = results_path()
try:
    data = _load(str(path), path.stat().st_mtime if path.is_file() else 0.0)
except BenchResultsError as exc:
    data = None
    st.error(str(exc))
else:
    if data is None:
        st.info(f"No benchmark results yet ({path.name} is absent). Produce them with `make bench` "
                f"(the pipeline on every zoo network), then reload this page.")

if data is not None:
    counts, total = solved_counts(data)
    cols = st.columns(len(counts) + 1)
    for col, (name, n) in zip(cols, counts.items()):
        col.metric(name, f"{n}/{total}")
    rows = table_rows(data)
    overlap = overlap_counts(rows)
    cols[-1].metric("Only solved here", overlap["only by this workbench"])
    st.caption(" · ".join(f"{k}: {v}" for k, v in overlap.items()))

    f1, f2, f3, f4 = st.columns(4)
    options = ["all", "solved", "not solved"]
    ours = f1.selectbox("This workbench", options, key="bench_ours")
    paper = f2.selectbox("MIPS (paper)", options, key="bench_paper")
    gpt4 = f3.selectbox("GPT-4 (paper)", options, key="bench_gpt4")
    text = f4.text_input("Task name contains", key="bench_text")
    shown = filter_rows(rows, ours=ours, paper=paper, gpt4=gpt4, text=text)
    active = filter_summary(ours=ours, paper=paper, gpt4=gpt4, text=text)

    shown_solved, shown_total = shown_counts(shown)
    fig = solved_counts_figure(shown_solved, shown_total)
    fig.update_layout(title=dict(text=f"Solved among the {shown_total} tasks shown"
                                 + (f" ({active})" if active else " (all tasks)"), x=0.0, xanchor="left"),
                      margin=dict(t=50))
    st.plotly_chart(presentation.style_figure(fig), key="bench_chart")

    st.caption(f"{len(shown)} of {len(rows)} tasks shown. An empty cell has no value: the run stopped before it "
               f"(see 'failed stage') or it does not apply (no state count for an unbounded lattice). "
               f"Source: {path.name}.")
    frame = table_frame(shown)
    st.dataframe(frame, hide_index=True, key="bench_table", placeholder="",      # empty cells stay empty
                 column_config={"paper_index": st.column_config.NumberColumn("#", width="small"),
                                "task": st.column_config.TextColumn("task", width="medium"),
                                "open": st.column_config.LinkColumn("open", display_text="program →",
                                                                    help="Open this task's program in the workbench"),
                                "solved": st.column_config.CheckboxColumn("solved here"),
                                "paper_mips_solved": st.column_config.CheckboxColumn("MIPS (paper)"),
                                "gpt4_solved": st.column_config.CheckboxColumn("GPT-4 (paper)"),
                                "exhaustive": st.column_config.CheckboxColumn("exhaustive"),
                                "program_kind": "program", "n_states": "states", "program_size": "size",
                                "failed_stage": "failed stage", "seconds": "seconds",
                                "task_accuracy": st.column_config.NumberColumn("task accuracy", format="%.4f"),
                                "rnn_agreement": st.column_config.NumberColumn("network agreement", format="%.4f"),
                                "length_generalization": st.column_config.NumberColumn("5x length", format="%.4f")})
