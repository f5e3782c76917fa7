"""Plotly figure builders for the workbench pages (pure functions: data in, figure out, no streamlit).

Every builder takes plain arrays or ``mips`` artefacts and returns a ``plotly.graph_objects.Figure``;
the pages only pass the figure to ``st.plotly_chart``. This module draws the hidden states; the small
charts of the other pages are :mod:`workbench.charts`. Unit tests in ``tests/app/test_workbench_units.py``
and ``tests/app/test_views.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from mips.encodings.projection import Projection
from workbench.palette import FONT, MAX_CATEGORIES, NONE_COLOR, SEQUENTIAL, TEMPLATE, category_colors
from workbench.state_numbering import code_label

COLOR_CHOICES = ("output", "state", "step")
NO_OUTPUT = "none yet (start)"
_HEIGHT = 560


def _fmt_vec(row: np.ndarray) -> str:
    return "(" + ", ".join(f"{v:g}" for v in row) + ")" if row.size > 1 else f"{row[0]:g}"


def thin_points(coords: np.ndarray, values: np.ndarray, resolution: int | None = 300
                ) -> tuple[np.ndarray, np.ndarray]:
    """Representatives of the points that fall in the same screen cell with the same colour value.

    A finite algorithm's hidden states pile up on a few spots; drawing one marker per occupied cell
    (``resolution`` cells per axis) looks the same and keeps the browser fast.

    Returns
    -------
    index : int64 array, the kept points (in their original order)
    counts : int64 array, how many points each kept one stands for
    """
    n = coords.shape[0]
    if resolution is None or n == 0:
        return np.arange(n), np.ones(n, dtype=np.int64)
    lo = coords.min(axis=0)
    span = coords.max(axis=0) - lo
    span[span == 0] = 1.0
    cells = np.minimum(np.floor((coords - lo) / span * resolution), resolution - 1).astype(np.int64)
    key = np.column_stack([cells, np.nan_to_num(values, nan=-1e18)])
    _, index, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    counts = np.bincount(inverse.reshape(-1), minlength=index.size)
    order = np.argsort(index)
    return index[order].astype(np.int64), counts[order].astype(np.int64)


def _point_text(proj: Projection, index: np.ndarray, counts: np.ndarray) -> list[str]:
    """Hover text per kept point: sequence, step, output and, where known, the state's code and
    the unrounded lattice coordinates."""
    out = proj.output
    texts = []
    for i, n in zip(index, counts):
        o = out[i]
        parts = [f"sequence {proj.sequence[i]}, step {proj.step[i]}",
                 "output: none yet (start)" if np.isnan(o).any() else f"output {_fmt_vec(o)}"]
        if proj.codes is not None:
            parts.append(f"state (code z) {code_label(proj.codes[i])}")
        if proj.lattice is not None:
            parts.append("lattice coords (" + ", ".join(f"{v:.3f}" for v in proj.lattice[i]) + ")")
        if n > 1:
            parts.append(f"(+{n - 1} more state(s) at this spot)")
        texts.append("<br>".join(parts))
    return texts


@dataclass(frozen=True, slots=True)
class Colouring:
    """How the points of a projection are coloured.

    ``labels`` (one category per point, legend order ``order``) for discrete values; ``values``
    (one number per point, a colour bar) for ordered many-valued ones.
    """

    key: str
    title: str
    labels: np.ndarray | None = None
    order: tuple[str, ...] = ()
    values: np.ndarray | None = None

    @property
    def categorical(self) -> bool:
        return self.labels is not None


def _row_labels(rows: np.ndarray, none_label: str) -> np.ndarray:
    return np.array([none_label if np.isnan(r).any() else code_label(np.asarray(r, dtype=np.int64)) for r in rows],
                    dtype=object)


def _numeric_order(labels) -> tuple[str, ...]:
    def key(lab: str):
        try:
            return (0, tuple(int(v) for v in lab.strip("()").split(",")))
        except ValueError:
            return (1, (lab,))
    return tuple(sorted(set(labels), key=key))


def colour_options(proj: Projection, variables: Sequence[str] = ()) -> dict[str, str]:
    """The colourings a projection offers, key -> what the user reads: the network output, the
    state (its code; one variable of it when there are too many codes to colour), the time step."""
    opts = {"output": "network output"}
    if proj.codes is not None:
        n_codes = np.unique(proj.codes, axis=0).shape[0]
        if n_codes <= MAX_CATEGORIES:
            opts["state"] = "state (code z)"
        else:
            names = list(variables) or [f"z{j}" for j in range(proj.codes.shape[1])]
            for j, name in enumerate(names):
                opts[f"code:{j}"] = f"state variable {name}"
    opts["step"] = "time step"
    return opts


def colouring(proj: Projection, color_by: str, *, variables: Sequence[str] = ()) -> Colouring:
    """The per-point colours for ``color_by`` (a key of :func:`colour_options`).

    Outputs and states are categorical (one colour and legend entry per value, the start state's
    missing output its own grey category) up to MAX_CATEGORIES values; beyond that an output is
    coloured on an ordered scale. The step is ordered.
    """
    if color_by == "output":
        out = proj.output
        labels = _row_labels(out, NO_OUTPUT)
        order = _numeric_order(labels[labels != NO_OUTPUT])
        if len(order) <= MAX_CATEGORIES:
            return Colouring(key=color_by, title="network output", labels=labels,
                             order=order + ((NO_OUTPUT,) if (labels == NO_OUTPUT).any() else ()))
        values, title = color_values(proj, "output")
        return Colouring(key=color_by, title=title, values=values)
    if color_by == "step":
        return Colouring(key=color_by, title="time step", values=proj.step.astype(np.float64))
    if proj.codes is not None and color_by == "state":
        labels = np.array([code_label(c) for c in proj.codes], dtype=object)
        order = _numeric_order(labels)
        if len(order) > MAX_CATEGORIES:
            raise ValueError(f"{len(order)} states are too many to colour; colour by one state variable instead.")
        return Colouring(key=color_by, title="state (code z)", labels=labels, order=order)
    if proj.codes is not None and color_by.startswith("code:"):
        j = int(color_by.split(":", 1)[1])
        name = variables[j] if j < len(variables) else f"z{j}"
        return Colouring(key=color_by, title=f"state variable {name}", values=proj.codes[:, j].astype(np.float64))
    raise ValueError(f"color_by must be one of {tuple(colour_options(proj, variables))}. Got {color_by!r} instead.")


def color_values(proj: Projection, color_by: str) -> tuple[np.ndarray, str]:
    """The per-point numbers and the colour bar title for ``color_by`` ("output", "step" or
    "cluster": the index of the state's code)."""
    if color_by not in COLOR_CHOICES and color_by != "cluster":
        raise ValueError(f"color_by must be one of {COLOR_CHOICES}. Got {color_by!r} instead.")
    if color_by == "output":
        out = proj.output
        digits = np.nan_to_num(out) @ (10.0 ** np.arange(out.shape[1])[::-1])
        values = out[:, 0] if out.shape[1] == 1 else np.where(np.isnan(out).any(axis=1), np.nan, digits)
        return values, "output" if out.shape[1] == 1 else "output (digits)"
    if color_by == "step":
        return proj.step.astype(np.float64), "time step"
    return proj.cluster.astype(np.float64), "state index"


def _marker_size(proj: Projection, size: float) -> float:
    return size * 0.6 if proj.n_components == 3 else size


def scatter_traces(proj: Projection, col: Colouring, resolution: int | None, *, size: float = 7,
                    opacity: float = 0.75, start_label: str | None = None) -> list:
    """The hidden states as one trace per category (categorical) or one trace with a colour bar."""
    three = proj.n_components == 3
    traces = []

    def trace(index, counts, **marker):
        c = proj.coords[index]
        text = _point_text(proj, index, counts)
        if three:
            return go.Scatter3d(x=c[:, 0], y=c[:, 1], z=c[:, 2], mode="markers", text=text, hoverinfo="text",
                                marker=dict(marker, size=_marker_size(proj, size)))
        return go.Scatter(x=c[:, 0], y=c[:, 1], mode="markers", text=text, hoverinfo="text",
                          marker=dict(marker, size=size))

    if col.categorical:
        colours = category_colors([lab for lab in col.order if lab != NO_OUTPUT])
        colours[NO_OUTPUT] = NONE_COLOR
        for lab in col.order:
            mask = np.flatnonzero(col.labels == lab)
            if mask.size == 0:
                continue
            sub, counts = thin_points(proj.coords[mask], np.zeros(mask.size), resolution)
            t = trace(mask[sub], counts, color=colours[lab], opacity=opacity)
            name = f"{lab} (start)" if col.key == "state" and lab == start_label else lab
            t.update(name=name, legendgroup=lab, showlegend=True)
            traces.append(t)
        return traces
    values = col.values
    finite_values = values[np.isfinite(values)]
    binned = values
    if finite_values.size and np.unique(finite_values).size > 16:   # an ordered scale: 16 shades are enough
        lo_, hi_ = float(finite_values.min()), float(finite_values.max())
        binned = np.floor((values - lo_) / max(hi_ - lo_, 1e-12) * 15.999)
    index, counts = thin_points(proj.coords, binned, None if resolution is None else min(resolution, 120))
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    bar = dict(title=dict(text=col.title, side="right"), thickness=16, len=0.9, x=1.0, xanchor="left")
    if hi - lo <= 20 and np.allclose(finite, np.round(finite)):
        bar["dtick"] = 1 if hi - lo <= 12 else 2
    t = trace(index, counts, color=np.where(np.isfinite(values[index]), values[index], lo),
              colorscale=SEQUENTIAL, cmin=lo, cmax=hi, opacity=opacity, colorbar=bar)
    t.update(name="hidden states", showlegend=False)
    return [t]


def percent(ratio: float) -> str:
    """A share of the variance as people read it: 99.95%, 38.2%, 0.050% (never a bare 0% or 100%)."""
    pct = 100.0 * float(ratio)
    if pct <= 0.0:
        return "0%"
    if pct >= 99.995:
        return "100%"
    if pct >= 99.0:
        return f"{pct:.2f}%"
    if pct >= 1.0:
        return f"{pct:.1f}%"
    return f"{pct:.2g}%"


def axis_names(proj: Projection, hidden_dim: int | None = None, *, short: bool = False) -> list[str]:
    """``PC1 · 99.95% of the variance`` (``PC1 · 99.95%`` when ``short``, for 3-D axes); a padded
    axis of a network with fewer hidden numbers says so."""
    ratio = proj.explained_variance_ratio
    h = hidden_dim if hidden_dim is not None else proj.components.shape[1]
    names = []
    for i in range(proj.n_components):
        if i >= h:
            names.append(f"PC{i + 1} (none: H = {h})")
        else:
            names.append(f"PC{i + 1} · {percent(ratio[i])}" + ("" if short else " of the variance"))
    return names


def variance_caption(proj: Projection) -> str:
    """What the axes show, in one sentence (the 2-D axes are scaled separately to fill the plot)."""
    ratio = proj.explained_variance_ratio
    h = proj.components.shape[1]
    shares = ", ".join(f"PC{i + 1} {percent(r)}" if i < h else f"PC{i + 1} none (H = {h})"
                       for i, r in enumerate(ratio))
    text = f"Share of the hidden states' variance along each axis: {shares}."
    small = [i for i, r in enumerate(ratio) if 0 < r < 0.01]
    if small:
        text += (" Each axis is scaled to fill the plot, so a direction with a tiny share of the variance "
                 "(" + ", ".join(f"PC{i + 1}" for i in small) + ") still shows what it separates.")
    return text


def _axis_titles(fig: go.Figure, proj: Projection) -> None:
    names = axis_names(proj, short=proj.n_components == 3)
    if proj.n_components == 3:
        fig.update_layout(scene=dict(xaxis_title=names[0], yaxis_title=names[1], zaxis_title=names[2]))
    else:
        fig.update_xaxes(title=names[0])
        fig.update_yaxes(title=names[1])


@dataclass(frozen=True, slots=True)
class Trajectory:
    """One input sequence's hidden states in the projection's axes, step 0 the start."""

    coords: np.ndarray                 # (n_steps, n_components)
    steps: np.ndarray                  # (n_steps,)
    name: str = "trajectory"


def project_points(proj: Projection, hidden: np.ndarray) -> np.ndarray:
    """Hidden vectors (..., H) in the axes of ``proj``."""
    return (np.asarray(hidden, dtype=np.float64) - proj.mean) @ proj.components.T


def sequence_trajectory(proj: Projection, sequence: int, upto_step: int | None = None) -> Trajectory:
    """The trajectory of a sequence that the projection holds."""
    mask = proj.sequence == sequence
    if not mask.any():
        raise ValueError(f"Sequence {sequence} is not in the projection.")
    idx = np.flatnonzero(mask)
    idx = idx[np.argsort(proj.step[idx])]
    if upto_step is not None:
        idx = idx[proj.step[idx] <= upto_step]
    return Trajectory(coords=proj.coords[idx], steps=proj.step[idx], name=f"sequence {sequence}")


def step_labels(coords: np.ndarray, steps: Sequence[int], extent: np.ndarray | None = None,
                tolerance: float = 0.06) -> list[str]:
    """One label per spot a trajectory visits, listing every step that lands there ("steps 1, 4, 7"),
    so that labels of revisited or nearby spots do not print on top of each other.

    Two points share a label when they are within ``tolerance`` of the plot's extent on every
    axis (``extent``: the plot's span per axis, default the trajectory's own; the axes of a 2-D
    plot are scaled separately, so each axis counts in its own units).
    """
    coords = np.asarray(coords, dtype=np.float64)
    if extent is None:
        extent = np.ptp(coords, axis=0) if coords.size else np.ones(coords.shape[1])
    near = np.maximum(np.asarray(extent, dtype=np.float64) * tolerance, 1e-9)
    groups: list[list[int]] = []
    owner = []
    for i, c in enumerate(coords):
        for g in groups:
            if np.all(np.abs(coords[g[0]] - c) <= near):
                g.append(i)
                owner.append(g)
                break
        else:
            groups.append([i])
            owner.append(groups[-1])
    labels = []
    for i, g in enumerate(owner):
        if g[0] != i:
            labels.append("")
        else:
            labels.append(("step " if len(g) == 1 else "steps ") + ", ".join(str(int(steps[j])) for j in g))
    return labels


def _add_trajectory(fig: go.Figure, proj: Projection, traj: Trajectory) -> None:
    c = traj.coords
    labels = step_labels(c, traj.steps, extent=np.ptp(np.vstack([proj.coords, c]), axis=0))
    line = dict(color="#222222", width=3)
    if proj.n_components == 3:
        fig.add_trace(go.Scatter3d(x=c[:, 0], y=c[:, 1], z=c[:, 2], mode="lines+markers+text", text=labels,
                                   line=dict(color="#222222", width=5), marker=dict(size=4, color="#222222"),
                                   textfont=dict(size=13), name=traj.name, legendgroup="trajectory"))
    else:
        fig.add_trace(go.Scatter(x=c[:, 0], y=c[:, 1], mode="lines+markers+text", text=labels,
                                 textposition="top right", textfont=dict(size=14, color="#222222"), line=line,
                                 marker=dict(size=10, color="#222222", symbol="circle-open", line=dict(width=2)),
                                 name=traj.name, legendgroup="trajectory"))
        fig.add_trace(go.Scatter(x=c[:1, 0], y=c[:1, 1], mode="markers", name="start of the trajectory",
                                 marker=dict(size=16, color="#222222", symbol="star"), legendgroup="trajectory",
                                 hoverinfo="skip"))


def hidden_state_figure(proj: Projection, color_by: str = "output", *, sequence: int | None = None,
                        upto_step: int | None = None, trajectory: Trajectory | None = None,
                        resolution: int | None = 300, variables: Sequence[str] = (),
                        start_label: str | None = None) -> go.Figure:
    """PCA scatter of every hidden state; optionally one trajectory on top.

    Parameters
    ----------
    proj : Projection (2 or 3 components)
    color_by : a key of :func:`colour_options` ("output", "state", "code:<j>", "step")
    sequence, upto_step : draw the trajectory of a sequence of ``proj`` up to a step
    trajectory : a :class:`Trajectory` to draw instead (e.g. of a typed-in input)
    resolution : points in one of ``resolution`` cells per axis with one colour are drawn once
        (None: draw every point; see :func:`thin_points`)
    variables : names of the code's variables (for the colour bar of one variable)
    start_label : the start state's code, marked "(start)" in the legend
    """
    col = colouring(proj, color_by, variables=variables)
    fig = go.Figure(scatter_traces(proj, col, resolution, start_label=start_label))
    if trajectory is None and sequence is not None:
        trajectory = sequence_trajectory(proj, sequence, upto_step)
    elif trajectory is not None and upto_step is not None:
        keep = trajectory.steps <= upto_step
        trajectory = Trajectory(coords=trajectory.coords[keep], steps=trajectory.steps[keep], name=trajectory.name)
    if trajectory is not None and len(trajectory.steps):
        _add_trajectory(fig, proj, trajectory)
    _axis_titles(fig, proj)
    fig.update_layout(height=_HEIGHT, margin=dict(l=10, r=10, t=60, b=10), font=FONT, template=TEMPLATE,
                      legend=dict(orientation="h", yanchor="bottom", y=1.01, xanchor="left", x=0,
                                  title=dict(text=col.title + ":" if col.categorical else ""),
                                  itemsizing="constant"),
                      showlegend=col.categorical or trajectory is not None)
    return fig
