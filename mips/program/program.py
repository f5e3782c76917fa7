"""Program stage: the synthesised program as data, and running it (mips-method.md §9.4).

A :class:`Program` has the paper's template: integer state variables with initial values, one
update formula per variable (all updated at once from the previous values and the current
input), and one output formula per output computed from the *updated* state::

    def f(xs):
        a, b = 0, 0
        ys = []
        for x in xs:
            a, b = <update of a>, <update of b>
            ys.append(<output>)
        return ys

A ``table`` program (the fallback) instead looks its state and output up in the minimised
machine's tables. :func:`run_program` evaluates either kind on whole arrays of sequences at once
(:mod:`mips.regression.evaluate`), which is what makes verifying on a whole test split cheap; the
Python source (:mod:`mips.program.codegen`) is the readable form of the same program.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal, Mapping

import numpy as np

from mips.errors import ConfigError
from mips.program import limits
from mips.regression.evaluate import LIMIT, ExpressionError, evaluate, parse_expression
from mips.regression.formula import Formula

ProgramKind = Literal["symbolic", "table"]
STATE_LETTERS = tuple("abcdeghjkmnpqrtuvw")   # no f (the function), i, l, o, s (tables), x, y


def input_names(input_dim: int) -> tuple[str, ...]:
    """``("x",)`` for one input stream, else ``("x1", "x2", ...)``."""
    return ("x",) if input_dim == 1 else tuple(f"x{i + 1}" for i in range(input_dim))


def output_names(output_dim: int) -> tuple[str, ...]:
    return ("y",) if output_dim == 1 else tuple(f"y{i + 1}" for i in range(output_dim))


def state_names(k: int) -> tuple[str, ...]:
    """``a, b, c, ...`` then ``s23, s24, ...`` beyond the alphabet."""
    return tuple(STATE_LETTERS[i] if i < len(STATE_LETTERS) else f"s{i}" for i in range(k))


@dataclass(frozen=True, slots=True, kw_only=True)
class Program:
    """A program ``f(xs) -> ys`` over integer state variables.

    Attributes
    ----------
    task : str
    kind : {"symbolic", "table"}
    method : str
        How it was found, e.g. ``"lattice + linear"`` or ``"last 3 inputs + boolean"``.
    inputs : tuple of str
        Names of the input numbers at each step (``x`` or ``x1, x2, ...``).
    state : tuple of str
        State variable names (symbolic programs); ``("s",)`` for tables.
    initial : tuple of int
    updates : tuple of Formula
        One per state variable, reading the previous state and the current inputs.
    outputs : tuple of Formula
        One per output number, reading the updated state.
    transitions : mapping (state, inputs tuple) -> state, tables only
    table_outputs : mapping state -> outputs tuple, tables only
    comments : mapping str -> str
        Per state variable, what it holds (shown as a comment in the source).
    """

    task: str
    kind: ProgramKind
    method: str
    inputs: tuple[str, ...]
    state: tuple[str, ...]
    initial: tuple[int, ...]
    updates: tuple[Formula, ...] = ()
    outputs: tuple[Formula, ...] = ()
    transitions: Mapping[tuple, int] = field(default_factory=dict)
    table_outputs: Mapping[int, tuple[int, ...]] = field(default_factory=dict)
    comments: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in ("symbolic", "table"):
            raise ConfigError(f"The 'kind' parameter of Program must be 'symbolic' or 'table'. Got {self.kind!r} instead.")
        if len(self.initial) != len(self.state):
            raise ConfigError(f"Program has {len(self.state)} state variables but {len(self.initial)} initial values.")
        for name, v in zip(self.state, self.initial):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or abs(int(v)) > LIMIT:
                got = f"an int of {v.bit_length()} bits" if isinstance(v, int) and v.bit_length() > 64 else f"{v!r:.40}"
                raise ConfigError(f"The initial value of '{name}' of Program must be an int at most 2**53 in size. "
                                  f"Got {got} instead.")
        if self.kind == "symbolic":
            if len(self.updates) != len(self.state):
                raise ConfigError(f"Program has {len(self.state)} state variables but {len(self.updates)} updates.")
            known = set(self.state) | set(self.inputs)
            for f in self.updates:
                parse_expression(f.expr, known)
            for f in self.outputs:
                parse_expression(f.expr, set(self.state) | set(self.inputs))

    @property
    def size(self) -> int:
        """Total formula size (AST nodes); for tables, the number of table entries."""
        if self.kind == "table":
            return len(self.transitions) + len(self.table_outputs)
        return sum(f.size for f in self.updates) + sum(f.size for f in self.outputs)

    @property
    def output_dim(self) -> int:
        return len(self.outputs) if self.kind == "symbolic" else len(next(iter(self.table_outputs.values()), (0,)))

    def to_dict(self) -> dict:
        return {"task": self.task, "kind": self.kind, "method": self.method, "inputs": list(self.inputs),
                "state": list(self.state), "initial": list(self.initial),
                "updates": [f.expr for f in self.updates], "outputs": [f.expr for f in self.outputs],
                "size": self.size}


@dataclass(frozen=True, slots=True, kw_only=True)
class Run:
    """A program run on many sequences.

    Attributes
    ----------
    outputs : int64 array of shape (n_sequences, seq_len, output_dim)
    states : int64 array of shape (n_sequences, seq_len + 1, n_state)
        ``states[:, 0]`` is the initial state.
    error : str or None
        The first evaluation error (division by zero, overflow), if any.
    error_sequence, error_step : int
        Where the error happened (-1 when none); outputs from there on are meaningless.
    """

    outputs: np.ndarray
    states: np.ndarray
    error: str | None = None
    error_sequence: int = -1
    error_step: int = -1


@lru_cache(maxsize=4096)
def _parsed(expr: str):
    """Parsed and checked expression; cached because candidate programs share their formulas
    (the initial-state search runs one program many times). The tree is never mutated."""
    return parse_expression(expr)


def operations(program: Program) -> int:
    """The operations of the program's formulas (what the run limits count per step)."""
    if program.kind == "table":
        return 1
    return limits.n_operations([_parsed(f.expr) for f in program.updates + program.outputs])


