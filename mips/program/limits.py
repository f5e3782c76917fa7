"""Program stage: the bounds on programs from strangers (edited in the workbench, ``mips verify --program``).

One set of bounds, counted in work, never in seconds, shared by the workbench's edit path and the
command line:

* ``MAX_PROGRAM_CHARS``: the source text (read with a bounded read from a regular file);
* ``MAX_STATE_VARIABLES``: state variables of one program (checked while parsing);
* ``MAX_RUN_VALUES``: the numbers a run keeps, states x sequences x steps (plus the outputs), so a
  run's arrays stay within a few hundred MB;
* ``MAX_EVALUATION_WORK``: formula operations x sequences x steps of one run;
* ``CHUNK_VALUES``: the temporary arrays of one formula (a ``max()`` of 200 constants holds 200 of
  them at once) are bounded by evaluating the sequences in chunks (:func:`chunk_size`).
"""

from __future__ import annotations

import ast

from mips.errors import ConfigError

MAX_PROGRAM_CHARS = 20_000
MAX_STATE_VARIABLES = 64
MAX_RUN_VALUES = 96_000_000           # 768 MB of int64 (a shipped run, Bitwise_Xor: 6 states on all 4^10 sequences, needs 80.7 million)
MAX_EVALUATION_WORK = 4_000_000_000   # formula operations x sequences x steps
CHUNK_VALUES = 4_000_000              # 32 MB of temporary int64 arrays while evaluating


def live_arrays(node: ast.AST) -> int:
    """At most how many arrays evaluating ``node`` holds at once (its children are evaluated in order,
    each result kept until the node combines them). Iterative, so any depth is cheap."""
    order, stack = [], [node]
    while stack:
        n = stack.pop()
        order.append(n)
        stack.extend(ast.iter_child_nodes(n))
    peak: dict[int, int] = {}
    for n in reversed(order):              # children before parents
        kids = [peak[id(c)] for c in ast.iter_child_nodes(n)]
        peak[id(n)] = max([i + k for i, k in enumerate(kids)] + [len(kids)]) + 2   # + the result and a mask
    return peak[id(node)]


def n_operations(nodes: list[ast.AST]) -> int:
    return sum(sum(1 for _ in ast.walk(n)) for n in nodes)


def check_run(n_state: int, n_outputs: int, operations: int, n_sequences: int, seq_len: int) -> None:
    """Refuse a run whose arrays or work exceed the bounds, before anything is allocated."""
    values = n_sequences * (seq_len + 1) * (n_state + n_outputs)
    if values > MAX_RUN_VALUES:
        raise ConfigError(f"The program's {n_state:,} state variable(s) on {n_sequences:,} sequences of {seq_len:,} "
                          f"steps need {values:,} numbers; the limit is {MAX_RUN_VALUES:,} (states x sequences x "
                          f"steps). Use fewer state variables.")
    work = operations * n_sequences * seq_len
    if work > MAX_EVALUATION_WORK:
        raise ConfigError(f"The program's formulas hold {operations:,} operations; on {n_sequences:,} sequences of "
                          f"{seq_len:,} steps that is {work:,} operations, and the limit is {MAX_EVALUATION_WORK:,}. "
                          f"Write shorter formulas.")


def chunk_size(peak_arrays: int, n_sequences: int) -> int:
    """Sequences evaluated at once so that one formula's temporary arrays hold at most ``CHUNK_VALUES`` numbers."""
    return max(1, min(n_sequences, CHUNK_VALUES // max(1, peak_arrays)))


# -- typesetting (sympy is exponential in the terms of a Boolean condition) -----------------------

MAX_LATEX_WORK = 2_000     # work units of one program's LaTeX (see :func:`latex_work`)
PIECEWISE_WORK = 40        # units of a conditional or a condition (sympy folds sums of them)
LATEX_NOTE = ("This program is too large to typeset as formulas (too many Boolean terms or operations); "
              "its Python text is shown instead.")


def _is_condition(node: ast.AST) -> bool:
    return isinstance(node, (ast.BoolOp, ast.Compare)) or (isinstance(node, ast.UnaryOp)
                                                          and isinstance(node.op, ast.Not))


def _relations(condition: ast.AST) -> int:
    """Comparisons and plain operands of the ``and``/``or``/``not`` in one condition."""
    n, stack = 0, [condition]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.BoolOp):
            stack.extend(node.values)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            stack.append(node.operand)
        else:
            n += 1
    return n


def latex_work(nodes: list[ast.AST]) -> int:
    """Work units of typesetting these formulas: 5 per operation, :data:`PIECEWISE_WORK` per conditional,
    plus, for each outermost Boolean condition (``and``/``or``/``not`` of comparisons, the part sympy
    rewrites), :data:`PIECEWISE_WORK` and ``10 ** (relations / 2)``:
    a condition of 3 ``and`` pairs joined by ``or`` costs 1,000 units (about 0.1 s of sympy), one of
    4 pairs 10,000 (about 1 s), one of 8 pairs 10**8 (minutes). Counted from the syntax tree, before
    sympy is called; never in seconds."""
    work = 0
    for root in nodes:
        stack = [(root, False)]
        while stack:
            node, inside = stack.pop()
            work += 5
            condition = _is_condition(node)
            if condition and not inside:   # each becomes a Piecewise, which sympy folds when they are summed
                work += PIECEWISE_WORK + int(10 ** min(_relations(node) / 2, 12))
            elif isinstance(node, ast.IfExp):
                work += PIECEWISE_WORK
            stack.extend((child, inside or condition) for child in ast.iter_child_nodes(node))
    return work
