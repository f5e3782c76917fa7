"""Entry point of the MIPS workbench: it only routes to the pages."""

from pathlib import Path

import streamlit as st

HERE = Path(__file__).parent
PAGES = HERE / "pages"

st.set_page_config(page_title="MIPS workbench", layout="wide")
st.navigation([
    st.Page(PAGES / "home.py", title="Home / Task", icon=":material/home:", default=True),
    st.Page(PAGES / "train.py", title="Train", icon=":material/model_training:"),
    st.Page(PAGES / "hidden_states.py", title="Hidden states", icon=":material/scatter_plot:"),
    st.Page(PAGES / "normalizers.py", title="Normalizers", icon=":material/tune:"),
    st.Page(PAGES / "lattice.py", title="Lattice", icon=":material/grid_on:"),
    st.Page(PAGES / "state_machine.py", title="State machine", icon=":material/account_tree:"),
    st.Page(PAGES / "program.py", title="Program", icon=":material/code:"),
    st.Page(PAGES / "benchmark.py", title="Benchmark", icon=":material/leaderboard:"),
]).run()
