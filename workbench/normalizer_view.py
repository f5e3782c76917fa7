"""The Normalizers page's pictures: labelled weight heatmaps before → after → change, and the hidden
states after every step (design.md §5b: "weights with row and column labels and one colour scale
per matrix").

Each layer of f and g is a weight matrix W and a bias b. Rows and columns are named by what they
connect: f's first layer reads ``h1 … hH`` and ``x1 … xI`` (``x`` for one input) and writes the new
``h1 … hH`` (or the hidden units ``u1 …`` of a deeper f); g reads ``h1 … hH`` and writes ``y``.
W and b each have their own colour scale (a bias of −123 does not wash out a 0/1 matrix), shared
by "before" and "after" so the two compare; the change (after − before) has its own.

Pure functions; no streamlit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mips.network.rnn import RNNWeights
from mips.normalizers.chain import NormalizationReport
from mips.network.trace import trace
from workbench.figures import thin_points
from workbench.palette import CATEGORICAL, DIVERGING, FONT, TEMPLATE, MAX_CATEGORIES, SEQUENTIAL
from workbench.state_numbering import code_label

STEP_TITLES = {"whiten": "whitening", "jnf": "Jordan normal form", "toeplitz": "Toeplitz", "debias": "de-biasing",
               "quantize": "quantization"}
MAX_SIDE = 40                # rows / columns drawn per matrix
MAX_TEXT_CELLS = 120         # values written in the cells up to this many cells


def step_title(name: str) -> str:
    return STEP_TITLES.get(name, name)


def _names(prefix: str, n: int) -> list[str]:
    return [prefix] if n == 1 and prefix in ("x", "y") else [f"{prefix}{i + 1}" for i in range(n)]


@dataclass(frozen=True, slots=True)
class Layer:
    """One affine layer: its name, what it computes, and the labels of W's rows and columns."""

    name: str
    meaning: str
    weight: np.ndarray          # (out, in)
    bias: np.ndarray            # (out,)
    rows: tuple[str, ...]
    columns: tuple[str, ...]


def layers(weights: RNNWeights) -> list[Layer]:
    """Every layer of f then g with row and column labels."""
    cfg = weights.config
    h = _names("h", cfg.hidden_dim)
    x = _names("x", cfg.input_dim)
    y = _names("y", cfg.output_dim)
    out = []
    nf = len(weights.f_weights)
    for k, (w, b) in enumerate(zip(weights.f_weights, weights.f_biases)):
        cols = h + x if k == 0 else _names("u", w.shape[1])
        rows = h if k == nf - 1 else _names("u", w.shape[0])
        what = "new hidden state" if k == nf - 1 else "hidden units of f"
        reads = "previous hidden state and input" if k == 0 else "hidden units of f"
        out.append(Layer(name=f"f layer {k + 1}" if nf > 1 else "f (recurrence)",
                         meaning=f"{what} from the {reads}", weight=w, bias=b, rows=tuple(rows), columns=tuple(cols)))
    ng = len(weights.g_weights)
    for k, (w, b) in enumerate(zip(weights.g_weights, weights.g_biases)):
        cols = h if k == 0 else _names("v", w.shape[1])
        rows = y if k == ng - 1 else _names("v", w.shape[0])
        out.append(Layer(name=f"g layer {k + 1}" if ng > 1 else "g (output)",
                         meaning="output from the hidden state" if ng == 1 else "output network",
                         weight=w, bias=b, rows=tuple(rows), columns=tuple(cols)))
    return out


def _lim(*arrays: np.ndarray) -> float:
    m = max((float(np.max(np.abs(a))) for a in arrays if a.size), default=0.0)
    return m if m > 0 and np.isfinite(m) else 1.0


def _text(m: np.ndarray) -> list[list[str]] | None:
    if m.size > MAX_TEXT_CELLS:
        return None
    return [[f"{v:.3g}" if abs(v) >= 5e-4 else "0" for v in row] for row in m]


