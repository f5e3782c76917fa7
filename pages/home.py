"""Home page: pick a task and see its definition and sample sequences."""

import streamlit as st

from workbench.tasks_view import sample_table, task_names, task_summary

st.title("MIPS workbench")
st.write("Turn a trained recurrent network into a readable, verified Python program. "
         "Pick one of the 62 benchmark tasks to see its definition and example sequences.")

name = st.selectbox("Task", task_names(), key="task_name")
summary = task_summary(name)
st.subheader(name)
st.write(summary["description"])
st.caption(summary["facts"])
st.dataframe(sample_table(name, n=5), hide_index=True)
