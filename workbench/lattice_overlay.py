"""The Lattice page's right-hand picture: the hidden states (PCA axes) with the encoding drawn through them.

A lattice's grid lines every ``step`` units of each variable and its basis vectors at that scale,
anchored at a lattice point inside the data; a cycle's states labelled with their residue and
joined in the order the update turns; cluster and bit codes labelled at their states. The
left-hand picture, the states at their integer codes, is :mod:`workbench.lattice_view`.

Pure functions (no streamlit); unit tests in ``tests/app/test_views.py``.
"""

from __future__ import annotations

import itertools

import numpy as np
import plotly.graph_objects as go

from mips.encodings.base import Encoding
from mips.encodings.projection import Projection
from workbench.figures import axis_names, colouring, project_points, scatter_traces
from workbench.lattice_view import ARROW, MAX_LABELS, States, distinct_states, grid_step, legend_layout
from workbench.palette import MAX_CATEGORIES
from workbench.state_numbering import code_label, cycle_modulus, is_lattice

MAX_GRID_LINES = 150          # per figure, all directions together
GRID = "rgba(60, 60, 60, 0.45)"


def lattice_grid(proj: Projection, enc: Encoding, codes: np.ndarray | None = None) -> dict:
    """The lattice drawn through the data, in the projection's axes.

    Returns a dict with ``steps`` (grid spacing per variable, in code units), ``lines`` (list per
    variable of segments, each (2, n_components): a line of the grid along that variable) and
    ``anchor`` (code and projected point of the lattice point the basis arrows start from: the grid
    point nearest the middle of the data) and ``arrows`` ((k, 2, n_components): start and end of
    ``step · b_j``).
    """
    if codes is None:
        codes = proj.codes[proj.step > 0] if (proj.step > 0).any() else proj.codes
    k = enc.n_vars
    lo, hi = codes.min(axis=0), codes.max(axis=0)
    steps = np.array([grid_step(h - l) for l, h in zip(lo, hi)], dtype=np.int64)

    def values(j, step):        # multiples of the step that cover the visited codes
        return np.arange(int(np.floor(lo[j] / step) * step), int(np.ceil(hi[j] / step) * step) + 1, step)

    # fewer lines when there are too many: coarser spacing on the crossing variables
    while True:
        grids = [values(j, steps[j]) for j in range(k)]
        n_lines = sum(int(np.prod([len(grids[i]) for i in range(k) if i != j])) for j in range(k))
        if n_lines <= MAX_GRID_LINES or k == 1:
            break
        steps = np.array([grid_step(h - l, max(2, int(round((h - l) / s)) - 1)) if h > l else s
                          for l, h, s in zip(lo, hi, steps)], dtype=np.int64)
    offset = enc.offset + (enc.step_offsets[-1] if enc.step_offsets is not None else 0.0)

    def point(z):
        return project_points(proj, np.asarray(z, dtype=np.float64) @ enc.basis + offset)

    lines = []
    for j in range(k):
        segs = []
        others = [grids[i] for i in range(k) if i != j]
        for combo in itertools.product(*others) if others else [()]:
            z0 = np.zeros(k)
            z1 = np.zeros(k)
            rest = iter(combo)
            for i in range(k):
                if i == j:
                    z0[i], z1[i] = grids[j][0], grids[j][-1]
                else:
                    z0[i] = z1[i] = next(rest)
            segs.append(np.vstack([point(z0), point(z1)]))
        lines.append(segs)
    middle = np.median(codes, axis=0)
    anchor = np.array([int(np.round(m / s) * s) for m, s in zip(middle, steps)])
    arrows = np.stack([np.vstack([point(anchor), point(anchor + np.eye(k, dtype=np.int64)[j] * steps[j])])
                       for j in range(k)])
    return {"steps": steps, "lines": lines, "anchor_code": anchor, "anchor": point(anchor), "arrows": arrows,
            "range": (lo, hi)}


def _segments_xy(segs: list[np.ndarray], dims: int) -> list[list]:
    out = [[] for _ in range(dims)]
    for s in segs:
        for d in range(dims):
            out[d] += [float(s[0, d]), float(s[1, d]), None]
    return out


_DIRECTION_COLOURS = ("#D62728", "#1F5FBF", "#2CA02C", "#9467BD", "#8C564B")


