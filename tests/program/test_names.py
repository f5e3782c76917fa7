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
