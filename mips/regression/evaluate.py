"""Regression stage: vectorised evaluation of program expressions (mips-method.md §9.4).

Generated programs are plain Python, but verifying them on a whole test split one step at a time
in Python would cost seconds per task. This module evaluates one expression of the restricted
grammar (see :mod:`mips.regression.formula`) on numpy arrays, with Python's semantics:
floor division and modulo as in Python, ``and``/``or`` returning an operand, comparisons giving
0/1, and a division by zero reported (Python would raise) instead of silently giving 0.

Nothing is ever passed to ``eval``: the AST is checked against a whitelist and interpreted, so an
expression can only compute integers from the names it is given.
"""

from __future__ import annotations

import ast
from typing import Mapping

import numpy as np

from mips.errors import MipsError

SAFE_CALLS = ("abs", "min", "max")
LIMIT = 2 ** 53          # int64 values beyond this are refused (overflow guard)


class ExpressionError(MipsError, ValueError):
    """An expression outside the program grammar, or one that fails on some input."""

    def __init__(self, message: str, *, line: int | None = None, where: np.ndarray | None = None):
        super().__init__(message)
        self.line = line
        self.where = where          # boolean mask of the failing rows (evaluation errors)


_BINOPS = {
    ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.FloorDiv: np.floor_divide,
    ast.Mod: np.mod, ast.BitXor: np.bitwise_xor, ast.BitAnd: np.bitwise_and, ast.BitOr: np.bitwise_or,
}
_CMPOPS = {
    ast.Eq: np.equal, ast.NotEq: np.not_equal, ast.Lt: np.less, ast.LtE: np.less_equal,
    ast.Gt: np.greater, ast.GtE: np.greater_equal,
}
_SYMBOL = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "//", ast.Mod: "%", ast.BitXor: "^",
           ast.BitAnd: "&", ast.BitOr: "|", ast.Div: "/", ast.Pow: "**", ast.LShift: "<<",
           ast.RShift: ">>", ast.MatMult: "@"}


def describe_node(node: ast.AST) -> str:
    """A short human name for a syntax construct (for error messages)."""
    if isinstance(node, ast.BinOp):
        return f"the operator '{_SYMBOL.get(type(node.op), type(node.op).__name__)}'"
    if isinstance(node, ast.Attribute):
        return f"attribute access '.{node.attr}'"
    if isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
        return f"a call to '{name}'"
    if isinstance(node, ast.Constant):
        return f"the constant {node.value!r}"
    return f"'{type(node).__name__}'"


def check_expression(node: ast.AST, names: set[str] | None = None) -> None:
    """Raise :class:`ExpressionError` for anything outside the expression grammar.

    Parameters
    ----------
    node : ast.expr
    names : set of str, optional
        Names the expression may read (None: any plain name except dunders).
    """
    for sub in ast.walk(node):
        line = getattr(sub, "lineno", None)
        where = f" (line {line})" if line else ""
        if isinstance(sub, ast.BinOp):
            if type(sub.op) not in _BINOPS:
                raise ExpressionError(f"{describe_node(sub)} is not allowed in a program{where}; use "
                                      "+ - * // % ^ & | only.", line=line)
        elif isinstance(sub, ast.UnaryOp):
            if not isinstance(sub.op, (ast.USub, ast.UAdd, ast.Not)):
                raise ExpressionError(f"the unary operator '~' is not allowed{where}; use 'not' or '-'.",
                                      line=line)
        elif isinstance(sub, ast.Compare):
            bad = [op for op in sub.ops if type(op) not in _CMPOPS]
            if bad:
                raise ExpressionError(f"the comparison '{type(bad[0]).__name__}' is not allowed{where}; "
                                      "use == != < <= > >=.", line=line)
        elif isinstance(sub, ast.Call):
            if (not isinstance(sub.func, ast.Name) or sub.func.id not in SAFE_CALLS or sub.keywords
                    or not sub.args or (sub.func.id == "abs" and len(sub.args) != 1)):
                raise ExpressionError(f"{describe_node(sub)} is not allowed{where}; only "
                                      f"{', '.join(SAFE_CALLS)} may be called (positional arguments).",
                                      line=line)
        elif isinstance(sub, ast.Name):
            if sub.id.startswith("__"):
                raise ExpressionError(f"the name '{sub.id}' is not allowed{where}.", line=line)
            if names is not None and sub.id not in names and sub.id not in SAFE_CALLS:
                raise ExpressionError(f"unknown name '{sub.id}'{where}; the program has "
                                      f"{', '.join(sorted(names)) or 'no variables'}.", line=line)
        elif isinstance(sub, ast.Constant):
            if isinstance(sub.value, bool):
                continue
            if not isinstance(sub.value, int) or abs(sub.value) > LIMIT:
                raise ExpressionError(f"{describe_node(sub)} is not allowed{where}; only integer constants "
                                      f"up to {LIMIT} in size.", line=line)
        elif isinstance(sub, (ast.Expression, ast.BoolOp, ast.IfExp, ast.Load, ast.And, ast.Or,
                              ast.operator, ast.cmpop, ast.unaryop)):
            continue
        else:
            raise ExpressionError(f"{describe_node(sub)} is not allowed in a program expression{where}.",
                                  line=line)


