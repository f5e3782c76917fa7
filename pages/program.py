"""Program: the regressed program; accept it, or edit it and re-verify; download it and the report."""

import streamlit as st

from mips.codegen import to_source
from mips.program import input_names
from workbench import session
from workbench.program_edit import check_edited_program, program_latex, report_json
from workbench.tables import counterexample_rows

session.ensure_routed()

EDITOR = "program_source"

st.title("Program")
st.write("The state machine regressed into a short Python program, checked three ways: against the task on the "
         "whole test split (or every possible input), against the network, and on sequences five times longer. "
         "Accept it, or edit it and re-verify: the edited program is parsed and interpreted, never executed.")

task, model, result = session.analysis()
session.context_caption(task, model)


def template(n_inputs: int) -> str:
    names = ", ".join(input_names(n_inputs))
    first = input_names(n_inputs)[0]
    return (f"def f(xs):\n    a = 0\n    ys = []\n    for {names} in xs:\n        a = a + {first}\n"
            f"        ys.append(a)\n    return ys\n")


if result is not None:
    for name in ("regress", "verify"):
        problem = session.stage_problem(result, name)
        if problem:
            st.warning(problem)
    program, verification = result.program, result.verification
    owner = f"{task.key}|{model.fingerprint}"
    generated = to_source(program) if program is not None else ""
    editable = generated if program is not None and program.kind == "symbolic" else template(task.spec.input_dim)
    if st.session_state.get(session.K_PROGRAM_OWNER) != owner:
        st.session_state[session.K_PROGRAM_OWNER] = owner
        st.session_state[session.K_PROGRAM_TEXT] = editable
        st.session_state.pop(session.K_PROGRAM_CHECK, None)
        st.session_state.pop(EDITOR, None)
    if EDITOR not in st.session_state:
        st.session_state[EDITOR] = st.session_state[session.K_PROGRAM_TEXT]

    if program is None:
        st.error("No program was produced for this network (see the warnings above).")
    else:
        if result.solved:
            st.success(f"Solved: {verification.summary()}.")
        elif verification is not None:
            st.error(f"Not solved ({program.kind} program): {verification.summary()}.")
        st.markdown(f"**Generated program** ({program.kind}, found by {program.method}, size {program.size})")
        if program.kind == "table" and len(generated) > 20_000:
            st.code(generated[:20_000] + "\n# ... (truncated; download the full program below)", language="python")
        else:
            st.code(generated, language="python")
        latex = program_latex(program)
        if latex:
            st.latex(latex)
        accepted = st.session_state.get(session.K_PROGRAM_ACCEPTED, {})
        if accepted.get(owner) == generated:
            st.success("You accepted this program.")
        elif st.button("Accept this program", key="accept_program", disabled=verification is None):
            st.session_state[session.K_PROGRAM_ACCEPTED] = {**accepted, owner: generated}
            st.rerun()
        if verification is not None and verification.counterexample is not None:
            with st.expander("Counterexample of the generated program"):
                st.dataframe(counterexample_rows(verification.counterexample.steps), hide_index=True,
                             key="generated_counterexample")

    st.divider()
    st.subheader("Edit and re-verify")
    if program is not None and program.kind == "table":
        st.caption("A state table cannot be edited here: write a symbolic program in the template below instead.")

    def reset() -> None:
        st.session_state[EDITOR] = editable
        st.session_state.pop(session.K_PROGRAM_CHECK, None)

    source = st.text_area("Program source", key=EDITOR, height=260,
                          help="def f(xs): initial integer state, ys = [], one loop updating the state and "
                               "appending the output, return ys.")
    st.session_state[session.K_PROGRAM_TEXT] = source
    b1, b2, _ = st.columns([1, 1, 3])
    if b1.button("Verify edited program", type="primary", key="verify_edit"):
        with st.spinner("Verifying..."):
            st.session_state[session.K_PROGRAM_CHECK] = {"owner": owner,
                                                        "check": check_edited_program(source, result)}
    b2.button("Reset", key="reset_edit", on_click=reset,
           help="Put the generated program back in the editor.")

    record = st.session_state.get(session.K_PROGRAM_CHECK)
    check = record["check"] if record and record["owner"] == owner else None
    if check is not None:
        stale = check.source != source
        if stale:
            st.caption("The source changed since this check; press Verify again.")
        if check.outcome == "verified":
            st.success(check.message)
        elif check.outcome == "failed":
            st.error(check.message)
            ce = check.verification.counterexample if check.verification else None
            if ce is not None:
                st.markdown(f"**Counterexample trace** (sequence {ce.sequence}, checked against {ce.against}; "
                            f"first wrong step {ce.first_wrong_step})")
                st.dataframe(counterexample_rows(ce.steps), hide_index=True, key="edit_counterexample")
        else:
            # syntax_error: outside the program grammar; the message says which construct (a real
            # syntax error says "syntax error" itself), so no "Syntax error" label for an import
            st.error(("Not a valid program: " if check.outcome == "syntax_error" else "") + check.message)

    st.divider()
    verified_edit = check is not None and check.ok and check.source == source
    download_src = to_source(check.program) if verified_edit else generated
    d1, d2 = st.columns(2)
    d1.download_button("Download the program (.py)", download_src or "# no program\n",
                       file_name=f"{task.spec.name}.py", mime="text/x-python", key="download_py",
                       help="The edited program when it is verified, else the generated one.")
    d2.download_button("Download the full report (.json)", report_json(result, check), file_name=f"{task.spec.name}.json",
                       mime="application/json", key="download_json")
