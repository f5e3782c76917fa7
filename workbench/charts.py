"""The small charts of the Train, State machine, Lattice and Benchmark pages (pure functions, no streamlit).

Each takes plain numbers and returns a ``plotly.graph_objects.Figure``; the hidden-state pictures are
:mod:`workbench.figures`. Unit tests in ``tests/app/test_workbench_units.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from workbench.palette import FONT, TEMPLATE


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
    fig.update_layout(height=260, margin=dict(l=10, r=10, t=30, b=10), xaxis_title="step", template=TEMPLATE,
                      yaxis_title="distinct states so far")
    return fig


def description_length_figure(rows: Sequence[dict]) -> go.Figure:
    """Stacked bars of the description length (bits) of each candidate encoding."""
    parts = ("parameter_bits", "code_bits", "residual_bits", "dynamics_bits", "output_bits")
    names = [f"{r['kind']} ({r['method']})" + (" *" if r.get("chosen") else "") for r in rows]
    fig = go.Figure([go.Bar(name=p.replace("_bits", ""), x=names, y=[float(r.get(p, 0.0)) for r in rows])
                     for p in parts])
    fig.update_layout(barmode="stack", height=340, margin=dict(l=10, r=10, t=30, b=10), yaxis_title="bits",
                      template=TEMPLATE, font=FONT,
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
