"""The State machine page's drawing: a machine laid out by its structure (design.md §5b).

* Every state is labelled with its code (the numbering of :mod:`workbench.state_numbering`), its
  output below; the start state has the entry arrow and a thick border.
* A modular machine (states = residues of Z_N) is drawn as a cycle: state r on a circle in residue
  order, 0 on top and +1 clockwise, as on the Lattice page. Each edge is coloured by its input.
* Any other machine is laid out left to right from the start state, states in code order, inputs
  in numeric order on every edge label.
* A network whose states do not form a small finite machine (a lattice, a counter) gets a
  *window*: the states reached from the start in the first ``k`` steps on a few chosen inputs,
  computed by running the network itself (:func:`window_machine`).

Graphviz DOT text for ``st.graphviz_chart`` (which honours ``layout=neato`` and pinned positions).
Pure functions; no streamlit.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mips.encodings.base import Encoding
from mips.machine.moore import MooreMachine
from mips.network.rnn import RNNWeights
from mips.network.trace import trace
from workbench.palette import CATEGORICAL
from workbench.state_numbering import (code_label, encode_states, input_label, machine_state_labels, sorted_inputs,
                                       sorted_states, start_code)

MAX_WINDOW_SEQUENCES = 512
RADIUS_INCHES = 1.9


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def cycle_positions(machine: MooreMachine, modulus: int) -> dict[int, tuple[float, float]] | None:
    """State index -> (x, y) in inches on a circle, residue r at angle 90° − r·360°/N (0 on top,
    +1 clockwise; for N = 2, 0 on the left and 1 on the right); None unless every state's code is
    one residue in [0, N) and no two share one."""
    pos = {}
    radius = RADIUS_INCHES * max(1.0, modulus / 6)
    for i, code in enumerate(machine.states):
        if len(code) != 1 or not 0 <= code[0] < modulus or any(code[0] == machine.states[j][0] for j in pos):
            return None
        a = (math.pi if modulus == 2 else math.pi / 2) - 2 * math.pi * code[0] / modulus
        pos[i] = (radius * math.cos(a), radius * math.sin(a))
    return pos


def bit_positions(machine: MooreMachine) -> dict[int, tuple[float, float]] | None:
    """State index -> (x, y) in inches at its bits (first bit right, second bit down, a third bit
    shifts diagonally); None unless every code is 1 to 3 bits and no two states share one."""
    codes = [tuple(c) for c in machine.states]
    if len(set(codes)) != len(codes) or not all(1 <= len(c) <= 3 and set(c) <= {0, 1} for c in codes):
        return None
    gap = 2.6
    return {i: (gap * c[0] + (1.2 * c[2] if len(c) > 2 else 0.0),
                -gap * (c[1] if len(c) > 1 else 0) - (1.2 * c[2] if len(c) > 2 else 0.0))
            for i, c in enumerate(codes)}


def output_positions(machine: MooreMachine, max_states: int = 12) -> dict[int, tuple[float, float]] | None:
    """State index -> (x, y) in inches: one column per output value (in order), the states of a
    column in code order from the top; None for more than ``max_states`` states."""
    if machine.n_states > max_states:
        return None
    columns: dict[str, list[int]] = {}
    for i in sorted_states(machine):
        out = machine.outputs[i]
        columns.setdefault("none" if out is None else code_label(out), []).append(i)
    order = sorted(columns, key=lambda k: (k == "none", k))
    pos = {}
    for cx, key in enumerate(order):
        for ry, i in enumerate(columns[key]):
            pos[i] = (2.8 * cx, -2.2 * ry - (1.1 if cx % 2 and len(columns[key]) > 1 else 0.0))
    return pos


def layout_positions(machine: MooreMachine, kind: str | None, modulus: int | None
                     ) -> tuple[str, dict[int, tuple[float, float]] | None]:
    """The layout a machine is drawn with and its pinned positions (None: left to right by steps)."""
    if modulus:
        pos = cycle_positions(machine, modulus)
        if pos is not None:
            return "cycle", pos
    if kind == "boolean":
        pos = bit_positions(machine)
        if pos is not None:
            return "bits", pos
    pos = output_positions(machine)
    if pos is not None:
        return "outputs", pos
    return "steps", None


def shift_of_inputs(machine: MooreMachine, modulus: int) -> dict[int, int] | None:
    """Input index -> d when that input moves every state r to r + d (mod N); None if some input does not."""
    shifts = {}
    for j in range(machine.n_inputs):
        ds = {(machine.states[int(t)][0] - machine.states[i][0]) % modulus
              for i, t in enumerate(machine.transitions[:, j]) if t >= 0}
        if len(ds) != 1:
            return None
        shifts[j] = ds.pop()
    return shifts


def default_inputs(machine: MooreMachine, modulus: int | None) -> list[int]:
    """The inputs whose edges are drawn by default: all of them, except on a cycle with more than
    three inputs, where the ones that move by 0 and +1 show the cycle and the rest can be added."""
    order = sorted_inputs(machine.inputs)
    if not modulus or machine.n_inputs <= 3:
        return order
    shifts = shift_of_inputs(machine, modulus)
    if shifts is None:
        return order
    keep = [j for j in order if shifts[j] in (0, 1)]
    return keep or order


def machine_dot(machine: MooreMachine, *, kind: str | None = None, modulus: int | None = None,
                inputs: Sequence[int] | None = None, open_states: Sequence[int] = (),
                ranks: Sequence[int] | None = None) -> str:
    """DOT text of a machine laid out by its structure (see :func:`layout_positions`).

    Parameters
    ----------
    machine : MooreMachine (codes as states)
    kind, modulus : the encoding's kind and, for a cycle, N: a cycle, bits at their coordinates,
        else one column per output
    inputs : indices of the inputs whose edges are drawn (default: all)
    open_states : states whose successors are not drawn (the edge of a window), drawn dashed
    ranks : per state, the step it is first reached (a window): drawn left to right by step
    """
    labels = machine_state_labels(machine)
    shown = set(range(machine.n_inputs) if inputs is None else inputs)
    layout, pos = ("steps", None) if ranks is not None else layout_positions(machine, kind, modulus)
    font = "Helvetica"
    lines = ["digraph machine {", f'  graph [fontname="{font}", bgcolor="transparent", pad=0.3, nodesep=0.35, '
             f'ranksep=0.7];']
    if pos is not None:
        lines.append("  layout=neato; splines=curved; overlap=false; outputorder=edgesfirst;")
    else:
        lines.append("  rankdir=LR; splines=true; outputorder=edgesfirst;")
    lines.append(f'  node [shape=circle, fontname="{font}", fontsize=16, style=filled, fillcolor="#EEF3FB", '
                 f'color="#334455", width=0.95, fixedsize=true];')
    lines.append(f'  edge [fontname="{font}", fontsize=16, penwidth=1.8, arrowsize=0.9, color="#333333"];')
    lines.append('  __start [shape=none, label="start", fontsize=16, width=0.6, style=""];')
    dashed = set(open_states)
    for i in sorted_states(machine):
        out = machine.outputs[i]
        out_text = "no output" if out is None else f"y = {code_label(out)}"
        label = f'<<b>{_esc(labels[i])}</b><br/>{_esc(out_text)}>'
        attrs = [f"label={label}"]
        if len(labels[i]) > 5:
            attrs.append("fixedsize=false, shape=ellipse, margin=0.05")
        if i == machine.initial:
            attrs.append("penwidth=3.5")
        if i in dashed:
            attrs.append('style="filled,dashed", fillcolor="#F6F6F6"')
        if pos is not None:
            x, y = pos[i]
            attrs.append(f'pos="{x:.3f},{y:.3f}!"')
        lines.append(f"  s{i} [{', '.join(attrs)}];")
    if pos is not None:                      # the start arrow comes from outside the drawing
        xs = [p[0] for p in pos.values()]
        ys = [p[1] for p in pos.values()]
        x, y = pos[machine.initial]
        cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
        dx, dy = x - cx, y - cy
        norm = math.hypot(dx, dy)
        if norm < 1e-6 or layout != "cycle":
            dx, dy, norm = 0.0, 1.0, 1.0
        lines.append(f'  __start [pos="{x + 1.25 * dx / norm:.3f},{y + 1.25 * dy / norm:.3f}!"];')
    if ranks is not None:                    # a window: one column per step
        for step in sorted(set(ranks)):
            members = " ".join(f"s{i};" for i in range(machine.n_states) if ranks[i] == step)
            lines.append(f"  {{ rank=same; {members} }}")
    lines.append(f"  __start -> s{machine.initial} [penwidth=2.5];")
    order = sorted_inputs(machine.inputs)
    if layout == "cycle":                    # one edge per input, coloured by the input
        colours = {j: CATEGORICAL[n % len(CATEGORICAL)] for n, j in enumerate(order)}
        for i in sorted_states(machine):
            for j in order:
                t = int(machine.transitions[i, j])
                if t >= 0 and j in shown:
                    text = _esc(input_label(machine.inputs[j]))
                    lines.append(f'  s{i} -> s{t} [label="{text}", color="{colours[j]}", fontcolor="{colours[j]}"];')
    else:                                    # inputs grouped per edge, in numeric order
        for i in sorted_states(machine):
            groups: dict[int, list[str]] = {}
            for j in order:
                t = int(machine.transitions[i, j])
                if t >= 0 and j in shown:
                    groups.setdefault(t, []).append(input_label(machine.inputs[j]))
            for t, names in sorted(groups.items(), key=lambda kv: sorted_states(machine).index(kv[0])):
                text = ", ".join(names[:8]) + (", …" if len(names) > 8 else "")
                lines.append(f'  s{i} -> s{t} [label="{_esc(text)}"];')
    lines.append("}")
    return "\n".join(lines)


#: Streamlit draws every Graphviz text at one small fixed size; this lets the sizes in the DOT text
#: (16 points, what the layout reserved room for) apply. The page adds it once with st.markdown.
GRAPH_CSS = "<style>[data-testid='stGraphVizChart'] svg text { font-size: 16px !important; }</style>"


def relabelled(machine: MooreMachine) -> MooreMachine:
    """The same machine with its states named by their codes (``q3`` with code 4 becomes ``4``)."""
    return MooreMachine(states=machine.states, names=machine_state_labels(machine), inputs=machine.inputs,
                        outputs=machine.outputs, transitions=machine.transitions, initial=machine.initial,
                        counts=machine.counts)


# -- a window on a machine too large to draw -------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Window:
    """The states reached from the start in the first ``steps`` steps on the inputs ``inputs``."""

    machine: MooreMachine
    steps: int
    open_states: tuple[int, ...]        # states whose successors were not followed (the last step)
    n_sequences: int
    ranks: tuple[int, ...]              # per state, the step at which it is first reached


def window_inputs(alphabet: Sequence[Sequence[int]], count: int = 2) -> list[tuple[int, ...]]:
    """The first ``count`` inputs of an alphabet in numeric order (the default window inputs)."""
    ordered = sorted(tuple(int(v) for v in a) for a in alphabet)
    return ordered[:count]


def max_window_steps(n_inputs: int, limit: int = MAX_WINDOW_SEQUENCES) -> int:
    """The most steps a window over ``n_inputs`` inputs can take within ``limit`` sequences."""
    if n_inputs <= 1:
        return 8
    return max(1, int(math.floor(math.log(limit) / math.log(n_inputs) + 1e-9)))


def window_machine(weights: RNNWeights, enc: Encoding, inputs: Sequence[Sequence[int]], steps: int) -> Window:
    """Run the network on every sequence of ``steps`` inputs drawn from ``inputs`` and read the
    machine it walks through: states are the codes ``enc`` gives the hidden states, the start is
    the code of h₋₁ = 0, a state's output the network's (rounded) output there.

    Raises ValueError when there would be more than MAX_WINDOW_SEQUENCES sequences.
    """
    alphabet = [tuple(int(v) for v in a) for a in inputs]
    if not alphabet:
        raise ValueError("Choose at least one input for the window.")
    if len(alphabet) ** steps > MAX_WINDOW_SEQUENCES:
        raise ValueError(f"{len(alphabet)} inputs over {steps} steps make {len(alphabet) ** steps} sequences; "
                         f"at most {MAX_WINDOW_SEQUENCES} are drawn. Choose fewer inputs or fewer steps.")
    seqs = np.array(list(itertools.product(range(len(alphabet)), repeat=steps)), dtype=np.int64)
    x = np.array(alphabet, dtype=np.int64)[seqs]                      # (n, steps, input_dim)
    tr = trace(weights, x)
    codes = encode_states(enc, tr.hidden)                           # (n, steps + 1, k)
    preds = tr.predictions()
    start = start_code(enc)
    ids: dict[tuple, int] = {start: 0}
    state_codes = [start]
    first_step = {start: 0}
    for t in range(1, steps + 1):
        for row in codes[:, t]:
            key = tuple(int(v) for v in row)
            if key not in ids:
                ids[key] = len(state_codes)
                state_codes.append(key)
                first_step[key] = t
    n = len(state_codes)
    trans = np.full((n, len(alphabet)), -1, dtype=np.int64)
    counts = np.zeros((n, len(alphabet)), dtype=np.int64)
    outs: list[dict] = [dict() for _ in range(n)]
    for s in range(x.shape[0]):
        prev = 0
        for t in range(steps):
            cur = ids[tuple(int(v) for v in codes[s, t + 1])]
            j = int(seqs[s, t])
            if trans[prev, j] < 0:
                trans[prev, j] = cur
            counts[prev, j] += 1
            o = tuple(int(v) for v in preds[s, t])
            outs[cur][o] = outs[cur].get(o, 0) + 1
            prev = cur
    outputs = tuple(max(d, key=d.get) if d else None for d in outs)
    machine = MooreMachine(states=tuple(state_codes), names=tuple(code_label(c) for c in state_codes),
                           inputs=tuple(alphabet), outputs=outputs, transitions=trans, initial=0, counts=counts)
    open_states = tuple(i for i in range(n) if (trans[i] < 0).all() and first_step[state_codes[i]] == steps)
    return Window(machine=machine, steps=steps, open_states=open_states, n_sequences=int(x.shape[0]),
                  ranks=tuple(first_step[c] for c in state_codes))
