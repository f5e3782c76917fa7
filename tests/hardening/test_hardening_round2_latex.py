"""Typesetting an edited program is bounded in work (issue 22): sympy's work grows exponentially with the
terms of a Boolean condition (a 278-character program of eight and/or terms took 20 s of the app's
CPU); the budget is counted from the syntax tree before sympy runs, and a program over it is shown as
its Python text with a one-line note."""

from __future__ import annotations

import ast
import json
import time

import pytest

from mips.paths import ASSETS
from mips.program.codegen import parse_program, to_latex
from mips.program.limits import LATEX_NOTE, MAX_LATEX_WORK, latex_work
from mips.regression.evaluate import ExpressionError
from workbench.program_edit import latex_or_note, program_latex

TERMS = ["(a == 1 and b == 0)", "(a == 0 and x == 1)", "(b == 1 and x == 0)", "(a < b and x > 0)",
         "(a > x and b < 1)", "(x == a and b != x)", "(a != b and x <= 1)", "(b >= x and a == 0)"]


def _program(output: str):
    source = (f"def f(xs):\n    a, b = 0, 0\n    ys = []\n    for x in xs:\n        a, b = x, a\n"
              f"        ys.append({output})\n    return ys\n")
    return parse_program(source, task="Parity_All", input_dim=1)


def test_the_eight_term_program_falls_back_in_well_under_a_second():
    program = _program("1 if " + " or ".join(TERMS) + " else 0")
    start = time.process_time()
    latex, note = latex_or_note(program)
    assert time.process_time() - start < 0.2
    assert latex is None and note == LATEX_NOTE and "\n" not in note
    assert program_latex(program) is None
    with pytest.raises(ExpressionError, match="too large to typeset"):
        to_latex(program)


@pytest.mark.parametrize("n_terms", [1, 2, 3])
def test_small_conditions_are_still_typeset(n_terms):
    program = _program("1 if " + " or ".join(TERMS[:n_terms]) + " else 0")
    start = time.process_time()
    latex, note = latex_or_note(program)
    assert time.process_time() - start < 1.0
    assert note is None and latex is not None and r"\begin{aligned}" in latex


@pytest.mark.parametrize("output", [
    " + ".join(f"(1 if a == {i} else 0)" for i in range(1, 14)),
    " + ".join(f"a * {i} * x" for i in range(1, 36)),
    "max(" + ", ".join(f"a + {i}*b" for i in range(40)) + ")",
    " + ".join(f"(a * {i} + x) % {i + 2} // 3" for i in range(1, 20)),
], ids=["conditionals", "products", "max", "mod-div"])
def test_anything_under_the_budget_typesets_within_a_second(output):
    program = _program(output)
    trees = [ast.parse(f.expr, mode="eval").body for f in (*program.updates, *program.outputs)]
    assert latex_work(trees) <= MAX_LATEX_WORK
    start = time.process_time()
    assert program_latex(program) is not None
    assert time.process_time() - start < 1.0


def test_every_shipped_program_fits_the_budget():
    from mips.tasks import get_task
    rows = next(v for v in json.loads((ASSETS / "bench" / "results.json").read_text()).values()
                if isinstance(v, list))
    sources = [(r["task"], r["program"]) for r in rows if r.get("program_kind") == "symbolic"]
    assert len(sources) > 50
    for task, source in sources:
        program = parse_program(source, task=task, input_dim=get_task(task).input_dim)
        trees = [ast.parse(f.expr, mode="eval").body for f in (*program.updates, *program.outputs)]
        assert latex_work(trees) <= MAX_LATEX_WORK, task
