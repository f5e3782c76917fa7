"""Custom task files: the contract, every rule's error message, and the example files."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from mips.errors import TaskFileError
from mips.tasks import get_task, make_dataset
from mips.tasks import load_task_file as _load_task_file
from mips.tasks import resolve_task as _resolve_task
from tests.system_packages import TRUST_TASK_FILES


# The contract (names, types, shapes, messages) needs no isolation: where the host has none, these
# tests go through the trusted path; the attacks that need isolation are in tests/hardening.
def load_task_file(path, **kwargs):
    return _load_task_file(path, trust=TRUST_TASK_FILES, **kwargs)


def resolve_task(**kwargs):
    return _resolve_task(trust=TRUST_TASK_FILES, **kwargs)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "assets" / "tasks"

DEFAULTS = {
    "NAME": '"my_task"',
    "INPUT_DIM": "1",
    "INPUT_VALUES": "[0, 1]",
    "SEQ_LEN": "10",
    "OUTPUT_DIM": None,
    "target": "def target(xs):\n    return [x for x in xs]\n",
}


def write_task(tmp_path: Path, filename: str = "task.py", **overrides: str | None) -> Path:
    """Write a task file from DEFAULTS; an override of None leaves that definition out."""
    parts = {**DEFAULTS, **overrides}
    lines = []
    for key in ("NAME", "INPUT_DIM", "INPUT_VALUES", "SEQ_LEN", "OUTPUT_DIM"):
        if parts[key] is not None:
            lines.append(f"{key} = {parts[key]}\n")
    if parts["target"] is not None:
        lines.append(parts["target"])
    path = tmp_path / filename
    path.write_text("".join(lines))
    return path


# --- valid files --------------------------------------------------------------------------------

def test_minimal_valid_file(tmp_path: Path) -> None:
    path = write_task(tmp_path)
    spec = load_task_file(path)
    assert (spec.name, spec.family, spec.input_dim, spec.input_values, spec.seq_len,
            spec.output_dim, spec.train_fraction, spec.source) == (
        "my_task", "custom", 1, (0, 1), 10, 1, 0.9, str(path))
    assert spec.paper_index is None and spec.mips_solved is None and spec.gpt4_solved is None
    assert spec.output_range() is None
    ds = make_dataset(spec, n_sequences=50, seed=0)
    np.testing.assert_array_equal(ds.x_train, ds.y_train)
    assert ds.x_train.shape == (45, 10, 1) and ds.y_test.dtype == np.int64


def test_loading_leaves_no_module_behind(tmp_path: Path) -> None:
    before = set(sys.modules)
    load_task_file(write_task(tmp_path))
    assert set(sys.modules) == before


def test_custom_task_may_reuse_a_builtin_name(tmp_path: Path) -> None:
    spec = load_task_file(write_task(tmp_path, NAME='"Parity_All"'))
    assert spec.name == "Parity_All" and spec.family == "custom"
    assert spec != get_task("Parity_All")
    assert get_task("Parity_All").family == "parity"  # the registry is untouched


def test_resolve_task_from_file(tmp_path: Path) -> None:
    path = write_task(tmp_path)
    assert resolve_task(task_file=str(path)).name == "my_task"


def test_numpy_ints_and_bools_are_coerced(tmp_path: Path) -> None:
    target = ("import numpy as np\n"
              "def target(xs):\n"
              "    return [np.int64(x) if i % 2 else bool(x) for i, x in enumerate(xs)]\n")
    spec = load_task_file(write_task(tmp_path, target=target, INPUT_VALUES="(1, 0)"))
    assert spec.input_values == (0, 1)
    x = np.array([[[1], [0], [1]]], dtype=np.int64)
    assert spec.compute_outputs(x).tolist() == [[[1], [0], [1]]]
    assert spec.reference([1, 1]) == [1, 1] and type(spec.reference([1, 1])[0]) is int


def test_running_max3_example() -> None:
    spec = load_task_file(EXAMPLES / "running_max3.py")
    assert (spec.name, spec.input_values, spec.seq_len) == ("Running_Max3", tuple(range(10)), 10)
    x = np.array([[[3], [1], [0], [0], [7], [2]]], dtype=np.int64)
    assert spec.compute_outputs(x)[0, :, 0].tolist() == [3, 3, 3, 1, 7, 7]
    ds = make_dataset(spec, n_sequences=200, seed=1)
    assert ds.y_train.max() <= 9 and ds.x_train.shape == (180, 10, 1)


def test_xor_carry_example_has_tuple_inputs_and_outputs() -> None:
    spec = load_task_file(EXAMPLES / "two_input_xor_carry.py")
    assert (spec.input_dim, spec.output_dim) == (2, 2)
    # 3 + 1 = 4: LSB first (1,1),(1,0),(0,0) -> sums 0,0,1 and carries 1,1,0
    x = np.array([[[1, 1], [1, 0], [0, 0]]], dtype=np.int64)
    assert spec.compute_outputs(x)[0].tolist() == [[0, 1], [0, 1], [1, 0]]
    assert spec.reference([(1, 1), (1, 0), (0, 0)]) == [(0, 1), (0, 1), (1, 0)]
    ds = make_dataset(spec, n_sequences=100, seed=0)
    np.testing.assert_array_equal(ds.y_train[:, :, 0], get_task("Binary_Addition").compute_outputs(
        ds.x_train)[:, :, 0])


def test_example_files_agree_with_their_targets() -> None:
    for path in sorted(EXAMPLES.glob("*.py")):
        spec = load_task_file(path)
        ds = make_dataset(spec, n_sequences=100, seed=2)
        for xs, ys in zip(ds.x_test.tolist(), ds.y_test.tolist()):
            items = [v[0] if spec.input_dim == 1 else tuple(v) for v in xs]
            outs = [v[0] if spec.output_dim == 1 else tuple(v) for v in ys]
            assert spec.reference(items) == outs


# --- every rule of the contract -----------------------------------------------------------------

def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.py"
    with pytest.raises(TaskFileError, match=r"Task file '.*nope\.py' does not exist\."):
        load_task_file(path)


def test_not_a_python_file(tmp_path: Path) -> None:
    path = write_task(tmp_path, filename="task.txt")
    with pytest.raises(TaskFileError, match=r"Task file '.*task\.txt' must be a Python file ending "
                                            r"in '\.py'\."):
        load_task_file(path)


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    (tmp_path / "dir.py").mkdir()
    with pytest.raises(TaskFileError, match=r"dir\.py' is not a file\."):
        load_task_file(tmp_path / "dir.py")


def test_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write_task(tmp_path, target="def target(xs)\n    return xs\n")
    with pytest.raises(TaskFileError, match=r"Task file '.*task\.py' has a syntax error at line 5"):
        load_task_file(path)


def test_exception_at_import_names_the_line(tmp_path: Path) -> None:
    path = write_task(tmp_path, target="x = 1\ny = x / 0\ndef target(xs):\n    return xs\n")
    with pytest.raises(TaskFileError, match=r"task\.py' raised ZeroDivisionError: division by zero "
                                            r"\(line 6\) while being imported\."):
        load_task_file(path)


def test_sys_exit_at_import_is_reported(tmp_path: Path) -> None:
    path = write_task(tmp_path, target="import sys\nsys.exit(3)\n")
    with pytest.raises(TaskFileError, match=r"raised SystemExit: 3 \(line 6\) while being imported"):
        load_task_file(path)


@pytest.mark.parametrize(("value", "message"), [
    (None, r"task\.py' must define NAME, a non-empty str"),
    ('""', r"NAME must be a non-empty identifier-like str .* Got '' instead\."),
    ("3", r"NAME must be a non-empty identifier-like str .* Got 3 instead\."),
    ('"my task"', r"NAME must be a non-empty identifier-like str .* Got 'my task' instead\."),
    ('"1st"', r"NAME must be a non-empty identifier-like str"),
])
def test_name_rule(tmp_path: Path, value: str | None, message: str) -> None:
    with pytest.raises(TaskFileError, match=message):
        load_task_file(write_task(tmp_path, NAME=value))


@pytest.mark.parametrize("rule", ["INPUT_DIM", "SEQ_LEN", "OUTPUT_DIM"])
@pytest.mark.parametrize("value", ["0", "-2", "1.0", "True", '"3"'])
def test_positive_int_rules(tmp_path: Path, rule: str, value: str) -> None:
    with pytest.raises(TaskFileError, match=rf"task\.py': {rule} must be an int in \[1, \d+\]\. Got "):
        load_task_file(write_task(tmp_path, **{rule: value}))


@pytest.mark.parametrize("rule", ["INPUT_DIM", "SEQ_LEN"])
def test_required_int_rules(tmp_path: Path, rule: str) -> None:
    with pytest.raises(TaskFileError, match=rf"task\.py' must define {rule}, an int in \[1, \d+\]\."):
        load_task_file(write_task(tmp_path, **{rule: None}))


def test_output_dim_is_optional(tmp_path: Path) -> None:
    assert load_task_file(write_task(tmp_path, OUTPUT_DIM=None)).output_dim == 1


@pytest.mark.parametrize(("value", "message"), [
    (None, r"must define INPUT_VALUES, a non-empty list of ints\."),
    ("[]", r"INPUT_VALUES must be a non-empty list or tuple of at most 1024 distinct ints \(no bools\)\. Got \[\]"),
    ('"01"', r"INPUT_VALUES must be a non-empty list or tuple .* Got '01' instead\."),
    ("range(2)", r"INPUT_VALUES must be a non-empty list or tuple .* Got range\(0, 2\) instead\."),
    ("[0, True]", r"INPUT_VALUES must .* Got the item True of type bool\."),
    ("[0, 1.5]", r"INPUT_VALUES must .* Got the item 1.5 of type float\."),
    ("[0, 1, 0, 1]", r"INPUT_VALUES must .* Got duplicates \[0, 1\]\."),
])
def test_input_values_rule(tmp_path: Path, value: str | None, message: str) -> None:
    with pytest.raises(TaskFileError, match=message):
        load_task_file(write_task(tmp_path, INPUT_VALUES=value))


def test_target_missing(tmp_path: Path) -> None:
    with pytest.raises(TaskFileError, match=r"task\.py' must define a function target\(xs\)"):
        load_task_file(write_task(tmp_path, target=None))


def test_target_not_callable(tmp_path: Path) -> None:
    with pytest.raises(TaskFileError, match=r"target must be a callable target\(xs\)\. Got list"):
        load_task_file(write_task(tmp_path, target="target = [0, 1]\n"))


def test_target_raising_names_the_input_and_exception(tmp_path: Path) -> None:
    target = "def target(xs):\n    raise ValueError('boom')\n"
    with pytest.raises(TaskFileError, match=r"task\.py': target\(xs\) raised ValueError: boom "
                                            r"\(line 6\) for xs = \[[01], [01], "):
        load_task_file(write_task(tmp_path, target=target))


@pytest.mark.parametrize(("body", "message"), [
    ("tuple(xs)", r"target\(xs\) must return a list\. Got tuple for xs = \["),
    ("None", r"target\(xs\) must return a list\. Got NoneType"),
    ("list(xs)[:-1]", r"must return a list of the same length as xs \(10\)\. Got length 9 for xs"),
    ("[float(x) for x in xs]",
     r"each item returned by target\(xs\) must be an int\. Got [01]\.0 of type float at position 0"),
    ("[str(x) for x in xs]", r"must be an int\. Got '[01]' of type str at position 0"),
    ("[(x,) for x in xs]", r"must be an int\. Got \([01],\) of type tuple at position 0"),
    ("[10**30 for x in xs]", r"must be an int\. Got 1000000000000000000000000000000 of type int"),
])
def test_target_result_rules(tmp_path: Path, body: str, message: str) -> None:
    target = f"def target(xs):\n    return {body}\n"
    with pytest.raises(TaskFileError, match=message):
        load_task_file(write_task(tmp_path, target=target))


@pytest.mark.parametrize(("body", "message"), [
    ("[a for a, b in xs]", r"must be a tuple of OUTPUT_DIM=2 ints\. Got [01] of type int at "
                           r"position 0 for xs = \[\([01], [01]\), "),
    ("[(a, b, a) for a, b in xs]", r"must be a tuple of OUTPUT_DIM=2 ints\. Got \([01], [01], [01]\)"),
    ("[[a, b] for a, b in xs]", r"must be a tuple of OUTPUT_DIM=2 ints\. Got \[[01], [01]\] of type list"),
    ("[(a, 0.5) for a, b in xs]", r"must be a tuple of OUTPUT_DIM=2 ints\. Got \([01], 0\.5\)"),
])
def test_target_tuple_result_rules(tmp_path: Path, body: str, message: str) -> None:
    target = f"def target(xs):\n    return {body}\n"
    path = write_task(tmp_path, INPUT_DIM="2", OUTPUT_DIM="2", target=target)
    with pytest.raises(TaskFileError, match=message):
        load_task_file(path)


def test_tuple_inputs_reach_target(tmp_path: Path) -> None:
    target = ("def target(xs):\n"
              "    assert all(type(x) is tuple and len(x) == 3 for x in xs)\n"
              "    return [(a * b, c) for a, b, c in xs]\n")
    spec = load_task_file(write_task(tmp_path, INPUT_DIM="3", OUTPUT_DIM="2", target=target,
                                     INPUT_VALUES="[-1, 5]"))
    ds = make_dataset(spec, n_sequences=30, seed=0)
    x, y = ds.x_train, ds.y_train
    np.testing.assert_array_equal(y[:, :, 0], x[:, :, 0] * x[:, :, 1])
    np.testing.assert_array_equal(y[:, :, 1], x[:, :, 2])
    assert set(np.unique(x).tolist()) == {-1, 5}


def test_errors_after_loading_are_task_file_errors(tmp_path: Path) -> None:
    """A target that only works at SEQ_LEN fails cleanly on other lengths, naming the input."""
    target = "def target(xs):\n    if len(xs) != 10:\n        raise IndexError('short')\n    return xs\n"
    spec = load_task_file(write_task(tmp_path, target=target))
    with pytest.raises(TaskFileError, match=r"target\(xs\) raised IndexError: short \(line 7\) "
                                            r"for xs = \[[01], [01], [01]\]\."):
        make_dataset(spec, n_sequences=5, seq_len=3)
