"""The Lattice page's pictures: the states in their integer coordinates, and the hidden states with
the encoding drawn through them (design.md §5b: "a lattice as a grid, a cycle as a cycle").

Two figures per encoding, side by side (this module draws the first, :mod:`workbench.lattice_overlay`
the second):

* :func:`integer_figure`: every distinct state at its code. A lattice's codes are points of Z^k
  (a true grid: integer ticks, grid lines at integers); a cycle's residues sit on a circle with the
  direction of +1; bits and cluster numbers on their integer axes. Each state is labelled with its
  code.
* :func:`hidden_figure`: the hidden states (PCA axes) with the encoding drawn through the cloud:
  a lattice's grid lines every ``step`` units of each variable and its basis vectors at that scale,
  anchored at a lattice point inside the data; a cycle's states labelled with their residue and
  joined in the order the update turns; cluster and bit codes labelled at their states.

Pure functions (no streamlit); unit tests in ``tests/app/test_views.py``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from mips.encodings.base import Encoding
from mips.encodings.projection import Projection
from workbench.figures import NO_OUTPUT
from workbench.palette import TEMPLATE, FONT, MAX_CATEGORIES, NONE_COLOR, SEQUENTIAL, category_colors
from workbench.state_numbering import code_label, cycle_modulus, start_code

HEIGHT = 620
MAX_LABELS = 40               # state labels drawn as text; beyond, hover shows them
MAX_POINTS = 1500             # distinct states drawn in the integer picture (a seeded sample beyond)
ARROW = "#111111"             # arrows, codes and the start state


def grid_step(span: float, target: int = 6) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... that cuts ``span`` into at most ``target`` intervals."""
    span = max(float(span), 0.0)
    for magnitude in itertools.count():
        for base in (1, 2, 5):
            step = base * 10 ** magnitude
            if span / step <= target:
                return step
    raise AssertionError("unreachable")


@dataclass(frozen=True, slots=True)
class States:
    """The distinct codes of a projection: code, label, how often visited, mean position, output."""

    codes: np.ndarray           # (m, k) int64
    labels: tuple[str, ...]
    counts: np.ndarray          # (m,)
    centres: np.ndarray         # (m, n_components): mean projected position of the states with that code
    outputs: tuple[str, ...]    # the usual output at that code (NO_OUTPUT when never observed)
    start: str                  # label of the start state's code


