"""Hostile edited programs that stay inside the grammar: parse_program refuses them quickly with a
message naming the limit and the line, and the evaluator never returns a number that plain Python
would not compute (issue 13, part 4). No pipeline run: these check parse_program and run_program."""

from __future__ import annotations

import contextlib
import signal
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mips.errors import ConfigError
from mips.program.codegen import (
    MAX_DEPTH,
    MAX_NODES,
    TOO_DEEP,
    ProgramSyntaxError,
    parse_program,
    to_source,
)
from mips.program.program import Program, run_program
from mips.regression.evaluate import LIMIT, ExpressionError, evaluate
from mips.regression.formula import Formula

INT64_MIN = np.iinfo(np.int64).min


@contextlib.contextmanager
def deadline(seconds: float):
    """Fail (instead of hanging or eating memory) when the block runs longer than ``seconds``."""
    def stop(*_):
        raise TimeoutError(f"took longer than {seconds} s")
    old = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def program(body: str, init: str = "    a = 0\n", loop: str = "x", before: str = "") -> str:
    return f"{before}def f(xs):\n{init}    ys = []\n    for {loop} in xs:\n{body}    return ys\n"


def parse(source: str, input_dim: int = 1) -> Program:
    return parse_program(source, task="t", input_dim=input_dim)


def refused(source: str, input_dim: int = 1) -> ProgramSyntaxError:
    with deadline(2.0), pytest.raises(ProgramSyntaxError) as info:
        parse(source, input_dim)
    return info.value


def python_outputs(source: str, x: np.ndarray) -> list[list[int]]:
    """The plain Python result (the test's own sources only)."""
    scope: dict = {}
    exec(source, scope)                                   # noqa: S102 - trusted test input
    return [[int(y) for y in scope["f"]([int(v) for v in row[:, 0]])] for row in x]


# -- 1. composing update lines: a node budget while substituting ---------------------------------

@pytest.mark.parametrize("n_lines", [20, 60])
def test_doubling_updates_are_refused_before_they_are_built(n_lines):
    source = program("        a = a + a\n" * n_lines + "        ys.append(a)\n")
    start = time.perf_counter()
    exc = refused(source)
    assert time.perf_counter() - start < 2.0
    # a = a + a doubles: 2**(k+1) - 1 operations after k lines, 8,191 > 5,000 after the 12th (line 16)
    assert str(exc) == ("The program is too large once its updates are combined: more than 5,000 operations "
                        "after line 16. Simplify the updates.")
    assert exc.line == 16 and MAX_NODES == 5_000


def test_two_variables_feeding_each_other_are_measured_too():
    body = "        a, b = a + b, b + a\n" * 30 + "        ys.append(a)\n"
    exc = refused(program(body, init="    a, b = 1, 1\n"))
    assert "more than 5,000 operations after line" in str(exc) and exc.line is not None


def test_deep_composition_is_refused_with_its_line():
    exc = refused(program("        a = a + 1\n" * 150 + "        ys.append(a)\n"))
    assert str(exc) == (f"The program nests too deeply once its updates are combined: more than {MAX_DEPTH} "
                        f"levels after line {4 + MAX_DEPTH}. Simplify the updates.")


def test_many_small_lines_within_the_budget_compose_and_match_python():
    source = program("        a = a + x\n" * 40 + "        ys.append(a % 7)\n")
    prog = parse(source)
    x = np.random.default_rng(0).integers(0, 5, (20, 6, 1))
    run = run_program(prog, x)
    assert run.error is None
    assert run.outputs[..., 0].tolist() == python_outputs(source, x)


# -- 2. int64 never wraps silently ----------------------------------------------------------------

def test_wrapping_product_is_an_error_not_a_wrong_number():
    source = program("        a = a ^ x\n        ys.append(a + x * 4294967296 * 4294967296)\n")
    prog = parse(source)
    x = np.array([[[0], [1], [1]]])
    assert python_outputs(source, x) == [[0, 18446744073709551617, 18446744073709551616]]
    run = run_program(prog, x)
    assert run.error is not None and "beyond 2**53" in run.error
    assert (run.error_sequence, run.error_step) == (0, 1)


@pytest.mark.parametrize(("expr", "values"), [
    ("x * x", [2 ** 32]),                        # wraps to 0
    ("x * 3037000500", [3037000500]),            # just past 2**63
    ("x + x", [2 ** 62]),                        # wraps to -2**63
    ("x - 5 - x * 0", [INT64_MIN + 2]),          # below -2**63
    ("-x", [INT64_MIN]),
    ("abs(x)", [INT64_MIN]),
    ("x // -1", [INT64_MIN]),
    ("x * 2", [2 ** 53]),                        # exact in int64, beyond the limit
])
def test_every_overflow_is_refused(expr, values):
    with pytest.raises(ExpressionError, match="beyond 2\\*\\*53"):
        evaluate(expr, {"x": np.array(values, dtype=np.int64)})


