"""Lattice: the detected lattice (or other encoding) of the hidden states, and the description lengths."""

import streamlit as st

from workbench import session
from workbench.figures import description_length_figure, lattice_figure

session.ensure_routed()

st.title("Lattice")
st.write("The hidden states are given integer coordinates: a lattice (states = offset + integer combinations of "
         "basis vectors), bits, a cycle, or plain clusters. Every encoding tried is scored by its description "
         "length (bits to write the states down); the shortest wins. Hover a point to see its integer coordinates.")

task, model, result = session.analysis()
session.context_caption(task, model)
if result is not None:
    choice = result.encoding
    problem = session.stage_problem(result, "encode")
    if problem:
        st.error(problem)
    if choice is not None and choice.candidates:
        cands = choice.candidates
        default = max(session.chosen_candidate(result), 0)
        lattices = [i for i, c in enumerate(cands) if c.kind == "lattice"]
        if cands[default].kind != "lattice" and lattices:
            st.info(f"The chosen encoding is {cands[default].kind}; a lattice was found too and can be shown below.")
        elif not lattices:
            st.info(f"No lattice fits these hidden states; the chosen encoding is {cands[default].kind} "
                    f"({cands[default].method}). Its cluster centres are shown instead of basis vectors.")
        c1, c2 = st.columns([3, 1])
        idx = c1.selectbox("Encoding shown", list(range(len(cands))), index=default, key="lat_candidate",
                           format_func=lambda i: f"{cands[i].kind} ({cands[i].method}), {cands[i].n_states} states"
                                                 + (" - chosen" if cands[i] is choice.chosen else ""))
        dims = c2.radio("View", ["2D", "3D"], horizontal=True, key="lat_dims")
        enc = cands[idx]
        n_seq = min(session.PROJECTION_SEQUENCES, result.trace.n_sequences)
        proj = session.cached_projection((task.key, model.fingerprint), 3 if dims == "3D" else 2, idx, n_seq, result)
        st.plotly_chart(lattice_figure(proj), key="lat_figure")
        st.markdown(f"**{enc.kind} ({enc.method})**: {enc.summary}")
        if enc.kind == "lattice":
            st.markdown("Basis vectors (rows, in hidden-state coordinates) and offset:")
            rows = [{"vector": f"b{j + 1}", **{f"h{k + 1}": round(float(v), 4) for k, v in enumerate(b)}}
                    for j, b in enumerate(enc.basis)]
            rows.append({"vector": "offset", **{f"h{k + 1}": round(float(v), 4) for k, v in enumerate(enc.offset)}})
            st.dataframe(rows, hide_index=True, key="lat_basis")
        if enc.update_rule:
            st.caption(f"Update rule of the codes: `{enc.update_rule}`")
        st.markdown("**Description length of every encoding tried** (bits; the shortest is chosen, marked *)")
        table = choice.table()
        st.plotly_chart(description_length_figure(table), key="lat_dl_figure")
        st.dataframe([{k: (round(v, 2) if isinstance(v, float) else v) for k, v in r.items()} for r in table],
                     hide_index=True, key="lat_dl_table")
    if choice is not None and choice.failures:
        with st.expander(f"Finders that found nothing ({len(choice.failures)})"):
            for f in choice.failures:
                st.write(f"- **{f.kind} ({f.method})**: {f.message}")
