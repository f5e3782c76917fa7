"""Entry point of the MIPS workbench: it routes to the pages and keeps the view in the URL."""

from pathlib import Path

import streamlit as st

from workbench import presentation, url_state
from workbench.page_table import PAGES
from workbench.plain_text import escape_markdown

HERE = Path(__file__).parent

st.set_page_config(page_title="MIPS workbench", layout="wide")
page = st.navigation([st.Page(HERE / p.path, title=p.title, icon=p.icon, url_path=p.url_path, default=p.default)
                      for p in PAGES])
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
