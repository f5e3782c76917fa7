"""Entry point of the MIPS workbench: it only routes to the pages."""

from pathlib import Path

import streamlit as st

HERE = Path(__file__).parent

st.set_page_config(page_title="MIPS workbench", layout="wide")
st.navigation([
    st.Page(HERE / "pages" / "home.py", title="Home / Task", default=True),
]).run()
