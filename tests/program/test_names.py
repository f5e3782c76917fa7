"""Variables named by what they hold on every traced step (mips.program.readable.name_variables)."""

import itertools

import numpy as np

from mips.program.codegen import parse_program
from mips.program.readable import name_variables


def named(source: str, input_dim: int, values: range, length: int = 4):
    program = parse_program(source, task="t", input_dim=input_dim)
    steps = list(itertools.product(values, repeat=input_dim))
    x = np.array(list(itertools.product(steps, repeat=length)), dtype=np.int64)
    return name_variables(program, x, tuple(values))


def test_addition_in_base_3_has_a_digit_and_a_carry():
    p = named("def f(xs):\n    a = 0\n    b = 0\n    ys = []\n    for x1, x2 in xs:\n"
              "        a, b = (b + x1 + x2) % 3, b + x1 + x2 > 2\n        ys.append(a)\n    return ys\n", 2, range(3))
    assert p.state == ("digit", "carry")
    assert "% 3" in p.comments["digit"] and "// 3" in p.comments["carry"]


def test_a_run_and_a_seen_flag():
    run = named("def f(xs):\n    a = 0\n    ys = []\n    for x in xs:\n        a = min(a + 1, 3) if x else 0\n"
                "        ys.append(a)\n    return ys\n", 1, range(2), length=6)
    assert run.state == ("run",)
    seen = named("def f(xs):\n    a = 0\n    ys = []\n    for x in xs:\n        a = 1 if x == 2 else a\n"
                 "        ys.append(a)\n    return ys\n", 1, range(3))
    assert seen.state == ("seen",)


def test_a_structural_name_stays_when_the_steps_show_nothing_more():
    p = named("def f(xs):\n    state = 0\n    ys = []\n    for x1, x2 in xs:\n"
              "        state = state if state else 2 if x1 < x2 else 1 if x1 > x2 else 0\n"
              "        ys.append(state)\n    return ys\n", 2, range(3))
    assert p.state == ("state",)


def _one(update: str, input_dim: int, values: range, length: int = 5, output: str | None = None) -> tuple:
    ins = "x" if input_dim == 1 else ", ".join(f"x{i + 1}" for i in range(input_dim))
    p = named(f"def f(xs):\n    a = 0\n    ys = []\n    for {ins} in xs:\n        a = {update}\n"
              f"        ys.append({output or 'a'})\n    return ys\n", input_dim, values, length=length)
    return p.state, p.comments[p.state[0]]


def test_counters_residues_runs_and_latches_of_any_inputs():
    # a weighted running sum mod 5 of two inputs is a residue; a counter that never wraps is not
    name, comment = _one("(a + x1 + 3 * x2) % 5", 2, range(3))
    assert name == ("residue",) and "mod 5" in comment
    assert _one("a + x1 * (x2 == 0)", 2, range(2), output="a > 2")[0] == ("count",)
    # saturating at 4, by a step that depends on the input
    name, comment = _one("min(a + x, 4)", 1, range(3))
    assert name == ("count",) and "up to 4" in comment
    # up or down by a step of the input (-1, 0, +1)
    assert _one("a + 1 if x < 2 else a if x < 3 else a - 1", 1, range(4), output="a > 0")[0] == ("count",)
    # back to 0 on one value, up by 1 on the others: a count since the last 1, not a run
    assert _one("0 if x == 1 else 4 if a == 4 else a + 1", 1, range(3))[0] == ("count",)
    # the last nonzero input: a latch
    assert _one("a if x == 0 else x", 1, range(4))[0] == ("last",)


def test_a_run_of_equal_inputs_is_a_run():
    p = named("def f(xs):\n    a = 0\n    b = 0\n    ys = []\n    for x in xs:\n"
              "        a, b = x, min(b, 2) + 1 if a == x else 1\n        ys.append(b)\n    return ys\n",
              1, range(2), length=6)
    assert p.state[1] == "run" and "current run" in p.comments["run"]
