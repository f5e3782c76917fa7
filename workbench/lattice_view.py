"""The Lattice page's pictures: the states in their integer coordinates, and the hidden states with
the encoding drawn through them (design.md §5b: "a lattice as a grid, a cycle as a cycle").

Two figures per encoding, side by side:

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
from workbench.figures import NO_OUTPUT, axis_names, colouring, scatter_traces
from workbench.palette import TEMPLATE, FONT, MAX_CATEGORIES, NONE_COLOR, SEQUENTIAL, category_colors
from workbench.state_numbering import code_label, cycle_modulus, is_lattice, start_code

HEIGHT = 620
MAX_GRID_LINES = 150          # per figure, all directions together
MAX_LABELS = 40               # state labels drawn as text; beyond, hover shows them
MAX_POINTS = 1500             # distinct states drawn in the integer picture (a seeded sample beyond)
_ARROW = "#111111"
_GRID = "rgba(60, 60, 60, 0.45)"


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


def _legend_layout(fig: go.Figure, title: str) -> None:
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
                                     marker=dict(size=52 if few else 26, symbol="circle-open", color=_ARROW,
                                                 line=dict(width=3)),
                                     hoverinfo="skip"))
    if cmap is not None:
        for lab, colour in cmap.items():       # legend entries for the colours
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=lab,
                                     marker=dict(size=12, color=colour)))
    _legend_layout(fig, title + ":")
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
                           arrowwidth=2.5, arrowcolor=_ARROW, text="")
    visited = {lab: out for lab, out in zip(states.labels, states.outputs)}
    hover = [f"residue z = {r}{' (start)' if str(r) == states.start else ''}<br>output {visited.get(str(r), '-')}"
             for r in range(n)]
    fig.add_trace(go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="markers+text", text=labels, textposition="middle center",
                             textfont=dict(size=20, color="white"), hovertext=hover, hoverinfo="text",
                             marker=dict(size=44, color=[cmap[lab] for lab in labels] if cmap else "#4E79A7",
                                         line=dict(width=2, color="white")), showlegend=False, name="residues"))
    s = int(states.start) if states.start.isdigit() else 0
    fig.add_trace(go.Scatter(x=[xy[s, 0]], y=[xy[s, 1]], mode="markers", name=f"start state {s}",
                             marker=dict(size=56, symbol="circle-open", color=_ARROW, line=dict(width=3)),
                             hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=dict(color=_ARROW, width=3),
                             name="z → z + 1 (mod %d)" % n))
    fig.update_xaxes(visible=False, range=[-1.45, 1.45])
    fig.update_yaxes(visible=False, range=[-1.35, 1.35], scaleanchor="x", scaleratio=1)
    _legend_layout(fig, "")
    return fig


# -- the hidden-space picture --------------------------------------------------------------------------
def _project(proj: Projection, hidden: np.ndarray) -> np.ndarray:
    return (np.asarray(hidden, dtype=np.float64) - proj.mean) @ proj.components.T


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
        return _project(proj, np.asarray(z, dtype=np.float64) @ enc.basis + offset)

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
        line = dict(color=_GRID, width=1.2 if len(segs) > 20 else 2)
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
        pts = _project(proj, zs[:, None] * enc.basis + offset)
        kw = dict(mode="markers+text", text=[str(z) for z in zs], name="lattice points z", hoverinfo="skip",
                  marker=dict(size=10, symbol="line-ns-open" if not three else "diamond-open", color=_ARROW))
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
        fig.add_trace(go.Scatter3d(x=[a[0]], y=[a[1]], z=[a[2]], marker=dict(size=6, color=_ARROW), **kw))
    else:
        fig.add_trace(go.Scatter(x=[a[0]], y=[a[1]], marker=dict(size=12, color=_ARROW, symbol="circle"), **kw))


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
                                       line=dict(color=_ARROW, width=6), hoverinfo="skip", showlegend=False))
            d = b - a
            tip = a + 0.75 * d
            fig.add_trace(go.Cone(x=[tip[0]], y=[tip[1]], z=[tip[2]], u=[d[0]], v=[d[1]], w=[d[2]], anchor="tip",
                                  sizemode="absolute", sizeref=float(np.linalg.norm(d)) * 0.15 + 1e-9,
                                  colorscale=[[0, _ARROW], [1, _ARROW]], showscale=False, hoverinfo="skip"))
        else:
            tip = a + 0.8 * (b - a)
            tail = a + 0.2 * (b - a)
            fig.add_annotation(x=tip[0], y=tip[1], ax=tail[0], ay=tail[1], xref="x", yref="y", axref="x", ayref="y",
                               showarrow=True, arrowhead=3, arrowsize=1.3, arrowwidth=3, arrowcolor=_ARROW, text="")
    fig.add_trace((go.Scatter3d if three else go.Scatter)(
        x=[None], y=[None], **({"z": [None]} if three else {}), mode="lines", line=dict(color=_ARROW, width=3),
        name=f"z → z + 1 (mod {n})"))


def _draw_codes(fig: go.Figure, proj: Projection, states: States) -> None:
    """Each state's code written at the middle of its states (start state marked)."""
    if len(states.labels) > MAX_LABELS:
        return
    c = states.centres
    text = [f"<b>{lab}</b>" for lab in states.labels]
    kw = dict(mode="text", text=text, textfont=dict(size=18, color=_ARROW), hoverinfo="skip", name="codes",
              showlegend=False)
    if proj.n_components == 3:
        fig.add_trace(go.Scatter3d(x=c[:, 0], y=c[:, 1], z=c[:, 2], **kw))
    else:
        fig.add_trace(go.Scatter(x=c[:, 0], y=c[:, 1], textposition="top right", **kw))


def _draw_start(fig: go.Figure, proj: Projection) -> None:
    """A star on the initial hidden state h₋₁ = 0."""
    p = _project(proj, np.zeros(proj.components.shape[1]))
    kw = dict(mode="markers", name="start h₋₁ = 0", hoverinfo="skip")
    if proj.n_components == 3:
        fig.add_trace(go.Scatter3d(x=[p[0]], y=[p[1]], z=[p[2]], marker=dict(size=7, color=_ARROW, symbol="diamond"),
                                   **kw))
    else:
        fig.add_trace(go.Scatter(x=[p[0]], y=[p[1]], marker=dict(size=16, color=_ARROW, symbol="star"), **kw))


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
    _legend_layout(fig, col.title + ":" if col.categorical else "")
    return fig
