"""Regression stage: the formula type every regression method returns (mips-method.md §9).

A :class:`Formula` is one Python expression over named integer variables (state variables and
inputs), in the restricted grammar of generated programs: integer constants, names,
``+ - * // %``, unary ``-``, ``^ & |`` on 0/1 values, comparisons, ``and or not``,
``x if c else y`` and calls to ``abs``, ``min``, ``max``. Comparisons yield ``bool``, which Python
treats as 0/1 in arithmetic and compares equal to 0/1.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from mips.errors import ConfigError


@dataclass(frozen=True, slots=True, kw_only=True)
class Formula:
    """One regressed expression.

    Attributes
    ----------
    expr : str
        A Python expression (restricted grammar, see the module docstring).
    method : str
        The regression that found it: ``"linear"``, ``"modular"``, ``"boolean"``, ``"symbolic"``,
        ``"constant"``, ...
    size : int
        Complexity: the number of AST nodes of ``expr`` (names, constants, operators, calls).
    """

    expr: str
    method: str
    size: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.expr, str) or not self.expr.strip():
            raise ConfigError(f"A Formula needs a non-empty expression string; got {self.expr!r}.")
        if self.size == 0:
            object.__setattr__(self, "size", expression_size(self.expr))

    def names(self) -> set[str]:
        """Variable names the expression reads."""
        return {n.id for n in ast.walk(ast.parse(self.expr, mode="eval")) if isinstance(n, ast.Name)
                and n.id not in ("abs", "min", "max")}


_COUNTED = (ast.Name, ast.Constant, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.Call, ast.IfExp)


def expression_size(expr: str) -> int:
    """Number of AST nodes of a Python expression (names, constants, operators, calls); a
    comparison chain or boolean operation counts one per operand beyond the first."""
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError as exc:
        raise ConfigError(f"Cannot parse the expression {expr!r}: {exc.msg}.") from None
    size = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            size += len(node.ops)
        elif isinstance(node, ast.BoolOp):
            size += len(node.values) - 1
        elif isinstance(node, ast.Call):
            size += 1
            size -= 1 if isinstance(node.func, ast.Name) else 0   # the callee name is counted as a Name
        elif isinstance(node, _COUNTED):
            size += 1
    return size
