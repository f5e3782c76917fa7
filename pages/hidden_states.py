"""Hidden states: PCA of every hidden state, and a typed-in input followed step by step through the
network, the state machine and the program."""

import numpy as np
import streamlit as st

from workbench import analysis_view, routing, view_cache
from workbench.figures import Trajectory, colour_options, hidden_state_figure, project_points, variance_caption
from workbench.page_table import heading
from workbench.state_numbering import code_label, start_code
from workbench.typed_input import TypedInputError, example_text, format_hint, parse_typed_input

routing.ensure_routed()

st.title(heading("hidden_states"))
st.write("Each point is the network's hidden state after some step of some sequence, projected on its principal "
         "axes. A network that runs a finite algorithm visits few places: the points form clusters or a grid. "
         "States are named by their code, the same numbers as on the Lattice, State machine and Program pages.")

task, model, result = analysis_view.analysis()
analysis_view.context_caption(task, model)
if result is not None:
    problem = analysis_view.stage_problem(result, "trace")
    if problem or result.trace is None:
        st.error(problem or "No hidden states were traced.")
    else:
        key = (task.key, model.fingerprint)
        opts = view_cache.options(result)
        enc = opts[0].encoding if opts else None
        variables = enc.variables if enc is not None else ()
        c1, c2, c3 = st.columns([1, 2, 1])
        dims = c1.radio("View", ["2D", "3D"], horizontal=True, key="hs_dims")
        proj = view_cache.projection(key, 0 if opts else -1, 3 if dims == "3D" else 2, result)
        choices = colour_options(proj, variables)
        color_by = c2.selectbox("Colour by", list(choices), format_func=choices.get, key="hs_color")
        n_seq = len(np.unique(proj.sequence))
        c3.metric("Points shown", f"{proj.n_points:,}", help=f"{n_seq} sequences × {result.trace.seq_len + 1} "
                  f"states (step 0 is the start state h₋₁ = 0)")

        spec = task.spec
        hint = format_hint(spec.input_values, spec.input_dim)
        text = st.text_input(f"Type an input sequence to follow ({hint})", value=example_text(result.trace.x[0]),
                             key="hs_typed", help="Steps separated by spaces. The network, the state machine and "
                                                  "the program each run it; the table below lines them up by step.")
        typed = None
        try:
            x = parse_typed_input(text, input_values=spec.input_values, input_dim=spec.input_dim, task=spec.name)
            typed = view_cache.typed(key, tuple(map(tuple, x.tolist())), result)
        except TypedInputError as exc:
            st.error(str(exc))
        trajectory, upto = None, None
        if typed is not None:
            n_steps = len(typed.x)
            upto = st.slider("Up to step", 0, n_steps, n_steps, key="hs_step") if n_steps > 0 else 0
            trajectory = Trajectory(coords=project_points(proj, typed.hidden[: upto + 1]),
                                    steps=np.arange(upto + 1), name="your input")
        start = code_label(start_code(enc)) if enc is not None else None
        st.plotly_chart(hidden_state_figure(proj, color_by, trajectory=trajectory, variables=variables,
                                            start_label=start), key="hs_figure", theme=None)
        st.caption(variance_caption(proj) + f" Hidden size H = {result.trace.hidden_dim}.")
        if typed is not None:
            st.markdown("**Your input, step by step**: the network's hidden state h and its code z, the state "
                        "machine's state, the program's variables, and each one's output y next to the task's "
                        "(step 0 is the start)")
            st.dataframe(typed.rows[: upto + 1], hide_index=True, key="hs_trajectory")
            for note in typed.notes:
                st.info(note)
