"""Home / Task: pick a task (or upload a task file or a checkpoint), see it and the network in use."""

import streamlit as st

from mips.sandbox import isolation
from workbench import routing, state
from workbench.page_table import heading, tour
from workbench.plain_text import escape_markdown
from workbench.tasks_view import spec_samples, spec_summary, task_names

routing.ensure_routed()

st.title(heading("home"))
st.write("Turn a trained recurrent network into a readable, verified Python program. "
         "Pick one of the 62 benchmark tasks (or upload your own) to see its definition, example sequences "
         "and the network that the other pages take apart.")

names = task_names()
chosen = state.chosen_task_name()
left, right = st.columns([2, 1])
with left:
    name = st.selectbox("Benchmark task", names, index=names.index(chosen) if chosen in names else 0,
                        key=state.TASK_SELECTBOX, help="The 62 tasks of the paper, in its order.")
    if name != chosen or not state.task_chosen():
        state.set_builtin_task(name)
with right:
    with st.expander("Upload a task file or a checkpoint"):
        task_file = st.file_uploader("Task file (.py)", type=["py"], key="task_file_upload",
                                     help="A Python file defining NAME, INPUT_DIM, INPUT_VALUES, SEQ_LEN and "
                                          "target(xs); see the README. It runs on this server, isolated: "
                                          "no network, no other processes, no files outside its own.")
        iso = isolation()
        trust = False
        if not iso.complete:
            st.warning(f"This server cannot isolate uploaded task files ({iso.problem}), so they are refused. "
                       f"To fix it, run `{iso.fix}` on the server.")
            with st.expander("Why: what this server can isolate"):
                st.text("\n".join(iso.notes))
            trust = st.checkbox("I trust this file: run it without full isolation", key="trust_task_file")
        ckpt = st.file_uploader("Checkpoint (.pt)", type=["pt"], key="checkpoint_upload",
                                help="A network saved by the Train page or `python -m mips train`, or the state dict "
                                     "of your own nn.RNN, nn.GRU or nn.LSTM (with its description below); it replaces "
                                     "the zoo network for the current task in this browser tab.")
        described = st.file_uploader("Its description (.json), for a PyTorch state dict", type=["json"],
                                     key="description_upload",
                                     help="The JSON file naming the network's kind, sizes, read-out layers and input "
                                          "encoding; see 'Networks from your own PyTorch code' in the README.")
        st.caption("Uploads and networks trained here stay in this browser tab only: a reload or a shared link "
                   "does not bring them back.")

# -- a task file is checked in the background: the page stays usable, and Cancel stops it at once
if task_file is not None:
    data = task_file.getvalue()
    if state.first_sight(state.task_upload_tag(data, trust)):
        state.start_task_file(task_file.name, data, trust=trust)
else:
    state.forget_uploads("task")                                # the same file may be uploaded again
    if state.active_task_file() is not None:
        if st.button("Back to the benchmark task", key="back_to_builtin"):
            state.set_builtin_task(name)

job = state.task_file_job()
if job is not None and job.done:
    state.finish_task_file(job)
    job = None


@st.fragment(run_every=0.5)
def task_file_progress() -> None:
    running = state.task_file_job()
    if running is None or running.done:
        st.rerun(scope="app")                       # show the loaded task (or the message)
    st.info(running.status())
    st.button("Cancel", key="cancel_task_file", on_click=running.cancel,
              help="Stop checking this task file now; the current task stays.")


if job is not None:
    task_file_progress()
outcome = state.task_load_outcome()
if outcome is not None and job is None:
    if outcome.ok:
        st.success(escape_markdown(outcome.message))
    elif outcome.cancelled:
        st.info(escape_markdown(outcome.message))
    else:
        st.error(escape_markdown(outcome.message))   # may quote the file

# -- a checkpoint is validated now; one trained for another task waits for a confirmation
task = state.current_task()
if ckpt is not None:
    data = ckpt.getvalue()
    description = described.getvalue() if described is not None else None
    tag = state.upload_tag(task, data, description)
    if state.first_sight(tag):
        error = (state.use_uploaded_network(task, ckpt.name, data, described.name, description) if described
                 else state.use_uploaded_checkpoint(task, ckpt.name, data))
        state.remember_upload_error(tag, error)
    error = state.upload_error(tag)
    if error and state.pending_checkpoint(task) is None:
        st.error(escape_markdown(error))
else:
    state.forget_uploads("ckpt")

pending = state.pending_checkpoint(task)
if pending is not None:
    other = pending.checkpoint_task
    st.error(escape_markdown(f"Not used: the checkpoint '{pending.shown_name}' was trained for "
                             f"task '{other}', not {task.spec.name}. Checked against {task.spec.name}, its program "
                             f"would be wrong. Switch to its task, or confirm that you want it for "
                             f"{task.spec.name}."))
    choices = st.container(horizontal=True)
    if other in names and other != task.spec.name:
        choices.button(f"Switch to {other} and use it", key="checkpoint_switch", type="primary",
                       on_click=state.use_pending_for_its_task, args=(task,))
    choices.button(f"Use it for {task.spec.name} anyway", key="checkpoint_confirm",
              on_click=state.confirm_pending_checkpoint, args=(task,))
    choices.button("Discard it", key="checkpoint_discard", on_click=state.discard_pending_checkpoint)

spec = task.spec
summary = spec_summary(spec)
st.subheader(spec.name)
st.write(escape_markdown(summary["description"]))  # a task file's docstring is not Markdown
custom = state.active_task_file() if task.source == "file" else None
st.caption(summary["facts"] + (f" Custom task from {escape_markdown(custom.shown_name)}." if custom else ""))
st.markdown("**Sample sequences** (test split)")
st.dataframe(spec_samples(spec, 5), hide_index=True)

st.markdown("**Network in use**")
model = state.current_model(task)
if not model.available:
    st.info(escape_markdown(model.error))
else:
    acc = f"{model.accuracy:.4%}" if model.accuracy is not None else "unknown"
    st.write(f"{escape_markdown(model.label)}: {model.n_parameters} parameters, "
             f"test accuracy {acc} (every output of the whole test split).")
    if model.note:
        st.warning(escape_markdown(model.note))
    if model.source in ("upload", "trained"):
        if st.button("Use the zoo network again", key="forget_model"):
            state.forget_override(task)
            st.rerun()

st.divider()
st.subheader("How MIPS works")
st.write("MIPS reads an algorithm out of a trained RNN in a few steps; each page of this workbench shows one of "
         "them for the task above.")
for step, label in tour():
    c1, c2 = st.columns([1, 4])
    with c1:
        st.page_link(step.path, label=label)
    with c2:
        st.write(step.tour)
