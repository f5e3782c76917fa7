"""Programs for people: simplify a candidate program, name its variables by evidence, score it.

Every verified candidate is a correct program; this module decides which one a person should read.

:func:`simplify`
    Drops state variables no output needs (directly or through other updates), so an output that
    depends only on the current input is written without state; merges variables whose values are
    equal on every traced step; shifts a variable by a constant so that its initial value is zero
    when that removes constants (the lattice's offset) -- then re-derives nothing by guessing: the
    result is verified like any other candidate.
:func:`name_variables`
    Names each state variable by what it holds when the traced steps show it, with a one-line
    comment giving the evidence: ``last1, last2, ...`` (the input k steps back), ``total`` (the
    running sum of the input), ``carry`` (``(inputs + carry) // base``), ``residue``
    (``(residue + x) % N``), ``count`` (moves by 0 or 1 each step; an up/down counter kept within
    bounds), ``seen`` (0/1, never back to 0), ``run`` (goes up by 1 or starts again; the current run
    of equal inputs), ``last`` (an input held until the next one is taken), ``position`` and
    ``velocity`` (the one changes by the other's new value), ``flag`` (0/1); else the name the
    synthesis gave from the machine's structure (``last``, ``state``, ``part``, ...), else a short
    neutral letter. Before naming, an integer-affine program is written in the basis its output
    reads (:mod:`mips.program.linear_basis`).
:func:`readability`
    A score (lower reads better) from size, number of variables, constants outside the task's own
    values, a non-zero initial state, unused variables, nesting depth and mixing of Boolean and
    arithmetic operators; ties go to the smaller program.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from dataclasses import dataclass

import numpy as np
import sympy

from mips.program.linear_basis import output_basis
from mips.program.program import STATE_LETTERS, Program, run_program
from mips.program.window import MAX_WINDOW
from mips.regression.formula import Formula

_RESERVED = {"x", "xs", "ys", "f", "abs", "min", "max"}
_BOOL_OPS = (ast.BoolOp, ast.BitXor, ast.BitAnd, ast.BitOr, ast.Not)   # comparisons of numbers are not "mixed"
_ARITH_OPS = (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod)


@dataclass(frozen=True, slots=True)
class Readability:
    """How well a program reads (``score``: lower is better) and why.

    ``flags`` names what a reader trips over: ``magic constant``, ``non-zero initial state``,
    ``unused variable``, ``deep nesting``, ``mixed Boolean and arithmetic``.
    """

    score: float
    size: int
    n_vars: int
    flags: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"score": self.score, "size": self.size, "n_vars": self.n_vars, "flags": list(self.flags)}


def task_constants(input_values: tuple[int, ...]) -> frozenset[int]:
    """Constants a program may use without explanation: small ones and the task's own values."""
    values = set(int(v) for v in input_values)
    base = len(values)
    return frozenset({-1, 0, 1, 2} | values | {-v for v in values} | {base, max(values, default=0) + 1})


# -- expression helpers ----------------------------------------------------------------------------
def _tree(expr: str) -> ast.expr:
    return ast.parse(expr, mode="eval").body


def _names(expr: str) -> set[str]:
    return {n.id for n in ast.walk(_tree(expr)) if isinstance(n, ast.Name)}


def _rename(expr: str, mapping: dict[str, str]) -> str:
    tree = ast.parse(expr, mode="eval")
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in mapping:
            node.id = mapping[node.id]
    return ast.unparse(tree)


