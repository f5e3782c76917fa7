"""Does a found program read as the generator's own program? A mechanical check.

A found program **matches** the reference program of its generated task when all three hold:

1. *same variables*: the same number of state variables;
2. *no Boolean tricks*: none of its update or output expressions contains
   - a comparison one of whose operands is itself a comparison, a ``not``, an ``and``/``or``
     or a bit operation (``(x != 0) == flag``, ``flag >= (x != 1)``);
   - a bit operation ``^ & |`` one of whose operands is a comparison or a ``not``
     (``(x == 0) ^ flag``: logic written as bit arithmetic);
   - a product of a comparison (or ``not``) and something that is not a constant
     (``(x > 2) * a``: a conditional written as a multiplication);
3. *output read directly*: each output expression is no larger (in AST nodes) than the
   reference's, so an output that decodes a relabelled state (``(a + a) % 5`` where the
   reference reads ``residue``) does not match.

Separately, a program is **named** like the reference when its variables' roles (names without
an input prefix or trailing digits: ``last2`` -> ``last``) are, as a multiset, the reference's.
The reference programs themselves contain no Boolean trick (tested).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from mips.regression.formula import expression_size
from mips.families.base import role_of

_BITS = (ast.BitXor, ast.BitAnd, ast.BitOr)


def _is_logical(node: ast.AST) -> bool:
    return (isinstance(node, (ast.Compare, ast.BoolOp)) or (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not))
            or (isinstance(node, ast.BinOp) and isinstance(node.op, _BITS)))


def _is_condition(node: ast.AST) -> bool:
    return isinstance(node, ast.Compare) or (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not))


def boolean_tricks(expr: str) -> list[str]:
    """The Boolean tricks in one expression (see the module docstring), as source snippets."""
    found = []
    for node in ast.walk(ast.parse(expr, mode="eval")):
        trick = False
        if isinstance(node, ast.Compare) and not any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops):
            trick = any(_is_logical(side) for side in [node.left, *node.comparators])
        elif isinstance(node, ast.BinOp) and isinstance(node.op, _BITS):
            trick = _is_condition(node.left) or _is_condition(node.right)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            for a, b in ((node.left, node.right), (node.right, node.left)):
                trick |= _is_condition(a) and not isinstance(b, ast.Constant)
        if trick:
            found.append(ast.unparse(node))
    return found


@dataclass(frozen=True, slots=True, kw_only=True)
class Comparison:
    """How a found symbolic program compares with the reference (see the module docstring)."""

    same_vars: bool
    tricks: tuple[str, ...]
    direct_output: bool
    named: bool
    n_vars: int
    ref_vars: int

    @property
    def match(self) -> bool:
        return self.same_vars and not self.tricks and self.direct_output

    def to_dict(self) -> dict:
        return {"match": self.match, "same_vars": self.same_vars, "tricks": list(self.tricks),
                "direct_output": self.direct_output, "named": self.named, "n_vars": self.n_vars,
                "ref_vars": self.ref_vars}


def compare(found, reference) -> Comparison:
    """Compare two symbolic :class:`mips.program.program.Program` objects (found, reference)."""
    tricks = tuple(t for f in (*found.updates, *found.outputs) for t in boolean_tricks(f.expr))
    direct = len(found.outputs) == len(reference.outputs) and all(
        expression_size(a.expr) <= expression_size(b.expr) for a, b in zip(found.outputs, reference.outputs))
    named = sorted(role_of(v) for v in found.state) == sorted(role_of(v) for v in reference.state)
    return Comparison(same_vars=len(found.state) == len(reference.state), tricks=tricks, direct_output=direct,
                      named=named, n_vars=len(found.state), ref_vars=len(reference.state))