def test_values_at_the_limit_are_exact():
    x = np.array([LIMIT // 2, -(LIMIT // 2), 3, -7])
    assert evaluate("x + x", {"x": x}).tolist() == [LIMIT, -LIMIT, 6, -14]
    assert evaluate("x % 5 - x // 5", {"x": x}).tolist() == [int(v) % 5 - int(v) // 5 for v in x]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["a * c + x", "a + c - x * c", "a * a - c", "(a - c) * (x + c)", "-(a * c) // (x + 1)"]),
       st.one_of(st.integers(-LIMIT, LIMIT), st.sampled_from([LIMIT, -LIMIT, 2 ** 32, 3037000500])),
       st.integers(-2 ** 63, 2 ** 63 - 1), st.integers(0, 2 ** 40))
def test_evaluator_agrees_with_python_or_refuses(expr, c, a, x):
    expr = expr.replace("c", str(c))
    try:
        got = evaluate(expr, {"a": np.array([a]), "x": np.array([x])})
    except ExpressionError as exc:
        assert "beyond 2**53" in str(exc) or "division" in str(exc)
        return
    assert int(got[0]) == eval(expr, {"a": a, "x": x})


# -- 3. names that shadow the loop variable, the lists, the function or a callable ---------------

@pytest.mark.parametrize(("source", "line", "message"), [
    (program("        x = x + 1\n        ys.append(x)\n", init="    x = 0\n"), 2,
     "'x' is the loop variable; name the state variable something else."),
    (program("        a = x1 + x\n        ys.append(a)\n", init="    a = 0\n    x2 = 0\n", loop="x1, x2"), 3,
     "'x2' is a loop variable; name the state variable something else."),
    (program("        ys.append(a)\n", init="    a = 0\n    xs = 0\n"), 3,
     "'xs' is the input list; name the state variable something else."),
    (program("        ys.append(a)\n", init="    ys = 0\n    a = 0\n").replace("    ys = []", "    out = []")
     .replace("ys.append", "out.append").replace("return ys", "return out"), None, None),
    (program("        ys.append(a)\n", init="    a = 0\n    f = 0\n"), 3,
     "'f' is the function's name; name the state variable something else."),
    (program("        ys.append(a)\n", init="    abs = 0\n    a = 0\n"), 2,
     "'abs' is a function the program may call; name the state variable something else."),
    (program("        ys.append(a)\n", init="    a = 0\n    b = 0\n").replace("ys", "b"), 4,
     "'b' is a state variable; name the output list something else."),
    (program("        ys.append(ys)\n", loop="ys"), 4, "'ys' is the output list; name the loop variable something else."),
    (program("        ys.append(max(x, 1))\n", loop="max"), 4,
     "'max' is a function the program may call; name the loop variable something else."),
    (program("        ys.append(x)\n", loop="x, x"), 4, "the loop variable 'x' appears twice."),
])
def test_shadowing_names_are_refused_with_name_and_line(source, line, message):
    if message is None:       # 'ys' is free to be a state variable when the output list has another name
        assert parse(source).state == ("ys", "a")
        return
    exc = refused(source, input_dim=2 if "x2" in message or "x, x" in source else 1)
    assert (str(exc), exc.line) == (f"line {line}: {message}", line)


# -- 4. initial values and constants in a documented range ---------------------------------------

@pytest.mark.parametrize(("value", "message"), [
    ("100000000000000000000000000000", ("the initial value of 'a' is too large; initial values and constants "
                                        "must be at most 2**53 = 9007199254740992 in size.")),
    ("-0x" + "f" * 5000, "the initial value of 'a' is too large"),
    ("10**29", "the initial value of 'a' must be an integer constant; got '10 ** 29'."),
    ("True", "the initial value of 'a' must be an integer constant; got 'True'."),
])
def test_initial_values_beyond_the_range_are_refused(value, message):
    exc = refused(program("        ys.append(a)\n", init=f"    a = {value}\n"))
    assert str(exc).startswith(f"line 2: {message}") and exc.line == 2


def test_largest_initial_value_is_accepted_and_constants_share_the_range():
    assert parse(program("        ys.append(a)\n", init=f"    a = -{LIMIT}\n")).initial == (-LIMIT,)
    exc = refused(program("        a = a + 0x" + "f" * 5000 + "\n        ys.append(a)\n"))
    assert str(exc).startswith("line 5: an integer constant of 20000 bits is not allowed")
    with pytest.raises(ConfigError, match="initial value of 'a' of Program must be an int at most 2\\*\\*53"):
        Program(task="t", kind="symbolic", method="m", inputs=("x",), state=("a",), initial=(10 ** 29,),
                updates=(Formula(expr="a", method="m"),), outputs=(Formula(expr="a", method="m"),))


# -- 5. forbidden constructs are named with their line -------------------------------------------

@pytest.mark.parametrize(("source", "message"), [
    (program("        ys.append(a)\n", before="import os\n"), "line 1: imports are not allowed in a program."),
    (program("        import os\n        ys.append(a)\n"), "line 5: imports are not allowed in a program."),
    ("def f(xs):\n    from os import path\n    return xs\n", "line 2: imports are not allowed in a program."),
    (program("        with open('x') as h:\n            a = 1\n        ys.append(a)\n"),
     "line 5: 'with' statements are not allowed in a program."),
    (program("        try:\n            a = 1\n        except Exception:\n            a = 0\n        ys.append(a)\n"),
     "line 5: 'try' statements are not allowed in a program."),
    (program("        ys.append(a)\n", before="class A:\n    pass\n"), "line 1: class definitions are not allowed"),
    (program("        a = (lambda: x)()\n        ys.append(a)\n"), "line 5: lambda expressions are not allowed"),
    (program("        global a\n        ys.append(a)\n"), "line 5: 'global' declarations are not allowed"),
    (program("        a = xs.count\n        ys.append(a)\n"), "line 5: attribute access '.count' is not allowed"),
    (program("        a = print(x)\n        ys.append(a)\n"),
     "line 5: a call to 'print' is not allowed; only abs, min, max may be called."),
    (program("        ys.append(a)\n", init="    a = len('abc')\n"), "line 2: a call to 'len' is not allowed"),
    (program("        a = min(x)\n        ys.append(a)\n"), "line 5: a call to 'min' is not allowed"),
    (program("        a += x\n        ys.append(a)\n"),
     "line 5: augmented assignments ('+=') are not allowed in a program; write 'a = a + ...'."),
    (program("        if x:\n            a = 1\n        ys.append(a)\n"),
     "line 5: 'if' statements are not allowed in a program; write 'p if c else q'."),
    (program("        a = [x][0]\n        ys.append(a)\n"), "line 5: subscripts ('[...]') are not allowed"),
    (program("        def g():\n            return 1\n        ys.append(a)\n"),
     "line 5: nested function definitions are not allowed"),
    (program("        ys.append((a,))\n"), "line 5: write one output as 'ys.append(<output>)'"),
    (program("        ys.append(())\n"), "line 5: write one output as 'ys.append(<output>)'"),
    (program("        () = ()\n        ys.append(a)\n"), "line 5: an update must be a name or a tuple of names; got '()'."),
    ("def f(p, /, xs):\n    ys = []\n    for x in xs:\n        ys.append(x)\n    return ys\n",
     "line 1: the function must take exactly one argument"),
])
def test_forbidden_constructs_name_the_construct_and_line(source, message):
    assert str(refused(source)).startswith(message)


# -- parse_program raises ProgramSyntaxError and nothing else, quickly ---------------------------

VALID = program("        a, b = b ^ x, a + 1\n        ys.append(a - b if a else b // 2)\n", init="    a, b = 0, 1\n")


@pytest.mark.parametrize("source", [
    "(" * 10_000, "-" * 100_000 + "1", program("        a = " + "-" * 15_000 + "x\n        ys.append(a)\n"),
    program("        ys.append(" + "not " * 4_000 + "x)\n"), program("        a = " + "+".join(["x"] * 600) + "\n"
                                                                  "        ys.append(a)\n"),
    "a = 1\x00", "\ud800", "def f(xs):\n    a = 0x" + "f" * 90_000 + "\n", "def f(xs):\n\treturn 1\n  \x0c",
], ids=["parens", "minus", "deep-update", "deep-output", "long-chain", "null", "surrogate", "hex", "indent"])
def test_garbage_and_deep_nesting_only_give_the_parse_error(source):
    exc = refused(source)
    assert str(exc) and (exc.line is None or isinstance(exc.line, int))


def test_python_parser_giving_up_is_the_documented_message():
    assert str(refused("-" * 50_000 + "1")) == TOO_DEEP


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300),
                 st.text(alphabet="()+-*/%^&|~<>=!:, \n\tabxyfs0129[]{}.'\"#\\", max_size=300),
                 st.tuples(st.integers(0, len(VALID)), st.integers(0, 40),
                           st.text(alphabet="()+-*%^&|<>=:, \n xabcys019[].", max_size=12))
                 .map(lambda t: VALID[:t[0]] + t[2] + VALID[t[0] + t[1]:])))