def distinct_states(proj: Projection, enc: Encoding) -> States:
    """The distinct codes among the projection's points (``proj`` must carry codes)."""
    if proj.codes is None:
        raise ValueError("The projection carries no codes: project it with an encoding.")
    codes, inverse, counts = np.unique(proj.codes, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    m = codes.shape[0]
    # the middle of each code's states, over the states after a step (the start state h₋₁ = 0 may sit
    # apart from the others of its code) unless a code has no other
    weight = np.where(proj.step > 0, 1.0, 1e-9)
    centres = np.zeros((m, proj.n_components))
    np.add.at(centres, inverse, proj.coords * weight[:, None])
    total = np.zeros(m)
    np.add.at(total, inverse, weight)
    centres /= total[:, None]
    # the usual output at each code: the most frequent (code, output) pair per code
    out = proj.output
    seen = ~np.isnan(out).any(axis=1)
    outputs = [NO_OUTPUT] * m
    if seen.any():
        rows, row_index = np.unique(out[seen].astype(np.int64), axis=0, return_inverse=True)
        pairs, counts_ = np.unique(np.c_[inverse[seen], row_index.reshape(-1)], axis=0, return_counts=True)
        order = np.lexsort((-counts_, pairs[:, 0]))
        pairs = pairs[order]
        first = np.ones(len(pairs), dtype=bool)
        first[1:] = pairs[1:, 0] != pairs[:-1, 0]
        for code, row in pairs[first]:
            outputs[int(code)] = code_label(rows[int(row)])
    return States(codes=codes.astype(np.int64), labels=tuple(code_label(c) for c in codes), counts=counts,
                  centres=centres, outputs=tuple(outputs), start=code_label(start_code(enc)))


def _colours_for(states: States) -> tuple[list, dict | None, str]:
    """Marker colours of the distinct states: by code (few states) or by output; and a legend key."""
    if len(states.labels) <= MAX_CATEGORIES:
        cmap = category_colors(list(states.labels))
        return [cmap[lab] for lab in states.labels], cmap, "state (code z)"
    outs = [o for o in states.outputs if o != NO_OUTPUT]
    distinct = sorted(set(outs), key=lambda s: tuple(int(v) for v in s.strip("()").split(",")))
    if len(distinct) <= MAX_CATEGORIES:
        cmap = category_colors(distinct)
        cmap[NO_OUTPUT] = NONE_COLOR
        return [cmap[o] for o in states.outputs], cmap, "network output"
    values = [float(o.strip("()").split(",")[0]) if o != NO_OUTPUT else np.nan for o in states.outputs]
    return values, None, "network output"


def _hover(states: States) -> list[str]:
    return [f"state (code z) {lab}{' (start)' if lab == states.start else ''}<br>output {out}<br>"
            f"{cnt} visit(s) in the sample" for lab, out, cnt in zip(states.labels, states.outputs, states.counts)]


def legend_layout(fig: go.Figure, title: str) -> None:
    """The legend under the plot (the two pictures of the page stay aligned), readable fonts."""
    fig.update_layout(height=HEIGHT, font=FONT, margin=dict(l=10, r=10, t=20, b=10), template=TEMPLATE,
                      legend=dict(orientation="h", yanchor="top", y=-0.16, xanchor="left", x=0,
                                  title=dict(text=title), itemsizing="constant", font=dict(size=14)))


def _integer_axis(values: np.ndarray, title: str) -> dict:
    lo, hi = int(values.min()), int(values.max())
    span = hi - lo
    axis = dict(title=title, zeroline=False, showgrid=True, gridcolor="#d0d0d0")
    if span <= 16:
        axis.update(dtick=1, tick0=0, range=[lo - 0.6, hi + 0.6])
    else:
        axis.update(dtick=grid_step(span, 10), tick0=0)
    return axis


# -- the integer picture ------------------------------------------------------------------------------
def integer_figure(proj: Projection, enc: Encoding, *, dims: int = 2, axes: Sequence[int] | None = None) -> go.Figure:
    """Every distinct state at its code: a grid (lattice, bits), a circle (cycle) or a line (clusters).

    Parameters
    ----------
    proj : Projection carrying the codes of ``enc``
    dims : 2 or 3 (a 3-D grid for codes of three or more variables)
    axes : which code variables to draw (default the first ``dims``)
    """
    states = distinct_states(proj, enc)
    if cycle_modulus(enc):
        return cycle_figure(states, enc)
    k = states.codes.shape[1]
    axes = list(axes) if axes is not None else list(range(min(k, dims)))
    colours, cmap, title = _colours_for(states)
    names = [f"{enc.variables[a]}" for a in axes]
    show_text = len(states.labels) <= MAX_LABELS
    fig = go.Figure()
    if len(axes) >= 3:
        c = states.codes[:, axes[:3]]
        marker = dict(size=5 if len(states.labels) > 200 else 9, color=colours, line=dict(width=0))
        if cmap is None:
            marker.update(colorscale=SEQUENTIAL, colorbar=dict(title=dict(text=title, side="right"), thickness=16))
        fig.add_trace(go.Scatter3d(x=c[:, 0], y=c[:, 1], z=c[:, 2], mode="markers+text" if show_text else "markers",
                                   text=list(states.labels) if show_text else None, hovertext=_hover(states),
                                   hoverinfo="text", marker=marker, name="states", showlegend=False))
        fig.update_layout(scene=dict(xaxis=_integer_axis(c[:, 0], names[0]), yaxis=_integer_axis(c[:, 1], names[1]),
                                     zaxis=_integer_axis(c[:, 2], names[2]), aspectmode="cube"))
    else:
        if len(states.labels) > MAX_POINTS:           # a sample, the start state always in it
            keep = np.random.default_rng(0).choice(len(states.labels), MAX_POINTS, replace=False)
            keep = np.union1d(keep, [i for i, lab in enumerate(states.labels) if lab == states.start])
            states = States(codes=states.codes[keep], labels=tuple(states.labels[i] for i in keep),
                            counts=states.counts[keep], centres=states.centres[keep],
                            outputs=tuple(states.outputs[i] for i in keep), start=states.start)
            colours = [colours[i] for i in keep] if isinstance(colours, list) else colours
        x = states.codes[:, axes[0]]
        y = states.codes[:, axes[1]] if len(axes) > 1 else np.zeros_like(x)
        few = len(states.labels) <= MAX_CATEGORIES
        marker = dict(size=40 if few else 9 if len(states.labels) > 200 else 16, color=colours,
                      line=dict(width=1, color="white"))
        if len(states.labels) > 2000:
            marker.update(size=5, line=dict(width=0))
        if cmap is None:
            marker.update(colorscale=SEQUENTIAL, colorbar=dict(title=dict(text=title, side="right"), thickness=16))
        if few:     # the code inside each state, its output above it
            text, position = [f"output {o}" if o != NO_OUTPUT else "no output" for o in states.outputs], "top center"
        else:
            text, position = (list(states.labels) if show_text else None), "top center"
        fig.add_trace(go.Scatter(x=x, y=y, mode="markers+text" if text else "markers", text=text,
                                 textposition=position, textfont=dict(size=15), hovertext=_hover(states),
                                 hoverinfo="text", marker=marker, name="states", showlegend=False))
        if few:
            fig.add_trace(go.Scatter(x=x, y=y, mode="text", text=[f"<b>{lab}</b>" for lab in states.labels],
                                     textposition="middle center", textfont=dict(size=17, color="white"),
                                     hoverinfo="skip", showlegend=False))
        fig.update_xaxes(**_integer_axis(x, names[0]))
        if len(axes) > 1:
            fig.update_yaxes(**_integer_axis(y, names[1]), scaleanchor="x", scaleratio=1)
        else:
            fig.update_yaxes(visible=False, range=[-1, 1.2])
        start = [i for i, lab in enumerate(states.labels) if lab == states.start]
        if start:
            i = start[0]
            fig.add_trace(go.Scatter(x=[x[i]], y=[y[i]], mode="markers", name=f"start state {states.start}",
                                     marker=dict(size=52 if few else 26, symbol="circle-open", color=ARROW,
                                                 line=dict(width=3)),
                                     hoverinfo="skip"))
    if cmap is not None:
        for lab, colour in cmap.items():       # legend entries for the colours
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=lab,
                                     marker=dict(size=12, color=colour)))
    legend_layout(fig, title + ":")
    return fig


