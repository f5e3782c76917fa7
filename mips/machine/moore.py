"""Moore machines: the data type, minimisation and exports (mips-method.md §8.6).

Vocabulary after AALpy: a Moore machine has states, an input alphabet, one output per state and a
(partial) transition function. Minimisation is partition refinement; machines export to a plain
dict (and back) and to DOT text. Extraction from hidden states lives in :mod:`mips.machine.extract`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mips.encodings.partition import refine_partition
from mips.errors import ConfigError

FORMAT = "mips-moore-machine"


@dataclass(frozen=True, slots=True, kw_only=True)
class MooreMachine:
    """A deterministic, possibly partial Moore machine.

    Attributes
    ----------
    states : tuple of tuple of int
        The code of each state (the initial pseudo-state carries the code of h_{-1}).
    names : tuple of str
    inputs : tuple of tuple of int
        The input alphabet (one tuple per input vector).
    outputs : tuple of (tuple of int or None)
        Output of each state; None where never observed (the initial state).
    transitions : int64 array of shape (n_states, n_inputs)
        Successor state, -1 where the transition was never observed.
    initial : int
    counts : int64 array of shape (n_states, n_inputs)
        How often each transition was observed.
    """

    states: tuple[tuple[int, ...], ...]
    names: tuple[str, ...]
    inputs: tuple[tuple[int, ...], ...]
    outputs: tuple[tuple[int, ...] | None, ...]
    transitions: np.ndarray
    initial: int
    counts: np.ndarray = field(compare=False)

    def __post_init__(self) -> None:
        n, u = len(self.states), len(self.inputs)
        t = np.array(self.transitions, dtype=np.int64).reshape(n, u)
        c = np.array(self.counts, dtype=np.int64).reshape(n, u)
        if len(self.names) != n or len(self.outputs) != n:
            raise ConfigError(f"A MooreMachine needs one name and one output per state ({n}); got "
                              f"{len(self.names)} names and {len(self.outputs)} outputs.")
        if n and (t.min() < -1 or t.max() >= n):
            raise ConfigError(f"Transitions must be state indices in [0, {n - 1}] or -1.")
        if not 0 <= self.initial < max(n, 1):
            raise ConfigError(f"The 'initial' state must be in [0, {n - 1}]. Got {self.initial} instead.")
        t.flags.writeable = False
        c.flags.writeable = False
        object.__setattr__(self, "transitions", t)
        object.__setattr__(self, "counts", c)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, MooreMachine) and self.states == other.states and self.names == other.names
                and self.inputs == other.inputs and self.outputs == other.outputs
                and self.initial == other.initial and np.array_equal(self.transitions, other.transitions))

    __hash__ = None  # type: ignore[assignment]

    @property
    def n_states(self) -> int:
        return len(self.states)

    @property
    def n_inputs(self) -> int:
        return len(self.inputs)

    def unobserved(self) -> tuple[tuple[int, tuple[int, ...]], ...]:
        """(state, input) pairs of reachable states whose transition was never observed."""
        reach = self.reachable()
        s, u = np.nonzero(self.transitions < 0)
        return tuple((int(a), self.inputs[b]) for a, b in zip(s, u) if a in reach)

    def reachable(self) -> set[int]:
        seen, stack = {self.initial}, [self.initial]
        while stack:
            for t in self.transitions[stack.pop()]:
                if t >= 0 and int(t) not in seen:
                    seen.add(int(t))
                    stack.append(int(t))
        return seen

    def run(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Outputs for input sequences.

        Parameters
        ----------
        x : int array of shape (n_sequences, seq_len, input_dim)

        Returns
        -------
        outputs : int64 array of shape (n_sequences, seq_len, output_dim), 0 where undefined
        defined : bool array of shape (n_sequences, seq_len)
            False once a sequence took an unobserved transition or hit an unknown output.
        """
        x = np.asarray(x, dtype=np.int64)
        lookup = {inp: i for i, inp in enumerate(self.inputs)}
        known = [o for o in self.outputs if o is not None]
        o_dim = len(known[0]) if known else 1
        out_table = np.array([o if o is not None else (0,) * o_dim for o in self.outputs], dtype=np.int64)
        has_out = np.array([o is not None for o in self.outputs])
        n, t_len = x.shape[:2]
        ids = np.array([lookup.get(tuple(v), -1) for v in x.reshape(n * t_len, -1).tolist()],
                       dtype=np.int64).reshape(n, t_len)
        state = np.full(n, self.initial, dtype=np.int64)
        alive = np.ones(n, dtype=bool)
        outputs = np.zeros((n, t_len, o_dim), dtype=np.int64)
        defined = np.zeros((n, t_len), dtype=bool)
        for t in range(t_len):
            nxt = np.where(alive & (ids[:, t] >= 0), self.transitions[state, np.maximum(ids[:, t], 0)], -1)
            alive &= nxt >= 0
            state = np.where(alive, nxt, 0)
            defined[:, t] = alive & has_out[state]
            outputs[:, t] = np.where(defined[:, t, None], out_table[state], 0)
        return outputs, defined

    def minimize(self) -> "MooreMachine":
        """The minimal equivalent machine (see :func:`minimize`)."""
        return minimize(self)[0]

    # -- export ----------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """Plain dict (lists and ints) that :meth:`from_dict` reads back."""
        return {"format": FORMAT, "version": 1, "states": [list(s) for s in self.states],
                "names": list(self.names), "inputs": [list(i) for i in self.inputs],
                "outputs": [None if o is None else list(o) for o in self.outputs],
                "transitions": self.transitions.tolist(), "initial": int(self.initial),
                "counts": self.counts.tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> "MooreMachine":
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ConfigError(f"A Moore machine dict must have format {FORMAT!r}. "
                              f"Got {data.get('format') if isinstance(data, dict) else type(data).__name__!r} instead.")
        missing = sorted({"states", "names", "inputs", "outputs", "transitions", "initial"} - set(data))
        if missing:
            raise ConfigError(f"The Moore machine dict lacks {missing}.")
        n, u = len(data["states"]), len(data["inputs"])
        return cls(states=tuple(tuple(int(v) for v in s) for s in data["states"]),
                   names=tuple(str(v) for v in data["names"]),
                   inputs=tuple(tuple(int(v) for v in i) for i in data["inputs"]),
                   outputs=tuple(None if o is None else tuple(int(v) for v in o) for o in data["outputs"]),
                   transitions=np.array(data["transitions"], dtype=np.int64).reshape(n, u),
                   initial=int(data["initial"]),
                   counts=np.array(data.get("counts", np.zeros((n, u))), dtype=np.int64).reshape(n, u))

    def to_dot(self, max_label_inputs: int = 8) -> str:
        """Graphviz DOT text: one node per state (name, code, output), inputs grouped per edge."""
        lines = ["digraph moore {", "  rankdir=LR;", '  node [shape=circle, fontsize=10];',
                 '  __start [shape=point, label=""];']
        for i, (name, code, out) in enumerate(zip(self.names, self.states, self.outputs)):
            label = f"{name}\\nz={_fmt(code)}\\ny={'?' if out is None else _fmt(out)}"
            lines.append(f'  s{i} [label="{label}"];')
        lines.append(f"  __start -> s{self.initial};")
        for i in range(self.n_states):
            groups: dict[int, list[str]] = {}
            for j, t in enumerate(self.transitions[i]):
                if t >= 0:
                    groups.setdefault(int(t), []).append(_fmt(self.inputs[j]))
            for t, labels in groups.items():
                text = ",".join(labels[:max_label_inputs]) + (",…" if len(labels) > max_label_inputs else "")
                lines.append(f'  s{i} -> s{t} [label="{text}"];')
        lines.append("}")
        return "\n".join(lines)


def _fmt(values: tuple[int, ...]) -> str:
    return str(values[0]) if len(values) == 1 else "(" + ",".join(str(v) for v in values) + ")"


def _quotient(m: MooreMachine, block: np.ndarray) -> tuple[MooreMachine, np.ndarray]:
    """The machine of the blocks, numbered breadth-first from the initial one; and each block's index."""
    n_b = int(block.max()) + 1
    rep = np.full(n_b, -1, dtype=np.int64)
    for s in range(m.n_states - 1, -1, -1):             # representative: the first state of a block
        rep[block[s]] = s
    trans = np.where(m.transitions[rep] >= 0, block[np.maximum(m.transitions[rep], 0)], -1)
    counts = np.zeros((n_b, m.n_inputs), dtype=np.int64)
    np.add.at(counts, block, m.counts)
    order, seen = [int(block[m.initial])], {int(block[m.initial])}
    for b in order:                                     # BFS, inputs in alphabet order
        for t in trans[b]:
            if t >= 0 and int(t) not in seen:
                seen.add(int(t))
                order.append(int(t))
    order += [b for b in range(n_b) if b not in seen]
    index = np.empty(n_b, dtype=np.int64)
    index[order] = np.arange(n_b)
    trans = np.where(trans >= 0, index[np.maximum(trans, 0)], -1)[order]
    q = MooreMachine(states=tuple(m.states[rep[b]] for b in order), names=tuple(f"q{i}" for i in range(n_b)),
                     inputs=m.inputs, outputs=tuple(m.outputs[rep[b]] for b in order), transitions=trans,
                     initial=0, counts=counts[order])
    return q, index


def _merge_unknown_initial(m: MooreMachine) -> MooreMachine | None:
    """Merge an initial state of unknown output into a state that agrees on every shared transition."""
    i = m.initial
    if m.outputs[i] is not None:
        return None
    best, best_agree = None, -1
    for c in range(m.n_states):
        if c == i or m.outputs[c] is None:
            continue
        a, b = (np.where(m.transitions[r] == i, c, m.transitions[r]) for r in (i, c))   # as if merged
        both = (a >= 0) & (b >= 0)
        if np.all(a[both] == b[both]) and int(both.sum()) > best_agree:
            best, best_agree = c, int(both.sum())
    if best is None:
        return None
    trans = np.where(m.transitions == i, best, m.transitions)
    trans[best] = np.where(trans[best] >= 0, trans[best], trans[i])
    counts = m.counts.copy()
    counts[best] += counts[i]
    return MooreMachine(states=m.states, names=m.names, inputs=m.inputs, outputs=m.outputs, transitions=trans,
                        initial=best, counts=counts)


def _restrict(m: MooreMachine, keep_states: list[int]) -> tuple[MooreMachine, np.ndarray]:
    """The machine on ``keep_states`` (closed under transitions) and the new index of every state."""
    keep = np.full(m.n_states, -1, dtype=np.int64)
    keep[keep_states] = np.arange(len(keep_states))
    trans = m.transitions[keep_states]
    sub = MooreMachine(states=tuple(m.states[r] for r in keep_states), names=tuple(m.names[r] for r in keep_states),
                       inputs=m.inputs, outputs=tuple(m.outputs[r] for r in keep_states),
                       transitions=np.where(trans >= 0, keep[np.maximum(trans, 0)], -1),
                       initial=int(keep[m.initial]), counts=m.counts[keep_states])
    return sub, keep


def _output_classes(outputs: tuple) -> np.ndarray:
    """A class per distinct output; each unknown output (None) a class of its own."""
    classes: dict = {}
    out = []
    for i, o in enumerate(outputs):
        out.append(classes.setdefault(o, len(classes)) if o is not None else -1 - i)
    return np.array(out, dtype=np.int64)


def minimize(machine: MooreMachine) -> tuple[MooreMachine, np.ndarray]:
    """Minimal Moore machine by partition refinement, and the new index of each original state.

    Unobserved transitions (-1) count as a successor of their own, so states merge only when they
    were seen to behave alike. The initial state, whose output is never observed, merges into a
    state that agrees with it on every transition both have (its output is a "don't care").
    Unreachable states are dropped (index -1); states are numbered breadth-first from the initial
    one, so minimising twice gives the same machine.
    """
    m, mapping = _restrict(machine, sorted(machine.reachable()))
    while True:
        block = refine_partition(_output_classes(m.outputs), m.transitions)
        q, index = _quotient(m, block)
        mapping = np.where(mapping >= 0, index[block][np.maximum(mapping, 0)], -1)
        merged = _merge_unknown_initial(q)
        if merged is None:
            return q, mapping
        mapping = np.where(mapping == q.initial, merged.initial, mapping)
        m, keep = _restrict(merged, sorted(merged.reachable()))
        mapping = np.where(mapping >= 0, keep[np.maximum(mapping, 0)], -1)


def mealy_classes(m: MooreMachine) -> np.ndarray:
    """Class of each state when outputs are read on transitions (the minimal Mealy machine): states
    whose successors have the same outputs and classes under every input (partition refinement; a
    missing transition goes to a sink of its own). Classes are numbered by their signature."""
    out_key = {o: i for i, o in enumerate(sorted({o for o in m.outputs if o is not None}))}
    out_of = np.array([out_key.get(o, -1) for o in m.outputs] + [-2], dtype=np.int64)
    block = np.zeros(m.n_states, dtype=np.int64)
    trans = np.where(m.transitions >= 0, m.transitions, m.n_states)
    while True:
        ext = np.append(block, -1)
        sig = np.concatenate([block[:, None], out_of[trans], ext[trans]], axis=1)
        _, new = np.unique(sig, axis=0, return_inverse=True)
        new = new.reshape(-1)
        if len(np.unique(new)) == len(np.unique(block)):
            return new
        block = new


def n_mealy_states(machine: MooreMachine) -> int:
    """States of the minimal Mealy machine (output on each transition = the target's output)."""
    classes = mealy_classes(machine)
    return len({int(classes[s]) for s in machine.reachable()})
