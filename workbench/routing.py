"""Every page runs through the entry point (``streamlit_app.py``), which applies the link and writes the URL."""

from __future__ import annotations

import os
import runpy
from pathlib import Path

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

ENTRY_POINT = Path(__file__).resolve().parents[1] / "streamlit_app.py"


def ensure_routed() -> None:
    """Route through ``streamlit_app.py`` even when the first visit after a server start opens a page's URL.

    Streamlit runs a ``pages/`` folder next to the entry point the legacy (v1) way, each page on
    its own without the entry point, until some run has called ``st.navigation``; a first visitor
    opening ``/train`` would get the legacy sidebar and no page config. Every page calls this
    first: in that situation it switches the legacy mode off and reruns, so the entry point routes
    to the same page (the URL path, hence the page hash, is the same).

    AppTest resets that mode before every run, so a rerun there would drop the button click that
    started it; the AppTests set ``MIPS_APPTEST=1``, and the page runs the entry point within the
    same run instead, which routes back to it (the link applied before it, the URL written after
    it), then stops.
    """
    if not PagesManager.uses_pages_directory:
        return                          # st.navigation ran: this page runs inside the entry point
    PagesManager.uses_pages_directory = False
    if not os.environ.get("MIPS_APPTEST"):
        st.rerun()
    runpy.run_path(str(ENTRY_POINT), run_name="__main__")     # routes to this page (the same page hash)
    st.stop()                           # the page ran inside the entry point: not a second time

