"""One numbering of the network's states on every page (design.md §5b).

A state is named by its code: the integer state variables z that the encoding gives its hidden
vector (``3`` for a residue, ``(1,0)`` for two bits, ``(123,-1,8)`` for a lattice point). The
encoding is the one the state machine and the program were built from (:func:`machine_encoding`),
so the Hidden states, Lattice, State machine and Program views agree on which state is which and
on the start state: the code of the initial hidden state h₋₁ = 0.

Pure functions over ``mips`` artefacts; no streamlit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mips.encodings.base import Encoding
from mips.machine.moore import MooreMachine
from mips.pipeline import PipelineResult

ROLE_MACHINE = "used by the state machine and the program"
ROLE_SHORTEST = "shortest description"


def code_label(code: Sequence[int] | np.ndarray) -> str:
    """``3`` for a one-variable code, ``(1,0)`` for several variables."""
    values = [int(v) for v in np.asarray(code).reshape(-1)]
    return str(values[0]) if len(values) == 1 else "(" + ",".join(str(v) for v in values) + ")"


def input_label(inp: Sequence[int] | np.ndarray) -> str:
    """An input step as the typed-input box reads it: ``1``, ``01`` (digits of a two-number step), ``(3,12)``."""
    values = [int(v) for v in np.asarray(inp).reshape(-1)]
    if len(values) == 1:
        return str(values[0])
    if all(0 <= v <= 9 for v in values):
        return "".join(str(v) for v in values)
    return "(" + ",".join(str(v) for v in values) + ")"


def is_lattice(enc: Encoding) -> bool:
    """Whether the states are integer points of a lattice h ≈ z·A + b (the encoding has a basis A)."""
    return enc.basis is not None


def cycle_modulus(enc: Encoding) -> int | None:
    """N when the states lie on one cycle (a single state variable in Z_N), else None."""
    return int(enc.moduli[0]) if enc.n_vars == 1 and enc.moduli[0] else None


def machine_encoding(result: PipelineResult) -> Encoding | None:
    """The encoding behind the state machine and the program: the FSM stage's (which may be a
    runner-up or a behavioural one when the shortest description gave a machine with conflicts),
    else the shortest description's."""
    if result.fsm is not None:
        return result.fsm.encoding
    if result.encoding is not None:
        return result.encoding.chosen
    return None


def encode_states(enc: Encoding, hidden: np.ndarray) -> np.ndarray:
    """Codes of hidden states laid out as a trace (n_sequences, n_steps, H), step 0 the initial state.

    Returns int64 array (n_sequences, n_steps, k). Lattices with per-step offsets use the step.
    """
    hidden = np.asarray(hidden, dtype=np.float64)
    if enc.step_offsets is not None:             # a lattice whose offset drifts during the first steps
        steps = np.broadcast_to(np.arange(hidden.shape[1]), hidden.shape[:2])
        return enc.encode(hidden, steps=steps)
    return enc.encode(hidden)


def start_code(enc: Encoding) -> tuple[int, ...]:
    """The code of the initial hidden state h₋₁ = 0 (the start state on every page; the state
    machine starts there too)."""
    if enc.initial_code:
        return tuple(enc.initial_code)
    zero = np.zeros((1, 1, enc.hidden_dim))
    return tuple(int(v) for v in encode_states(enc, zero)[0, 0])


def machine_state_labels(machine: MooreMachine) -> tuple[str, ...]:
    """The label of each state of a machine: its code. Should two states share a code (an initial
    pseudo-state that could not be merged), the initial one is told apart as ``"<code> start"``."""
    labels = [code_label(c) for c in machine.states]
    if len(set(labels)) < len(labels):
        labels[machine.initial] = f"{labels[machine.initial]} start"
    return tuple(labels)


def sorted_inputs(inputs: Sequence[Sequence[int]]) -> list[int]:
    """Indices of an input alphabet in numeric order (0, 1, 2, ... or (0,0), (0,1), ...)."""
    return sorted(range(len(inputs)), key=lambda i: tuple(int(v) for v in inputs[i]))


def sorted_states(machine: MooreMachine) -> list[int]:
    """State indices of a machine in code order (numeric, variable by variable)."""
    return sorted(range(machine.n_states), key=lambda i: tuple(int(v) for v in machine.states[i]))


# -- encodings on offer ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class EncodingOption:
    """An encoding as the Lattice page lists it."""

    encoding: Encoding
    roles: tuple[str, ...]

    @property
    def title(self) -> str:
        e = self.encoding
        text = f"{e.kind} ({e.method}), {e.n_states} state{'s' if e.n_states != 1 else ''}"
        return text + (" · " + ", ".join(self.roles) if self.roles else "")


def _key(e: Encoding) -> tuple:
    return (e.kind, e.method, e.n_states, e.variables, e.moduli)


def encoding_options(result: PipelineResult) -> list[EncodingOption]:
    """The distinct encodings of a run: the machine's first, then the other candidates shortest
    description first. Candidates that would show as the same row (same kind, method, states and
    variables) are listed once."""
    choice = result.encoding
    candidates = list(choice.candidates) if choice is not None else []
    chosen = choice.chosen if choice is not None else None
    used = machine_encoding(result)
    ordered = ([used] if used is not None else []) + [c for c in candidates if c is not used]
    options: list[EncodingOption] = []
    seen: set = set()
    for enc in ordered:
        if _key(enc) in seen:
            continue
        seen.add(_key(enc))
        shortest = enc is chosen or (chosen is not None and _key(enc) == _key(chosen))
        roles = tuple(r for r, ok in ((ROLE_MACHINE, enc is used), (ROLE_SHORTEST, shortest)) if ok)
        options.append(EncodingOption(encoding=enc, roles=roles))
    return options


def description_rows(options: Sequence[EncodingOption]) -> list[dict]:
    """One row per listed encoding with its description length in bits (those that have one)."""
    rows = []
    for opt in options:
        e = opt.encoding
        if e.description_length is None:
            continue
        row = {"kind": e.kind, "method": e.method, "states": e.n_states, "variables": ", ".join(e.variables),
               "chosen": ROLE_SHORTEST in opt.roles, "machine": ROLE_MACHINE in opt.roles,
               "max_residual": e.max_residual, "rms_residual": e.rms_residual}
        row.update(e.description_length.as_dict())
        rows.append(row)
    return rows


def describe_encoding(enc: Encoding) -> str:
    """One sentence on an encoding with the same count of states the rest of the app shows."""
    n = enc.n_states
    start = code_label(start_code(enc))
    variables = ", ".join(enc.variables)
    modulus = cycle_modulus(enc)
    if is_lattice(enc):
        text = (f"{n} states at integer points z = ({variables}) of a {enc.n_vars}-dimensional lattice: "
                f"h ≈ z·A + b")
        if enc.step_offsets is not None:
            text += " (plus a small offset during the first steps)"
    elif modulus:
        text = f"{n} states on a cycle, numbered by their residue z = 0 … {modulus - 1}"
    elif enc.kind == "boolean":
        text = f"{n} states with a bit code ({variables})"
    else:
        top = int(enc.centre_codes.max()) if enc.centre_codes is not None else n - 1
        text = f"{n} states, numbered c = 0 … {top}"
    if enc.centres is not None and enc.centres.shape[0] > n:
        text += (f"; the hidden states form {enc.centres.shape[0]} clusters, and clusters that share a code are "
                 f"one state")
    text += f". The start state (h₋₁ = 0) has code {start}."
    if enc.update_rule:
        text += f" Update rule: {enc.update_rule}."
    return text
