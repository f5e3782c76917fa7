"""Home / Task: pick a task (or upload a task file or a checkpoint), see it and the network in use."""

import streamlit as st

from mips.sandbox import isolation
from workbench import session
from workbench.plain_text import escape_markdown
from workbench.tasks_view import spec_samples, spec_summary, task_names

session.ensure_routed()

st.title("MIPS workbench")
st.write("Turn a trained recurrent network into a readable, verified Python program. "
         "Pick one of the 62 benchmark tasks (or upload your own) to see its definition, example sequences "
         "and the network that the other pages take apart.")

names = task_names()
chosen = session.chosen_task_name()
left, right = st.columns([2, 1])
with left:
    name = st.selectbox("Benchmark task", names, index=names.index(chosen) if chosen in names else 0,
                        key="task_name", help="The 62 tasks of the paper, in its order.")
    if name != chosen or st.session_state.get(session.K_TASK_SOURCE) is None:
        session.set_builtin_task(name)
with right:
    with st.expander("Upload a task file or a checkpoint"):
        task_file = st.file_uploader("Task file (.py)", type=["py"], key="task_file_upload",
                                     help="A Python file defining NAME, INPUT_DIM, INPUT_VALUES, SEQ_LEN and "
                                          "target(xs); see the README. It runs on this server, isolated: "
                                          "no network, no other processes, no files outside its own.")
        iso = isolation()
        trust = False
        if not iso.complete:
            st.warning("This server cannot fully isolate uploaded task files (missing: "
                       + ", ".join(iso.missing()) + "), so they are refused.")
            trust = st.checkbox("I trust this file: run it without full isolation", key="trust_task_file")
        ckpt = st.file_uploader("Checkpoint (.pt)", type=["pt"], key="checkpoint_upload",
                                help="A network saved by `python -m mips train`; it replaces the zoo network "
                                     "for the current task in this session.")

seen = st.session_state.setdefault(session.K_SEEN_UPLOADS, set())
if task_file is not None:
    data = task_file.getvalue()
    tag = ("task", session._sha(data))
    if tag not in seen:
        error = session.set_task_file(task_file.name, data, trust=trust)
        if error:
            st.error(escape_markdown(error))
        else:
            seen.add(tag)
elif st.session_state.get(session.K_TASK_SOURCE) == "file":
    if st.button("Back to the benchmark task", key="back_to_builtin"):
        session.set_builtin_task(name)

task = session.current_task()
if ckpt is not None:
    data = ckpt.getvalue()
    tag = ("ckpt", task.key, session._sha(data))
    if tag not in seen:
        error = session.use_uploaded_checkpoint(task, ckpt.name, data)
        if error:
            st.error(escape_markdown(error))
        else:
            seen.add(tag)

spec = task.spec
summary = spec_summary(spec)
st.subheader(spec.name)
st.write(escape_markdown(summary["description"]))  # a task file's docstring is not Markdown
st.caption(summary["facts"] + (" Custom task from "
                               + escape_markdown(session.shown_name(st.session_state[session.K_TASK_FILE]["filename"]))
                               + "."
                               if task.source == "file" else ""))
st.markdown("**Sample sequences** (test split)")
st.dataframe(spec_samples(spec, 5), hide_index=True)

st.markdown("**Network in use**")
model = session.current_model(task)
if model.checkpoint is None:
    st.info(escape_markdown(model.error))
else:
    acc = f"{model.accuracy:.4%}" if model.accuracy is not None else "unknown"
    st.write(f"{escape_markdown(model.label)}: {model.checkpoint.config.n_parameters} parameters, "
             f"test accuracy {acc} (every output of the whole test split).")
    if model.note:
        st.warning(escape_markdown(model.note))
    if model.source in ("upload", "trained"):
        if st.button("Use the zoo network again", key="forget_model"):
            session.forget_override(task)
            st.rerun()

st.divider()
st.subheader("How MIPS works")
st.write("MIPS reads an algorithm out of a trained RNN in a few steps; each page of this workbench shows one of "
         "them for the task above.")
TOUR = (
    ("pages/train.py", "1. Train", "train or search a small network that is 100% right on the task "
                                   "(optional: the zoo already has one for most tasks)."),
    ("pages/hidden_states.py", "2. Hidden states", "look at every hidden state of the network: they form clusters "
                                                   "or a grid."),
    ("pages/normalizers.py", "3. Normalizers", "simplify the weights (whitening, Jordan form, Toeplitz, "
                                               "de-biasing, quantization) without changing any output."),
    ("pages/lattice.py", "4. Lattice", "find integer coordinates for the hidden states (a lattice, bits, a "
                                       "cycle) by minimum description length."),
    ("pages/state_machine.py", "5. State machine", "read the finite-state machine the network runs, minimised."),
    ("pages/program.py", "6. Program", "regress the machine into a Python program, verify it, edit it, download it."),
    ("pages/benchmark.py", "7. Benchmark", "how many of the 62 tasks are solved, next to the paper's MIPS and GPT-4."),
)
for path, label, text in TOUR:
    c1, c2 = st.columns([1, 4])
    with c1:
        st.page_link(path, label=label)
    with c2:
        st.write(text)