def layer_figure(before: Layer, after: Layer) -> go.Figure:
    """Three rows (before, after, change = after − before) by two columns (W, bias b) of labelled
    heatmaps; W and b have a colour scale each (shared by before and after), the change its own."""
    rows_, cols_ = list(before.rows[:MAX_SIDE]), list(before.columns[:MAX_SIDE])
    wb, wa = before.weight[:MAX_SIDE, :MAX_SIDE], after.weight[:MAX_SIDE, :MAX_SIDE]
    bb, ba = before.bias[:MAX_SIDE, None], after.bias[:MAX_SIDE, None]
    dw, db = wa - wb, ba - bb
    n_cols = len(cols_)
    fig = make_subplots(rows=3, cols=2, column_widths=[max(n_cols, 2), 1.0], horizontal_spacing=0.16,
                        vertical_spacing=0.12,
                        subplot_titles=["<b>before</b>: weights W", "bias b", "<b>after</b>: weights W", "bias b",
                                        "<b>change</b>: W after − before", "b after − before"])
    lim_w, lim_b = _lim(wb, wa), _lim(bb, ba)
    lim_dw, lim_db = _lim(dw), _lim(db)
    w_end, b_end = fig.layout.xaxis.domain[1], fig.layout.xaxis2.domain[1]
    top, mid_low = fig.layout.yaxis.domain[1], fig.layout.yaxis3.domain[0]
    low_top, bottom = fig.layout.yaxis5.domain[1], fig.layout.yaxis5.domain[0]
    axes = {"coloraxis": ("W", lim_w, w_end, top, top - mid_low), "coloraxis2": ("b", lim_b, b_end, top, top - mid_low),
            "coloraxis3": ("ΔW", lim_dw, w_end, low_top, low_top - bottom),
            "coloraxis4": ("Δb", lim_db, b_end, low_top, low_top - bottom)}
    for key, (title, lim, x, y, length) in axes.items():
        fig.update_layout(**{key: dict(colorscale=DIVERGING, cmin=-lim, cmid=0, cmax=lim,
                                       colorbar=dict(title=dict(text=title), thickness=12, len=length,
                                                     lenmode="fraction",
                                                     y=y, yanchor="top", x=x + 0.01, xanchor="left",
                                                     tickfont=dict(size=12)))})
    cells = [(1, 1, wb, "coloraxis", cols_), (1, 2, bb, "coloraxis2", ["bias"]),
             (2, 1, wa, "coloraxis", cols_), (2, 2, ba, "coloraxis2", ["bias"]),
             (3, 1, dw, "coloraxis3", cols_), (3, 2, db, "coloraxis4", ["bias"])]
    for r, c, m, axis, xlabels in cells:
        text = _text(m)
        fig.add_trace(go.Heatmap(z=m, x=xlabels, y=rows_, coloraxis=axis, text=text,
                                 texttemplate="%{text}" if text else None, textfont=dict(size=13),
                                 xgap=1, ygap=1,
                                 hovertemplate="row %{y}, column %{x}: %{z:.4g}<extra></extra>"), row=r, col=c)
    fig.update_yaxes(autorange="reversed", type="category", tickfont=dict(size=14))
    fig.update_xaxes(type="category", tickfont=dict(size=14))
    cell = 34
    height = max(420, 3 * (len(rows_) * cell + 70) + 60)
    fig.update_layout(height=height, margin=dict(l=10, r=90, t=40, b=10), font=FONT, template=TEMPLATE)
    fig.for_each_annotation(lambda a: a.update(font=dict(size=15)))
    return fig


def weight_figures(before: RNNWeights, after: RNNWeights) -> list[tuple[Layer, go.Figure]]:
    """One figure per layer (:func:`layer_figure`)."""
    return [(b, layer_figure(b, a)) for b, a in zip(layers(before), layers(after))]


# -- the hidden states after each step ---------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Cloud:
    """The hidden states of one network on a sample of sequences."""

    title: str
    hidden: np.ndarray          # (n_points, H), the states after every step (the start state left out)
    outputs: np.ndarray         # (n_points, output_dim) int64, the network's rounded output there


def clouds(report: NormalizationReport, x: np.ndarray) -> list[Cloud]:
    """The hidden states of the initial network and of the network after each step (a rejected
    step's network is its input's), on the sequences ``x`` (n, T, input_dim)."""
    nets = [("initial network", report.initial)] + [
        (f"{i + 1}. {step_title(s.name)}" + ("" if s.accepted else " (rejected)"), s.after)
        for i, s in enumerate(report.steps)]
    out = []
    for title, w in nets:
        with np.errstate(all="ignore"):
            tr = trace(w, x)
        h = tr.hidden[:, 1:].reshape(-1, tr.hidden_dim)
        out.append(Cloud(title=title, hidden=h, outputs=tr.predictions().reshape(-1, tr.y.shape[2])))
    return out


