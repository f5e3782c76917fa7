"""State machine: the FSM read off the encoded hidden states, minimised."""

import streamlit as st

from workbench import session
from workbench.figures import states_by_step_figure
from workbench.tables import minimisation_summary, transition_rows

session.ensure_routed()

MAX_GRAPH_STATES = 40

st.title("State machine")
st.write("Every step of every sequence is a transition between encoded states, labelled by the input; each state "
         "carries the output the network gives there. Merging states that behave the same (minimisation) leaves "
         "the machine the network actually runs.")

task, model, result = session.analysis()
session.context_caption(task, model)
if result is not None:
    fsm = result.fsm
    problem = session.stage_problem(result, "fsm")
    if problem or fsm is None:
        st.error(problem or "No state machine was extracted.")
    else:
        if fsm.status == "counter":
            st.warning(f"Counter: the number of states keeps growing with the sequence length, so this is not a "
                       f"finite-state machine ({fsm.message}). Growing variables: "
                       f"{', '.join(fsm.growing_variables) or 'unknown'}. The program page tries a formula over "
                       f"integer variables instead of a table.")
        elif fsm.status == "unsaturated":
            st.warning(f"Unsaturated: new states keep appearing although every variable stays bounded; the data "
                       f"may not cover the machine ({fsm.message}).")
        else:
            st.success(f"Finite machine: {fsm.message}.")
        summary = minimisation_summary(fsm)
        cols = st.columns(4)
        for col, k in zip(cols, ("observed states", "minimal Moore states", "minimal Mealy states",
                                 "transitions never observed")):
            col.metric(k, "-" if summary[k] is None else summary[k])
        m = fsm.minimal
        if m is not None:
            if m.n_states <= MAX_GRAPH_STATES:
                st.graphviz_chart(m.to_dot())
                st.caption("Each node: state name, its code z and output y; edges are labelled by the inputs that "
                           "take them; the dot marks the start.")
            else:
                st.info(f"{m.n_states} states are too many to draw ({MAX_GRAPH_STATES} at most); the table below "
                        f"lists them.")
            st.markdown("**Transition table** (minimal machine; '-' marks a transition never observed)")
            st.dataframe(transition_rows(fsm), hide_index=True, key="fsm_table")
        with st.expander("Minimisation summary"):
            st.table([{"quantity": k, "value": "-" if v is None else str(v)} for k, v in summary.items()])
            if fsm.unobserved:
                st.write("Never observed (state, input): " + ", ".join(str(u) for u in fsm.unobserved[:50]))
        st.markdown("**Distinct states seen up to each step** (a finite machine flattens out; a counter keeps rising)")
        st.plotly_chart(states_by_step_figure(fsm.states_by_step), key="fsm_growth")