def _substitute(expr: str, name: str, replacement: str) -> str:
    """``expr`` with every read of ``name`` replaced by the expression ``replacement``."""
    tree = ast.parse(expr, mode="eval")
    new = _tree(replacement)

    class Sub(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            return new if node.id == name else node

    return ast.unparse(ast.fix_missing_locations(Sub().visit(tree)))


def _depth(node: ast.AST) -> int:
    """Nesting depth; a chain of one associative operator (``a + b + c + d``) counts as one level."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mult, ast.BitXor, ast.BitAnd, ast.BitOr)):
        left = node.left
        same = isinstance(left, ast.BinOp) and type(left.op) is type(node.op)
        return max(_depth(left) if same else 1 + _depth(left), 1 + _depth(node.right))
    children = [c for c in ast.iter_child_nodes(node) if isinstance(c, ast.expr)]
    return 1 + max((_depth(c) for c in children), default=0)


def _formula(expr: str, method: str) -> Formula:
    return Formula(expr=expr, method=method)


def _rebuild(program: Program, keep: list[int], updates: list[str], outputs: list[str],
             state: list[str] | None = None, initial: list[int] | None = None,
             comments: dict[str, str] | None = None) -> Program:
    state = [program.state[j] for j in keep] if state is None else state
    initial = [int(program.initial[j]) for j in keep] if initial is None else initial
    methods = [program.updates[j].method for j in keep]
    return dataclasses.replace(
        program, state=tuple(state), initial=tuple(initial),
        updates=tuple(_formula(e, m) for e, m in zip(updates, methods)),
        outputs=tuple(_formula(e, f.method) for e, f in zip(outputs, program.outputs)),
        comments=dict(comments if comments is not None else
                      {k: v for k, v in program.comments.items() if k in state or k == "__init__"}))


# -- simplification --------------------------------------------------------------------------------
def _needed(program: Program) -> set[str]:
    """State variables an output reads, directly or through other updates."""
    needed: set[str] = set()
    todo = set().union(*(_names(f.expr) for f in program.outputs)) & set(program.state)
    while todo:
        v = todo.pop()
        needed.add(v)
        todo |= (_names(program.updates[program.state.index(v)].expr) & set(program.state)) - needed
    return needed


def _drop_unused(program: Program) -> Program:
    needed = _needed(program)
    keep = [j for j, v in enumerate(program.state) if v in needed]
    if len(keep) == len(program.state):
        return program
    return _rebuild(program, keep, [program.updates[j].expr for j in keep], [f.expr for f in program.outputs])


def _merge_duplicates(program: Program, states: np.ndarray) -> Program:
    """Replace a variable equal to an earlier one on every traced step by that one."""
    k = len(program.state)
    for j in range(1, k):
        for i in range(j):
            if np.array_equal(states[:, :, i], states[:, :, j]):
                a, b = program.state[i], program.state[j]
                keep = [m for m in range(k) if m != j]
                return _rebuild(program, keep, [_rename(program.updates[m].expr, {b: a}) for m in keep],
                                [_rename(f.expr, {b: a}) for f in program.outputs])
    return program


def _zero_initial(program: Program) -> Program:
    """Shift each variable with a non-zero initial value by that value (v = v' + c), then fold the
    constants: kept only when it makes the program no larger (it removes a lattice offset)."""
    out = program
    for j, c in enumerate(program.initial):
        if c == 0:
            continue
        v = out.state[j]
        shifted = f"({v} + {c})"
        updates = [_substitute(f.expr, v, shifted) for f in out.updates]
        updates[j] = f"({updates[j]}) - {c}"
        outputs = [_substitute(f.expr, v, shifted) for f in out.outputs]
        try:
            updates = [_fold(e) for e in updates]
            outputs = [_fold(e) for e in outputs]
        except (ValueError, TypeError, SyntaxError):
            continue
        initial = list(out.initial)
        initial[j] = 0
        candidate = _rebuild(out, list(range(len(out.state))), updates, outputs, state=list(out.state),
                             initial=initial, comments={k: x for k, x in out.comments.items() if k != "__init__"})
        if candidate.size <= out.size:
            out = candidate
    return out


def _unread_initial(program: Program, x: np.ndarray) -> Program:
    """A non-zero initial value that no step reads before it is overwritten becomes 0: the
    traced states after the first step, and so the outputs, are the same (``run = 0`` where the
    first step sets ``run = 1`` whatever it was)."""
    base = run_program(program, x)
    if base.error is not None:
        return program
    out = program
    for j, c in enumerate(program.initial):
        if c == 0:
            continue
        initial = list(out.initial)
        initial[j] = 0
        candidate = dataclasses.replace(out, initial=tuple(initial))
        run = run_program(candidate, x)
        if run.error is None and np.array_equal(run.states[:, 1:], base.states[:, 1:]):
            out = candidate
    return out


def _fold(expr: str) -> str:
    """Collect the constants of a linear integer expression (sympy); other expressions unchanged."""
    tree = _tree(expr)
    if any(isinstance(n, (ast.BoolOp, ast.Compare, ast.IfExp, ast.Call, ast.BitXor, ast.BitAnd, ast.BitOr,
                          ast.Not, ast.FloorDiv, ast.Mod, ast.Invert))
           for n in ast.walk(tree)):
        return expr
    symbols = {n: sympy.Symbol(n, integer=True) for n in _names(expr)}
    value = sympy.expand(sympy.sympify(expr, locals=symbols))
    if not value.is_polynomial(*symbols.values()) or sympy.Poly(value, *symbols.values()).total_degree() > 1:
        return expr
    text = str(value).replace(" ", "")
    return ast.unparse(_tree(text))


def _affine_lag(states: np.ndarray, x: np.ndarray, j: int, initial_read: bool,
                max_lag: int = MAX_WINDOW) -> tuple[int, int, int, int] | None:
    """(k, i, s, c) when ``s * v + c`` equals input i of k - 1 steps before (0 before the start) for
    variable j on every traced step (s = +1 or -1); the initial state counts only when an update
    reads it."""
    first = 0 if initial_read else 1
    v = states[:, first:, j]
    t_len = x.shape[1]
    for i in range(x.shape[2]):
        for k in range(1, min(max_lag, t_len) + 1):
            lagged = np.zeros(states.shape[:2], dtype=np.int64)
            lagged[:, k:] = x[:, :t_len - k + 1, i]
            lagged = lagged[:, first:]
            for sign in (1, -1):
                c = lagged[0, 0] - sign * v[0, 0]
                if np.array_equal(sign * v + c, lagged):
                    return k, i, sign, int(c)
    return None


def _lag_name(program: Program, i: int, k: int) -> str:
    return f"last{k}" if len(program.inputs) == 1 else f"{program.inputs[i]}_last{k}"


def _canonical_lags(program: Program, states: np.ndarray, x: np.ndarray) -> Program:
    """Variables that are (plus or minus) a recent input plus a constant become a shift register of
    the last inputs, ``last1, last2, last3 = x, last1, last2``, substituted into every formula."""
    read = set().union(*(_names(f.expr) for f in program.updates))
    found = {j: _affine_lag(states, x, j, program.state[j] in read) for j in range(len(program.state))}
    found = {j: f for j, f in found.items() if f is not None}
    if not found:
        return program
    depth: dict[int, int] = {}
    for k, i, _, _ in found.values():
        depth[i] = max(depth.get(i, 0), k)
    lag_vars = [(i, k) for i in sorted(depth) for k in range(1, depth[i] + 1)]
    names = {ik: _lag_name(program, *ik) for ik in lag_vars}
    if set(names.values()) & (set(program.state) | set(program.inputs)):
        return program
    replace = {program.state[j]: (f"{names[(i, k)]}" if s == 1 and c == 0 else
                                  f"({'' if s == 1 else '-'}{names[(i, k)]} + {-s * c})")
               for j, (k, i, s, c) in found.items()}
    kept = [j for j in range(len(program.state)) if j not in found]

    def rewrite(expr: str) -> str:
        for old, new in replace.items():
            expr = _substitute(expr, old, new)
        return _fold(expr)

    state = [names[ik] for ik in lag_vars] + [program.state[j] for j in kept]
    updates = [program.inputs[i] if k == 1 else names[(i, k - 1)] for i, k in lag_vars]
    updates += [rewrite(program.updates[j].expr) for j in kept]
    outputs = [rewrite(f.expr) for f in program.outputs]
    methods = ["shift"] * len(lag_vars) + [program.updates[j].method for j in kept]
    return dataclasses.replace(
        program, state=tuple(state), initial=tuple([0] * len(lag_vars) + [int(program.initial[j]) for j in kept]),
        updates=tuple(_formula(e, m) for e, m in zip(updates, methods)),
        outputs=tuple(_formula(e, f.method) for e, f in zip(outputs, program.outputs)),
        comments={k: v for k, v in program.comments.items() if k in state})


def _inline_input_only(program: Program) -> Program:
    """A variable whose update reads no state and that only outputs read is written into the
    outputs (an output that depends only on the current input needs no state)."""
    for j, v in enumerate(program.state):
        update = program.updates[j].expr
        if _names(update) & set(program.state):
            continue
        if any(v in _names(f.expr) for m, f in enumerate(program.updates)):
            continue
        keep = [m for m in range(len(program.state)) if m != j]
        outputs = [_substitute(f.expr, v, f"({update})") for f in program.outputs]
        return _inline_input_only(_rebuild(program, keep, [program.updates[m].expr for m in keep], outputs))
    return program


def simplify(program: Program, x: np.ndarray) -> Program:
    """A program with the same outputs on ``x`` (checked later by verification) that reads better."""
    if program.kind != "symbolic":
        return program
    x = np.asarray(x, dtype=np.int64)
    p = _drop_unused(program)
    if p.state:
        run = run_program(p, x)
        if run.error is None:
            p = _drop_unused(_merge_duplicates(p, run.states))
    if p.state:
        run = run_program(p, x)
        if run.error is None:
            p = _drop_unused(_canonical_lags(p, run.states, x))
    if p.state:
        p = _drop_unused(_inline_input_only(p))
    if p.state:
        p = _zero_initial(p)
    if p.state:
        p = output_basis(p)
    if p.state:
        p = _unread_initial(p, x)
    return p


# -- names -----------------------------------------------------------------------------------------
def _lag(states: np.ndarray, x: np.ndarray, j: int, max_lag: int = MAX_WINDOW) -> tuple[int, int] | None:
    """(k, input index) when variable j equals that input k - 1 steps back after every update."""
    after = states[:, 1:, j]
    t_len = x.shape[1]
    for i in range(x.shape[2]):
        for k in range(1, min(max_lag, t_len) + 1):
            lagged = np.zeros_like(after)
            lagged[:, k - 1:] = x[:, :t_len - k + 1, i]
            if np.array_equal(after[:, k - 1:], lagged[:, k - 1:]) and np.all(after[:, :k - 1] == states[:, :1, j]):
                return k, i
    return None


def _input_function(values: np.ndarray, x: np.ndarray) -> bool:
    """Whether ``values`` (n, T) are a function of the step's input vector alone."""
    keys = np.concatenate([x.reshape(-1, x.shape[2]), values.reshape(-1, 1)], axis=1)
    pairs = np.unique(keys, axis=0)
    return np.unique(pairs[:, :-1], axis=0).shape[0] == pairs.shape[0]


def _residue(n: int, comment: str) -> tuple[str, str]:
    """A running total mod n: a ``parity`` when n is 2, else a ``residue`` (``{name}`` in the comment)."""
    name = "parity" if n == 2 else "residue"
    return name, comment.replace("{name}", name)


def _saturating(after: np.ndarray, before: np.ndarray, x: np.ndarray) -> bool:
    """Whether ``after == min(before + g(x), cap)`` on every step for a step ``g >= 0`` of the input
    alone and the largest value ``cap``: a saturating counter."""
    cap = after.max()
    free = (after < cap).reshape(-1)
    if not free.any() or not np.all(after >= before):
        return False
    _, key = np.unique(x.reshape(-1, x.shape[2]), axis=0, return_inverse=True)
    key = key.reshape(-1)
    step, b = (after - before).reshape(-1), before.reshape(-1)
    g = np.full(key.max() + 1, np.iinfo(np.int64).max // 4, dtype=np.int64)    # unseen free: any step
    np.minimum.at(g, key[free], step[free])
    agrees = np.zeros_like(g)
    np.maximum.at(agrees, key[free], step[free])
    if np.any(g[key[free]] != agrees[key[free]]):
        return False                                # the free steps are not a function of the input
    return bool(np.all(b[~free] + g[key[~free]] >= cap))


def _velocity_of(states: np.ndarray, x: np.ndarray, j: int) -> int | None:
    """k when variable j changes by variable k's new value on every step and k is neither an
    input nor a lag of one (a position and its velocity: ``v = v + x; p = p + v``)."""
    step = states[:, 1:, j] - states[:, :-1, j]
    if not step.any():
        return None
    for k in range(states.shape[2]):
        v = states[:, 1:, k]
        if k == j or not np.array_equal(step, v) or np.unique(v).size <= 2 or _lag(states, x, k) is not None:
            continue
        return k
    return None


def _clipped(after: np.ndarray, before: np.ndarray, x: np.ndarray, low: int, high: int) -> bool:
    """Whether ``after == min(max(before + g(x), low), high)`` on every step, for a step ``g`` of
    the input alone that goes up for some inputs and down for others, and the bounds cut at least
    one step: a counter kept within ``low..high`` (up on 1, down on 0), not a free one whose
    observed range only happens to be ``low..high``."""
    _, key = np.unique(x.reshape(-1, x.shape[2]), axis=0, return_inverse=True)
    key = key.reshape(-1)
    a, b = after.reshape(-1), before.reshape(-1)
    free = (a > low) & (a < high)             # steps the bounds did not cut
    if not free.any():
        return False
    g = np.zeros(key.max() + 1, dtype=np.int64)
    known = np.zeros(key.max() + 1, dtype=bool)
    g[key[free]] = (a - b)[free]
    known[key[free]] = True
    if not np.array_equal(g[key[free]], (a - b)[free]) or not (g[known] > 0).any() or not (g[known] < 0).any():
        return False
    moved = b + g[key]
    cut = known[key] & ((moved > high) | (moved < low))      # the bounds must hold it back somewhere
    return bool(cut.any() and np.all(~known[key] | (a == np.clip(moved, low, high))))


def _equal_runs(x: np.ndarray) -> np.ndarray:
    """(n, T): the length of the current run of equal input vectors after each step."""
    runs = np.ones(x.shape[:2], dtype=np.int64)
    same = np.all(x[:, 1:] == x[:, :-1], axis=2)
    for t in range(1, x.shape[1]):
        runs[:, t] = np.where(same[:, t - 1], runs[:, t - 1] + 1, 1)
    return runs


def _counts_a_run(x: np.ndarray, kept_on: np.ndarray) -> bool:
    """Whether a variable that grows (or stays at its cap) on the steps ``kept_on`` and starts again
    otherwise counts a run: it grows on one input value only (the current run of ones), or, from
    the second step on, exactly when the input equals the previous one (a run of equal inputs)."""
    if np.unique(x[kept_on], axis=0).shape[0] == 1:
        return True
    same = np.all(x[:, 1:] == x[:, :-1], axis=2)
    return bool(np.array_equal(kept_on[:, 1:], same))


def _evidence(states: np.ndarray, x: np.ndarray, j: int, base: int, inputs: tuple[str, ...]
              ) -> tuple[str, str] | None:
    """(name, comment) of what variable j holds on every traced step, or None."""
    before, after = states[:, :-1, j], states[:, 1:, j]
    total_in = x.sum(axis=2)
    if _velocity_of(states, x, j) is not None:
        return "position", "changes by the velocity each step (on every traced step)"
    if any(_velocity_of(states, x, i) == j for i in range(states.shape[2]) if i != j):
        return "velocity", "what the position changes by each step (on every traced step)"
    lag = _lag(states, x, j)
    if lag is not None:
        k, i = lag
        stem = "last" if len(inputs) == 1 else f"{inputs[i]}_last"
        ago = "this step" if k == 1 else "one step ago" if k == 2 else f"{k - 1} steps ago"
        return f"{stem}{k}", f"{inputs[i]} of {ago} (on every traced step)"
    if len(inputs) == 1 and np.array_equal(after, before + x[:, :, 0]):
        return "total", f"running sum of {inputs[0]} (on every traced step)"
    values = np.unique(after)
    flag_values = set(values.tolist()) <= {0, 1}
    if len(inputs) == 1:
        start = int(states[0, 0, j])
        for stem, fold, bound in (("smallest", np.minimum, "largest"), ("largest", np.maximum, "smallest")):
            if stem == "largest" and flag_values and start in (0, 1):
                continue                # the largest of 0/1 values: whether a 1 was seen (below)
            if np.array_equal(after, fold(before, x[:, :, 0])):
                return stem, (f"the {stem} {inputs[0]} so far (on every traced step); it starts at {start}, "
                              f"the {bound} value {inputs[0]} takes")
    if set(values.tolist()) <= {0, 1} and base > 1 and np.array_equal(after, (total_in + before) // base):
        return "carry", f"({' + '.join(inputs)} + carry) // {base} (on every traced step)"
    if len(inputs) > 1 and base > 1:
        for k in range(states.shape[2]):
            other = states[:, :-1, k]
            if k != j and np.array_equal(states[:, 1:, k], (total_in + other) // base) \
                    and np.array_equal(after, (total_in + other) % base):
                return "digit", f"({' + '.join(inputs)} + carry) % {base}: the digit of the sum (on every traced step)"
    if len(inputs) == 1 and values.size > 1 and values.min() == 0:
        n = int(values.max()) + 1
        if n > 1 and np.array_equal(after, (before + x[:, :, 0]) % n):
            return _residue(n, f"({{name}} + {inputs[0]}) % {n} (on every traced step)")
        for mult in range(2, n):
            if np.array_equal(after, (mult * before + x[:, :, 0]) % n):
                return "remainder", f"({mult} * remainder + {inputs[0]}) % {n} (on every traced step)"
    if values.size > 1 and values.min() == 0:
        n = int(values.max()) + 1
        moved = (after - before) % n
        # it wraps (else it is a counter): the step mod n depends on the input, the raw step does not
        if moved.any() and _input_function(moved, x) and not _input_function(after - before, x):
            return _residue(n, f"a running total mod {n}: each step adds an amount set by the input (on every traced step)")
    step = np.unique(after - before)
    if set(step.tolist()) <= {0, 1} and step.size == 2 and values.size > 2:
        if len(inputs) == 1:
            for v in np.unique(x[:, :, 0]):
                if np.array_equal(after - before, (x[:, :, 0] == v).astype(after.dtype)):
                    return f"count{int(v)}", f"how many times {inputs[0]} was {int(v)} so far (on every traced step)"
        return "count", "goes up by 0 or 1 each step (on every traced step)"
    if set(step.tolist()) == {-1, 1} and values.size > 2:
        return "balance", "goes up or down by 1 each step (on every traced step)"
    if values.size > 2 and step.size > 1 and _input_function(after - before, x) \
            and (set(step.tolist()) <= {-1, 0, 1} or step.min() >= 0):
        return "count", "each step adds an amount set by the input, up or down (on every traced step)"
    if values.size > 2 and _saturating(after, before, x):
        return "count", f"each step adds an amount set by the input, up to {int(values.max())} (on every traced step)"
    if set(values.tolist()) <= {0, 1} and values.size == 2 and not np.any((before == 1) & (after == 0)):
        return "seen", "becomes 1 once and stays 1 (on every traced step)"
    low, high = int(values.min()), int(values.max())
    if values.size > 2 and _clipped(after, before, x, low, high):
        return "count", (f"goes up or down by an amount set by the input, kept within {low}..{high} "
                         f"(on every traced step)")
    if high >= 2 and low >= 1 and np.array_equal(after, np.minimum(_equal_runs(x), high)):
        return "run", f"the length of the current run of equal inputs, up to {high} (on every traced step)"
    grew = after == before + 1
    reset = (after == low) | (after == low + 1) & (before != low)
    if (values.size > 2 and np.all(grew | reset | ((after == high) & (before == high)))
            and grew.any() and (reset & ~grew).any()):
        if _counts_a_run(x, grew | (after == high) & (before == high)):
            return "run", f"the length of the current run: up by 1 each step, or from {low} or {low + 1} again (on every traced step)"
        return "count", f"goes up by 1 each step, or starts again from {low} or {low + 1} (on every traced step)"
    if values.size > 2:
        for i, name in enumerate(inputs):
            if np.all((after == before) | (after == x[:, :, i])) and (after != before).any():
                stem = "last" if len(inputs) == 1 else f"{name}_last"
                return stem, f"the last {name} it kept: each step either {name} or its old value (on every traced step)"
    if set(values.tolist()) <= {0, 1} and values.size == 2:
        return "flag", "0 or 1"
    return None


def _role_name(name: str) -> bool:
    """A descriptive name (``last``, ``carry``, ...), not a neutral letter or ``s12``."""
    return name not in STATE_LETTERS and not re.fullmatch(r"s\d+|_tmp\d+", name) and len(name) > 1


def name_variables(program: Program, x: np.ndarray, input_values: tuple[int, ...]) -> Program:
    """Rename the state variables by what the traced steps show they hold (see module docstring)."""
    if program.kind != "symbolic" or not program.state:
        return program
    run = run_program(program, x)
    if run.error is not None:
        return program
    base = len(set(input_values))
    found = [_evidence(run.states, np.asarray(x, dtype=np.int64), j, base, program.inputs)
             for j in range(len(program.state))]
    taken = set(program.inputs) | _RESERVED
    names, comments = [], {}
    letters = iter(c for c in STATE_LETTERS if c not in taken)
    counts: dict[str, int] = {}
    for ev in found:
        if ev is not None:
            counts[ev[0]] = counts.get(ev[0], 0) + 1
    seen: dict[str, int] = {}
    for j, ev in enumerate(found):
        if ev is None and _role_name(program.state[j]) and program.state[j] not in taken:
            name = program.state[j]                 # a name the synthesis gave from the machine's structure
            if program.comments.get(name):
                comments[name] = program.comments[name]
        elif ev is None:
            name = next(letters)
            while name in taken:
                name = next(letters)
            old = program.comments.get(program.state[j])
            if old and old not in ("memory", "output of the state"):
                comments[name] = old
        else:
            stem, comment = ev
            seen[stem] = seen.get(stem, 0) + 1
            name = stem if counts[stem] == 1 else f"{stem}{seen[stem]}"
            start = int(program.initial[j])
            if stem in ("flag", "seen") and start not in (0, 1):
                # the evidence is about the steps; a comment never contradicts the initial value
                comment = f"{comment}, from the first step on (it starts at {start})"
            comments[name] = comment
        taken.add(name)
        names.append(name)
    if "__init__" in program.comments:
        comments["__init__"] = program.comments["__init__"]
    names, comments = _single_lag_plain(names, comments)
    mapping = dict(zip(program.state, names))
    # rename through temporary names so that swaps (a <-> b) are safe
    temp = {old: f"_tmp{j}" for j, old in enumerate(program.state)}
    final = {temp[old]: new for old, new in mapping.items()}
    updates = [_rename(_rename(f.expr, temp), final) for f in program.updates]
    outputs = [_rename(_rename(f.expr, temp), final) for f in program.outputs]
    return _rebuild(program, list(range(len(names))), updates, outputs, state=names,
                    initial=list(program.initial), comments=comments)


def _single_lag_plain(names: list[str], comments: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """``last1`` reads ``last`` (``x1_last1``: ``x1_last``) where it is the only lag of its input:
    the number only tells lags apart."""
    lags = [n for n in names if re.fullmatch(r"(\w+_)?last\d+", n)]
    out = list(names)
    for j, n in enumerate(names):
        stem = re.fullmatch(r"((?:\w+_)?last)1", n)
        if stem and [m for m in lags if re.fullmatch(re.escape(stem.group(1)) + r"\d+", m)] == [n] \
                and stem.group(1) not in names:
            out[j] = stem.group(1)
            if n in comments:
                comments = {(out[j] if k == n else k): v for k, v in comments.items()}
    return out, comments


def _natural(name: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name))


def flatten_extremes(expr: str) -> str:
    """``max(max(last2, last3), last1)`` -> ``max(last1, last2, last3)``: nested calls of the same
    ``min`` or ``max`` become one call; when every argument is a plain name they are put in
    natural order (``last1`` before ``last2`` before ``last10``). Both are commutative and
    associative, so the value is the same."""
    class Flatten(ast.NodeTransformer):
        def visit_Call(self, node: ast.Call) -> ast.AST:
            self.generic_visit(node)
            if not (isinstance(node.func, ast.Name) and node.func.id in ("min", "max") and not node.keywords):
                return node
            args: list[ast.expr] = []
            for a in node.args:
                same = (isinstance(a, ast.Call) and isinstance(a.func, ast.Name) and a.func.id == node.func.id
                        and not a.keywords)
                args += a.args if same else [a]
            if all(isinstance(a, ast.Name) for a in args):
                unique = {a.id: a for a in args}
                args = [unique[n] for n in sorted(unique, key=_natural)]
                if len(args) == 1:
                    return args[0]
            node.args = args
            return node

    tree = _tree(expr)
    flat = ast.fix_missing_locations(Flatten().visit(tree))
    return ast.unparse(flat)


def _flatten_program(program: Program) -> Program:
    if program.kind != "symbolic":
        return program

    def flat(f: Formula) -> Formula:
        e = flatten_extremes(f.expr)
        return f if e == f.expr else Formula(expr=e, method=f.method)       # size counted again

    updates = tuple(flat(f) for f in program.updates)
    outputs = tuple(flat(f) for f in program.outputs)
    if updates == program.updates and outputs == program.outputs:
        return program
    return dataclasses.replace(program, updates=updates, outputs=outputs)


def polish(program: Program, x: np.ndarray, input_values: tuple[int, ...]) -> Program:
    """:func:`simplify`, then :func:`name_variables`, then nested ``min``/``max`` flattened; the same
    program when none applies."""
    try:
        simpler = simplify(program, x)
        named = _flatten_program(name_variables(simpler, x, input_values))
    except Exception:  # noqa: BLE001 - a rewrite that fails leaves the candidate as it was
        return program
    if simpler is not program and (simpler.state != program.state or simpler.updates != program.updates):
        named = dataclasses.replace(named, method=f"{program.method}, simplified")
    return named


# -- score -----
def _residue_thresholds(program: Program) -> set[int]:
    """Constants compared with a variable whose update is ``(...) % N`` and that lie in 0 .. N - 1:
    a threshold on a residue's own values (``remainder > 4`` for a remainder mod 10), not a
    constant from nowhere."""
    ranges = {}
    for name, update in zip(program.state, program.updates):
        tree = _tree(update.expr)
        if isinstance(tree, ast.BinOp) and isinstance(tree.op, ast.Mod) and isinstance(tree.right, ast.Constant):
            ranges[name] = int(tree.right.value)
    found = set()
    for f in list(program.updates) + list(program.outputs):
        for node in ast.walk(_tree(f.expr)):
            if (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.left, ast.Name)
                    and node.left.id in ranges and isinstance(node.comparators[0], ast.Constant)):
                value = node.comparators[0].value
                if not isinstance(value, bool) and 0 <= int(value) < ranges[node.left.id]:
                    found.add(int(value))
    return found


def _running_extreme(program: Program, j: int, start: int, allowed: frozenset[int]) -> bool:
    """Variable j is ``min(v, ...)`` or ``max(v, ...)`` of itself and starts at a value the task names
    (a running minimum starts at the largest input): a non-zero start that needs no explanation."""
    tree = _tree(program.updates[j].expr)
    name = program.state[j]
    return (start in allowed and isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name)
            and tree.func.id in ("min", "max")
            and any(isinstance(a, ast.Name) and a.id == name for a in tree.args))


# -- score -----------------------------------------------------------------------------------------
def readability(program: Program, allowed: frozenset[int]) -> Readability:
    """Score ``program`` (lower reads better); ``allowed``: constants that need no explanation."""
    if program.kind != "symbolic":
        return Readability(score=1e6 + program.size, size=program.size, n_vars=1, flags=("state table",))
    flags = []
    exprs = [f.expr for f in program.updates] + [f.expr for f in program.outputs]
    trees = [_tree(e) for e in exprs]
    moduli = {int(n.right.value) for t in trees for n in ast.walk(t)
              if isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Mod, ast.FloorDiv))
              and isinstance(n.right, ast.Constant)}
    magic = sorted({int(n.value) for t in trees for n in ast.walk(t) if isinstance(n, ast.Constant)
                    and not isinstance(n.value, bool) and int(n.value) not in allowed | moduli}
                   - _residue_thresholds(program))
    if magic:
        flags.append("magic constant")
    if any(v and not _running_extreme(program, j, v, allowed) for j, v in enumerate(program.initial)):
        flags.append("non-zero initial state")
    if _needed(program) != set(program.state):
        flags.append("unused variable")
    depth = max((_depth(t) for t in trees), default=0)
    if depth > 6:
        flags.append("deep nesting")
    mixed = any(any(isinstance(n, _BOOL_OPS) or isinstance(getattr(n, "op", None), _BOOL_OPS) for n in ast.walk(t))
                and any(isinstance(getattr(n, "op", None), _ARITH_OPS) for n in ast.walk(t)) for t in trees)
    if mixed:
        flags.append("mixed Boolean and arithmetic")
    score = (program.size + 3 * len(program.state) + 6 * len(magic) + 6 * ("non-zero initial state" in flags)
             + 6 * ("unused variable" in flags) + 2 * max(0, depth - 6) + 4 * mixed)
    return Readability(score=float(score), size=program.size, n_vars=len(program.state), flags=tuple(flags))
