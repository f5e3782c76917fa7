"""Plotly figure builders for the workbench pages (pure functions: data in, figure out, no streamlit).

Every builder takes plain arrays or ``mips`` artefacts and returns a ``plotly.graph_objects.Figure``;
the pages only pass the figure to ``st.plotly_chart``. Unit tests in ``tests/app/test_figures.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mips.models.rnn import RNNWeights
from mips.projection import Projection

COLOR_CHOICES = ("output", "step", "cluster")
_HEIGHT = 520


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
    """Hover text per kept point: sequence, step, output and, where known, integer and lattice coordinates."""
    out = proj.output
    texts = []
    for i, n in zip(index, counts):
        o = out[i]
        parts = [f"sequence {proj.sequence[i]}, step {proj.step[i]}",
                 "output -" if np.isnan(o).any() else f"output {_fmt_vec(o)}"]
        if proj.codes is not None:
            parts.append(f"code z = {_fmt_vec(proj.codes[i].astype(np.float64))}")
        if proj.lattice is not None:
            parts.append("lattice coords (" + ", ".join(f"{v:.3f}" for v in proj.lattice[i]) + ")")
        if proj.cluster[i] >= 0:
            parts.append(f"cluster {proj.cluster[i]}")
        if n > 1:
            parts.append(f"(+{n - 1} more state(s) at this spot)")
        texts.append("<br>".join(parts))
    return texts


def color_values(proj: Projection, color_by: str) -> tuple[np.ndarray, str]:
    """The per-point colour values and the colour bar title for ``color_by`` (see COLOR_CHOICES)."""
    if color_by not in COLOR_CHOICES:
        raise ValueError(f"color_by must be one of {COLOR_CHOICES}. Got {color_by!r} instead.")
    if color_by == "output":
        out = proj.output
        values = out[:, 0] if out.shape[1] == 1 else np.where(np.isnan(out).any(axis=1), np.nan,
                                                                np.nan_to_num(out) @ (10.0 ** np.arange(out.shape[1])[::-1]))
        return values, "output" if out.shape[1] == 1 else "output (digits)"
    if color_by == "step":
        return proj.step.astype(np.float64), "step"
    return proj.cluster.astype(np.float64), "cluster"


def _scatter(proj: Projection, values: np.ndarray, title: str, resolution: int | None, *, size: float = 5,
             name: str = "hidden states", opacity: float = 0.7):
    index, counts = thin_points(proj.coords, values, resolution)
    text = _point_text(proj, index, counts)
    c = proj.coords[index]
    marker = dict(size=size, color=np.nan_to_num(values[index], nan=-1.0), colorscale="Viridis", opacity=opacity,
                  colorbar=dict(title=title))
    if proj.n_components == 3:
        return go.Scatter3d(x=c[:, 0], y=c[:, 1], z=c[:, 2], mode="markers", marker=dict(marker, size=size * 0.6),
                            text=text, hoverinfo="text", name=name)
    return go.Scatter(x=c[:, 0], y=c[:, 1], mode="markers", marker=marker, text=text, hoverinfo="text", name=name)


def _axis_titles(fig: go.Figure, proj: Projection) -> None:
    ratio = proj.explained_variance_ratio
    names = [f"PC{i + 1} ({ratio[i]:.0%})" for i in range(proj.n_components)]
    if proj.n_components == 3:
        fig.update_layout(scene=dict(xaxis_title=names[0], yaxis_title=names[1], zaxis_title=names[2]))
    else:
        fig.update_xaxes(title=names[0])
        fig.update_yaxes(title=names[1])


def hidden_state_figure(proj: Projection, color_by: str = "output", *, sequence: int | None = None,
                        upto_step: int | None = None, resolution: int | None = 300) -> go.Figure:
    """PCA scatter of every hidden state; optionally one sequence's trajectory up to a step.

    Parameters
    ----------
    proj : Projection (2 or 3 components)
    color_by : "output", "step" or "cluster"
    sequence : index of a sequence present in ``proj`` whose trajectory is drawn on top
    upto_step : last step of the trajectory to draw (default: all)
    resolution : points in one of ``resolution`` cells per axis with one colour are drawn once
        (None: draw every point; see :func:`thin_points`)
    """
    values, title = color_values(proj, color_by)
    fig = go.Figure([_scatter(proj, values, title, resolution)])
    if sequence is not None:
        mask = proj.sequence == sequence
        if not mask.any():
            raise ValueError(f"Sequence {sequence} is not in the projection.")
        idx = np.flatnonzero(mask)
        idx = idx[np.argsort(proj.step[idx])]
        if upto_step is not None:
            idx = idx[proj.step[idx] <= upto_step]
        c = proj.coords[idx]
        labels = [f"step {s}" for s in proj.step[idx]]
        line = dict(color="crimson", width=3)
        if proj.n_components == 3:
            fig.add_trace(go.Scatter3d(x=c[:, 0], y=c[:, 1], z=c[:, 2], mode="lines+markers+text", text=labels,
                                       line=line, marker=dict(size=4, color="crimson"), name="trajectory"))
        else:
            fig.add_trace(go.Scatter(x=c[:, 0], y=c[:, 1], mode="lines+markers+text", text=labels,
                                     textposition="top center", line=line, marker=dict(size=9, color="crimson"),
                                     name="trajectory"))
    _axis_titles(fig, proj)
    fig.update_layout(height=_HEIGHT, margin=dict(l=10, r=10, t=30, b=10), showlegend=sequence is not None)
    return fig


def lattice_figure(proj: Projection, *, resolution: int | None = 300) -> go.Figure:
    """Hidden states with the lattice basis vectors drawn from the lattice offset (or cluster centres).

    Hover shows the integer code and the unrounded lattice coordinates of every point.
    """
    values, title = color_values(proj, "cluster")
    fig = go.Figure([_scatter(proj, values, title, resolution, opacity=0.6)])
    three = proj.n_components == 3
    if proj.basis is not None and proj.offset is not None:
        o = proj.offset
        for j, vec in enumerate(proj.basis):
            end = o + vec
            name = f"basis b{j + 1}"
            if three:
                fig.add_trace(go.Scatter3d(x=[o[0], end[0]], y=[o[1], end[1]], z=[o[2], end[2]],
                                           mode="lines+markers", line=dict(width=8), marker=dict(size=[2, 6]),
                                           name=name))
            else:
                fig.add_trace(go.Scatter(x=[o[0], end[0]], y=[o[1], end[1]], mode="lines+markers",
                                         line=dict(width=4), marker=dict(size=[4, 12], symbol=["circle", "arrow"],
                                                                         angleref="previous"), name=name))
        if three:
            fig.add_trace(go.Scatter3d(x=[o[0]], y=[o[1]], z=[o[2]], mode="markers", name="offset",
                                       marker=dict(size=6, color="black", symbol="x")))
        else:
            fig.add_trace(go.Scatter(x=[o[0]], y=[o[1]], mode="markers", name="offset",
                                     marker=dict(size=12, color="black", symbol="x")))
    elif proj.centres is not None:
        c = proj.centres
        if three:
            fig.add_trace(go.Scatter3d(x=c[:, 0], y=c[:, 1], z=c[:, 2], mode="markers", name="centres",
                                       marker=dict(size=6, color="black", symbol="x")))
        else:
            fig.add_trace(go.Scatter(x=c[:, 0], y=c[:, 1], mode="markers", name="centres",
                                     marker=dict(size=12, color="black", symbol="x")))
    _axis_titles(fig, proj)
    if not three:
        fig.update_yaxes(scaleanchor="x", scaleratio=1)
    fig.update_layout(height=_HEIGHT, margin=dict(l=10, r=10, t=30, b=10),
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0))
    return fig


def weight_matrices(weights: RNNWeights) -> list[tuple[str, np.ndarray]]:
    """Every layer of f and g as ``(name, [W | b])`` with the bias as the last column."""
    mats = []
    for part, ws, bs in (("f", weights.f_weights, weights.f_biases), ("g", weights.g_weights, weights.g_biases)):
        for k, (w, b) in enumerate(zip(ws, bs)):
            mats.append((f"{part} layer {k + 1}", np.hstack([w, b[:, None]])))
    return mats


def weight_heatmaps(before: RNNWeights, after: RNNWeights, *, max_cells: int = 4096) -> go.Figure:
    """Side-by-side heatmaps (before | after) of every layer's weights, bias as the last column.

    Layers larger than ``max_cells`` entries are shown cropped to their first rows and columns.
    """
    b_mats, a_mats = weight_matrices(before), weight_matrices(after)
    n = len(b_mats)
    titles = []
    for (name, _), _ in zip(b_mats, a_mats):
        titles += [f"{name}: before", f"{name}: after"]
    fig = make_subplots(rows=n, cols=2, subplot_titles=titles, horizontal_spacing=0.08,
                        vertical_spacing=min(0.08, 0.5 / max(n, 1)))
    for r, ((name, mb), (_, ma)) in enumerate(zip(b_mats, a_mats), start=1):
        side = max(1, int(np.sqrt(max_cells)))
        mb, ma = mb[:side, :side], ma[:side, :side]
        lim = float(max(np.abs(mb).max(initial=0), np.abs(ma).max(initial=0), 1e-12))
        for c, m in ((1, mb), (2, ma)):
            text = [[f"{v:.3g}" for v in row] for row in m] if m.size <= 150 else None
            fig.add_trace(go.Heatmap(z=m[::-1], zmin=-lim, zmax=lim, colorscale="RdBu", reversescale=True,
                                     showscale=False, text=text[::-1] if text else None,
                                     texttemplate="%{text}" if text else None,
                                     hovertemplate="row %{y}, col %{x}: %{z:.4g}<extra></extra>"), row=r, col=c)
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False)
    fig.update_layout(height=max(260, 200 * n), margin=dict(l=10, r=10, t=40, b=10))
    return fig


def training_curves(steps: Sequence[int], loss: Sequence[Sequence[float]],
                    accuracy: Sequence[Sequence[float]]) -> go.Figure:
    """Loss (log scale) and accuracy per evaluation, one line per seed."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("training loss", "test accuracy (checked sequences)"))
    loss_arr = np.asarray(loss, dtype=np.float64).reshape(len(steps), -1) if len(steps) else np.zeros((0, 1))
    acc_arr = np.asarray(accuracy, dtype=np.float64).reshape(len(steps), -1) if len(steps) else np.zeros((0, 1))
    for s in range(loss_arr.shape[1]):
        fig.add_trace(go.Scatter(x=list(steps), y=loss_arr[:, s], mode="lines", name=f"seed {s} loss",
                                 legendgroup=str(s)), row=1, col=1)
    for s in range(acc_arr.shape[1]):
        fig.add_trace(go.Scatter(x=list(steps), y=acc_arr[:, s], mode="lines", name=f"seed {s} accuracy",
                                 legendgroup=str(s), showlegend=False), row=1, col=2)
    fig.update_yaxes(type="log", row=1, col=1)
    fig.update_yaxes(range=[0, 1.02], row=1, col=2)
    fig.update_xaxes(title="step")
    fig.update_layout(height=340, margin=dict(l=10, r=10, t=40, b=10))
    return fig


