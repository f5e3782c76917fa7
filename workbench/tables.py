"""Table builders for the workbench pages (pure functions returning lists of row dicts, no streamlit)."""

from __future__ import annotations

import math

import numpy as np

from mips.machine.extract import FSMResult
from mips.machine.moore import MooreMachine
from mips.normalizers.chain import NormalizationReport
from mips.encodings.projection import Projection
from mips.network.trace import HiddenTrace
from workbench.state_numbering import machine_state_labels, sorted_inputs, sorted_states

METRIC_COLUMNS = (("accuracy", "accuracy"), ("n_neurons", "active neurons"), ("n_weights", "non-zero weights"),
                  ("n_integer_weights", "integer weights"), ("n_biases", "non-zero biases"),
                  ("n_integer_biases", "integer biases"), ("effective_hidden_dim", "effective H"),
                  ("weight_l2_norm", "weight norm"), ("activation_sparsity", "sparsity"))


def _num(v):
    if isinstance(v, (float, np.floating)):
        return None if math.isnan(v) else round(float(v), 6)
    return v


def normalizer_rows(report: NormalizationReport) -> list[dict]:
    """The §7 metrics table: the initial network, then the network after each step."""
    rows = []
    if report.steps:
        first = report.steps[0].metrics_before
        rows.append({"step": "initial", "accepted": "", "changed": "", "max output change": None,
                     "rejected proposal's change": None,
                     **{label: _num(getattr(first, key)) for key, label in METRIC_COLUMNS}})
    for s in report.steps:
        rows.append({"step": s.name, "accepted": "yes" if s.accepted else "REJECTED",
                     "changed": "yes" if s.changed else "no",
                     "max output change": _num(s.max_output_change) if s.accepted else 0.0,
                     "rejected proposal's change": None if s.accepted else _num(s.max_output_change),
                     **{label: _num(getattr(s.metrics_after, key)) for key, label in METRIC_COLUMNS}})
    return rows


def _fmt(values) -> str:
    values = tuple(values)
    return str(values[0]) if len(values) == 1 else "(" + ",".join(str(v) for v in values) + ")"


def machine_rows(m: MooreMachine, *, max_states: int = 200) -> list[dict]:
    """A machine as a table: one row per state in code order (named by its code, the start marked),
    its output, then one column per input in numeric order with the next state."""
    labels = machine_state_labels(m)
    rows = []
    for i in sorted_states(m)[:max_states]:
        row = {"state (code z)": labels[i] + (" (start)" if i == m.initial else ""),
               "output": "none" if m.outputs[i] is None else _fmt(m.outputs[i])}
        for j in sorted_inputs(m.inputs):
            t = int(m.transitions[i, j])
            row[f"x={_fmt(m.inputs[j])}"] = labels[t] if t >= 0 else "-"
        rows.append(row)
    return rows


def transition_rows(fsm: FSMResult, *, minimal: bool = True, max_states: int = 200) -> list[dict]:
    """The (minimal) machine of an FSM result as a table (see :func:`machine_rows`)."""
    m = fsm.minimal if minimal else fsm.machine
    if m is None:
        return []
    return machine_rows(m, max_states=max_states)


def minimisation_summary(fsm: FSMResult) -> dict[str, object]:
    """Observed vs minimal states, Mealy states, conflicts and transitions never observed."""
    return {"status": fsm.status,
            "observed states": fsm.machine.n_states if fsm.machine is not None else None,
            "minimal Moore states": fsm.minimal.n_states if fsm.minimal is not None else None,
            "minimal Mealy states": fsm.n_mealy_states,
            "states with conflicting outputs": len(fsm.output_conflicts),
            "transitions with conflicting successors": len(fsm.transition_conflicts),
            "transitions never observed": len(fsm.unobserved)}


def trajectory_rows(trace: HiddenTrace, proj: Projection, sequence: int) -> list[dict]:
    """One sequence step by step: input, hidden state, network output, label, code (when known)."""
    rows = []
    mask = proj.sequence == sequence
    code_by_step = {}
    if proj.codes is not None:
        for s, c in zip(proj.step[mask], proj.codes[mask]):
            code_by_step[int(s)] = _fmt(int(v) for v in c)
    preds = trace.predictions()
    for s in range(trace.seq_len + 1):
        row = {"step": s, "input": "" if s == 0 else _fmt(int(v) for v in trace.x[sequence, s - 1]),
               "hidden": "(" + ", ".join(f"{v:.3f}" for v in trace.hidden[sequence, s]) + ")",
               "network output": "" if s == 0 else _fmt(int(v) for v in preds[sequence, s - 1]),
               "expected": "" if s == 0 else _fmt(int(v) for v in trace.y[sequence, s - 1])}
        if code_by_step:
            row["code z"] = code_by_step.get(s, "")
        rows.append(row)
    return rows


def counterexample_rows(steps: list[dict]) -> list[dict]:
    """The counterexample trace with every value turned into a short string (for a data frame)."""
    rows = []
    for st in steps:
        row = {}
        for k, v in st.items():
            if isinstance(v, dict):
                v = ", ".join(f"{a}={b}" for a, b in v.items())
            elif isinstance(v, (list, tuple)):
                v = "(" + ", ".join(f"{a:.3f}" if isinstance(a, float) else str(a) for a in v) + ")"
            row[k] = v if isinstance(v, (int, str)) or v is None else str(v)
        expected, got = st.get("expected"), st.get("program_output")
        row["ok"] = "yes" if expected == got else "WRONG"
        rows.append(row)
    return rows
