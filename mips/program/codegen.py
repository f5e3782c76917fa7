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
import re
import warnings
from typing import Any

import sympy
from sympy.printing.latex import LatexPrinter

from mips.errors import MipsError
from mips.program.limits import LATEX_NOTE, MAX_LATEX_WORK, MAX_STATE_VARIABLES, latex_work
from mips.program.program import Program, input_names, output_names
from mips.regression.evaluate import (
    LIMIT,
    SAFE_CALLS,
    ExpressionError,
    check_expression,
    describe_node,
)
from mips.regression.formula import Formula


class ProgramSyntaxError(MipsError, ValueError):
    """Edited source that is not a program of the generated shape."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message if line is None else f"line {line}: {message}")
        self.line = line


def _tuple(names) -> str:
    return ", ".join(names)


def _independent(program: Program) -> bool:
    """Several state variables whose updates each read no other state variable (counters of
    each symbol): written one per line, which reads better than one long simultaneous
    assignment and means the same. Updates that read each other (a shift register, a carry and
    a sum) keep the simultaneous assignment."""
    if len(program.state) < 2:
        return False
    state = set(program.state)
    for var, f in zip(program.state, program.updates):
        reads = {n.id for n in ast.walk(ast.parse(f.expr, mode="eval")) if isinstance(n, ast.Name)}
        if reads & state - {var}:
            return False
    return True


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
    if program.state and _independent(program):     # one line per variable: each reads only itself
        lines += [f"        {var} = {f.expr}" for var, f in zip(program.state, program.updates)]
    elif program.state:                        # a stateless program has no update line
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
    if isinstance(node, ast.Compare) and isinstance(node.ops[0], (ast.In, ast.NotIn)):
        left = _to_sympy(node.left, symbols)
        inside = sympy.Contains(left, sympy.FiniteSet(*(int(e.value) for e in node.comparators[0].elts)),
                                evaluate=False)
        return sympy.Piecewise((1, inside if isinstance(node.ops[0], ast.In) else sympy.Not(inside)), (0, True))
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


def _latex_name(name: str, time: str) -> str:
    """``a`` -> ``a_{t}``, ``x1`` -> ``x_{1,t}``, ``carry`` -> ``\\mathit{carry}_{t}`` (one subscript each)."""
    m = re.fullmatch(r"([A-Za-z]+)(\d+)", name)
    if m:
        base, index = m.groups()
        base = base if len(base) == 1 else rf"\mathit{{{base}}}"
        return rf"{base}_{{{index},{time}}}"
    word = name.replace("_", r"\_")
    base = name if len(name) == 1 else rf"\mathit{{{word}}}"
    return rf"{base}_{{{time}}}"


class _ProgramLatexPrinter(LatexPrinter):
    """sympy's LaTeX printer with the program's bit operators written infix (``a \\oplus b``)."""

    _INFIX = {"xor": r"\oplus", "and": r"\mathbin{\&}", "or": r"\mathbin{|}"}

    def _print_Function(self, expr, exp=None):
        op = self._INFIX.get(type(expr).__name__)
        if op is None or len(expr.args) != 2:
            return super()._print_Function(expr, exp)
        parts = []
        for arg in expr.args:
            text = self._print(arg)
            same = type(arg).__name__ == type(expr).__name__   # a ^ b ^ c needs no parentheses
            if not (same or arg.is_Atom):
                text = rf"\left({text}\right)"
            parts.append(text)
        body = f" {op} ".join(parts)
        return body if exp is None else rf"\left({body}\right)^{{{exp}}}"


def to_latex(program: Program) -> str:
    """The program as one KaTeX/LaTeX ``aligned`` block, one line per update and per output.

    A program whose formulas exceed :data:`mips.program.limits.MAX_LATEX_WORK` (sympy's work grows
    exponentially with the terms of a Boolean condition) raises ``ExpressionError`` with
    :data:`mips.program.limits.LATEX_NOTE` instead of being typeset.

    Updates read the previous step's state (``a_{t-1}``) and the current inputs (``x_{t}``,
    ``x_{1,t}``); outputs (``y_{t}``, or ``y_{1,t}, y_{2,t}, ...``) read the updated state. Every
    symbol has exactly one subscript, so KaTeX renders it (no ``y_1_{t}``).
    """
    if program.kind != "symbolic":
        return ""
    trees = [ast.parse(f.expr, mode="eval").body for f in (*program.updates, *program.outputs)]
    if latex_work(trees) > MAX_LATEX_WORK:         # counted in work, before sympy sees the formulas
        raise ExpressionError(LATEX_NOTE)
    names: dict[sympy.Symbol, str] = {}
    prev: dict[sympy.Symbol, sympy.Symbol] = {}
    for v in program.state:
        now, before = sympy.Symbol(v, integer=True), sympy.Symbol(f"{v}__previous", integer=True)
        prev[now] = before
        names[now], names[before] = _latex_name(v, "t"), _latex_name(v, "t-1")
    for v in program.inputs:
        names[sympy.Symbol(v, integer=True)] = _latex_name(v, "t")
    printer = _ProgramLatexPrinter({"symbol_names": names})
    lines = []
    for v, f in zip(program.state, program.updates):
        lines.append(f"{_latex_name(v, 't')} &= {printer.doprint(formula_sympy(f).subs(prev, simultaneous=True))}")
    for o, f in zip(output_names(len(program.outputs)), program.outputs):
        lines.append(f"{_latex_name(o, 't')} &= {printer.doprint(formula_sympy(f))}")
    return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"


# -- parsing edited source ----------------------------------------------------------------------

MAX_NODES = 5_000    # operations of the combined updates (lines compose, so `a = a + a` doubles them)
MAX_DEPTH = 100      # nesting of one combined expression (the checker and the views recurse)
TOO_DEEP = ("the program is nested too deeply to be parsed; write the expression with fewer nested "
            "operators (use intermediate state variables).")

_NOT_ALLOWED = {     # constructs refused anywhere, with what to call them
    ast.Import: "imports", ast.ImportFrom: "imports", ast.With: "'with' statements",
    ast.AsyncWith: "'with' statements", ast.Try: "'try' statements", ast.TryStar: "'try' statements",
    ast.ClassDef: "class definitions", ast.Lambda: "lambda expressions", ast.Global: "'global' declarations",
    ast.Nonlocal: "'nonlocal' declarations", ast.AsyncFunctionDef: "async functions",
    ast.Await: "'await' expressions", ast.Yield: "'yield' expressions", ast.YieldFrom: "'yield' expressions",
    ast.Raise: "'raise' statements", ast.Assert: "'assert' statements", ast.Delete: "'del' statements",
    ast.If: "'if' statements", ast.Match: "'match' statements", ast.AugAssign: "augmented assignments ('+=')",
    ast.AnnAssign: "annotated assignments", ast.NamedExpr: "':=' assignments",
    ast.ListComp: "comprehensions", ast.SetComp: "comprehensions", ast.DictComp: "comprehensions",
    ast.GeneratorExp: "generator expressions", ast.Subscript: "subscripts ('[...]')",
    ast.Starred: "'*' unpacking", ast.JoinedStr: "f-strings", ast.Dict: "dictionaries", ast.Set: "sets",
}

_HINTS = {ast.If: "; write 'p if c else q'", ast.AugAssign: "; write 'a = a + ...'"}


def _show(node: ast.AST) -> str:
    """Source of a node for a message, shortened."""
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."


def _names_of(target: ast.expr, what: str) -> tuple[str, ...]:
    if isinstance(target, ast.Name):
        return (target.id,)
    if isinstance(target, ast.Tuple) and target.elts and all(isinstance(e, ast.Name) for e in target.elts):
        return tuple(e.id for e in target.elts)
    raise ProgramSyntaxError(f"{what} must be a name or a tuple of names; got '{_show(target)}'.",
                             getattr(target, "lineno", None))


def _values_of(value: ast.expr, n: int, line: int) -> list[ast.expr]:
    if n == 1:
        return [value]
    if isinstance(value, ast.Tuple) and len(value.elts) == n:
        return list(value.elts)
    raise ProgramSyntaxError(f"expected {n} values to assign; got '{_show(value)}'.", line)


def _initial_value(name: str, value: ast.expr, line: int) -> int:
    """An integer constant, optionally signed, at most ``LIMIT`` in size."""
    node, sign = value, 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node, sign = node.operand, -1 if isinstance(node.op, ast.USub) else 1
    if not (isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool)):
        raise ProgramSyntaxError(f"the initial value of '{name}' must be an integer constant; got "
                                 f"'{_show(value)}'.", line)
    if abs(node.value) > LIMIT:
        raise ProgramSyntaxError(f"the initial value of '{name}' is too large; initial values and constants "
                                 f"must be at most 2**53 = {LIMIT} in size.", line)
    return sign * node.value


def _refuse_constructs(module: ast.Module) -> None:
    """Constructs that no program may hold, named with their line (before the shape is looked at)."""
    for node in ast.walk(module):
        line = getattr(node, "lineno", None)
        if type(node) in _NOT_ALLOWED:
            hint = _HINTS.get(type(node), "")
            raise ProgramSyntaxError(f"{_NOT_ALLOWED[type(node)]} are not allowed in a program{hint}.", line)
        if isinstance(node, ast.FunctionDef) and node not in module.body:
            raise ProgramSyntaxError("nested function definitions are not allowed in a program.", line)
        if isinstance(node, ast.Attribute) and node.attr != "append":
            raise ProgramSyntaxError(f"attribute access '.{node.attr}' is not allowed in a program.", line)
        if isinstance(node, ast.Name) and node.id.startswith("__"):
            raise ProgramSyntaxError(f"the name '{node.id}' is not allowed in a program.", line)
    for node in ast.walk(module):          # after the above: '__import__(...).system' names '.system'
        if isinstance(node, ast.Call) and not (
                (isinstance(node.func, ast.Name) and node.func.id in SAFE_CALLS)
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "append")):
            raise ProgramSyntaxError(f"{describe_node(node)} is not allowed; only {', '.join(SAFE_CALLS)} "
                                     "may be called.", node.lineno)


def parse_program(source: str, *, task: str, input_dim: int) -> Program:
    """Read a program of the generated shape back from (edited) source, without running it.

    The accepted shape: ``def f(xs):``, an optional docstring, assignments of integer constants to
    the state variables, ``ys = []``, ``for x in xs:`` (or ``for x1, x2 in xs:``) whose body is
    assignments to state variables (each line assigns all its names at once, lines run in order)
    and one ``ys.append(...)``, then ``return ys``.

    Limits: initial values and constants at most 2**53 in size; state variables named apart from
    the loop variables, the lists, the function and ``abs``/``min``/``max``; the update lines,
    combined into one formula per variable, at most ``MAX_NODES`` operations in all and
    ``MAX_DEPTH`` levels deep (checked while combining, before anything that large is built).

    Raises
    ------
    ProgramSyntaxError
        The only error it raises: a syntax error, a construct outside the program grammar (named,
        with its line), a program of another shape or one beyond the limits.
    """
    try:
        return _parse_program(source, task=task, input_dim=input_dim)
    except (RecursionError, MemoryError):     # Python's own parser gives up on very deep nesting
        raise ProgramSyntaxError(TOO_DEEP) from None


def _parse_program(source: str, *, task: str, input_dim: int) -> Program:
    fn = _the_function(_parse_module(source))
    xs = fn.args.args[0].arg
    reserved = {name: "a function the program may call" for name in SAFE_CALLS}
    reserved[fn.name] = "the function's name"
    _refuse_reserved(reserved, xs, "input list", fn.lineno)
    reserved[xs] = "the input list"
    body = list(fn.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    state, initial, i = _initial_state(body, reserved)
    ys = _output_list(body, i, fn.lineno, state, reserved)
    loop, ins = _the_loop(body, i + 1, fn.lineno, xs, input_dim, state, reserved)
    rest = body[i + 2:]
    if len(rest) != 1 or not (isinstance(rest[0], ast.Return) and isinstance(rest[0].value, ast.Name)
                              and rest[0].value.id == ys):
        raise ProgramSyntaxError(f"the function must end with 'return {ys}' right after the loop.",
                                 rest[0].lineno if rest else loop.lineno)
    steps, output, output_line = _loop_body(loop, ys, state, set(state) | set(ins))
    updates, total = _compose(steps, list(state))
    measured = [_measure(o, {}, {}) for o in output]          # outputs read the state: not composed
    _refuse_large(output_line, total + sum(n for n, _ in measured), max(d for _, d in measured))
    return Program(task=task, kind="symbolic", method="edited", inputs=ins, state=tuple(state),
                   initial=tuple(initial), updates=tuple(Formula(expr=u, method="edited") for u in updates),
                   outputs=tuple(Formula(expr=ast.unparse(o), method="edited") for o in output))


def _parse_module(source: str) -> ast.Module:
    """The source parsed (never executed), within the size limit and free of refused constructs."""
    if not isinstance(source, str) or not source.strip():
        raise ProgramSyntaxError("The program is empty; write a function 'def f(xs): ...'.")
    if len(source) > 100_000:
        raise ProgramSyntaxError(f"The program is {len(source)} characters long; the limit is 100,000.")
    try:
        with warnings.catch_warnings():        # e.g. "invalid escape sequence": not the program's concern
            warnings.simplefilter("ignore")
            module = ast.parse(source)
    except SyntaxError as exc:
        raise ProgramSyntaxError(f"syntax error: {exc.msg}.", exc.lineno) from None
    except ValueError as exc:                  # e.g. a null byte
        raise ProgramSyntaxError(f"syntax error: {exc}.") from None
    _refuse_constructs(module)
    return module


def _the_function(module: ast.Module) -> ast.FunctionDef:
    """The module's one function, taking exactly one argument (docstrings beside it are allowed)."""
    funcs = [n for n in module.body if isinstance(n, ast.FunctionDef)]
    others = [n for n in module.body if not isinstance(n, ast.FunctionDef)
              and not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
    if len(funcs) != 1 or others:
        line = others[0].lineno if others else None
        raise ProgramSyntaxError("the program must be exactly one function 'def f(xs): ...' "
                                 "(tables and other top-level statements cannot be edited here).", line)
    fn = funcs[0]
    args = fn.args
    if (fn.decorator_list or len(args.args) != 1 or args.vararg or args.kwarg or args.kwonlyargs
            or args.posonlyargs or args.defaults):
        raise ProgramSyntaxError("the function must take exactly one argument, the input list: 'def f(xs):'.",
                                 fn.lineno)
    return fn


def _refuse_reserved(reserved: dict[str, str], name: str, what: str, line: int) -> None:
    """Refuse ``name`` for the ``what`` when the program already uses it (``reserved``: name -> its use)."""
    if name in reserved:
        raise ProgramSyntaxError(f"'{name}' is {reserved[name]}; name the {what} something else.", line)


def _initial_state(body: list[ast.stmt], reserved: dict[str, str]) -> tuple[dict[str, int], list[int], int]:
    """The initial assignments at the head of ``body``: the state variables (name -> line of the
    initial value), their initial values, and the index of the first statement after them."""
    state: dict[str, int] = {}             # state variable -> line of its initial value
    initial: list[int] = []
    i = 0
    while i < len(body) and isinstance(body[i], ast.Assign) and not (
            isinstance(body[i].value, ast.List)):
        node = body[i]
        if len(node.targets) != 1:
            raise ProgramSyntaxError("chained assignments are not allowed.", node.lineno)
        names = _names_of(node.targets[0], "an initial assignment")
        for nm, val in zip(names, _values_of(node.value, len(names), node.lineno)):
            _refuse_reserved(reserved, nm, "state variable", node.lineno)
            if nm in state:
                raise ProgramSyntaxError(f"'{nm}' is initialised twice.", node.lineno)
            initial.append(_initial_value(nm, val, node.lineno))
            state[nm] = node.lineno
            if len(state) > MAX_STATE_VARIABLES:
                raise ProgramSyntaxError(f"the program has more than {MAX_STATE_VARIABLES} state variables, the "
                                         f"limit; use fewer state variables.", node.lineno)
        i += 1
    return state, initial, i


def _output_list(body: list[ast.stmt], i: int, fn_line: int, state: dict[str, int],
                 reserved: dict[str, str]) -> str:
    """The name of the output list created by ``body[i]`` ('ys = []'); reserves the state variables'
    names and its own."""
    if not (i < len(body) and isinstance(body[i], ast.Assign) and isinstance(body[i].value, ast.List)
            and not body[i].value.elts and len(body[i].targets) == 1 and isinstance(body[i].targets[0], ast.Name)):
        line = body[i].lineno if i < len(body) else fn_line
        raise ProgramSyntaxError("after the initial state the function must create the output list: 'ys = []'.", line)
    ys = body[i].targets[0].id
    reserved.update(dict.fromkeys(state, "a state variable"))
    _refuse_reserved(reserved, ys, "output list", body[i].lineno)
    reserved[ys] = "the output list"
    return ys


def _the_loop(body: list[ast.stmt], i: int, fn_line: int, xs: str, input_dim: int, state: dict[str, int],
              reserved: dict[str, str]) -> tuple[ast.For, tuple[str, ...]]:
    """The loop 'for x in xs:' at ``body[i]`` and its loop variables, one per input number."""
    if i >= len(body) or not isinstance(body[i], ast.For):
        raise ProgramSyntaxError(f"expected the loop 'for x in {xs}:'.", body[i].lineno if i < len(body) else fn_line)
    loop = body[i]
    if loop.orelse or not (isinstance(loop.iter, ast.Name) and loop.iter.id == xs):
        raise ProgramSyntaxError(f"the loop must be 'for x in {xs}:' with no else.", loop.lineno)
    ins = _names_of(loop.target, "the loop variable")
    if len(ins) != input_dim or (input_dim == 1 and not isinstance(loop.target, ast.Name)):
        expected = ", ".join(input_names(input_dim))
        raise ProgramSyntaxError(f"the task has {input_dim} input number(s) per step; write 'for {expected} in {xs}:'.",
                                 loop.lineno)
    role = "the loop variable" if input_dim == 1 else "a loop variable"
    for j, nm in enumerate(ins):
        if nm in state:
            raise ProgramSyntaxError(f"'{nm}' is {role}; name the state variable something else.", state[nm])
        if nm in ins[:j]:
            raise ProgramSyntaxError(f"the loop variable '{nm}' appears twice.", loop.lineno)
        _refuse_reserved(reserved, nm, "loop variable", loop.lineno)
    return loop, ins


def _loop_body(loop: ast.For, ys: str, state: dict[str, int], known: set[str]
               ) -> tuple[list[tuple[int, tuple[str, ...], list[ast.expr]]], list[ast.expr], int]:
    """The loop's state updates (line, names, values) in order, and its outputs with their line:
    state updates, then one '``ys``.append(...)' as the last line."""
    unread: dict[str, int] = {}            # state variable -> line of an update not read yet
    steps: list[tuple[int, tuple[str, ...], list[ast.expr]]] = []
    output: list[ast.expr] | None = None
    output_line = loop.lineno
    for node in loop.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            steps.append(_state_update(node, state, known, unread))
        elif (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
              and isinstance(node.value.func, ast.Attribute) and node.value.func.attr == "append"
              and isinstance(node.value.func.value, ast.Name) and node.value.func.value.id == ys
              and len(node.value.args) == 1 and not node.value.keywords and output is None):
            output, output_line = _outputs(node, ys, known), node.lineno
            if node is not loop.body[-1]:
                raise ProgramSyntaxError(f"'{ys}.append(...)' must be the last line of the loop "
                                         "(outputs read the updated state).", node.lineno)
        else:
            raise ProgramSyntaxError(f"{describe_node(node)} is not allowed in the loop; only state updates "
                                     f"and one '{ys}.append(...)'.", node.lineno)
    if output is None:
        raise ProgramSyntaxError(f"the loop must end with '{ys}.append(<output>)'.", loop.lineno)
    return steps, output, output_line


def _state_update(node: ast.Assign, state: dict[str, int], known: set[str], unread: dict[str, int]
                  ) -> tuple[int, tuple[str, ...], list[ast.expr]]:
    """One update of state variables in the loop, as (line, names, values); ``unread`` (state
    variable -> line of an update not read yet) follows the updates."""
    names = _names_of(node.targets[0], "an update")
    bad = [nm for nm in names if nm not in state]
    if bad:
        raise ProgramSyntaxError(f"'{bad[0]}' is not a state variable; initialise it before 'ys = []'.",
                                 node.lineno)
    values = _values_of(node.value, len(names), node.lineno)
    for v in values:
        _check(v, known)
    _track_reads(values, unread)
    for nm in names:
        # combining lines drops a value replaced unread, and with it any error Python raises
        if nm in unread:
            raise ProgramSyntaxError(f"the value given to '{nm}' on line {unread[nm]} is replaced "
                                     "before it is read; remove the line that is not needed.", node.lineno)
        unread[nm] = node.lineno
    return node.lineno, names, values


def _outputs(node: ast.Expr, ys: str, known: set[str]) -> list[ast.expr]:
    """The output expressions of '``ys``.append(<output>)' or '``ys``.append((<output 1>, ...))'."""
    arg = node.value.args[0]
    if isinstance(arg, ast.Tuple) and len(arg.elts) < 2:
        raise ProgramSyntaxError(f"write one output as '{ys}.append(<output>)', several as "
                                 f"'{ys}.append((<output 1>, <output 2>))'.", node.lineno)
    output = list(arg.elts) if isinstance(arg, ast.Tuple) else [arg]
    for v in output:
        _check(v, known)
    return output


def _track_reads(values: list[ast.expr], unread: dict[str, int]) -> None:
    for v in values:
        for sub in ast.walk(v):
            if isinstance(sub, ast.Name):
                unread.pop(sub.id, None)


def _check(node: ast.expr, known: set[str]) -> None:
    try:
        check_expression(node, known)
    except ExpressionError as exc:
        raise ProgramSyntaxError(str(exc).replace(f" (line {exc.line})", ""), exc.line) from None


def _measure(node: ast.expr, size: dict[str, int], depth: dict[str, int]) -> tuple[int, int]:
    """Operations and nesting depth of ``node`` once each state variable in it is replaced by its
    current formula (whose ones are ``size`` and ``depth``), without building it."""
    n, d, stack = 0, 0, [(node, 1)]
    while stack:
        sub, level = stack.pop()
        if isinstance(sub, ast.Name) and sub.id in size:
            n, d = n + size[sub.id], max(d, level - 1 + depth[sub.id])
            continue
        n, d = n + 1, max(d, level)
        stack.extend((c, level + 1) for c in ast.iter_child_nodes(sub) if isinstance(c, ast.expr))
    return n, d


def _refuse_large(line: int, total: int, deepest: int) -> None:
    if deepest > MAX_DEPTH:
        message = f"The program nests too deeply once its updates are combined: more than {MAX_DEPTH} levels"
    elif total > MAX_NODES:
        message = f"The program is too large once its updates are combined: more than {MAX_NODES:,} operations"
    else:
        return
    exc = ProgramSyntaxError(f"{message} after line {line}. Simplify the updates.")   # names the line itself
    exc.line = line
    raise exc


def _compose(steps: list[tuple[int, tuple[str, ...], list[ast.expr]]], state: list[str]
             ) -> tuple[list[str], int]:
    """Several update lines run in order -> one simultaneous update per variable (substitution),
    and the number of operations of all of them.

    Substituting can double a formula per line (``a = a + a``), so each line's result is measured
    before it is built, and a program beyond ``MAX_NODES`` operations or ``MAX_DEPTH`` levels is
    refused with the line where it got there."""
    current: dict[str, ast.expr] = {nm: ast.Name(id=nm, ctx=ast.Load()) for nm in state}
    size = dict.fromkeys(state, 1)
    depth = dict.fromkeys(state, 1)
    total = len(state)

    class Subst(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            return current.get(node.id, node)

    for line, names, values in steps:
        measured = [_measure(v, size, depth) for v in values]
        after = dict(zip(names, measured))                   # the last assignment to a name wins
        total += sum(n - size[nm] for nm, (n, _) in after.items())
        _refuse_large(line, total, max(d for _, d in measured))
        new = {nm: Subst().visit(copy.deepcopy(v)) for nm, v in zip(names, values)}
        current.update(new)
        for nm, (n, d) in after.items():
            size[nm], depth[nm] = n, d
    return [ast.unparse(current[nm]) for nm in state], total