def states_by_step_figure(states_by_step: Sequence[int]) -> go.Figure:
    """Distinct states seen up to each step (a counter keeps growing; a finite machine saturates)."""
    y = list(states_by_step)
    fig = go.Figure(go.Scatter(x=list(range(len(y))), y=y, mode="lines+markers"))
    fig.update_layout(height=260, margin=dict(l=10, r=10, t=30, b=10), xaxis_title="step",
                      yaxis_title="distinct states so far")
    return fig


def description_length_figure(rows: Sequence[dict]) -> go.Figure:
    """Stacked bars of the description length (bits) of each candidate encoding."""
    parts = ("parameter_bits", "code_bits", "residual_bits", "dynamics_bits", "output_bits")
    names = [f"{r['kind']} ({r['method']})" + (" *" if r.get("chosen") else "") for r in rows]
    fig = go.Figure([go.Bar(name=p.replace("_bits", ""), x=names, y=[float(r.get(p, 0.0)) for r in rows])
                     for p in parts])
    fig.update_layout(barmode="stack", height=320, margin=dict(l=10, r=10, t=30, b=10), yaxis_title="bits",
                      legend_title="part")
    return fig


def solved_counts_figure(counts: dict[str, int], total: int) -> go.Figure:
    """Bar chart of solved-task counts (ours, the paper's MIPS, GPT-4) out of ``total``."""
    names = list(counts)
    fig = go.Figure(go.Bar(x=names, y=[counts[n] for n in names], text=[f"{counts[n]}/{total}" for n in names],
                           textposition="outside", marker_color=["#2a9d8f", "#e9c46a", "#e76f51"][:len(names)]))
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=30, b=10), yaxis_title="tasks solved",
                      yaxis_range=[0, max(total, 1) * 1.1])
    return fig