def run_program(program: Program, x: np.ndarray, initial: np.ndarray | None = None) -> Run:
    """Run a program on every sequence of ``x`` (int array of shape (n, T, input_dim)) at once,
    from the program's initial state or, given ``initial`` (shape (n, n_state_vars)), from one
    initial state per sequence.

    The run is bounded before anything is allocated (:func:`mips.program.limits.check_run`: states x
    sequences x steps, and formula work); a formula whose temporary arrays would be large is
    evaluated on the sequences in chunks (the result is the same).
    """
    x = np.asarray(x, dtype=np.int64)
    if x.ndim != 3 or x.shape[2] != len(program.inputs):
        raise ConfigError(f"x must have shape (n_sequences, seq_len, {len(program.inputs)}); got {x.shape}.")
    n, t_len, _ = x.shape
    k = len(program.state)
    if program.kind == "table":
        limits.check_run(1, program.output_dim, 1, n, t_len)
    else:
        updates = [_parsed(f.expr) for f in program.updates]
        outputs = [_parsed(f.expr) for f in program.outputs]
        limits.check_run(k, program.output_dim, limits.n_operations(updates + outputs), n, t_len)
    states = np.zeros((n, t_len + 1, k), dtype=np.int64)
    states[:, 0] = program.initial if initial is None else np.asarray(initial, dtype=np.int64).reshape(n, k)
    out = np.zeros((n, t_len, program.output_dim), dtype=np.int64)
    if program.kind == "table":
        return _run_table(program, x, states, out)
    peak = max((limits.live_arrays(node) for node in updates + outputs), default=1) + k
    size = limits.chunk_size(peak, n)
    first: tuple[int, int, str] | None = None                    # (step, sequence, message)
    for lo in range(0, n, size):
        hit = _run_chunk(program, updates, outputs, x[lo:lo + size], states[lo:lo + size], out[lo:lo + size])
        if hit is not None and (first is None or (hit[0], lo + hit[1]) < first[:2]):
            first = (hit[0], lo + hit[1], hit[2])
    if first is not None:
        return Run(outputs=out, states=states, error=first[2], error_sequence=first[1], error_step=first[0])
    return Run(outputs=out, states=states)


