"""Generated source vs the vectorised runner (differential), parsing edited programs back."""

import numpy as np
import pytest

from mips.program.codegen import (
    ProgramSyntaxError,
    parse_program,
    to_latex,
    to_source,
    to_sympy,
)
from mips.program.program import Program, run_program
from mips.regression.formula import Formula


def adder() -> Program:
    return Program(task="Binary_Addition", kind="symbolic", method="test", inputs=("x1", "x2"),
                   state=("a", "b"), initial=(0, 0),
                   updates=(Formula(expr="b ^ x1 ^ x2", method="t"), Formula(expr="b + x1 + x2 > 1", method="t")),
                   outputs=(Formula(expr="a", method="t"),), comments={"a": "sum bit", "b": "carry"})


def exec_source(source: str, x: np.ndarray) -> np.ndarray:
    namespace: dict = {}
    exec(compile(source, "<generated>", "exec"), namespace)       # trusted: our own generated code
    f = namespace["f"]
    rows = []
    for seq in x.tolist():
        xs = [tuple(step) if len(step) > 1 else step[0] for step in seq]
        rows.append([[int(v)] if not isinstance(v, tuple) else list(v) for v in f(xs)])
    return np.array(rows, dtype=np.int64)


def test_source_runs_like_the_vectorised_program():
    prog = adder()
    x = np.random.default_rng(0).integers(0, 2, (200, 10, 2))
    np.testing.assert_array_equal(exec_source(to_source(prog), x), run_program(prog, x).outputs)


def test_source_is_clean():
    src = to_source(adder())
    assert "a, b = b ^ x1 ^ x2, b + x1 + x2 > 1" in src
    assert "a = 0  # sum bit" in src and "for x1, x2 in xs:" in src
    compile(src, "<generated>", "exec")


def test_independent_counters_get_a_line_each_and_mean_the_same():
    counts = Program(task="Majority_0_2", kind="symbolic", method="test", inputs=("x",),
                     state=("count0", "count1", "count2"), initial=(0, 0, 0),
                     updates=tuple(Formula(expr=f"count{v} + 1 if x == {v} else count{v}", method="t")
                                   for v in range(3)),
                     outputs=(Formula(expr="0 if count0 >= max(count1, count2) else 1 if count1 >= count2 else 2",
                                      method="t"),))
    src = to_source(counts)
    assert "        count1 = count1 + 1 if x == 1 else count1\n" in src and "count0, count1" not in src
    x = np.random.default_rng(4).integers(0, 3, (200, 10, 1))
    np.testing.assert_array_equal(exec_source(src, x), run_program(counts, x).outputs)
    back = parse_program(src, task="Majority_0_2", input_dim=1)                # edits read it back
    np.testing.assert_array_equal(run_program(back, x).outputs, run_program(counts, x).outputs)
    # updates that read each other keep the simultaneous assignment
    shift = Program(task="Sum_Last2", kind="symbolic", method="test", inputs=("x",), state=("last1", "last2"),
                    initial=(0, 0), updates=(Formula(expr="x", method="t"), Formula(expr="last1", method="t")),
                    outputs=(Formula(expr="last1 + last2", method="t"),))
    assert "last1, last2 = x, last1" in to_source(shift)


def test_table_program_source_runs():
    prog = Program(task="Parity_All", kind="table", method="table", inputs=("x",), state=("s",), initial=(0,),
                   transitions={(0, (0,)): 0, (0, (1,)): 1, (1, (0,)): 1, (1, (1,)): 0},
                   table_outputs={0: (0,), 1: (1,)})
    x = np.random.default_rng(1).integers(0, 2, (50, 10, 1))
    out = exec_source(to_source(prog), x)
    np.testing.assert_array_equal(out, run_program(prog, x).outputs)
    np.testing.assert_array_equal(out[..., 0], np.cumsum(x[..., 0], axis=1) % 2)


def test_parse_round_trip():
    prog = adder()
    back = parse_program(to_source(prog), task=prog.task, input_dim=2)
    assert back.state == prog.state and back.initial == prog.initial
    x = np.random.default_rng(2).integers(0, 2, (100, 10, 2))
    np.testing.assert_array_equal(run_program(back, x).outputs, run_program(prog, x).outputs)


def test_parse_sequential_updates_compose():
    src = "def f(xs):\n    a = 0\n    b = 0\n    ys = []\n    for x in xs:\n        b = a\n        a = x\n        ys.append(a + b)\n    return ys\n"
    prog = parse_program(src, task="Sum_Last2", input_dim=1)
    x = np.random.default_rng(3).integers(0, 10, (30, 10, 1))
    expected = x[..., 0] + np.concatenate([np.zeros((30, 1), int), x[:, :-1, 0]], axis=1)
    np.testing.assert_array_equal(run_program(prog, x).outputs[..., 0], expected)


