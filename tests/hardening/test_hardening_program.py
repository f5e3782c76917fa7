"""Hostile edited programs: refused by the grammar with the construct and its line, or stopped by
the sandbox with the limit; check_edited_program always returns an EditCheck (the app stays up)."""

from __future__ import annotations

import re
import time

import pytest

from mips.network.zoo import load_zoo_model
from mips.pipeline import PipelineConfig, run_pipeline
from mips.program.codegen import to_source
from mips.sandbox import SandboxLimits
from workbench.program_edit import MAX_SOURCE_CHARS, check_edited_program


@pytest.fixture(scope="module")
def parity():
    return run_pipeline("Parity_All", PipelineConfig(n_sequences=2_000, n_trace_sequences=500, regression_seconds=1.0),
                        model=load_zoo_model("Parity_All"))


def _loop(body: str, before: str = "") -> str:
    return f"{before}def f(xs):\n    a = 0\n    ys = []\n    for x in xs:\n{body}    return ys\n"


REFUSED = [
    ("while", "def f(xs):\n    ys = []\n    while True:\n        ys.append(1)\n    return ys\n", 3,
     r"^line 3: expected the loop 'for x in xs:'\.$"),
    ("__import__", _loop("        ys.append(__import__('os').system('touch /tmp/pwned'))\n"), 5,
     r"^line 5: attribute access '\.system' is not allowed in a program\.$"),
    ("__import__-call", _loop("        a = __import__('os')\n        ys.append(a)\n"), 5,
     r"^line 5: the name '__import__' is not allowed in a program\.$"),
    ("class-dunder", _loop("        ys.append(().__class__.__bases__[0].__subclasses__())\n"), 5,
     r"^line 5: attribute access '\.__subclasses__' is not allowed in a program\.$"),
    ("dunder", _loop("        a = x.__class__\n        ys.append(a)\n"), 5, r"attribute access '\.__class__'"),
    ("import", _loop("        ys.append(a)\n", before="import os\n"), 1, r"^line 1: imports are not allowed"),
    ("open", _loop("        ys.append(open('/etc/passwd'))\n"), 5, r"^line 5: a call to 'open' is not allowed"),
    ("exec", _loop("        ys.append(exec('1'))\n"), 5, r"^line 5: a call to 'exec' is not allowed"),
    ("eval", _loop("        ys.append(eval('1'))\n"), 5, r"^line 5: a call to 'eval' is not allowed"),
    ("syntax", "def f(xs):\n    ys = [\n    return ys\n", 2, r"^line 2: syntax error: '\[' was never closed\.$"),
    ("wrong-length", _loop("        a = a ^ x\n    ys.append(a)\n"), 6,
     r"^line 6: the function must end with 'return ys' right after the loop\.$"),
]


@pytest.mark.parametrize(("source", "line", "message"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_grammar_refuses_with_construct_and_line(parity, source, line, message):
    check = check_edited_program(source, parity)
    assert check.outcome == "syntax_error" and check.line == line and not check.ok
    assert check.program is None and check.verification is None

    assert re.search(message, check.message), check.message


@pytest.mark.parametrize("expr", ["-" * 15_000 + "x", "+".join(["x"] * 6_000), "not " * 4_000 + "x"],
                         ids=["unary", "chain", "not"])
def test_deep_nesting_is_a_syntax_error_not_a_crash(parity, expr):
    check = check_edited_program(_loop(f"        a = {expr}\n        ys.append(a)\n"), parity)
    assert check.outcome == "syntax_error" and check.program is None
    assert check.message == ("the program is nested too deeply to be parsed; write the expression with fewer "
                             "nested operators (use intermediate state variables).")


def test_oversized_source_is_refused_unparsed(parity):
    check = check_edited_program("#" * (MAX_SOURCE_CHARS + 1), parity)
    assert check.outcome == "syntax_error"
    assert check.message == (f"The program is {MAX_SOURCE_CHARS + 1:,} characters long; at most "
                             f"{MAX_SOURCE_CHARS:,} are allowed. Shorten it.")


def test_two_outputs_per_step_is_an_error_naming_the_count(parity):
    check = check_edited_program(_loop("        a = a ^ x\n        ys.append((a, a))\n"), parity)
    assert check.outcome == "error" and check.program is not None
    assert check.message == "The program returns 2 number(s) per step; task Parity_All has 1."


def test_sandbox_limits_end_as_an_error_outcome(parity):
    good = to_source(parity.program)
    slow = check_edited_program(good, parity, limits=SandboxLimits(cpu_seconds=5, wall_seconds=0.5))
    assert slow.outcome == "error" and slow.program is not None
    assert slow.message.startswith("Checking the edited program did not finish within the wall-clock limit of 0.5 s")
    small = check_edited_program(good, parity, limits=SandboxLimits(cpu_seconds=30, memory_mb=16, wall_seconds=120))
    assert small.outcome == "error"
    assert "memory limit of 16 MB" in small.message or "16 MB memory limit" in small.message
    ok = check_edited_program(good, parity)   # and the next check works as before
    assert ok.outcome == "verified", ok.message


def test_wrapping_arithmetic_is_never_verified(parity):
    # Python gives a + x * 2**64 (wrong for Parity_All); int64 would wrap it to a, which is right
    check = check_edited_program(_loop("        a = a ^ x\n        ys.append(a + x * 4294967296 * 4294967296)\n"),
                                 parity)
    assert check.outcome == "failed" and not check.ok, check.message
    assert "beyond 2**53" in check.message


def test_state_variable_named_like_the_loop_variable_is_refused(parity):
    source = "def f(xs):\n    x = 0\n    ys = []\n    for x in xs:\n        x = x ^ x\n        ys.append(x)\n    return ys\n"
    check = check_edited_program(source, parity)
    assert check.outcome == "syntax_error" and check.line == 2
    assert check.message == "line 2: 'x' is the loop variable; name the state variable something else."


def test_doubling_updates_are_refused_quickly(parity):
    start = time.perf_counter()
    check = check_edited_program(_loop("        a = a + a\n" * 60 + "        ys.append(a)\n"), parity)
    assert time.perf_counter() - start < 2.0
    assert check.outcome == "syntax_error" and check.line == 16
    assert check.message == ("The program is too large once its updates are combined: more than 5,000 "
                             "operations after line 16. Simplify the updates.")
