"""Train: train one architecture or search the smallest network, with live curves; cancel works."""

import streamlit as st

from mips.errors import MipsError
from mips.tasks.dataset import Dataset, search_dataset
from workbench import analysis_view, routing, state
from workbench.charts import training_curves
from workbench.page_table import heading
from workbench.training_run import (DEFAULT_ARCHITECTURE, BackgroundRun, TrainingLog, config_from, follow,
                                   run_search, run_training)

routing.ensure_routed()

st.title(heading("train"))
st.write("Train a recurrent network on the chosen task, or let the smallest-network search pick the architecture. "
         "The curves show the training loss and the accuracy on checked test sequences per seed; a network that "
         "is 100% right replaces the zoo network for this session only.")

task = state.current_task()
model = state.current_model(task)
analysis_view.context_caption(task, model)
spec = task.spec

entry = state.zoo_manifest().get(spec.name) if task.source == "builtin" else None
arch = dict(DEFAULT_ARCHITECTURE)
if entry is not None and entry.architecture:
    arch.update({k: int(v) for k, v in entry.architecture.items() if k in arch})

mode = st.radio("What to run", ["Train one architecture", "Search the smallest network"], horizontal=True,
                key="train_mode")
c = st.columns(5)
fields = {}
if mode == "Train one architecture":
    for col, (k, label, hi) in zip(c, (("hidden_dim", "H (hidden size)", 16), ("hidden_depth", "f depth", 4),
                                       ("hidden_width", "f width", 128), ("output_depth", "g depth", 4),
                                       ("output_width", "g width", 128))):
        with col:
            fields[k] = st.number_input(label, min_value=1, max_value=hi, value=min(arch[k], hi), step=1,
                                        key=f"train_{k}")
o = st.columns(4)
with o[0]:
    recipe = st.selectbox("Recipe", ["fast", "paper"], key="train_recipe",
                          help="fast: standardised inputs, growing batches, cosine schedule; paper: the authors'.")
with o[1]:
    n_seeds = st.number_input("Seeds per architecture" if mode.startswith("Search") else "Seeds trained together",
                              1, 8, 4 if mode.startswith("Search") else 3, key="train_seeds")
with o[2]:
    n_sequences = st.select_slider("Dataset size", [20_000, 50_000, 100_000, 200_000, 1_000_000], value=100_000,
                                   key="train_n_sequences")
with o[3]:
    limit = st.number_input("Time limit (s)", 5, 3600, 60 if mode.startswith("Train") else 300,
                            key="train_limit" if mode.startswith("Train") else "search_limit",
                            help="Wall clock. A search also stops at its work budget, which does not depend on "
                                 "the machine's speed.")
order, work_budget = "practical", None
if mode.startswith("Search"):
    s1, s2 = st.columns(2)
    with s1:
        order = st.radio("Search order", ["practical", "paper"], horizontal=True, key="search_order",
                         help="practical: small linear and nonlinear networks interleaved by cost, several trained "
                              "together, hopeless ones dropped early, then shrinking toward a smaller perfect network. "
                              "paper: the paper's AutoML order (every linear H before any nonlinearity).")
    with s2:
        work_budget = st.number_input("Work budget (units)", 10_000, 5_000_000, 250_000, step=10_000,
                                      key="search_work", disabled=order != "practical",
                                      help="One unit is one training step of one H=2, f 2/16 network on 256 "
                                           "sequences (about a millisecond on one core).")



@st.cache_resource(show_spinner=False, max_entries=4)
def _search_dataset(task_key: str, n_sequences: int, _spec) -> Dataset:
    """A search's dataset: de-duplicated when the task's input space is small (train and test disjoint)."""
    return search_dataset(_spec, n_sequences=n_sequences)


b1, b2, _ = st.columns([1, 1, 4])
start = b1.button("Start", type="primary", key="train_start")
# the callback runs first thing in the rerun that the click starts (the running loop is stopped separately)
b2.button("Cancel", key="train_cancel", on_click=state.cancel_training)

