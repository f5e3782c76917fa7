"""A sequence the user types, and what the network, the machine and the program do with it, step by step.

The typed form: steps separated by spaces; a step of several numbers as its digits (``01 11 10``
for a two-input binary task) or with commas (``3,12 0,4``); a one-number step as the number
(``8 77 65``), and for a task whose inputs are single digits a run of digits is one step per digit
(``0110``). :func:`parse_typed_input` turns it into an array or raises :class:`TypedInputError`
with a message that names the problem and the fix. :func:`typed_trace` runs the input through the
network (its hidden states, codes and outputs), the state machine and the program, aligned by step
(step 0 is the start).

Pure functions; no streamlit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mips.errors import MipsError
from mips.machine.moore import MooreMachine
from mips.pipeline import PipelineResult
from mips.program.program import run_program
from mips.network.trace import trace
from workbench.state_numbering import (code_label, encode_states, input_label, machine_encoding,
                                       machine_state_labels)

MAX_TYPED_STEPS = 50


class TypedInputError(ValueError):
    """A typed input that cannot be read; the message says what is wrong and how to fix it."""


def _values_text(values: Sequence[int]) -> str:
    values = list(values)
    if len(values) > 12 and values == list(range(values[0], values[-1] + 1)):
        return f"a whole number from {values[0]} to {values[-1]}"
    if len(values) == 2:
        return f"{values[0]} or {values[1]}"
    return "one of " + ", ".join(str(v) for v in values)


def example_text(x: np.ndarray, max_steps: int = 6) -> str:
    """How a sequence (T, input_dim) is typed, e.g. ``01 11 10``."""
    return " ".join(input_label(step) for step in np.asarray(x)[:max_steps])


def format_hint(input_values: Sequence[int], input_dim: int) -> str:
    """How one step is typed, with an example of three steps (``e.g. 01 10 01``)."""
    allowed = sorted(int(v) for v in input_values)
    sample = [[allowed[(i + j) % len(allowed)] for j in range(input_dim)] for i in range(3)]
    if input_dim == 1:
        values = "" if len(allowed) <= 4 else f"each a number from {allowed[0]} to {allowed[-1]}, "
        return values + "e.g. " + " ".join(str(v[0]) for v in sample)
    names = " ".join(f"x{i + 1}" for i in range(input_dim))
    if all(0 <= v <= 9 for v in allowed):
        return f"each step as its {input_dim} digits ({names}), e.g. " + " ".join("".join(map(str, v)) for v in sample)
    return f"each step as {input_dim} numbers joined by commas ({names}), e.g. " + " ".join(
        ",".join(map(str, v)) for v in sample)


def parse_typed_input(text: str, *, input_values: Sequence[int], input_dim: int, task: str = "this task",
                      max_steps: int = MAX_TYPED_STEPS) -> np.ndarray:
    """The typed sequence as an int64 array (T, input_dim).

    Raises TypedInputError naming the step, the problem (a symbol that is not an input, the
    wrong number of numbers in a step, too many steps, nothing typed) and the fix.
    """
    allowed = sorted(int(v) for v in input_values)
    digits = all(0 <= v <= 9 for v in allowed)
    names = "x" if input_dim == 1 else " ".join(f"x{i + 1}" for i in range(input_dim))
    how = "Separate the steps with spaces, " + format_hint(allowed, input_dim)
    raw = (text or "").strip()
    if not raw:
        raise TypedInputError(f"Nothing typed. {how}.")
    tokens = [t for t in re.split(r"[\s;|]+", raw) if t]
    steps: list[list[int]] = []
    for token in tokens:
        body = token.strip("()[]")
        if input_dim == 1:
            if not re.fullmatch(r"-?\d+", body):
                raise TypedInputError(f"Step {len(steps) + 1}: '{token}' is not a number. {task} reads one number "
                                      f"per step, {_values_text(allowed)}. {how}.")
            value = int(body)
            if value not in allowed and digits and body.isdigit() and len(body) > 1 \
                    and all(int(ch) in allowed for ch in body):
                steps.extend([int(ch)] for ch in body)      # "0110": one step per digit
                continue
            steps.append([value])
        else:
            if "," in body:
                parts = [p for p in body.split(",")]
                if not all(re.fullmatch(r"\s*-?\d+\s*", p) for p in parts):
                    raise TypedInputError(f"Step {len(steps) + 1}: '{token}' is not {input_dim} numbers. {how}.")
                numbers = [int(p) for p in parts]
            elif digits and body.isdigit():
                numbers = [int(ch) for ch in body]
            else:
                raise TypedInputError(f"Step {len(steps) + 1}: '{token}' is not {input_dim} numbers. {how}.")
            if len(numbers) != input_dim:
                raise TypedInputError(f"Step {len(steps) + 1}: '{token}' has {len(numbers)} number(s); {task} reads "
                                      f"{input_dim} per step ({names}). {how}.")
            steps.append(numbers)
        bad = [v for v in steps[-1] if v not in allowed]
        if bad:
            raise TypedInputError(f"Step {len(steps)}: {bad[0]} is not an input of {task}; each number must be "
                                  f"{_values_text(allowed)}. {how}.")
        if len(steps) > max_steps:
            break
    if len(steps) > max_steps:
        raise TypedInputError(f"Too long: more than {max_steps} steps. Type at most {max_steps} steps.")
    return np.array(steps, dtype=np.int64).reshape(len(steps), input_dim)


# -- the run, step by step -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TypedTrace:
    """One typed sequence through the network, the machine and the program.

    ``hidden`` (T + 1, H) is the network's hidden state at each step (step 0 the start, h₋₁ = 0);
    ``rows`` are the step-by-step table; ``notes`` say where a view could not follow.
    """

    x: np.ndarray
    hidden: np.ndarray
    rows: list[dict]
    notes: tuple[str, ...]


def machine_path(machine: MooreMachine, x: np.ndarray) -> tuple[list[int | None], str | None]:
    """The states a machine walks through on ``x`` (T, input_dim), start first; None from the first
    transition never observed on (the note says where)."""
    lookup = {tuple(int(v) for v in inp): j for j, inp in enumerate(machine.inputs)}
    path: list[int | None] = [machine.initial]
    note = None
    for t, step in enumerate(np.asarray(x)):
        cur = path[-1]
        j = lookup.get(tuple(int(v) for v in step))
        nxt = None if cur is None or j is None else int(machine.transitions[cur, j])
        if nxt is None or nxt < 0:
            if note is None and cur is not None:
                note = (f"The state machine never saw input {input_label(step)} in state "
                        f"{machine_state_labels(machine)[cur]} (step {t + 1}); its path stops there.")
            path.append(None)
        else:
            path.append(nxt)
    return path, note


def typed_trace(result: PipelineResult, x: np.ndarray) -> TypedTrace:
    """Run a typed sequence (T, input_dim) through the traced network, the machine and the program."""
    x = np.asarray(x, dtype=np.int64)
    weights = result.traced_weights
    with np.errstate(all="ignore"):
        tr = trace(weights, x[None])
    hidden = tr.hidden[0]
    preds = tr.predictions()[0]
    notes: list[str] = []
    enc = machine_encoding(result)
    codes = encode_states(enc, tr.hidden)[0] if enc is not None else None
    machine = result.fsm.minimal if result.fsm is not None else None
    path, labels = None, None
    if machine is not None:
        path, note = machine_path(machine, x)
        labels = machine_state_labels(machine)
        if note:
            notes.append(note)
    prog_states = prog_out = None
    program = result.program
    if program is not None:
        run = run_program(program, x[None])
        prog_states, prog_out = run.states[0], run.outputs[0]
        if run.error:
            notes.append(f"The program stopped with an error at step {run.error_step + 1}: {run.error}")
    expected = None
    try:
        expected = np.asarray(result.task.compute_outputs(x[None]))[0]
    except (MipsError, Exception):  # noqa: BLE001 - a task file's labeller may fail; the column is left out
        notes.append("The task's own answers could not be computed for this input.")
    state_names = ", ".join(program.state) if program is not None and program.kind == "symbolic" else "s"
    rows = []
    for s in range(len(x) + 1):
        row = {"step": s, "input": "" if s == 0 else input_label(x[s - 1]),
               "hidden h": "(" + ", ".join(f"{v:.2f}" for v in hidden[s]) + ")"}
        if codes is not None:
            row["state (code z)"] = code_label(codes[s])
        if path is not None:
            st = path[s]
            row["machine state"] = "?" if st is None else labels[st]
            out = None if st is None else machine.outputs[st]
            row["machine y"] = "" if s == 0 or out is None else code_label(out)
        row["network y"] = "" if s == 0 else code_label(preds[s - 1])
        if prog_states is not None:
            row[f"program ({state_names})"] = code_label(prog_states[s])
            row["program y"] = "" if s == 0 else code_label(prog_out[s - 1])
        if expected is not None:
            row["task y"] = "" if s == 0 else code_label(expected[s - 1])
        rows.append(row)
    return TypedTrace(x=x, hidden=hidden, rows=rows, notes=tuple(notes))
