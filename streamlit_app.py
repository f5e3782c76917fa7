"""Entry point of the MIPS workbench: it routes to the pages and keeps the view in the URL."""

from pathlib import Path

import streamlit as st

from workbench import presentation, url_state
from workbench.plain_text import escape_markdown

HERE = Path(__file__).parent
PAGES = HERE / "pages"

st.set_page_config(page_title="MIPS workbench", layout="wide")
page = st.navigation([
    st.Page(PAGES / "home.py", title="Home / Task", icon=":material/home:", default=True),
    st.Page(PAGES / "train.py", title="Train", icon=":material/model_training:"),
    st.Page(PAGES / "hidden_states.py", title="Hidden states", icon=":material/scatter_plot:"),
    st.Page(PAGES / "normalizers.py", title="Normalizers", icon=":material/tune:"),
    st.Page(PAGES / "lattice.py", title="Lattice", icon=":material/grid_on:"),
    st.Page(PAGES / "state_machine.py", title="State machine", icon=":material/account_tree:"),
    st.Page(PAGES / "program.py", title="Program", icon=":material/code:"),
    st.Page(PAGES / "benchmark.py", title="Benchmark", icon=":material/leaderboard:"),
])
url_state.apply_url()                 # a link or a reload: its task and presentation mode
presentation.sidebar_toggle()
presentation.apply()
notice = url_state.take_notice()
if notice:
    st.warning(escape_markdown(notice))   # quotes the link
try:
    page.run()
finally:
    url_state.write_url()             # what the page chose goes back into the URL
