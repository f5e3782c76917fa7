"""Cached computations of the analysis pages (Hidden states, Normalizers, Lattice, State machine).

It caches, per (task, network), the projections of the hidden states under any of the run's encodings,
the hidden states after each normalizer step, machine windows and typed-input runs, so that a page
revisited or a widget changed redraws in well under a second. The pipeline results themselves are
kept by :mod:`workbench.state.results`.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from mips.pipeline import PipelineResult
from mips.encodings.projection import Projection, project
from workbench import machine_layout, normalizer_view, typed_input
from workbench.state_numbering import EncodingOption, encoding_options, machine_encoding

PROJECTION_SEQUENCES = 400
LATTICE_SEQUENCES = 200      # the Lattice page draws two pictures of them
CLOUD_SEQUENCES = 300


def options(result: PipelineResult) -> list[EncodingOption]:
    """The run's distinct encodings, the machine's first (cheap; not cached)."""
    return encoding_options(result)


@st.cache_data(show_spinner=False, max_entries=64)
def projection(key: tuple, option: int, n_components: int, _result: PipelineResult,
               n_sequences: int = PROJECTION_SEQUENCES) -> Projection:
    """PCA of ``n_sequences`` traced sequences' hidden states with the codes of encoding option
    ``option`` (-1: none)."""
    opts = encoding_options(_result)
    enc = opts[option].encoding if 0 <= option < len(opts) else None
    n_seq = min(n_sequences, _result.trace.n_sequences)
    return project(_result.trace, enc, n_components=n_components, max_sequences=n_seq, seed=0)


@st.cache_data(show_spinner=False, max_entries=16)
def clouds(key: tuple, _result: PipelineResult) -> list[normalizer_view.Cloud]:
    """The hidden states of the network before the chain and after each step."""
    x = _result.trace.x[:CLOUD_SEQUENCES]
    return normalizer_view.clouds(_result.normalization, x)


@st.cache_data(show_spinner=False, max_entries=32)
def window(key: tuple, inputs: tuple, steps: int, _result: PipelineResult) -> machine_layout.Window:
    """The machine the network walks through in ``steps`` steps on ``inputs``."""
    return machine_layout.window_machine(_result.traced_weights, machine_encoding(_result), inputs, steps)


@st.cache_data(show_spinner=False, max_entries=64)
def typed(key: tuple, x: tuple, _result: PipelineResult) -> typed_input.TypedTrace:
    """A typed sequence through the network, the machine and the program."""
    return typed_input.typed_trace(_result, np.array(x, dtype=np.int64))


@st.cache_resource(show_spinner=False, max_entries=64)
def weight_figures(key: tuple, step: int, _result: PipelineResult):
    """The labelled heatmaps of one normalizer step (built once: plotly figures are slow to build)."""
    s = _result.normalization.steps[step]
    return normalizer_view.weight_figures(s.before, s.after if s.accepted else s.candidate)


@st.cache_resource(show_spinner=False, max_entries=64)
def cloud_figure(key: tuple, panels: tuple, axes: tuple, columns: int | None, _result: PipelineResult):
    """The hidden-state clouds of the networks ``panels`` (0: initial, i: after step i)."""
    all_clouds = clouds(key, _result)
    return normalizer_view.cloud_figure([all_clouds[i] for i in panels], axes, columns=columns)
