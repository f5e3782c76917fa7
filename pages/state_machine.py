"""State machine: the FSM read off the encoded hidden states, minimised and laid out by its structure."""

import streamlit as st

from workbench import analysis_view, routing, view_cache
from workbench.charts import states_by_step_figure
from workbench.machine_layout import (GRAPH_CSS, default_inputs, layout_positions, machine_dot, max_window_steps,
                                      window_inputs)
from workbench.page_table import heading
from workbench.state_numbering import cycle_modulus, input_label, machine_encoding, machine_state_labels, sorted_inputs
from workbench.tables import machine_rows, minimisation_summary, transition_rows

routing.ensure_routed()

MAX_GRAPH_STATES = 40
LAYOUTS = {"cycle": "States on a cycle in residue order (0 on top, +1 clockwise); each edge is coloured by its input.",
           "bits": "States placed at their bits (first bit to the right, second bit down).",
           "outputs": "One column per output value, states in code order.",
           "steps": "Left to right by the step at which a state is first reached."}

st.title(heading("state_machine"))
st.write("Every step of every sequence is a transition between encoded states, labelled by the input; each state "
         "carries the output the network gives there. States are named by their code, as on the Hidden states and "
         "Lattice pages. Merging states that behave the same (minimisation) leaves the machine the network runs.")

task, model, result = analysis_view.analysis()
analysis_view.context_caption(task, model)
if result is not None:
    fsm = result.fsm
    problem = analysis_view.stage_problem(result, "fsm")
    if problem or fsm is None:
        st.error(problem or "No state machine was extracted.")
    else:
        st.markdown(GRAPH_CSS, unsafe_allow_html=True)
        key = (task.key, model.fingerprint)
        enc = machine_encoding(result)
        if fsm.status == "counter":
            st.warning(f"Counter: the number of states keeps growing with the sequence length, so this is not a "
                       f"finite-state machine. Growing variables: {', '.join(fsm.growing_variables) or 'unknown'}. "
                       f"Below, a window: the states the network reaches in its first steps.")
        elif fsm.status == "unsaturated":
            st.warning("New states keep appearing in the traced data although every state variable stays bounded: "
                       "the data does not cover the whole machine. Below, a window: the states the network reaches "
                       "in its first steps.")
        else:
            st.success(f"Finite machine: {fsm.message}.")
        summary = minimisation_summary(fsm)
        cols = st.columns(4)
        for col, k in zip(cols, ("observed states", "minimal Moore states", "minimal Mealy states",
                                 "transitions never observed")):
            col.metric(k, "-" if summary[k] is None else summary[k])
        m = fsm.minimal
        if m is not None and m.n_states <= MAX_GRAPH_STATES:
            modulus = cycle_modulus(enc)
            layout, _ = layout_positions(m, enc.kind, modulus)
            graph, side = st.columns([3, 2])
            picked = side.multiselect("Inputs drawn", [m.inputs[j] for j in sorted_inputs(m.inputs)],
                                      default=[m.inputs[j] for j in default_inputs(m, modulus)],
                                      format_func=lambda v: f"x = {input_label(v)}", key="fsm_inputs")
            shown = [m.inputs.index(v) for v in picked]
            side.markdown(f"**{m.n_states} states**, named by their code z; each shows its output y. "
                          f"{LAYOUTS[layout]} The start state has the entry arrow and a thick border.")
            if enc.update_rule:
                side.markdown(f"Update rule: `{enc.update_rule}`")
            graph.graphviz_chart(machine_dot(m, kind=enc.kind, modulus=modulus, inputs=shown))
            st.markdown("**Transition table** (minimal machine; '-' marks a transition never observed)")
            st.dataframe(transition_rows(fsm), hide_index=True, key="fsm_table")
        else:
            if m is not None:
                st.info(f"{m.n_states} states are too many to draw ({MAX_GRAPH_STATES} at most); below, a window.")
            alphabet = sorted(tuple(int(v) for v in a) for a in result.encoding.data.inputs) \
                if result.encoding is not None else [tuple([v]) for v in task.spec.input_values]
            c1, c2 = st.columns([2, 1])
            chosen = c1.multiselect("Inputs of the window", alphabet, default=window_inputs(alphabet, 2),
                                    format_func=input_label, key="fsm_window_inputs")
            limit = max_window_steps(max(len(chosen), 1))
            steps = c2.slider("Steps", 1, max(1, min(limit, 6)), min(3, limit), key="fsm_window_steps")
            if chosen:
                window = view_cache.window(key, tuple(chosen), steps, result)
                st.markdown(f"**A window of the machine**: the {window.machine.n_states} states the network reaches "
                            f"from the start in {steps} step(s) on the inputs "
                            f"{', '.join(input_label(c) for c in chosen)}, named by their code z, each with its "
                            f"output y. Dashed: reached at the last step (its successors are not drawn).")
                st.graphviz_chart(machine_dot(window.machine, open_states=window.open_states, ranks=window.ranks))
                st.dataframe(machine_rows(window.machine), hide_index=True, key="fsm_window_table")
            else:
                st.info("Choose at least one input to draw a window of the machine.")
        with st.expander("Minimisation summary"):
            st.table([{"quantity": k, "value": "-" if v is None else str(v)} for k, v in summary.items()])
            if fsm.unobserved and m is not None:
                labels = machine_state_labels(m)
                st.write("Never observed: " + "; ".join(f"state {labels[s]} with x = {input_label(u)}"
                                                        for s, u in fsm.unobserved[:50]))
        st.markdown("**Distinct states seen up to each step** (a finite machine flattens out; a counter keeps rising)")
        st.plotly_chart(states_by_step_figure(fsm.states_by_step), key="fsm_growth", theme=None)
