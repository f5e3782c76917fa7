"""Presentation mode: large text, code and plot labels for a projector (a sidebar toggle, ``?present=1``).

The entry point calls :func:`sidebar_toggle` and :func:`apply` on every run. Text, widgets, code and
formulas scale with the root font size; plotly's SVG labels (2D charts on every page) are enlarged by
CSS; pages that build figures pass them through :func:`style_figure` as well, so 3D scenes and the
layout's margins follow. Legends are left to :func:`style_figure`: plotly places legend items
by their measured size, so text enlarged afterwards by CSS would overlap.
"""

from __future__ import annotations

import streamlit as st

from workbench.state.keys import K_PRESENT

ROOT_PX = 20            # the root font size in presentation mode (Streamlit's default is 16)
TICK_PX = 18            # plot tick labels and legends
TITLE_PX = 21           # plot and axis titles
CODE_SIZE = "1.05rem"   # the code editor's text (relative to the root size)

_CSS = f"""
<style>
html {{ font-size: {ROOT_PX}px; }}
.js-plotly-plot .xtick text, .js-plotly-plot .ytick text,
.js-plotly-plot .colorbar text {{ font-size: {TICK_PX}px !important; }}
.js-plotly-plot .g-xtitle text, .js-plotly-plot .g-ytitle text,
.js-plotly-plot .gtitle {{ font-size: {TITLE_PX}px !important; }}
[data-testid="stCaptionContainer"] {{ font-size: 0.95rem; }}
.katex-display > .katex {{ font-size: 1.4em; }}
[data-testid="stMainBlockContainer"] {{ padding-left: 2.5rem; padding-right: 2.5rem; max-width: none; }}
</style>
"""


def is_on() -> bool:
    return bool(st.session_state.get(K_PRESENT, False))


def sidebar_toggle() -> bool:
    """The sidebar switch (its state is kept in the URL as ``present=1`` by :mod:`workbench.url_state`)."""
    return st.sidebar.toggle("Presentation mode", key=K_PRESENT,
                             help="Large text, code and plot labels for a projector. A link with ?present=1 "
                                  "opens the workbench this way.")


def apply() -> None:
    """Enlarge text and plot labels when presentation mode is on (nothing otherwise)."""
    if is_on():
        st.html(_CSS)


def style_figure(fig):
    """``fig`` with presentation-size fonts when the mode is on (returned unchanged otherwise)."""
    if not is_on():
        return fig
    fig.update_layout(font=dict(size=TICK_PX), title_font=dict(size=TITLE_PX),
                      legend=dict(font=dict(size=TICK_PX)))
    fig.update_xaxes(tickfont=dict(size=TICK_PX), title_font=dict(size=TITLE_PX), automargin=True)
    fig.update_yaxes(tickfont=dict(size=TICK_PX), title_font=dict(size=TITLE_PX), automargin=True)
    fig.update_traces(textfont=dict(size=TICK_PX), selector=dict(type="bar"))
    axis = dict(tickfont=dict(size=TICK_PX), title=dict(font=dict(size=TITLE_PX)))
    fig.update_scenes(xaxis=axis, yaxis=axis, zaxis=axis)       # 3D scenes (none in a 2D figure)
    return fig


def code_font_size() -> str | None:
    return CODE_SIZE if is_on() else None
