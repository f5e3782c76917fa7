"""Normalizers: step through whitening -> Jordan -> Toeplitz -> de-bias -> quantize."""

import streamlit as st

from workbench import session
from workbench.figures import weight_heatmaps
from workbench.tables import normalizer_rows

session.ensure_routed()

STEP_TITLES = {"whiten": "whitening", "jnf": "Jordan normal form", "toeplitz": "Toeplitz", "debias": "de-biasing",
               "quantize": "quantization"}

st.title("Normalizers")
st.write("The normalizers rewrite the network's weights into a simpler but equivalent form (same outputs), so that "
         "the hidden states line up with integer coordinates. Step through the chain to see each step's weights "
         "before and after, its metrics, and whether it was rejected because it would change an answer.")

task, model, result = session.analysis()
session.context_caption(task, model)
if result is not None:
    report = result.normalization
    problem = session.stage_problem(result, "normalize")
    if problem:
        st.error(problem)
    elif report is None or not report.steps:
        st.info("The normalizers were switched off for this run.")
    else:
        names = [s.name for s in report.steps]
        name = st.select_slider("Step", names, value=names[0], key="norm_step",
                                format_func=lambda n: f"{names.index(n) + 1}. {STEP_TITLES.get(n, n)}")
        step = report.step(name)
        c1, c2, c3, c4 = st.columns(4)
        c1.metric("Outcome", "accepted" if step.accepted else "REJECTED")
        c2.metric("Changed the weights", "yes" if step.changed else "no")
        c3.metric("Largest output change", f"{step.max_output_change:.3g}",
                  help="Largest |change| of any output over the evaluation sequences (float64).")
        c4.metric("Accuracy after", f"{step.accuracy_after:.4%}",
                  delta=None if step.accepted else f"proposal {step.candidate_accuracy:.4%}", delta_color="inverse")
        (st.info if step.accepted else st.warning)(f"**{STEP_TITLES.get(name, name)}**: {step.message}")
        st.markdown("**Weights before and after this step** (each layer as [W | b], bias in the last column; "
                    "a rejected step shows its proposal on the right)")
        st.plotly_chart(weight_heatmaps(step.before, step.after if step.accepted else step.candidate),
                        key="norm_heatmaps")
        st.markdown("**Metrics after each step** (§7 of the method: fewer neurons, more integer weights, ...)")
        st.dataframe(normalizer_rows(report), hide_index=True, key="norm_metrics")
        worst = max(report.steps, key=lambda s: s.max_output_change)
        st.caption(f"Largest output change of the chain: {worst.max_output_change:.3g} at step "
                   f"'{STEP_TITLES.get(worst.name, worst.name)}'. The chain took {report.seconds:.2f} s.")
        rejected = [s for s in report.steps if not s.accepted]
        for s in rejected:
            st.warning(f"Rejected step '{STEP_TITLES.get(s.name, s.name)}': {s.message}")
        if not rejected:
            st.success("Every step was accepted: no answer of the network changed.")