bar_slot, status_slot, chart_slot, table_slot = st.empty(), st.empty(), st.empty(), st.empty()


drawn = {"steps": 0, "trials": 0}


def draw(log: TrainingLog, final: bool = False, fraction: float | None = None) -> None:
    """Progress bar every call; curves and the trials table only when they grew (keys stay unique)."""
    steps, loss, accuracy, trials = log.snapshot()
    bar_slot.progress(log.fraction if fraction is None else fraction, text=log.status or "starting...")
    if steps and (final or len(steps) > drawn["steps"]):
        drawn["steps"] = len(steps)
        chart_slot.plotly_chart(training_curves(steps, loss, accuracy), key=f"train_curves_{len(steps)}_{final}")
    if trials and (final or len(trials) > drawn["trials"]):
        drawn["trials"] = len(trials)
        table_slot.dataframe(trials, hide_index=True, key=f"train_trials_{len(trials)}_{final}")


if start:
    record = state.start_training_record(task)
    log = record.log
    is_train = mode.startswith("Train")
    try:
        dataset = (state.task_dataset(task.key, int(n_sequences), spec) if is_train
                   else _search_dataset(task.key, int(n_sequences), spec))
        config = config_from(spec, fields) if is_train else None
    except MipsError as exc:
        record.error = str(exc)
        config = dataset = None
    if dataset is not None:
        if is_train:
            run = BackgroundRun(lambda stop: run_training(spec, config, dataset, log, recipe=recipe,
                                                          n_seeds=int(n_seeds), time_limit_seconds=float(limit),
                                                          should_stop=stop))
        else:
            run = BackgroundRun(lambda stop: run_search(spec, dataset, log, recipe=recipe, n_seeds=int(n_seeds),
                                                        order=order, work_budget=work_budget,
                                                        time_budget_seconds=float(limit), should_stop=stop))
        record.run = run
        # the page polls the worker; a rerun (Cancel, or leaving the page) interrupts the polling at its
        # next draw, and the worker is told to stop at its next evaluation
        follow(record, lambda lg, fraction: draw(lg, fraction=fraction),
               seconds=None if is_train else float(limit), work_fraction=order == "practical")
        outcome = record.outcome
        if outcome is not None and outcome.model is not None:
            data = state.checkpoint_bytes(task, outcome.model, outcome.training, outcome.seed)
            record.data = data
            if outcome.perfect:
                state.use_trained_model(task, data, f"trained in this session ({outcome.model.config.describe()})")

record = state.training_record(task)
if record is not None:
    log, outcome = record.log, record.outcome
    if record.interrupted:
        # this run interrupted the one that was polling the worker (Cancel, or another widget): stop it
        record.cancel()
    draw(log, final=True, fraction=1.0 if outcome is not None else None)
    if record.error:
        status_slot.error(record.error)
    elif record.cancelled or (outcome is not None and outcome.stopped == "cancelled"):
        done = f"{log.steps[-1]:,} steps" if log.steps else f"{len(log.trials)} trial(s)"
        status_slot.warning(f"Cancelled after {done}; the network in use did not change.")
    elif outcome is not None:
        if outcome.perfect:
            status_slot.success(f"{outcome.summary} It replaces the zoo network for this session; the other pages "
                                f"now analyse it.")
        else:
            status_slot.warning(f"{outcome.summary} It was not put in use because it is not 100% right.")
            if record.data is not None and st.button("Use it anyway", key="train_use_anyway"):
                state.use_trained_model(task, record.data, f"trained in this session "
                                        f"({outcome.model.config.describe()}, not perfect)",
                                        note="This network is not 100% right on the test split.")
                st.rerun()
        if record.data is not None:
            st.download_button("Download the checkpoint (.pt)", record.data, file_name=f"{spec.name}.pt",
                               key="train_download")
elif not start:
    st.info("Set the architecture and press Start. Training stops as soon as one seed is 100% right on the "
            "whole test split, at the time limit, or when you press Cancel (or leave this page).")