def test_any_source_parses_or_gives_the_parse_error(source):
    start = time.perf_counter()
    try:
        prog = parse(source)
    except ProgramSyntaxError as exc:
        assert str(exc)
    else:
        assert to_source(prog) and run_program(prog, np.zeros((2, 3, 1), dtype=np.int64)).outputs.shape[:2] == (2, 3)
    assert time.perf_counter() - start < 1.0


_ATOMS = ["a", "b", "x", "0", "-1", str(LIMIT), "True", "ys", "xs", "abs", "f", "()", "(a,)"]
_EXPR = st.recursive(
    st.sampled_from(_ATOMS),
    lambda e: st.one_of(
        st.tuples(e, st.sampled_from(["+", "-", "*", "//", "%", "^", "<", "and", "**", "if a else"]), e).map(" ".join),
        e.map(lambda v: f"-({v})"),
        st.tuples(st.sampled_from(["abs", "min", "print"]), st.lists(e, max_size=3)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.lists(e, min_size=2, max_size=3).map(lambda vs: f"({', '.join(vs)})")),
    max_leaves=8)
_TARGET = st.sampled_from(["a", "b", "a, b", "()", "x", "ys", "a, a", "c"])
_LINE = st.one_of(st.tuples(_TARGET, _EXPR).map(" = ".join), _EXPR.map(lambda v: f"ys.append({v})"),
                  st.sampled_from(["pass", "a += 1", "return ys", "ys = []"]))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_TARGET, _EXPR).map(lambda t: f"    {t[0]} = {t[1]}\n"), max_size=3),
       st.sampled_from(["x", "x1, x2", "a", "(x,)", "ys"]), st.lists(_LINE, max_size=5), st.sampled_from([1, 2]))
