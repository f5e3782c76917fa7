"""Programs from strangers, second round (issue 22): ``mips verify --program`` reads only a bounded regular
file, and a program's size is bounded in work (state variables, states x sequences x steps, formula
operations, temporary arrays), with one set of bounds shared by the workbench's edit path."""

from __future__ import annotations

import itertools
import keyword
import os
import string
import tracemalloc

import numpy as np
import pytest

from mips.cli.main import main
from mips.errors import ConfigError
from mips.program import limits
from mips.program.codegen import ProgramSyntaxError, parse_program
from mips.program.program import run_program

NAMES = [n for n in ("".join(t) for k in (1, 2, 3) for t in itertools.product(string.ascii_lowercase, repeat=k))
         if n not in {"x", "xs", "ys", "f", "abs", "max", "min"} and not keyword.iskeyword(n)][:1500]
MANY_STATES = ("def f(xs):\n    " + ",".join(NAMES) + " = " + ",".join("0" for _ in NAMES) + "\n    ys = []\n"
               "    for x in xs:\n        " + ",".join(NAMES) + " = " + ",".join(NAMES[1:] + ["x"]) + "\n"
               "        ys.append(a)\n    return ys\n")
MAX_200 = ("def f(xs):\n    a = 0\n    ys = []\n    for x in xs:\n        a = a + x\n"
           f"        ys.append(max({', '.join(str(i) for i in range(200))}) - 199 + a)\n    return ys\n")


def _program(source: str):
    return parse_program(source, task="Parity_All", input_dim=1)


@pytest.mark.parametrize("kind", ["fifo", "device", "folder", "too large"])
def test_verify_reads_only_a_bounded_regular_file(tmp_path, capsys, kind):
    if kind == "fifo":
        path = tmp_path / "p.py"
        os.mkfifo(path)                       # opening it must not wait for a writer
    elif kind == "device":
        path = "/dev/zero"                    # reading it must not be endless
    elif kind == "folder":
        path = tmp_path
    else:
        path = tmp_path / "big.py"
        path.write_text("# " + "x" * limits.MAX_PROGRAM_CHARS + "\n")
    assert main(["verify", "--task", "Parity_All", "--program", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    expected = "larger than 20,000 bytes, the limit" if kind == "too large" else "is not a regular file"
    assert expected in err and err.count("\n") == 0 and str(tmp_path) not in err


def test_the_workbench_and_the_command_line_share_one_bound():
    from workbench.program_edit import MAX_SOURCE_CHARS
    assert MAX_SOURCE_CHARS == limits.MAX_PROGRAM_CHARS


def test_too_many_state_variables_are_refused_while_parsing():
    assert len(MANY_STATES) <= limits.MAX_PROGRAM_CHARS     # short enough to pass the size bound
    with pytest.raises(ProgramSyntaxError, match=r"^line 2: the program has more than 64 state variables, the "
                                                 r"limit; use fewer state variables\.$"):
        _program(MANY_STATES)


def test_states_times_sequences_times_steps_is_bounded_before_allocating():
    names = NAMES[:limits.MAX_STATE_VARIABLES]
    source = MANY_STATES.replace(",".join(NAMES[1:] + ["x"]), ",".join(names[1:] + ["x"]))
    source = source.replace(",".join(NAMES), ",".join(names)).replace(",".join("0" for _ in NAMES),
                                                                      ",".join("0" for _ in names))
    program = _program(source)
    x = np.zeros((100_000, 50, 1), dtype=np.int64)          # 100,000 x 51 x 65 = 331 million numbers
    tracemalloc.start()
    try:
        with pytest.raises(ConfigError, match=r"need 331,500,000 numbers; the limit is 96,000,000 \(states x "
                                              r"sequences x steps\)\. Use fewer state variables\."):
            run_program(program, x)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 << 20


def test_formula_work_is_bounded():
    program = _program(MAX_200)
    x = np.zeros((2_000_000, 10, 1), dtype=np.int64)
    with pytest.raises(ConfigError, match=r"operations, and the limit is 4,000,000,000\. Write shorter formulas\."):
        run_program(program, x)


def test_a_formula_of_many_constants_is_evaluated_in_bounded_memory():
    program = _program(MAX_200)
    x = np.random.default_rng(0).integers(0, 4, size=(300_000, 10, 1))
    tracemalloc.start()
    try:
        run = run_program(program, x)          # at once: 200 arrays of 300,000 numbers = 480 MB
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 150 << 20, peak
    assert np.array_equal(run.outputs[..., 0], np.cumsum(x[..., 0], axis=1))


def test_chunked_evaluation_gives_the_same_run(monkeypatch):
    source = ("def f(xs):\n    a, b = 0, 1\n    ys = []\n    for x in xs:\n        a, b = (a + x * b) % 7, "
              "max(b, x, 2) - min(a, 1)\n        ys.append(a * b % 5)\n    return ys\n")
    program = _program(source)
    x = np.random.default_rng(1).integers(0, 4, size=(257, 9, 1))
    whole = run_program(program, x)
    monkeypatch.setattr(limits, "CHUNK_VALUES", 50)
    assert limits.chunk_size(25, 257) == 2
    chunked = run_program(program, x)
    assert np.array_equal(whole.outputs, chunked.outputs) and np.array_equal(whole.states, chunked.states)
    for s in range(0, 257, 37):                          # and a loop written here agrees
        a, b = 0, 1
        for t in range(9):
            v = int(x[s, t, 0])
            a, b = (a + v * b) % 7, max(b, v, 2) - min(a, 1)
            assert chunked.outputs[s, t, 0] == a * b % 5