def parse_expression(expr: str, names: set[str] | None = None) -> ast.expr:
    """Parse and check one expression string."""
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"Cannot parse the expression {expr!r}: {exc.msg}.") from None
    check_expression(tree.body, names)
    return tree.body


def _truthy(v: np.ndarray) -> np.ndarray:
    return v != 0


def _eval(node: ast.expr, env: Mapping[str, np.ndarray], shape: tuple[int, ...],
          live: np.ndarray | None = None) -> np.ndarray:
    """``live``: rows whose value is used (an unused ``if`` branch may divide by zero)."""
    if isinstance(node, ast.Constant):
        return np.full(shape, int(node.value), dtype=np.int64)
    if isinstance(node, ast.Name):
        try:
            return np.broadcast_to(np.asarray(env[node.id], dtype=np.int64), shape)
        except KeyError:
            raise ExpressionError(f"unknown name '{node.id}' (line {getattr(node, 'lineno', '?')}); known: "
                                  f"{', '.join(sorted(env))}.", line=getattr(node, "lineno", None)) from None
    if isinstance(node, ast.UnaryOp):
        v = _eval(node.operand, env, shape, live)
        if isinstance(node.op, ast.Not):
            return (~_truthy(v)).astype(np.int64)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        a, b = _eval(node.left, env, shape, live), _eval(node.right, env, shape, live)
        if isinstance(node.op, (ast.FloorDiv, ast.Mod)):
            zero = b == 0
            if live is not None:
                b = np.where(zero & ~live, 1, b)
                zero &= live
            if zero.any():
                raise ExpressionError(f"division or modulo by zero in '{ast.unparse(node)}'",
                                      line=getattr(node, "lineno", None), where=zero)
        out = _BINOPS[type(node.op)](a, b)
        big = np.abs(out) > LIMIT
        if live is not None:
            big &= live
        if big.any():
            raise ExpressionError(f"a value beyond {LIMIT} in '{ast.unparse(node)}'",
                                  line=getattr(node, "lineno", None), where=big)
        return out
    if isinstance(node, ast.Compare):
        left = _eval(node.left, env, shape, live)
        result = np.ones(shape, dtype=bool)
        for op, comp in zip(node.ops, node.comparators):
            right = _eval(comp, env, shape, live)
            result &= _CMPOPS[type(op)](left, right)
            left = right
        return result.astype(np.int64)
    if isinstance(node, ast.BoolOp):
        out = _eval(node.values[0], env, shape, live)
        is_and = isinstance(node.op, ast.And)
        for value in node.values[1:]:
            t = _truthy(out)
            pending = t if is_and else ~t                 # rows where Python evaluates the operand
            nxt = _eval(value, env, shape, pending if live is None else pending & live)
            out = np.where(t, nxt, out) if is_and else np.where(t, out, nxt)
        return out
    if isinstance(node, ast.IfExp):
        cond = _truthy(_eval(node.test, env, shape, live))
        body = _eval(node.body, env, shape, cond if live is None else cond & live)
        orelse = _eval(node.orelse, env, shape, ~cond if live is None else ~cond & live)
        return np.where(cond, body, orelse)
    if isinstance(node, ast.Call):
        args = [_eval(a, env, shape, live) for a in node.args]
        name = node.func.id
        if name == "abs":
            return np.abs(args[0])
        fn = np.minimum if name == "min" else np.maximum
        out = args[0]
        for a in args[1:]:
            out = fn(out, a)
        return out
    raise ExpressionError(f"{describe_node(node)} is not allowed in a program expression.")


def evaluate(expr: str | ast.expr, env: Mapping[str, np.ndarray], shape: tuple[int, ...] | None = None
             ) -> np.ndarray:
    """Evaluate an expression element-wise.

    Parameters
    ----------
    expr : str or parsed expression (from :func:`parse_expression`)
    env : mapping name -> int array (all broadcastable to one shape)
    shape : output shape (default: the broadcast shape of ``env``)

    Returns
    -------
    int64 array of ``shape``

    Raises
    ------
    ExpressionError
        Grammar violation, unknown name, division by zero or overflow (``where`` marks the rows).
    """
    node = parse_expression(expr) if isinstance(expr, str) else expr
    if shape is None:
        shape = np.broadcast_shapes(*(np.shape(v) for v in env.values())) if env else ()
    with np.errstate(all="ignore"):
        return _eval(node, env, tuple(shape))
