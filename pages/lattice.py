"""Lattice: the states at their integer coordinates, next to the hidden states with the encoding drawn
through them; the description length of every encoding tried."""

import itertools

import streamlit as st

from workbench import analysis_view, routing, view_cache
from workbench.charts import description_length_figure
from workbench.lattice_overlay import hidden_figure, lattice_grid
from workbench.lattice_view import integer_figure
from workbench.page_table import heading
from workbench.state_numbering import ROLE_MACHINE, cycle_modulus, describe_encoding, description_rows, is_lattice

routing.ensure_routed()

st.title(heading("lattice"))
st.write("The hidden states are given integer coordinates, their code: a point of a lattice (state = offset + an "
         "integer combination of basis vectors), a residue on a cycle, bits, or a cluster number. Left: every state "
         "at its code. Right: the hidden states themselves with the encoding drawn through them. Every encoding "
         "tried is scored by its description length (bits to write the states down).")

task, model, result = analysis_view.analysis()
analysis_view.context_caption(task, model)
if result is not None:
    choice = result.encoding
    problem = analysis_view.stage_problem(result, "encode")
    if problem:
        st.error(problem)
    opts = view_cache.options(result)
    if opts and result.trace is not None:
        key = (task.key, model.fingerprint)
        c1, c2 = st.columns([3, 1])
        idx = c1.selectbox("Encoding shown", list(range(len(opts))), index=0, key="lat_candidate",
                           format_func=lambda i: opts[i].title)
        dims = c2.radio("View", ["2D", "3D"], horizontal=True, key="lat_dims")
        enc = opts[idx].encoding
        if ROLE_MACHINE not in opts[idx].roles:
            st.info("This is not the encoding the state machine and the program use (the first in the list); "
                    "its codes number the states differently.")
        proj = view_cache.projection(key, idx, 3 if dims == "3D" else 2, result, view_cache.LATTICE_SEQUENCES)
        st.markdown(f"**{enc.kind} ({enc.method})**: {describe_encoding(enc)}")
        axes = None
        if enc.n_vars >= 3 and dims == "2D":
            pairs = list(itertools.combinations(range(enc.n_vars), 2))
            pick = st.selectbox("Integer coordinates drawn", pairs, key="lat_axes",
                                format_func=lambda p: f"{enc.variables[p[0]]} and {enc.variables[p[1]]}")
            axes = list(pick)
        left, right = st.columns(2)
        left.markdown("**The states at their integer coordinates** (each labelled with its code)")
        left.plotly_chart(integer_figure(proj, enc, dims=3 if dims == "3D" else 2, axes=axes), key="lat_integer",
                          theme=None)
        right.markdown("**The hidden states, with the encoding drawn through them**")
        right.plotly_chart(hidden_figure(proj, enc, hidden_dim=result.trace.hidden_dim), key="lat_figure",
                           theme=None)
        if is_lattice(enc):
            grid = lattice_grid(proj, enc)
            steps = ", ".join(f"{int(s)} in {v}" for s, v in zip(grid["steps"], enc.variables))
            st.caption(f"Grid lines every {steps}; the arrows are the basis vectors b1 … b{enc.n_vars} at that "
                       f"scale, "
                       f"starting at a lattice point inside the data. Hover a point for its code and its unrounded "
                       f"lattice coordinates.")
            st.markdown("Basis vectors (rows, in hidden-state coordinates) and offset:")
            rows = [{"vector": f"b{j + 1}", **{f"h{k + 1}": round(float(v), 4) for k, v in enumerate(b)}}
                    for j, b in enumerate(enc.basis)]
            rows.append({"vector": "offset", **{f"h{k + 1}": round(float(v), 4) for k, v in enumerate(enc.offset)}})
            st.dataframe(rows, hide_index=True, key="lat_basis")
        elif cycle_modulus(enc):
            st.caption("Left: the residues on a circle, +1 clockwise. Right: each residue written at its hidden "
                       "states, the arrows joining 0 → 1 → … in the order the update moves them.")
        else:
            st.caption("Each state's code is written at the middle of its hidden states.")
        st.markdown("**Description length of every encoding tried** (bits; the shortest is marked *)")
        table = description_rows(opts)
        st.plotly_chart(description_length_figure(table), key="lat_dl_figure", theme=None)
        st.dataframe([{k: (round(v, 2) if isinstance(v, float) else v) for k, v in r.items()} for r in table],
                     hide_index=True, key="lat_dl_table")
    if choice is not None and choice.failures:
        with st.expander(f"Finders that found nothing ({len(choice.failures)})"):
            for f in choice.failures:
                st.write(f"- **{f.kind} ({f.method})**: {f.message}")
