"""Program: the regressed program, what was checked, its LaTeX; accept it, or edit it and re-verify;
download it and the report."""

import streamlit as st

from mips.program.codegen import to_source
from mips.program.program import input_names
from workbench import analysis_view, presentation, routing, state
from workbench.code_editor import code_editor
from workbench.page_table import heading
from workbench.plain_text import unlinked
from workbench.program_accept import acceptable, accepted_record, download_choice
from workbench.program_edit import check_edited_program, latex_or_note, report_json
from workbench.verification_view import check_rows, counterexample_table, readability_caption

routing.ensure_routed()

EDITOR = "program_editor"
COUNTEREXAMPLE_COLUMNS = {"ok": "right?", "program_state": "program state", "program_output": "program output",
                          "network_output": "network output", "encoded_state": "encoded state",
                          "hidden": "hidden state"}

st.title(heading("program"))
st.write("The state machine regressed into a short Python program, checked three ways: against the task, against "
         "the network, and on sequences five times longer (the table under each program says on how many "
         "sequences). Accept it, or edit it and re-verify: the edited program is parsed and interpreted, never "
         "executed.")

task, model, result = analysis_view.analysis()
analysis_view.context_caption(task, model)


def template(n_inputs: int) -> str:
    names = ", ".join(input_names(n_inputs))
    first = input_names(n_inputs)[0]
    return (f"def f(xs):\n    a = 0\n    ys = []\n    for {names} in xs:\n        a = a + {first}\n"
            f"        ys.append(a)\n    return ys\n")


def show_checks(verification) -> None:
    st.table(check_rows(verification, seq_len=task.spec.seq_len, n_generated=n_generated), hide_index=True)


def show_counterexample(ce, key: str) -> None:
    against = {"task": "the task", "network": "the network", "length": "the task on longer sequences"}
    st.markdown(f"**Counterexample** (sequence {ce.sequence} of the checked set, against "
                f"{against.get(ce.against, ce.against)}; first wrong step {ce.first_wrong_step}; wrong steps are "
                f"shaded and marked WRONG)")
    st.dataframe(counterexample_table(ce.steps), hide_index=True, key=key, column_config=COUNTEREXAMPLE_COLUMNS,
                 height=min(38 + 35 * len(ce.steps), 560))


def show_latex(program) -> None:
    latex, note = latex_or_note(program)
    if latex:
        st.latex(latex)
    elif note:
        st.caption(note)


if result is not None:
    for name in ("regress", "verify"):
        problem = analysis_view.stage_problem(result, name)
        if problem:
            st.warning(problem)
    program, verification = result.program, result.verification
    n_generated = int(result.dataset.x_train.shape[0] + result.dataset.x_test.shape[0]) if result.dataset else None
    generated = to_source(program) if program is not None else ""
    editable = generated if program is not None and program.kind == "symbolic" else template(task.spec.input_dim)
    workspace = state.program_workspace(task, model, editable)
    accepted = workspace.accepted

    if program is None:
        st.error("No program was produced for this network (see the warnings above).")
    else:
        if result.solved:
            st.success(f"Solved: {verification.summary()}.")
        elif verification is not None:
            st.error(f"Not solved ({program.kind} program): {verification.summary()}.")
        st.markdown(f"**Generated program** ({program.kind}, found by {program.method}, size {program.size})")
        if program.kind == "table" and len(generated) > 20_000:
            st.code(generated[:20_000] + "\n# ... (truncated; download the full program below)", language="python",
                    line_numbers=True)
        else:
            st.code(generated, language="python", line_numbers=True)
        show_latex(program)
        if verification is not None:
            st.markdown("**What was checked**")
            show_checks(verification)
        ok, why = acceptable(program, verification)
        if accepted is not None and accepted["origin"] == "generated":
            st.success("You accepted the generated program: it is in the download and in the report.")
            st.button("Withdraw the acceptance", key="withdraw_generated", on_click=workspace.withdraw)
        elif ok:
            st.button("Accept this program", key="accept_program", type="primary",
                      on_click=workspace.accept, args=(accepted_record(program, verification, origin="generated"),),
                      help="Record it as the accepted program: the .py download and the JSON report then hold it.")
        else:
            st.caption(why)
        if verification is not None and verification.counterexample is not None:
            with st.expander("Counterexample of the generated program", expanded=not result.solved):
                show_counterexample(verification.counterexample, "generated_counterexample")
        if result.alternatives:
            with st.expander(f"Other verified programs ({len(result.alternatives)}): the one above reads best"):
                st.caption(readability_caption(program, result.task))
                for i, (alt, _) in enumerate(result.alternatives):
                    st.markdown(f"**{i + 2}.** {readability_caption(alt, result.task)}")
                    st.code(to_source(alt), language="python", line_numbers=True)

    st.divider()
    st.subheader("Edit and re-verify")
    if program is not None and program.kind == "table":
        st.caption("A state table cannot be edited here: write a symbolic program in the template below instead.")

    editor_slot = st.empty()          # drawn after the buttons are handled, so a new error line shows at once
    source = workspace.text
    buttons = st.container(horizontal=True)
    if buttons.button("Verify edited program", type="primary", key="verify_edit"):
        with st.spinner("Verifying (task, network, longer sequences)..."):
            workspace.set_check(check_edited_program(source, result))
    buttons.button("Reset", key="reset_edit", on_click=workspace.reset,
                   help="Put the generated program back in the editor.")

    check = workspace.check
    error_line = check.line if check is not None and check.outcome == "syntax_error" and check.source == source \
        else None
    with editor_slot.container():
        code_editor(workspace.text_key, label="Program source", key=EDITOR, error_line=error_line,
                    min_lines=max(8, editable.count("\n") + 1), font_size=presentation.code_font_size())

    if check is not None:
        if check.source != source:
            st.caption("The source changed since this check; press Verify again.")
        if check.outcome == "verified":
            st.success(unlinked(check.message))
        elif check.outcome == "failed":
            st.error(unlinked(check.message))
        else:
            # syntax_error: outside the program grammar; the message says which construct (a real
            # syntax error says "syntax error" itself), so no "Syntax error" label for an import
            st.error(("Not a valid program: " if check.outcome == "syntax_error" else "") + unlinked(check.message))
        if check.program is not None and check.outcome in ("verified", "failed"):
            show_latex(check.program)
        if check.verification is not None:
            show_checks(check.verification)
            if check.verification.counterexample is not None:
                show_counterexample(check.verification.counterexample, "edit_counterexample")
        if check.ok and check.source == source:
            if accepted is not None and accepted["origin"] == "edited" and accepted["program"] == to_source(check.program):
                st.success("You accepted this edited program: it is in the download and in the report.")
                st.button("Withdraw the acceptance", key="withdraw_edited", on_click=workspace.withdraw)
            else:
                st.button("Accept the edited program", key="accept_edit", type="primary", on_click=workspace.accept,
                          args=(accepted_record(check.program, check.verification, origin="edited"),),
                          help="Record it as the accepted program (replacing any accepted before).")

    st.divider()
    verified_edit = check.program if check is not None and check.ok and check.source == source else None
    download = download_choice(accepted, verified_edit, generated)
    downloads = st.container(horizontal=True)
    downloads.download_button(download.label, download.source, file_name=f"{task.spec.name}.py", mime="text/x-python",
                       key="download_py", help=download.help)
    downloads.download_button("Download the full report (.json)", report_json(result, check, accepted),
                       file_name=f"{task.spec.name}.json", mime="application/json", key="download_json",
                       help="The pipeline's report, the edited program and its check, and the accepted program.")
