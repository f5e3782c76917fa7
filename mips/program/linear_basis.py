"""Linear programs in the basis their output reads: a change of variables, exact over the integers.

A lattice encoding gives state variables in whatever integer basis the network's hidden space
offered: Newton_Freebody's network holds minus the velocity and minus the previous position, so its
program reads ``a, b = a - x, a + b`` with output ``-a - b``. When every update and the output are
integer-affine in the state and the inputs (s' = A s + B x + c, y = C s' + D x + e), the program
is rewritten in a new state z = U s + f for a unimodular U (integer, determinant +-1, so U^-1 is
integer too and the new program computes exactly the same outputs) whose first row is the
output's: the output becomes one variable, read directly (``y = position``), and the remaining rows
are the small completions (entries -1, 0, 1) that make the updates smallest, a velocity first
(another variable by whose new value the output changes each step):
``position, velocity = position + velocity + x, velocity + x``.

The rewrite is kept only when the program gets no larger (strictly smaller without a velocity);
it is verified like every candidate.
"""

from __future__ import annotations

import ast
import dataclasses
import itertools

import numpy as np
import sympy

from mips.program.program import Program
from mips.regression.formula import Formula, expression_size

MAX_VARS = 3                       # completions are enumerated: 3 ** (k * (k - 1)) candidates
_AFFINE_NODES = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Name, ast.Constant, ast.Load, ast.Add, ast.Sub,
                 ast.Mult, ast.USub, ast.UAdd)      # anything else (a call, a comparison, //) is not affine


def _affine(expr: str, names: list[str]) -> np.ndarray | None:
    """Integer coefficients of ``expr`` over ``names`` and a constant last, or None when it is not
    integer-affine."""
    tree = ast.parse(expr, mode="eval")
    if not all(isinstance(n, _AFFINE_NODES) for n in ast.walk(tree)):
        return None
    if any(isinstance(n, ast.Constant) and type(n.value) is not int for n in ast.walk(tree)):
        return None
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    if not used <= set(names):
        return None
    symbols = [sympy.Symbol(n, integer=True) for n in names]
    value = sympy.expand(sympy.sympify(expr, locals=dict(zip(names, symbols))))
    if not value.is_polynomial(*symbols):
        return None
    poly = sympy.Poly(value, *symbols)
    if poly.total_degree() > 1:
        return None
    coef = [value.coeff(s) for s in symbols] + [value.subs({s: 0 for s in symbols})]
    if not all(c.is_integer for c in coef):
        return None
    return np.array([int(c) for c in coef], dtype=np.int64)


def _render(row: np.ndarray, names: list[str]) -> str:
    """``2 * a + x - b + 3`` from coefficients over ``names`` and a constant last (names with a
    negative coefficient after the positive ones, the constant last)."""
    parts: list[tuple[int, str]] = [(int(c), n) for c, n in zip(row[:-1], names) if c]
    if row[-1]:
        parts.append((int(row[-1]), ""))
    parts.sort(key=lambda cn: 2 if not cn[1] else int(cn[0] < 0))     # v + x - p - 1, not -p + v + x - 1
    if not parts:
        return "0"
    text = ""
    for i, (c, n) in enumerate(parts):
        body = str(abs(c)) if not n else n if abs(c) == 1 else f"{abs(c)} * {n}"
        text += (("-" if c < 0 else "") + body) if i == 0 else (" - " if c < 0 else " + ") + body
    return text


def _det(u: list[list[int]]) -> int:
    """The exact determinant of a small integer matrix (Laplace expansion)."""
    if len(u) == 1:
        return u[0][0]
    return sum((-1) ** j * u[0][j] * _det([row[:j] + row[j + 1:] for row in u[1:]]) for j in range(len(u)))


def _unimodular(first: np.ndarray, k: int):
    """Integer k x k matrices with first row ``first``, other entries -1, 0 or 1, determinant +-1."""
    rows = [list(r) for r in itertools.product((-1, 0, 1), repeat=k) if any(r)]
    for rest in itertools.product(rows, repeat=k - 1):
        u = [[int(v) for v in first], *rest]
        if abs(_det(u)) == 1:
            yield np.array(u, dtype=np.int64)


def _inverse(u: np.ndarray) -> np.ndarray:
    """The exact integer inverse of a unimodular matrix: its adjugate over its determinant (+-1)."""
    m = u.tolist()
    k = len(m)
    det = _det(m)
    minor = lambda i, j: [row[:j] + row[j + 1:] for r, row in enumerate(m) if r != i]  # noqa: E731
    return np.array([[(-1) ** (i + j) * _det(minor(j, i)) * det for j in range(k)] for i in range(k)],
                    dtype=np.int64)


def output_basis(program: Program) -> Program:
    """``program`` with its state in the basis whose first variable is its output (see the module
    docstring), or ``program`` unchanged when it is not integer-affine, has several outputs or more
    than ``MAX_VARS`` variables, already outputs a variable, or the rewrite is not smaller."""
    k, state, ins = len(program.state), list(program.state), list(program.inputs)
    if program.kind != "symbolic" or len(program.outputs) != 1 or not 2 <= k <= MAX_VARS:
        return program
    names = state + ins
    rows = [_affine(f.expr, names) for f in program.updates]
    out = _affine(program.outputs[0].expr, names)
    if out is None or any(r is None for r in rows) or program.outputs[0].expr.strip() in state:
        return program
    a = np.array([r[:k] for r in rows])
    b = np.array([r[k:-1] for r in rows])
    c = np.array([r[-1] for r in rows])
    first, d, e = out[:k], out[k:-1], int(out[-1])
    if np.gcd.reduce(np.abs(first)) != 1:
        return program
    s0 = np.array(program.initial, dtype=np.int64)
    sizes: dict[tuple[int, ...], int] = {}

    def size(row: np.ndarray) -> int:
        key = tuple(int(v) for v in row)
        if key not in sizes:
            sizes[key] = expression_size(_render(row, names))
        return sizes[key]

    output = np.concatenate([np.eye(k, dtype=np.int64)[0], d, [0]])
    best, best_key = None, (1, program.size)
    for u in _unimodular(first, k):
        ui = _inverse(u)
        f = np.zeros(k, dtype=np.int64)
        f[0] = e                                     # z = U s + f: the output's constant in z1
        # z' = U (A s + B x + c) + f with s = U^-1 (z - f)
        za = u @ a @ ui
        full = np.hstack([za, u @ b, (u @ c + f - za @ f)[:, None]])
        total = sum(size(row) for row in full) + size(output)
        # a velocity first (the output changes by another variable's new value: z1' - z1 == zk'),
        # then the size; kept only when no larger than the program (strictly smaller without one)
        step = full[0] - np.eye(full.shape[1], dtype=np.int64)[0]
        velocity = any(np.array_equal(step, full[j]) for j in range(1, k))
        key = (0 if velocity else 1, total)
        if key < best_key and (total < program.size or velocity and total <= program.size):
            best, best_key = (full, u @ s0 + f), key
    if best is None:
        return program
    full, z0 = best
    return dataclasses.replace(
        program, initial=tuple(int(v) for v in z0),
        updates=tuple(Formula(expr=_render(row, names), method=m.method) for row, m in zip(full, program.updates)),
        outputs=(Formula(expr=_render(output, names), method=program.outputs[0].method),),
        comments={kk: v for kk, v in program.comments.items() if kk == "__init__"})
