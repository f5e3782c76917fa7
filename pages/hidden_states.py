"""Hidden states: PCA scatter of every hidden state, and one sequence's trajectory step by step."""

import streamlit as st

from workbench import session
from workbench.figures import COLOR_CHOICES, hidden_state_figure
from workbench.tables import trajectory_rows

session.ensure_routed()

st.title("Hidden states")
st.write("Each point is the network's hidden state after some step of some sequence, projected on its principal "
         "axes. A network that runs a finite algorithm visits few places: the points form clusters or a grid, "
         "and the colour shows what decides where a state lands.")

task, model, result = session.analysis()
session.context_caption(task, model)
if result is not None:
    problem = session.stage_problem(result, "trace")
    if problem or result.trace is None:
        st.error(problem or "No hidden states were traced.")
    else:
        c1, c2, c3 = st.columns(3)
        dims = c1.radio("View", ["2D", "3D"], horizontal=True, key="hs_dims")
        color_by = c2.selectbox("Colour by", COLOR_CHOICES, key="hs_color",
                                format_func=lambda c: {"output": "network output", "step": "time step",
                                                       "cluster": "cluster (encoding)"}[c])
        n_seq = min(session.PROJECTION_SEQUENCES, result.trace.n_sequences)
        cand = session.chosen_candidate(result)
        proj = session.cached_projection((task.key, model.fingerprint), 3 if dims == "3D" else 2, cand, n_seq,
                                         result)
        sequences = sorted(set(int(s) for s in proj.sequence))
        c4, c5 = st.columns([1, 3])
        seq = c4.selectbox("Sequence to follow", [None] + sequences[:200], key="hs_sequence",
                           format_func=lambda s: "none" if s is None else f"sequence {s}")
        step = None
        if seq is not None:
            step = c5.slider("Up to step", 0, result.trace.seq_len, result.trace.seq_len, key="hs_step")
        c3.metric("Points shown", f"{proj.n_points:,}", help=f"{n_seq} sequences x {result.trace.seq_len + 1} "
                  f"states (the initial state h₋₁ = 0 is step 0)")
        st.plotly_chart(hidden_state_figure(proj, color_by, sequence=seq, upto_step=step), key="hs_figure")
        ratio = proj.explained_variance_ratio
        st.caption(f"Principal components explain {', '.join(f'{r:.1%}' for r in ratio)} of the variance "
                   f"(hidden size H = {result.trace.hidden_dim}).")
        if seq is not None:
            rows = trajectory_rows(result.trace, proj, seq)
            st.markdown(f"**Sequence {seq}, step by step** (step 0 is the initial state)")
            st.dataframe(rows[: step + 1], hide_index=True, key="hs_trajectory")