def _draw_lattice(fig: go.Figure, proj: Projection, enc: Encoding) -> None:
    g = lattice_grid(proj, enc)
    three = proj.n_components == 3
    for j, segs in enumerate(g["lines"]):
        xyz = _segments_xy(segs, proj.n_components)
        name = ("lattice grid, every " + ", ".join(f"{g['steps'][i]} in {enc.variables[i]}" for i in range(enc.n_vars))
                if enc.n_vars > 1 else f"lattice line of {enc.variables[0]}")
        line = dict(color=GRID, width=1.2 if len(segs) > 20 else 2)
        if three:
            fig.add_trace(go.Scatter3d(x=xyz[0], y=xyz[1], z=xyz[2], mode="lines", line=line, name=name,
                                       hoverinfo="skip", legendgroup="grid", showlegend=j == 0))
        else:
            fig.add_trace(go.Scatter(x=xyz[0], y=xyz[1], mode="lines", line=line, name=name, hoverinfo="skip",
                                     legendgroup="grid", showlegend=j == 0))
    if enc.n_vars == 1:                       # a one-variable lattice: a tick at every integer
        lo, hi = int(g["range"][0][0]), int(g["range"][1][0])
        zs = np.arange(lo, hi + 1)[:200]
        offset = enc.offset + (enc.step_offsets[-1] if enc.step_offsets is not None else 0.0)
        pts = project_points(proj, zs[:, None] * enc.basis + offset)
        kw = dict(mode="markers+text", text=[str(z) for z in zs], name="lattice points z", hoverinfo="skip",
                  marker=dict(size=10, symbol="line-ns-open" if not three else "diamond-open", color=ARROW))
        if three:
            fig.add_trace(go.Scatter3d(x=pts[:, 0], y=pts[:, 1], z=pts[:, 2], **kw))
        else:
            fig.add_trace(go.Scatter(x=pts[:, 0], y=pts[:, 1], textposition="bottom center", **kw))
    anchor_label = code_label(g["anchor_code"])
    for j, (a, b) in enumerate(g["arrows"]):
        colour = _DIRECTION_COLOURS[j % len(_DIRECTION_COLOURS)]
        step = int(g["steps"][j])
        text = f"{'' if step == 1 else f'{step}·'}b{j + 1}"
        if three:
            fig.add_trace(go.Scatter3d(x=[a[0], b[0]], y=[a[1], b[1]], z=[a[2], b[2]], mode="lines+text",
                                       text=["", text], line=dict(color=colour, width=8), name=text,
                                       textfont=dict(color=colour, size=14), hoverinfo="skip"))
            d = b - a
            fig.add_trace(go.Cone(x=[b[0]], y=[b[1]], z=[b[2]], u=[d[0]], v=[d[1]], w=[d[2]], sizemode="absolute",
                                  sizeref=float(np.linalg.norm(d)) * 0.25 + 1e-9, anchor="tip", showscale=False,
                                  colorscale=[[0, colour], [1, colour]], hoverinfo="skip", name=text,
                                  showlegend=False))
        else:
            fig.add_annotation(x=b[0], y=b[1], ax=a[0], ay=a[1], xref="x", yref="y", axref="x", ayref="y",
                               showarrow=True, arrowhead=3, arrowsize=1.2, arrowwidth=3.5, arrowcolor=colour,
                               text="")
            label_at = a + 1.45 * (b - a)
            fig.add_trace(go.Scatter(x=[label_at[0]], y=[label_at[1]], mode="text", text=[f"<b>{text}</b>"],
                                     textposition="middle center", textfont=dict(color=colour, size=15), name=text,
                                     hoverinfo="skip", showlegend=False))
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=dict(color=colour, width=3.5),
                                     name=f"{text}: {enc.variables[j]} + {step}"))
    a = g["anchor"]
    kw = dict(mode="markers", name=f"arrows start at z = {anchor_label}", hoverinfo="skip")
    if three:
        fig.add_trace(go.Scatter3d(x=[a[0]], y=[a[1]], z=[a[2]], marker=dict(size=6, color=ARROW), **kw))
    else:
        fig.add_trace(go.Scatter(x=[a[0]], y=[a[1]], marker=dict(size=12, color=ARROW, symbol="circle"), **kw))


