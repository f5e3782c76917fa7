"""Regression stage: vectorised evaluation of program expressions (mips-method.md §9.4).

Generated programs are plain Python, but verifying them on a whole test split one step at a time
in Python would cost seconds per task. This module evaluates one expression of the restricted
grammar (see :mod:`mips.regression.formula`) on numpy arrays, with Python's semantics:
floor division and modulo as in Python, ``and``/``or`` returning an operand, comparisons giving
0/1, and a division by zero reported (Python would raise) instead of silently giving 0.

Values are int64, Python's are unbounded: every result of ``+ - * //``, unary ``-`` and ``abs``
must stay within ``LIMIT`` (2**53) in size, or evaluation stops with an :class:`ExpressionError`
naming the operation. The check is exact even where int64 arithmetic would wrap around, so the
evaluator either gives Python's result or refuses; it never returns a wrapped number.
Integer constants are limited to the same range.

Nothing is ever passed to ``eval``: the AST is checked against a whitelist and interpreted, so an
expression can only compute integers from the names it is given.
"""

from __future__ import annotations

import ast
from typing import Mapping

import numpy as np

from mips.errors import MipsError

SAFE_CALLS = ("abs", "min", "max")
LIMIT = 2 ** 53          # |values| beyond this are refused (overflow guard); also the constants' range
_WRAP = 2.0 ** 62        # a float64 result beyond this: the exact one may be beyond int64 (see _eval)


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
MAX_SET_SIZE = 64                # constants in one membership test ``p in (c1, c2, ...)``
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
        if isinstance(node.value, int) and node.value.bit_length() > 128:   # repr may refuse huge ints
            return f"an integer constant of {node.value.bit_length()} bits"
        text = repr(node.value)
        return f"the constant {text if len(text) <= 40 else text[:37] + '...'}"
    return f"'{type(node).__name__}'"


def check_expression(node: ast.AST, names: set[str] | None = None) -> None:
    """Raise :class:`ExpressionError` for anything outside the expression grammar.

    Parameters
    ----------
    node : ast.expr
    names : set of str, optional
        Names the expression may read (None: any plain name except dunders).
    """
    callees: set[int] = set()           # ast.walk meets a call before its callee
    value_sets: set[int] = set()        # the tuples of constants of ``x in (...)``, met after their test
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
        elif isinstance(sub, ast.Compare) and any(isinstance(op, (ast.In, ast.NotIn)) for op in sub.ops):
            values = sub.comparators[0]
            if (len(sub.ops) != 1 or not isinstance(values, ast.Tuple) or not values.elts
                    or len(values.elts) > MAX_SET_SIZE
                    or not all(isinstance(e, ast.Constant) and type(e.value) is int and abs(e.value) <= LIMIT
                               for e in values.elts)):
                raise ExpressionError(f"a membership test must read 'p in (c1, c2, ...)' with 1 to {MAX_SET_SIZE} "
                                      f"integer constants{where}.", line=line)
            value_sets.add(id(values))
        elif isinstance(sub, ast.Tuple) and id(sub) in value_sets:
            continue
        elif isinstance(sub, ast.Compare):
            bad = [op for op in sub.ops if type(op) not in _CMPOPS]
            if bad:
                raise ExpressionError(f"the comparison '{type(bad[0]).__name__}' is not allowed{where}; "
                                      "use == != < <= > >=, or 'p in (c1, c2, ...)'.", line=line)
        elif isinstance(sub, ast.Call):
            callee = sub.func.id if isinstance(sub.func, ast.Name) else None
            arity = len(sub.args) == 1 if callee == "abs" else len(sub.args) >= 2     # min(p) fails in Python
            if callee not in SAFE_CALLS or sub.keywords or not arity:
                raise ExpressionError(f"{describe_node(sub)} is not allowed{where}; only abs(p), min(p, q, ...) "
                                      "and max(p, q, ...) may be called.", line=line)
            callees.add(id(sub.func))
        elif isinstance(sub, ast.Name):
            if sub.id.startswith("__"):
                raise ExpressionError(f"the name '{sub.id}' is not allowed{where}.", line=line)
            if sub.id in SAFE_CALLS and id(sub) not in callees:
                raise ExpressionError(f"'{sub.id}' is a function{where}; call it: {sub.id}(...).", line=line)
            if names is not None and sub.id not in names and sub.id not in SAFE_CALLS:
                raise ExpressionError(f"unknown name '{sub.id}'{where}; the program has "
                                      f"{', '.join(sorted(names)) or 'no variables'}.", line=line)
        elif isinstance(sub, ast.Constant):
            if isinstance(sub.value, bool):
                continue
            if not isinstance(sub.value, int) or abs(sub.value) > LIMIT:
                raise ExpressionError(f"{describe_node(sub)} is not allowed{where}; only integer constants "
                                      f"up to 2**53 = {LIMIT} in size.", line=line)
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


def _shown(node: ast.expr) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 80 else text[:77] + "..."


def _size(v: np.ndarray) -> int:
    """The largest |value| (a Python int: exact, also for -2**63)."""
    return max(-int(v.min()), int(v.max())) if v.size else 0


def _bounded(node: ast.expr, out: np.ndarray, live: np.ndarray | None,
             wrapped: np.ndarray | None = None) -> np.ndarray:
    """``out``, or an ExpressionError where (live) values are beyond ``LIMIT`` in size or wrapped.

    ``out < -LIMIT`` also catches the one int64 that ``-`` and ``abs`` cannot negate (-2**63),
    and ``-2**63 // -1``. Two reductions decide the common case; masks only where a value is big."""
    if wrapped is None and _size(out) <= LIMIT:
        return out
    big = (out > LIMIT) | (out < -LIMIT)
    if wrapped is not None:
        big |= wrapped
    if live is not None:
        big &= live
    if big.any():
        raise ExpressionError(f"a value beyond 2**53, the largest the checker computes exactly, in "
                              f"'{_shown(node)}'", line=getattr(node, "lineno", None), where=big)
    return out


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
        return _bounded(node, -v, live) if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        a, b = _eval(node.left, env, shape, live), _eval(node.right, env, shape, live)
        if isinstance(node.op, (ast.FloorDiv, ast.Mod)):
            zero = b == 0
            if live is not None:
                b = np.where(zero & ~live, 1, b)
                zero &= live
            if zero.any():
                raise ExpressionError(f"division or modulo by zero in '{_shown(node)}'",
                                      line=getattr(node, "lineno", None), where=zero)
        op = _BINOPS[type(node.op)]
        out = op(a, b)
        wrapped = None
        if op in (np.add, np.subtract, np.multiply) and (
                _size(a) * _size(b) if op is np.multiply else _size(a) + _size(b)) >= 2 ** 63:
            # int64 may have wrapped where Python does not. The float64 result is within a factor
            # 1 +- 2**-50 of the exact one, so it is beyond 2**62 wherever the exact one is beyond
            # int64; elsewhere ``out`` is exact and its bound is checked exactly.
            wrapped = np.abs(op(a.astype(np.float64), b)) > _WRAP
        return _bounded(node, out, live, wrapped)
    if isinstance(node, ast.Compare) and isinstance(node.ops[0], (ast.In, ast.NotIn)):
        left = _eval(node.left, env, shape, live)
        inside = np.isin(left, [e.value for e in node.comparators[0].elts])
        return (inside if isinstance(node.ops[0], ast.In) else ~inside).astype(np.int64)
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
            return _bounded(node, np.abs(args[0]), live)
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