def cycle_figure(states: States, enc: Encoding) -> go.Figure:
    """The residues 0 … N−1 of a modular encoding on a circle, each labelled, with arrows z → z+1."""
    n = cycle_modulus(enc)
    angle = np.pi / 2 - 2 * np.pi * np.arange(n) / n          # 0 on top, +1 clockwise
    xy = np.c_[np.cos(angle), np.sin(angle)]
    labels = [str(r) for r in range(n)]
    cmap = category_colors(labels) if n <= MAX_CATEGORIES else None
    fig = go.Figure()
    for r in range(n):
        a, b = xy[r], xy[(r + 1) % n]
        fig.add_annotation(x=b[0] * 0.84 + a[0] * 0.16, y=b[1] * 0.84 + a[1] * 0.16,
                           ax=a[0] * 0.84 + b[0] * 0.16, ay=a[1] * 0.84 + b[1] * 0.16,
                           xref="x", yref="y", axref="x", ayref="y", showarrow=True, arrowhead=3, arrowsize=1.3,
                           arrowwidth=2.5, arrowcolor=ARROW, text="")
    visited = {lab: out for lab, out in zip(states.labels, states.outputs)}
    hover = [f"residue z = {r}{' (start)' if str(r) == states.start else ''}<br>output {visited.get(str(r), '-')}"
             for r in range(n)]
    fig.add_trace(go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="markers+text", text=labels, textposition="middle center",
                             textfont=dict(size=20, color="white"), hovertext=hover, hoverinfo="text",
                             marker=dict(size=44, color=[cmap[lab] for lab in labels] if cmap else "#4E79A7",
                                         line=dict(width=2, color="white")), showlegend=False, name="residues"))
    s = int(states.start) if states.start.isdigit() else 0
    fig.add_trace(go.Scatter(x=[xy[s, 0]], y=[xy[s, 1]], mode="markers", name=f"start state {s}",
                             marker=dict(size=56, symbol="circle-open", color=ARROW, line=dict(width=3)),
                             hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=dict(color=ARROW, width=3),
                             name="z → z + 1 (mod %d)" % n))
    fig.update_xaxes(visible=False, range=[-1.45, 1.45])
    fig.update_yaxes(visible=False, range=[-1.35, 1.35], scaleanchor="x", scaleratio=1)
    legend_layout(fig, "")
    return fig