def _draw_cycle(fig: go.Figure, proj: Projection, states: States, enc: Encoding) -> None:
    """The residues' states joined 0 → 1 → … → N−1 → 0 with arrows: the way the update turns."""
    n = cycle_modulus(enc)
    where = {lab: c for lab, c in zip(states.labels, states.centres)}
    pts = [where.get(str(r)) for r in range(n)]
    three = proj.n_components == 3
    for r in range(n):
        a, b = pts[r], pts[(r + 1) % n]
        if a is None or b is None:
            continue
        if three:
            fig.add_trace(go.Scatter3d(x=[a[0], b[0]], y=[a[1], b[1]], z=[a[2], b[2]], mode="lines",
                                       line=dict(color=ARROW, width=6), hoverinfo="skip", showlegend=False))
            d = b - a
            tip = a + 0.75 * d
            fig.add_trace(go.Cone(x=[tip[0]], y=[tip[1]], z=[tip[2]], u=[d[0]], v=[d[1]], w=[d[2]], anchor="tip",
                                  sizemode="absolute", sizeref=float(np.linalg.norm(d)) * 0.15 + 1e-9,
                                  colorscale=[[0, ARROW], [1, ARROW]], showscale=False, hoverinfo="skip"))
        else:
            tip = a + 0.8 * (b - a)
            tail = a + 0.2 * (b - a)
            fig.add_annotation(x=tip[0], y=tip[1], ax=tail[0], ay=tail[1], xref="x", yref="y", axref="x", ayref="y",
                               showarrow=True, arrowhead=3, arrowsize=1.3, arrowwidth=3, arrowcolor=ARROW, text="")
    fig.add_trace((go.Scatter3d if three else go.Scatter)(
        x=[None], y=[None], **({"z": [None]} if three else {}), mode="lines", line=dict(color=ARROW, width=3),
        name=f"z → z + 1 (mod {n})"))


def _draw_codes(fig: go.Figure, proj: Projection, states: States) -> None:
    """Each state's code written at the middle of its states (start state marked)."""
    if len(states.labels) > MAX_LABELS:
        return
    c = states.centres
    text = [f"<b>{lab}</b>" for lab in states.labels]
    kw = dict(mode="text", text=text, textfont=dict(size=18, color=ARROW), hoverinfo="skip", name="codes",
              showlegend=False)
    if proj.n_components == 3:
        fig.add_trace(go.Scatter3d(x=c[:, 0], y=c[:, 1], z=c[:, 2], **kw))
    else:
        fig.add_trace(go.Scatter(x=c[:, 0], y=c[:, 1], textposition="top right", **kw))


def _draw_start(fig: go.Figure, proj: Projection) -> None:
    """A star on the initial hidden state h₋₁ = 0."""
    p = project_points(proj, np.zeros(proj.components.shape[1]))
    kw = dict(mode="markers", name="start h₋₁ = 0", hoverinfo="skip")
    if proj.n_components == 3:
        fig.add_trace(go.Scatter3d(x=[p[0]], y=[p[1]], z=[p[2]], marker=dict(size=7, color=ARROW, symbol="diamond"),
                                   **kw))
    else:
        fig.add_trace(go.Scatter(x=[p[0]], y=[p[1]], marker=dict(size=16, color=ARROW, symbol="star"), **kw))


def hidden_figure(proj: Projection, enc: Encoding, *, resolution: int | None = 300,
                  hidden_dim: int | None = None) -> go.Figure:
    """The hidden states (PCA axes) with the encoding drawn through the cloud.

    Points are coloured by their state's code (categorical) when there are few states, else by
    the network's output.
    """
    states = distinct_states(proj, enc)
    colour_by = "state" if len(states.labels) <= MAX_CATEGORIES else "output"
    col = colouring(proj, colour_by, variables=enc.variables)
    fig = go.Figure(scatter_traces(proj, col, resolution, opacity=0.55, start_label=states.start))
    if is_lattice(enc):
        _draw_lattice(fig, proj, enc)
    elif cycle_modulus(enc):
        _draw_cycle(fig, proj, states, enc)
    _draw_codes(fig, proj, states)
    _draw_start(fig, proj)
    names = axis_names(proj, hidden_dim, short=proj.n_components == 3)
    if proj.n_components == 3:
        fig.update_layout(scene=dict(xaxis_title=names[0], yaxis_title=names[1], zaxis_title=names[2]))
    else:
        fig.update_xaxes(title=names[0])
        fig.update_yaxes(title=names[1])
        if is_lattice(enc):                       # a grid must not be sheared by unequal axes
            fig.update_yaxes(scaleanchor="x", scaleratio=1)
    legend_layout(fig, col.title + ":" if col.categorical else "")
    return fig
