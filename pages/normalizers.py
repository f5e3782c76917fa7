"""Normalizers: step through whitening -> Jordan -> Toeplitz -> de-bias -> quantize."""

import itertools

import streamlit as st

from workbench import analysis_view, routing, view_cache
from workbench.normalizer_view import step_title
from workbench.page_table import heading
from workbench.tables import normalizer_rows

routing.ensure_routed()

st.title(heading("normalizers"))
st.write("The normalizers rewrite the network's weights into a simpler form, so that its hidden states line up "
         "with integer coordinates. A step is kept only if the network still gets every test answer right; the raw "
         "outputs may move a little (quantization rounds weights and may change outputs within its tolerance), "
         "which the rounding to the answer absorbs. A step that would change an answer is rejected and the network "
         "passes on unchanged.")

task, model, result = analysis_view.analysis()
analysis_view.context_caption(task, model)
if result is not None:
    report = result.normalization
    problem = analysis_view.stage_problem(result, "normalize")
    if problem and analysis_view.stage_skipped(result, "normalize"):
        st.info(problem)              # the stage does not apply to this network: not an error
    elif problem:
        st.error(problem)
    elif report is None or not report.steps:
        st.info("The normalizers were switched off for this run.")
    else:
        names = [s.name for s in report.steps]
        marks = {s.name: "" if s.accepted else " (rejected)" for s in report.steps}
        name = st.radio("Step", names, horizontal=True, key="norm_step",
                        format_func=lambda n: f"{names.index(n) + 1}. {step_title(n)}{marks[n]}")
        index = names.index(name)
        step = report.steps[index]
        c1, c2, c3, c4 = st.columns(4)
        c1.metric("Outcome", "accepted" if step.accepted else "REJECTED")
        c2.metric("Changed the weights", "yes" if step.changed else "no")
        c3.metric("Largest output change" if step.accepted else "Proposal's output change",
                  f"{step.max_output_change:.3g}",
                  help="Largest |change| of any raw output over the test sequences (float64), before rounding to "
                       "the answer." + ("" if step.accepted else " The proposal was rejected: the network's outputs "
                                                                  "did not change."))
        c4.metric("Accuracy after", f"{step.accuracy_after:.4%}",
                  delta=None if step.accepted else f"proposal {step.candidate_accuracy:.4%}", delta_color="inverse")
        (st.info if step.accepted else st.warning)(f"**{step_title(name)}**: {step.message}")

        st.markdown("**Weights before → after → change** (rows: what a layer writes; columns: what it reads; "
                    "W and the bias b each have their own colour scale" +
                    ("; a rejected step shows its proposal as 'after')" if not step.accepted else ")"))
        key = (task.key, model.fingerprint)
        figures = view_cache.weight_figures(key, index, result)
        layer_names = [layer.name for layer, _ in figures]
        shown = st.radio("Layer", layer_names, horizontal=True, key="norm_layer",
                         format_func=lambda n: f"{n}: {figures[layer_names.index(n)][0].meaning}")
        st.plotly_chart(figures[layer_names.index(shown)][1], key="norm_heatmaps", theme=None)

        hidden_dim = result.normalization.initial.config.hidden_dim
        axes = (0, 1)
        st.markdown("**The hidden states before and after this step**, in the network's own coordinates h1, h2, …: "
                    "the normalizers turn them until they sit on integer grid lines")
        if hidden_dim > 2:
            pairs = list(itertools.combinations(range(hidden_dim), 2))
            axes = st.selectbox("Hidden coordinates drawn", pairs, key="norm_axes",
                                format_func=lambda p: f"h{p[0] + 1} and h{p[1] + 1}")
        st.plotly_chart(view_cache.cloud_figure(key, (index, index + 1), tuple(axes), None, result), key="norm_cloud",
                        theme=None)
        if st.toggle("Show the hidden states after every step, side by side", key="norm_all_clouds"):
            st.plotly_chart(view_cache.cloud_figure(key, tuple(range(len(names) + 1)), tuple(axes), 3, result),
                            key="norm_clouds_all", theme=None)

        st.markdown("**Metrics after each step** (§7 of the method: fewer neurons, more integer weights, ...)")
        st.dataframe(normalizer_rows(report), hide_index=True, key="norm_metrics")
        worst = report.largest_accepted_change()
        if worst is not None:
            st.caption(f"Largest output change of the accepted steps: {worst.max_output_change:.3g}, at step "
                       f"'{step_title(worst.name)}' (rejected steps change nothing). The chain took "
                       f"{report.seconds:.2f} s.")
        rejected = [s for s in report.steps if not s.accepted]
        for s in rejected:
            st.warning(f"Rejected step '{step_title(s.name)}': {s.message}")
        if not rejected:
            st.success("Every step was accepted: every test answer of the network is the same.")
