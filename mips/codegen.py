"""Program stage: Python source, sympy and LaTeX views of a program, and parsing edited source
back (mips-method.md §9.4).

The generated function has one line per state update (a tuple assignment, so every update reads
the previous values, as the network does), named state variables with a comment saying what each
holds, and no dead code. :func:`parse_program` reads a program of that shape back, e.g. after a
user edited it; it never executes the text: each expression is checked against the grammar of
:mod:`mips.regression.evaluate` and a construct outside it is refused with its line.
"""

from __future__ import annotations

import ast
import copy
from typing import Any

import sympy

from mips.errors import MipsError
from mips.program import Program, input_names
from mips.regression.evaluate import ExpressionError, check_expression, describe_node
from mips.regression.formula import Formula


class ProgramSyntaxError(MipsError, ValueError):
    """Edited source that is not a program of the generated shape."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message if line is None else f"line {line}: {message}")
        self.line = line


def _tuple(names) -> str:
    return ", ".join(names)


def to_source(program: Program, name: str = "f") -> str:
    """Python source of ``def f(xs) -> ys``."""
    ins = program.inputs
    header = [f"def {name}(xs):",
              f'    """{program.task}: {program.kind} program ({program.method})."""']
    if program.kind == "table":
        lines = header + [
            f"    s = {program.initial[0]}",
            "    ys = []",
            f"    for {_tuple(ins)} in xs:" if len(ins) > 1 else f"    for {ins[0]} in xs:",
            f"        s = NEXT[s, {ins[0] if len(ins) == 1 else '(' + _tuple(ins) + ')'}]",
            "        ys.append(OUT[s])",
            "    return ys",
        ]
        nxt = ",\n        ".join(f"({s}, {v[0] if len(v) == 1 else v}): {t}"
                                  for (s, v), t in sorted(program.transitions.items()))
        out = ", ".join(f"{s}: {o[0] if len(o) == 1 else o}" for s, o in sorted(program.table_outputs.items()))
        return ("# the minimised state machine; s is the state\n"
                f"NEXT = {{\n        {nxt},\n}}\nOUT = {{{out}}}\n\n\n" + "\n".join(lines) + "\n")
    lines = list(header)
    init_note = program.comments.get("__init__")
    for var, val in zip(program.state, program.initial):
        comment = program.comments.get(var)
        lines.append(f"    {var} = {val}" + (f"  # {comment}" if comment else ""))
    if init_note:
        lines.append(f"    # {init_note}")
    lines.append("    ys = []")
    lines.append(f"    for {_tuple(ins)} in xs:")
    lines.append(f"        {_tuple(program.state)} = {_tuple(f.expr for f in program.updates)}")
    outs = [f.expr for f in program.outputs]
    lines.append(f"        ys.append({outs[0] if len(outs) == 1 else '(' + _tuple(outs) + ')'})")
    lines.append("    return ys")
    return "\n".join(lines) + "\n"


# -- sympy / LaTeX ---------------------------------------------------------------------------------

def _to_sympy(node: ast.expr, symbols: dict[str, sympy.Symbol]) -> Any:
    if isinstance(node, ast.Constant):
        return sympy.Integer(int(node.value))
    if isinstance(node, ast.Name):
        return symbols.setdefault(node.id, sympy.Symbol(node.id, integer=True))
    if isinstance(node, ast.UnaryOp):
        v = _to_sympy(node.operand, symbols)
        if isinstance(node.op, ast.Not):
            return sympy.Piecewise((1, sympy.Eq(v, 0)), (0, True))
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        a, b = _to_sympy(node.left, symbols), _to_sympy(node.right, symbols)
        op = type(node.op)
        if op is ast.Add:
            return a + b
        if op is ast.Sub:
            return a - b
        if op is ast.Mult:
            return a * b
        if op is ast.FloorDiv:
            return sympy.floor(a / b)
        if op is ast.Mod:
            return sympy.Mod(a, b)
        fn = {ast.BitXor: "xor", ast.BitAnd: "and", ast.BitOr: "or"}[op]
        return sympy.Function(fn)(a, b)
    if isinstance(node, ast.Compare):
        rel = {ast.Eq: sympy.Eq, ast.NotEq: sympy.Ne, ast.Lt: sympy.Lt, ast.LtE: sympy.Le,
               ast.Gt: sympy.Gt, ast.GtE: sympy.Ge}
        parts, left = [], _to_sympy(node.left, symbols)
        for op, comp in zip(node.ops, node.comparators):
            right = _to_sympy(comp, symbols)
            parts.append(rel[type(op)](left, right))
            left = right
        cond = sympy.And(*parts) if len(parts) > 1 else parts[0]
        return sympy.Piecewise((1, cond), (0, True))
    if isinstance(node, ast.BoolOp):
        vals = [sympy.Ne(_to_sympy(v, symbols), 0) for v in node.values]
        cond = sympy.And(*vals) if isinstance(node.op, ast.And) else sympy.Or(*vals)
        return sympy.Piecewise((1, cond), (0, True))
    if isinstance(node, ast.IfExp):
        return sympy.Piecewise((_to_sympy(node.body, symbols), sympy.Ne(_to_sympy(node.test, symbols), 0)),
                               (_to_sympy(node.orelse, symbols), True))
    if isinstance(node, ast.Call):
        args = [_to_sympy(a, symbols) for a in node.args]
        return {"abs": sympy.Abs, "min": sympy.Min, "max": sympy.Max}[node.func.id](*args)
    raise ExpressionError(f"{describe_node(node)} has no sympy form.")


def formula_sympy(formula: Formula | str) -> Any:
    """A sympy expression of one formula (comparisons become 0/1 Piecewise)."""
    expr = formula.expr if isinstance(formula, Formula) else formula
    node = ast.parse(expr, mode="eval").body
    check_expression(node)
    return _to_sympy(node, {})


def to_sympy(program: Program) -> dict[str, Any]:
    """``{"a'": expr, ..., "y": expr}``: each update (primed) and output as a sympy expression."""
    if program.kind != "symbolic":
        return {}
    views = {f"{v}'": formula_sympy(f) for v, f in zip(program.state, program.updates)}
    outs = ("y",) if len(program.outputs) == 1 else tuple(f"y{i + 1}" for i in range(len(program.outputs)))
    views.update({o: formula_sympy(f) for o, f in zip(outs, program.outputs)})
    return views


def to_latex(program: Program) -> str:
    """LaTeX lines ``a_{t} = ...`` (updates read the previous step's state; outputs the current)."""
    if program.kind != "symbolic":
        return ""
    lines = []
    prev = {sympy.Symbol(v, integer=True): sympy.Symbol(f"{v}_{{t-1}}", integer=True) for v in program.state}
    prev.update({sympy.Symbol(v, integer=True): sympy.Symbol(f"{v}_{{t}}", integer=True) for v in program.inputs})
    now = {sympy.Symbol(v, integer=True): sympy.Symbol(f"{v}_{{t}}", integer=True)
           for v in program.state + program.inputs}
    for v, f in zip(program.state, program.updates):
        lines.append(f"{v}_{{t}} = {sympy.latex(formula_sympy(f).subs(prev, simultaneous=True))}")
    outs = ("y",) if len(program.outputs) == 1 else tuple(f"y_{i + 1}" for i in range(len(program.outputs)))
    for o, f in zip(outs, program.outputs):
        lines.append(f"{o}_{{t}} = {sympy.latex(formula_sympy(f).subs(now, simultaneous=True))}")
    return " \\\\\n".join(lines)


# -- parsing edited source ----------------------------------------------------------------------

def _names_of(target: ast.expr, what: str) -> tuple[str, ...]:
    if isinstance(target, ast.Name):
        return (target.id,)
    if isinstance(target, ast.Tuple) and all(isinstance(e, ast.Name) for e in target.elts):
        return tuple(e.id for e in target.elts)
    raise ProgramSyntaxError(f"{what} must be a name or a tuple of names; got '{ast.unparse(target)}'.",
                             getattr(target, "lineno", None))


def _values_of(value: ast.expr, n: int, line: int) -> list[ast.expr]:
    if n == 1:
        return [value]
    if isinstance(value, ast.Tuple) and len(value.elts) == n:
        return list(value.elts)
    raise ProgramSyntaxError(f"expected {n} values to assign; got '{ast.unparse(value)}'.", line)


def parse_program(source: str, *, task: str, input_dim: int) -> Program:
    """Read a program of the generated shape back from (edited) source, without running it.

    The accepted shape: ``def f(xs):``, an optional docstring, assignments of integer constants to
    the state variables, ``ys = []``, ``for x in xs:`` (or ``for x1, x2 in xs:``) whose body is
    assignments to state variables (each line assigns all its names at once, lines run in order)
    and one ``ys.append(...)``, then ``return ys``.

    Raises
    ------
    ProgramSyntaxError
        A syntax error, a construct outside the program grammar (named, with its line), or a
        program of another shape.
    """
    if not isinstance(source, str) or not source.strip():
        raise ProgramSyntaxError("The program is empty; write a function 'def f(xs): ...'.")
    if len(source) > 100_000:
        raise ProgramSyntaxError(f"The program is {len(source)} characters long; the limit is 100,000.")
    try:
        module = ast.parse(source)
    except SyntaxError as exc:
        raise ProgramSyntaxError(f"syntax error: {exc.msg}.", exc.lineno) from None
    for node in ast.walk(module):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            raise ProgramSyntaxError("imports are not allowed in a program.", node.lineno)
        if isinstance(node, ast.Attribute) and node.attr != "append":
            raise ProgramSyntaxError(f"attribute access '.{node.attr}' is not allowed in a program.", node.lineno)
        if isinstance(node, ast.Name) and node.id.startswith("__"):
            raise ProgramSyntaxError(f"the name '{node.id}' is not allowed in a program.", node.lineno)
    funcs = [n for n in module.body if isinstance(n, ast.FunctionDef)]
    others = [n for n in module.body if not isinstance(n, ast.FunctionDef)
              and not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
    if len(funcs) != 1 or others:
        line = others[0].lineno if others else None
        raise ProgramSyntaxError("the program must be exactly one function 'def f(xs): ...' "
                                 "(tables and other top-level statements cannot be edited here).", line)
    fn = funcs[0]
    if fn.decorator_list or len(fn.args.args) != 1 or fn.args.vararg or fn.args.kwarg or fn.args.kwonlyargs:
        raise ProgramSyntaxError("the function must take exactly one argument, the input list: 'def f(xs):'.",
                                 fn.lineno)
    xs = fn.args.args[0].arg
    body = list(fn.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    state: list[str] = []
    initial: list[int] = []
    i = 0
    while i < len(body) and isinstance(body[i], ast.Assign) and not (
            isinstance(body[i].value, ast.List)):
        node = body[i]
        if len(node.targets) != 1:
            raise ProgramSyntaxError("chained assignments are not allowed.", node.lineno)
        names = _names_of(node.targets[0], "an initial assignment")
        for nm, val in zip(names, _values_of(node.value, len(names), node.lineno)):
            try:
                v = ast.literal_eval(val)
            except ValueError:
                raise ProgramSyntaxError(f"the initial value of '{nm}' must be an integer constant; got "
                                         f"'{ast.unparse(val)}'.", node.lineno) from None
            if isinstance(v, bool) or not isinstance(v, int):
                raise ProgramSyntaxError(f"the initial value of '{nm}' must be an integer; got {v!r}.", node.lineno)
            if nm in state:
                raise ProgramSyntaxError(f"'{nm}' is initialised twice.", node.lineno)
            state.append(nm)
            initial.append(v)
        i += 1
    if not (i < len(body) and isinstance(body[i], ast.Assign) and isinstance(body[i].value, ast.List)
            and not body[i].value.elts and len(body[i].targets) == 1 and isinstance(body[i].targets[0], ast.Name)):
        line = body[i].lineno if i < len(body) else fn.lineno
        raise ProgramSyntaxError("after the initial state the function must create the output list: 'ys = []'.", line)
    ys = body[i].targets[0].id
    i += 1
    if i >= len(body) or not isinstance(body[i], ast.For):
        raise ProgramSyntaxError(f"expected the loop 'for x in {xs}:'.", body[i].lineno if i < len(body) else fn.lineno)
    loop = body[i]
    if loop.orelse or not (isinstance(loop.iter, ast.Name) and loop.iter.id == xs):
        raise ProgramSyntaxError(f"the loop must be 'for x in {xs}:' with no else.", loop.lineno)
    ins = _names_of(loop.target, "the loop variable")
    if len(ins) != input_dim:
        expected = ", ".join(input_names(input_dim))
        raise ProgramSyntaxError(f"the task has {input_dim} input number(s) per step; write 'for {expected} in {xs}:'.",
                                 loop.lineno)
    rest = body[i + 1:]
    if len(rest) != 1 or not (isinstance(rest[0], ast.Return) and isinstance(rest[0].value, ast.Name)
                              and rest[0].value.id == ys):
        raise ProgramSyntaxError(f"the function must end with 'return {ys}' right after the loop.",
                                 rest[0].lineno if rest else loop.lineno)
    known = set(state) | set(ins)
    steps: list[tuple[tuple[str, ...], list[ast.expr]]] = []
    output: list[ast.expr] | None = None
    for node in loop.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            names = _names_of(node.targets[0], "an update")
            bad = [nm for nm in names if nm not in state]
            if bad:
                raise ProgramSyntaxError(f"'{bad[0]}' is not a state variable; initialise it before 'ys = []'.",
                                         node.lineno)
            values = _values_of(node.value, len(names), node.lineno)
            for v in values:
                _check(v, known)
            steps.append((names, values))
        elif (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
              and isinstance(node.value.func, ast.Attribute) and node.value.func.attr == "append"
              and isinstance(node.value.func.value, ast.Name) and node.value.func.value.id == ys
              and len(node.value.args) == 1 and output is None):
            arg = node.value.args[0]
            output = list(arg.elts) if isinstance(arg, ast.Tuple) else [arg]
            for v in output:
                _check(v, known)
            if node is not loop.body[-1]:
                raise ProgramSyntaxError(f"'{ys}.append(...)' must be the last line of the loop "
                                         "(outputs read the updated state).", node.lineno)
        else:
            raise ProgramSyntaxError(f"{describe_node(node)} is not allowed in the loop; only state updates "
                                     f"and one '{ys}.append(...)'.", node.lineno)
    if output is None:
        raise ProgramSyntaxError(f"the loop must end with '{ys}.append(<output>)'.", loop.lineno)
    updates = _compose(steps, state)
    return Program(task=task, kind="symbolic", method="edited", inputs=ins, state=tuple(state),
                   initial=tuple(initial), updates=tuple(Formula(expr=u, method="edited") for u in updates),
                   outputs=tuple(Formula(expr=ast.unparse(o), method="edited") for o in output))


def _check(node: ast.expr, known: set[str]) -> None:
    try:
        check_expression(node, known)
    except ExpressionError as exc:
        raise ProgramSyntaxError(str(exc).replace(f" (line {exc.line})", ""), exc.line) from None


def _compose(steps: list[tuple[tuple[str, ...], list[ast.expr]]], state: list[str]) -> list[str]:
    """Several update lines run in order -> one simultaneous update per variable (substitution)."""
    current: dict[str, ast.expr] = {nm: ast.Name(id=nm, ctx=ast.Load()) for nm in state}

    class Subst(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            return current.get(node.id, node)

    for names, values in steps:
        new = [Subst().visit(copy.deepcopy(v)) for v in values]
        for nm, v in zip(names, new):
            current[nm] = v
    return [ast.unparse(current[nm]) for nm in state]