def _run_chunk(program: Program, updates: list, outputs: list, x: np.ndarray, states: np.ndarray,
               out: np.ndarray) -> tuple[int, int, str] | None:
    """Fill ``states`` and ``out`` (views of the whole run's arrays) for the sequences of ``x``;
    the first evaluation error as (step, sequence in this chunk, message), or None."""
    n, t_len, _ = x.shape
    for t in range(t_len):
        env = {name: x[:, t, i] for i, name in enumerate(program.inputs)}
        env.update({name: states[:, t, j] for j, name in enumerate(program.state)})
        try:
            for j, node in enumerate(updates):
                states[:, t + 1, j] = evaluate(node, env, (n,))
            env.update({name: states[:, t + 1, j] for j, name in enumerate(program.state)})
            for o, node in enumerate(outputs):
                out[:, t, o] = evaluate(node, env, (n,))
        except ExpressionError as exc:
            seq = int(np.argmax(exc.where)) if exc.where is not None and exc.where.any() else 0
            return t, seq, str(exc)
    return None


def _run_table(program: Program, x: np.ndarray, states: np.ndarray, out: np.ndarray) -> Run:
    n, t_len, n_in = x.shape
    inputs = sorted({key[1] for key in program.transitions})
    in_index = {v: i for i, v in enumerate(inputs)}
    n_states = 1 + max([s for s, _ in program.transitions] + list(program.transitions.values())
                       + list(program.table_outputs), default=0)
    table = np.arange(n_states)[:, None].repeat(max(len(inputs), 1), axis=1)   # unknown: stay
    for (s, v), nxt in program.transitions.items():
        table[s, in_index[v]] = nxt
    outputs = np.zeros((n_states, out.shape[2]), dtype=np.int64)
    for s, y in program.table_outputs.items():
        outputs[s] = y
    flat = x.reshape(-1, n_in)
    low = flat.min(axis=0) if flat.size else np.zeros(n_in, dtype=np.int64)
    span = (flat.max(axis=0) - low + 1) if flat.size else np.ones(n_in, dtype=np.int64)
    if float(np.prod(span.astype(np.float64))) <= 1e7:       # small alphabet: a dense lookup array
        radix = np.cumprod(np.concatenate([[1], span[:-1]])).astype(np.int64)
        lut = np.full(int(np.prod(span)), -1, dtype=np.int64)
        for v, i in in_index.items():
            d = np.asarray(v, dtype=np.int64) - low
            if np.all((d >= 0) & (d < span)):
                lut[int(d @ radix)] = i
        col = lut[(flat - low) @ radix].reshape(n, t_len)   # -1: an input the table never saw
    else:
        uniq, inverse = np.unique(flat, axis=0, return_inverse=True)
        uniq_col = np.array([in_index.get(tuple(int(c) for c in row), -1) for row in uniq.tolist()],
                            dtype=np.int64)
        col = uniq_col[inverse.reshape(-1)].reshape(n, t_len)
    s = states[:, 0, 0]
    for t in range(t_len):
        c = col[:, t]
        s = np.where(c >= 0, table[s, np.maximum(c, 0)], s)
        states[:, t + 1, 0] = s
        out[:, t] = outputs[s]
    return Run(outputs=out, states=states)