def test_near_programs_parse_and_run_or_give_the_parse_error(init, loop, body, input_dim):
    source = program("".join(f"        {line}\n" for line in body), init="".join(init), loop=loop)
    try:
        prog = parse(source, input_dim)
    except ProgramSyntaxError:
        return
    assert to_source(prog)
    run_program(prog, np.random.default_rng(0).integers(-3, 4, (4, 3, input_dim)))


def test_an_update_replaced_before_it_is_read_is_refused():
    # combined, the first line would vanish, and with it the ZeroDivisionError Python raises
    exc = refused(program("        a = 1 // (x - x)\n        a = x\n        ys.append(a)\n"))
    assert exc.line == 6
    assert str(exc) == ("line 6: the value given to 'a' on line 5 is replaced before it is read; "
                        "remove the line that is not needed.")
    assert parse(program("        a = x\n        a = a + 1\n        ys.append(a)\n")).updates[0].expr == "x + 1"


def test_a_callable_name_must_be_called():
    # Python raises on -abs; the combined program never read it
    assert str(refused(program("        a = -abs\n        ys.append(a)\n"))).startswith(
        "line 5: 'abs' is a function; call it: abs(...).")


_SIMPLE = st.recursive(
    st.sampled_from(["a", "b", "x", "0", "-1", "7", str(LIMIT), "4294967296", "True"]),
    lambda e: st.one_of(
        st.tuples(e, st.sampled_from(["+", "-", "*", "//", "%", "^", "|", "<", "==", "and", "or", "if a else"]),
                  e).map(lambda t: f"({' '.join(t)})"),
        e.map(lambda v: f"-{v}"), e.map(lambda v: f"(not {v})"),
        st.tuples(st.sampled_from(["abs", "min", "max"]), st.lists(e, min_size=1, max_size=3)).map(
            lambda t: f"{t[0]}({', '.join(t[1][:1] if t[0] == 'abs' else t[1] * 2)})")),
    max_leaves=8)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["    a, b = 0, 1\n", f"    a, b = {LIMIT}, -3\n"]),
       st.lists(st.tuples(st.sampled_from(["a", "b", "a, b"]), _SIMPLE, _SIMPLE), max_size=4), _SIMPLE,
       st.integers(0, 2 ** 40))
def test_a_parsed_program_computes_what_python_computes_or_stops(init, lines, out, scale):
    body = "".join(f"        {t} = {v}{', ' + w if ',' in t else ''}\n" for t, v, w in lines)
    source = program(body + f"        ys.append({out})\n", init=init)
    try:
        prog = parse(source)
    except ProgramSyntaxError:
        return
    x = np.random.default_rng(scale).integers(-3, 4, (5, 4, 1)) * (1 + scale % 2 * scale)
    run = run_program(prog, x)
    if run.error is None:                  # no error: Python agrees (and raises nothing)
        assert run.outputs[..., 0].tolist() == python_outputs(source, x)
