"""Registry, benchmark list, Table B columns, TaskSpec validation (mips-method.md §2.2-2.4)."""

from __future__ import annotations

import dataclasses

import pytest

from mips.errors import ConfigError, UnknownTaskError
from mips.tasks import BENCHMARK_TASKS, TaskSpec, get_task, list_tasks, resolve_task

VARIANTS = {"Div_3_NoLag": "Div_3", "Div_5_NoLag": "Div_5", "Div_7_NoLag": "Div_7",
            "Max_Seen_0_99": "Max_Seen"}


def test_benchmark_has_62_tasks_in_table_a_order() -> None:
    assert len(BENCHMARK_TASKS) == 62 == len(set(BENCHMARK_TASKS))
    assert BENCHMARK_TASKS[0] == "Binary_Addition" and BENCHMARK_TASKS[-1] == "Newton_Magnetic"
    assert BENCHMARK_TASKS[29] == "Previous_Equals_Current" and BENCHMARK_TASKS[48] == "Div_3"
    specs = list_tasks()
    assert [s.name for s in specs] == list(BENCHMARK_TASKS)
    assert [s.paper_index for s in specs] == list(range(1, 63))
    assert all(s.source == "builtin" and s.variant_of is None for s in specs)


def test_variants_come_after_the_benchmark() -> None:
    specs = list_tasks(include_variants=True)
    assert [s.name for s in specs[:62]] == list(BENCHMARK_TASKS)
    extra = specs[62:]
    assert {s.name: s.variant_of for s in extra} == VARIANTS
    assert all(s.paper_index is None and s.mips_solved is None and s.gpt4_solved is None
               for s in extra)


def test_table_b_counts() -> None:
    specs = list_tasks()
    mips = {s.name for s in specs if s.mips_solved}
    gpt4 = {s.name for s in specs if s.gpt4_solved}
    assert all(isinstance(s.mips_solved, bool) and isinstance(s.gpt4_solved, bool) for s in specs)
    assert len(mips) == 32
    assert len(gpt4) == 30
    assert len(mips & gpt4) == 19
    assert len(mips - gpt4) == 13
    assert len(gpt4 - mips) == 11
    assert len(set(BENCHMARK_TASKS) - mips - gpt4) == 19
    assert gpt4 - mips == {"Base_6_Addition", "Diff_Abs_Values", "Min_Seen", "Max_Seen",
                           "Majority_0_1", "Evens_Detector", "Bit_Palindrome", "Parity_Bits_Mod2",
                           "Alternating_Last4", "Div_3", "Dithering"}


def test_get_task_exact_then_case_insensitive() -> None:
    assert get_task("Parity_All").name == "Parity_All"
    assert get_task("parity_all") is get_task("Parity_All")
    assert get_task("DIV_3_NOLAG").name == "Div_3_NoLag"


def test_unknown_task_suggests_the_closest_name() -> None:
    message = ("Unknown task 'parity_al'. Did you mean 'Parity_All'? "
               "Run `python -m mips tasks` to list all tasks.")
    with pytest.raises(UnknownTaskError) as info:
        get_task("parity_al")
    assert str(info.value) == message
    assert isinstance(info.value, KeyError)


def test_unknown_task_without_a_close_name() -> None:
    with pytest.raises(UnknownTaskError, match=r"^Unknown task 'zzzzqqq'. Run `python -m mips "
                                               r"tasks` to list all tasks.$"):
        get_task("zzzzqqq")


def test_get_task_rejects_non_strings() -> None:
    with pytest.raises(ConfigError, match="'name' parameter of get_task must be a str. Got 3"):
        get_task(3)  # type: ignore[arg-type]


@pytest.mark.parametrize(("kwargs", "got"), [({}, "neither"),
                                             ({"name": "Prev1", "task_file": "x.py"}, "both")])
def test_resolve_task_needs_exactly_one_source(kwargs: dict, got: str) -> None:
    with pytest.raises(ConfigError, match=rf"Give exactly one of 'name' .* Got {got}."):
        resolve_task(**kwargs)


def test_resolve_task_by_name() -> None:
    assert resolve_task(name="prev1") is get_task("Prev1")
    with pytest.raises(UnknownTaskError, match="Did you mean 'Bitwise_Not'"):
        resolve_task(name="bitwise_nott")


def test_specs_are_frozen_hashable_and_compare_by_value() -> None:
    spec = get_task("Sum_Last2")
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.seq_len = 3  # type: ignore[misc]
    assert hash(spec) == hash(dataclasses.replace(spec))
    assert spec == dataclasses.replace(spec, compute_outputs=lambda x: x)  # callables not compared
    assert spec != dataclasses.replace(spec, seq_len=11)
    assert "compute_outputs" not in repr(spec)
    assert len({s for s in list_tasks(include_variants=True)}) == 66


@pytest.mark.parametrize(("change", "message"), [
    ({"seq_len": 0}, r"The 'seq_len' parameter of TaskSpec must be an int in \[1, inf\]"),
    ({"input_dim": 0}, r"The 'input_dim' parameter of TaskSpec must be an int in \[1, inf\]"),
    ({"output_dim": 1.0}, r"The 'output_dim' parameter of TaskSpec must be an int"),
    ({"train_fraction": 0.0}, r"The 'train_fraction' parameter of TaskSpec must be a float in \(0"),
    ({"train_fraction": 1.0}, r"'train_fraction' parameter of TaskSpec must be a float in \(0, 1\)\. "
                              r"Got 1\.0 instead\."),
    ({"n_sequences": 1}, r"The 'n_sequences' parameter of TaskSpec must be an int in \[2, inf\]"),
    ({"input_values": (1, 0)}, r"'input_values' parameter of TaskSpec must be a non-empty sorted"),
    ({"input_values": ()}, r"'input_values' parameter of TaskSpec must be a non-empty sorted"),
    ({"input_values": [0, 1]}, r"'input_values' parameter of TaskSpec must be a non-empty sorted"),
    ({"name": ""}, r"The 'name' parameter of TaskSpec must be a non-empty str"),
    ({"paper_index": 63}, r"The 'paper_index' parameter of TaskSpec must be an int in \[1, 62\]"),
    ({"reference": None}, r"The 'reference' parameter of TaskSpec must be callable"),
])
def test_taskspec_validation(change: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        dataclasses.replace(get_task("Parity_All"), **change)


@pytest.mark.parametrize(("name", "seq_len", "expected"), [
    ("Sum_All", None, (0, 990)), ("Sum_All", 3, (0, 297)), ("Sum_Last7", 4, (0, 396)),
    ("Evens_Counter", None, (0, 10)), ("Diff_Last2", None, (-199, 199)),
    ("Newton_Freebody", None, (-550, 550)),  # 10 * (1 + 2 + ... + 10)
    ("Newton_Gravity", None, (-605, 495)),  # accelerations in [-11, 9]
    ("Newton_Freebody", 2, (-30, 30)), ("Base_5_Addition", None, (0, 4)),
])
def test_output_range(name: str, seq_len: int | None, expected: tuple[int, int]) -> None:
    assert get_task(name).output_range(seq_len) == expected


def test_families_and_descriptions() -> None:
    for spec in list_tasks(include_variants=True):
        assert spec.description and "\n" not in spec.description
        assert spec.family in {"addition", "bitwise", "parity", "counting", "sum", "prev",
                               "difference", "extremum", "majority", "detector", "pattern",
                               "division", "modular", "dithering", "newton"}
    assert isinstance(get_task("Prev2"), TaskSpec)
