"""Colours for the workbench's figures: categorical colours for discrete values (design.md §5b).

Discrete quantities (outputs, states, codes, residues) get one colour per value and a legend; a
continuous colour scale is only for continuous or many-valued ordered quantities (the time step,
an output with hundreds of values). Pure functions, no streamlit.
"""

from __future__ import annotations

from collections.abc import Sequence

#: Tableau 10, then two darker extras: distinguishable, and readable on a white projector screen.
CATEGORICAL = ("#4E79A7", "#F28E2B", "#E15759", "#59A14F", "#B07AA1", "#76B7B2", "#EDC948", "#9C755F",
               "#FF9DA7", "#BAB0AC", "#1B3A5C", "#6B8E23")
#: More distinct values than this are not told apart by colour: an ordered scale is used instead.
MAX_CATEGORIES = len(CATEGORICAL)
#: The colour of "no value" (the start state, which has no output yet).
NONE_COLOR = "#7F7F7F"
#: The continuous scale for ordered many-valued quantities.
SEQUENTIAL = "Viridis"
#: The diverging scale of weights (blue negative, red positive, white zero).
DIVERGING = "RdBu_r"
FONT = dict(size=15)
#: The plotly template of every figure (set explicitly: importing streamlit makes its own the default).
TEMPLATE = "plotly_white"


def category_colors(labels: Sequence[str]) -> dict[str, str]:
    """One colour per distinct label, in the order given (labels must be at most MAX_CATEGORIES)."""
    distinct = list(dict.fromkeys(labels))
    if len(distinct) > MAX_CATEGORIES:
        raise ValueError(f"{len(distinct)} categories; at most {MAX_CATEGORIES} can be told apart by colour.")
    return {lab: CATEGORICAL[i] for i, lab in enumerate(distinct)}
