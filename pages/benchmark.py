"""Benchmark: the zoo benchmark table next to the paper's MIPS and GPT-4 columns."""

import streamlit as st

from workbench import session
from workbench.bench import (BenchResultsError, filter_rows, load_results, overlap_counts, results_path,
                             solved_counts, table_rows)
from workbench.figures import solved_counts_figure

session.ensure_routed()

st.title("Benchmark")
st.write("The whole pipeline run on every task's zoo network: a task counts as solved when a symbolic program is "
         "right on every checked sequence. The paper's MIPS and GPT-4 columns are the results reported in the paper.")


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
        st.info(f"No benchmark results yet ({path} is absent). Produce them with `make bench` "
                f"(the pipeline on every zoo network), then reload this page.")

if data is not None:
    counts, total = solved_counts(data)
    cols = st.columns(len(counts) + 1)
    for col, (name, n) in zip(cols, counts.items()):
        col.metric(name, f"{n}/{total}")
    rows = table_rows(data)
    overlap = overlap_counts(rows)
    cols[-1].metric("Only solved here", overlap["only by this workbench"])
    st.plotly_chart(solved_counts_figure(counts, total), key="bench_chart")
    st.caption(" · ".join(f"{k}: {v}" for k, v in overlap.items()))

    f1, f2, f3, f4 = st.columns(4)
    options = ["all", "solved", "not solved"]
    ours = f1.selectbox("This workbench", options, key="bench_ours")
    paper = f2.selectbox("MIPS (paper)", options, key="bench_paper")
    gpt4 = f3.selectbox("GPT-4 (paper)", options, key="bench_gpt4")
    text = f4.text_input("Task name contains", key="bench_text")
    shown = filter_rows(rows, ours=ours, paper=paper, gpt4=gpt4, text=text)
    st.caption(f"{len(shown)} of {len(rows)} tasks shown. Source: `{path}`.")
    st.dataframe(shown, hide_index=True, key="bench_table",
                 column_config={"solved": st.column_config.CheckboxColumn("solved here"),
                                "paper_mips_solved": st.column_config.CheckboxColumn("MIPS (paper)"),
                                "gpt4_solved": st.column_config.CheckboxColumn("GPT-4 (paper)"),
                                "exhaustive": st.column_config.CheckboxColumn("exhaustive")})