def _output_colours(outputs: np.ndarray) -> tuple[list | np.ndarray, dict[str, str] | None]:
    labels = [code_label(o) for o in outputs]
    distinct = sorted(set(labels), key=lambda s: tuple(int(v) for v in s.strip("()").split(",")))
    if len(distinct) <= MAX_CATEGORIES:
        cmap = {lab: CATEGORICAL[i] for i, lab in enumerate(distinct)}
        return [cmap[lab] for lab in labels], cmap
    return outputs[:, 0].astype(np.float64), None


def _axis_for(values: np.ndarray, title: str) -> dict:
    lo, hi = float(np.min(values)), float(np.max(values))
    axis = dict(title=title, zeroline=True, zerolinecolor="#888888", showgrid=True, gridcolor="#cfcfcf")
    if 3 <= hi - lo <= 24:                     # integer grid lines where they can be told apart
        axis.update(dtick=1 if hi - lo <= 12 else 2, tick0=0)
    return axis


def cloud_figure(panels: Sequence[Cloud], axes: tuple[int, int] = (0, 1), *, height: int | None = None,
                 columns: int | None = None, max_points: int | None = None,
                 resolution: int | None = 100) -> go.Figure:
    """Side-by-side scatters of hidden states in the network's own coordinates h_i, h_j (not PCA:
    the normalizers rotate and scale the hidden space, and the point is to see the states land on
    integer grid lines). One colour per output value; grid lines every integer on small ranges.
    A one-number hidden state is drawn against its step."""
    n = len(panels)
    max_points = max_points or (3000 if n <= 2 else 1000)
    n_cols = min(n, columns) if columns else n
    n_rows = -(-n // n_cols)
    fig = make_subplots(rows=n_rows, cols=n_cols, subplot_titles=[p.title for p in panels],
                        horizontal_spacing=0.07, vertical_spacing=0.16 if n_rows > 1 else 0.1)
    legend_done: set = set()
    for n_panel, p in enumerate(panels):
        row, c = divmod(n_panel, n_cols)
        row, c = row + 1, c + 1
        h = p.hidden[:max_points]
        o = p.outputs[:max_points]
        i, j = axes
        x = h[:, i]
        if h.shape[1] > 1:
            y, ytitle = h[:, j], f"h{j + 1}"
        else:                                   # one hidden number: a line
            y, ytitle = np.zeros(len(x)), ""
        key = o[:, 0].astype(np.float64)
        if np.unique(key).size > MAX_CATEGORIES:       # an ordered colour scale: one marker per spot
            key = np.zeros_like(key)
        keep, _ = thin_points(np.c_[x, y], key, resolution)
        x, y, o = x[keep], y[keep], o[keep]
        colours, cmap = _output_colours(o)
        if cmap is None:
            fig.add_trace(go.Scatter(x=x, y=y, mode="markers", showlegend=False, hoverinfo="x+y",
                                       marker=dict(size=5, color=colours, colorscale=SEQUENTIAL, opacity=0.6,
                                                   showscale=n_panel == n - 1,
                                                   colorbar=dict(title="output", thickness=12))),
                          row=row, col=c)
        else:
            labels = np.array([code_label(v) for v in o], dtype=object)
            for lab, colour in cmap.items():
                m = labels == lab
                fig.add_trace(go.Scatter(x=x[m], y=y[m], mode="markers", name=f"output {lab}", legendgroup=lab,
                                           showlegend=lab not in legend_done, hoverinfo="x+y",
                                           marker=dict(size=6, color=colour, opacity=0.6)), row=row, col=c)
                legend_done.add(lab)
        fig.update_xaxes(**_axis_for(x, f"h{i + 1}"), row=row, col=c)
        if h.shape[1] > 1:
            fig.update_yaxes(**_axis_for(y, ytitle), row=row, col=c)
        else:
            fig.update_yaxes(visible=False, row=row, col=c)
    fig.update_annotations(font=dict(size=15))
    height = height or 80 + 380 * n_rows
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=80, b=10), font=FONT, template=TEMPLATE,
                      legend=dict(orientation="h", yanchor="bottom", y=1.0 + 60 / height, x=0,
                                  title=dict(text="network output:")))
    return fig