BAD = [
    ("import os\ndef f(xs):\n    return xs\n", "line 1: imports are not allowed"),
    ("def f(xs):\n    a = 0\n    ys = []\n    for x in xs:\n        a = ().__class__\n        ys.append(a)\n    return ys\n",
     "line 5: attribute access '.__class__'"),
    ("def f(xs):\n    a = 0\n    ys = []\n    for x in xs:\n        a = __import__('os').system('true')\n        ys.append(a)\n    return ys\n",
     "line 5: attribute access '.system'"),
    ("def f(xs):\n    a = 0\n    ys = []\n    for x in xs:\n        a = open('x')\n        ys.append(a)\n    return ys\n",
     "line 5: a call to 'open' is not allowed"),
    ("def f(xs):\n    a = 0\n    ys = []\n    for x in xs:\n        a = eval('1')\n        ys.append(a)\n    return ys\n",
     "line 5: a call to 'eval' is not allowed"),
    ("def f(xs):\n    a = 0\n    ys = []\n    for x in xs\n        ys.append(a)\n    return ys\n", "line 4: syntax error"),
    ("def f(xs):\n    a = 0\n    ys = []\n    for x in xs:\n        while True:\n            a = 1\n        ys.append(a)\n    return ys\n",
     "line 5: 'While' is not allowed in the loop"),
    ("def f(xs):\n    a = 0\n    ys = []\n    for x in xs:\n        a = q + 1\n        ys.append(a)\n    return ys\n",
     "line 5: unknown name 'q'"),
    ("def f(xs):\n    a = 'z'\n    ys = []\n    for x in xs:\n        ys.append(a)\n    return ys\n",
     "line 2: the initial value of 'a' must be an integer"),
    ("def f(xs):\n    ys = []\n    for x1, x2 in xs:\n        ys.append(x1)\n    return ys\n",
     "line 3: the task has 1 input number"),
    ("", "The program is empty"),
]


@pytest.mark.parametrize("source, message", BAD, ids=[m for _, m in BAD])
def test_bad_programs_get_a_message_with_the_line(source, message):
    with pytest.raises(ProgramSyntaxError, match=message):
        parse_program(source, task="t", input_dim=1)


def test_sympy_and_latex_views():
    views = to_sympy(adder())
    assert set(views) == {"a'", "b'", "y"}
    tex = to_latex(adder())
    assert "a_{t}" in tex and "b_{t-1}" in tex


def _two_outputs() -> Program:
    return Program(task="Xor_Carry", kind="symbolic", method="test", inputs=("x1", "x2"), state=("carry",),
                   initial=(0,), updates=(Formula(expr="carry + x1 + x2 > 1", method="t"),),
                   outputs=(Formula(expr="x1 ^ x2 ^ carry", method="t"), Formula(expr="carry", method="t")))


def test_latex_of_a_two_output_program_has_one_subscript_per_symbol():
    """`y_1_{t}` is a KaTeX error (double subscript): outputs are y_{1,t}, inputs x_{1,t}."""
    import re
    tex = to_latex(_two_outputs())
    assert tex.startswith("\\begin{aligned}") and tex.endswith("\\end{aligned}")
    lines = tex.splitlines()[1:-1]
    assert [line.split(" &= ")[0] for line in lines] == [r"\mathit{carry}_{t}", "y_{1,t}", "y_{2,t}"]
    assert "x_{1,t} \\oplus x_{2,t} \\oplus \\mathit{carry}_{t}" in lines[1]
    assert r"\mathit{carry}_{t-1} + x_{1,t} + x_{2,t} > 1" in lines[0]
    # no symbol carries two subscripts: every '_' opens a brace and is not preceded by a closing one
    assert not re.search(r"_\{[^}]*\}_", tex) and not re.search(r"_[^{]", tex.replace("\\_", ""))


def test_latex_of_an_edited_program_with_long_names_and_bit_operators():
    prog = parse_program("def f(xs):\n    carry_in = 0\n    ys = []\n    for x in xs:\n"
                         "        carry_in = (carry_in & x) | (x ^ 1)\n        ys.append(carry_in)\n    return ys\n",
                         task="t", input_dim=1)
    tex = to_latex(prog)
    assert r"\mathit{carry\_in}_{t} &= " in tex
    assert r"\left(\mathit{carry\_in}_{t-1} \mathbin{\&} x_{t}\right) \mathbin{|} \left(x_{t} \oplus 1\right)" in tex


def test_an_edit_whose_lines_read_each_other_keeps_its_meaning_when_written_back():
    # sequential lines: `a = a + b` reads the b of this step, so the lines are not independent and
    # the source written back must be one simultaneous assignment with the composed values
    src = ("def f(xs):\n    a = 0\n    b = 0\n    ys = []\n    for x in xs:\n"
           "        a = a + 1 if x == 0 else a\n        b = b + 1 if x == 1 else b\n        a = a + b\n"
           "        ys.append(a)\n    return ys\n")
    prog = parse_program(src, task="Majority_0_1", input_dim=1)
    back = to_source(prog)
    assert "a, b = " in back
    x = np.random.default_rng(5).integers(0, 2, (100, 10, 1))
    namespace: dict = {}
    exec(compile(src, "<edited>", "exec"), namespace)               # trusted: the test's own source
    expected = np.array([[[v] for v in namespace["f"](list(seq[:, 0]))] for seq in x], dtype=np.int64)
    np.testing.assert_array_equal(exec_source(back, x), expected)
    deep = "x"
    for _ in range(300):                                             # a hostile nesting depth
        deep = f"max({deep}, a)"
    with pytest.raises(ProgramSyntaxError, match="line 8: .*nested"):
        parse_program(src.replace("a = a + b", "a = " + deep), task="Majority_0_1", input_dim=1)
