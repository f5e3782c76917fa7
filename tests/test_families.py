"""The task-family generator: deterministic, valid task files whose reference programs reproduce
their targets, and random Moore machines that are minimal with every state reachable."""

from __future__ import annotations

import dataclasses
from collections import Counter

import numpy as np
import pytest

from mips.errors import ConfigError
from mips.machine.moore import minimize
from mips.program.program import run_program
from mips.tasks import load_task_file, make_dataset
from mips.families import FAMILIES, ROLES, Reference, generate, generate_family, write_tasks
from mips.program.codegen import parse_program
from mips.families.automata import table_machine
from mips.families.compare import boolean_tricks, compare
from mips.families.truth import ground_truth_machine
from tests.system_packages import TRUST_TASK_FILES

SEEDS = (0, 1, 2)


def _reproduces(task, n_sequences: int = 600) -> bool:
    """The reference program's outputs equal the target's on the task's test split."""
    data = make_dataset(task.spec(), n_sequences=n_sequences)
    run = run_program(task.program(), data.x_test)
    return run.error is None and np.array_equal(run.outputs, data.y_test)


def test_at_least_twelve_families_spread_evenly() -> None:
    tasks = generate(2 * len(FAMILIES), seed=0)
    assert len(FAMILIES) >= 12
    assert Counter(t.family for t in tasks) == {f: 2 for f in FAMILIES}
    assert len({t.name for t in tasks}) == len(tasks)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_same_seed_same_task_other_seed_other_tasks(family: str) -> None:
    texts = [generate_family(family, i, seed=0).file_text() for i in range(4)]
    assert texts == [generate_family(family, i, seed=0).file_text() for i in range(4)]
    assert texts != [generate_family(family, i, seed=1).file_text() for i in range(4)]


def test_generated_files_pass_the_task_file_validation(tmp_path) -> None:
    tasks = [generate_family(f, 0, seed=5) for f in FAMILIES]
    paths = write_tasks(tasks, tmp_path)
    assert (tmp_path / "manifest.json").exists()
    for task in tasks:
        spec = load_task_file(paths[task.name], trust=TRUST_TASK_FILES)
        assert (spec.name, spec.input_dim, spec.input_values, spec.seq_len, spec.output_dim) == (
            task.name, task.input_dim, task.input_values, task.seq_len, task.output_dim)
        assert spec.description == task.description


@pytest.mark.parametrize("family", list(FAMILIES))
def test_reference_program_reproduces_the_target_on_its_test_split(family: str) -> None:
    for seed in SEEDS:
        task = generate_family(family, seed, seed=seed)
        assert _reproduces(task), f"{task.name} (seed {seed}):\n{task.program_source()}"
        program = task.program()
        assert task.size == program.size > 0
        assert set(task.roles) <= set(ROLES)
        assert 2 <= len(task.input_values) <= 21 and 6 <= task.seq_len <= 30


def test_a_wrong_reference_program_is_caught() -> None:
    task = generate_family("mod_sum", 0, seed=0)
    ref = task.reference
    wrong = dataclasses.replace(task, reference=dataclasses.replace(ref, initial=(1,)))
    assert _reproduces(task) and not _reproduces(wrong)


def test_size_counts_ast_nodes_as_program_size() -> None:
    task = generate_family("mod_sum", 0, seed=0)
    one = dataclasses.replace(task, input_dim=1, reference=Reference(
        state=("residue",), initial=(0,), updates=("(residue + x) % 3",), outputs=("residue",)))
    assert one.size == 6          # %, +, residue, x, 3; the output residue


def test_random_moore_machines_are_minimal_and_fully_reachable() -> None:
    sizes = set()
    for i in range(30):
        task = generate_family("moore", i, seed=3)
        n = task.params["states"]
        machine = table_machine(task.reference.next_state, task.reference.table_outputs, task.input_values)
        assert 2 <= n <= 8 and machine.n_states == n
        assert machine.reachable() == set(range(n))
        assert minimize(machine)[0].n_states == n
        assert task.size == n * len(task.input_values) + n        # the table's entries
        sizes.add(n)
    assert len(sizes) >= 4


def test_ground_truth_machine_of_a_moore_task_has_its_states() -> None:
    task = generate_family("moore", 1, seed=0)
    data = make_dataset(task.spec(), n_sequences=2000)
    machine = ground_truth_machine(task, data.x_test, data.y_test)
    outputs, defined = machine.run(data.x_test)
    assert defined.all() and np.array_equal(outputs, data.y_test)
    assert machine.n_states <= task.params["states"] + 1         # + the initial pseudo-state at most


def test_ground_truth_machine_refuses_a_reference_that_misses_the_target() -> None:
    task = generate_family("first_difference", 0, seed=0)
    blind = dataclasses.replace(task, reference=Reference(state=("order",), initial=(0,), updates=("0",),
                                                          outputs=("order",)))
    data = make_dataset(task.spec(), n_sequences=300)
    with pytest.raises(ConfigError, match="does not determine its target"):
        ground_truth_machine(blind, data.x_test, data.y_test)


def test_unknown_family_is_refused_with_the_list() -> None:
    with pytest.raises(ConfigError, match="the families are: mod_sum"):
        generate(3, families=["nope"])


@pytest.mark.parametrize("expr", ["(x != 0) == flag", "flag >= (x != 1)", "(x == 0) ^ flag", "(x > 2) * a"])
def test_boolean_tricks_are_flagged(expr: str) -> None:
    assert boolean_tricks(expr) == [expr]


def test_reference_programs_have_no_boolean_tricks_and_match_themselves() -> None:
    for task in generate(4 * len(FAMILIES), seed=0):
        if task.reference.is_table:
            continue
        program = task.program()
        assert compare(program, program).match and compare(program, program).named, task.name


def test_a_relabelled_residue_does_not_match() -> None:
    task = generate_family("mod_sum", 2, seed=0)
    ref = task.program()
    found = parse_program("def f(xs):\n    a = 0\n    ys = []\n    for x in xs:\n        a = (a + x) % 5\n"
                          "        ys.append((a + a) % 5)\n    return ys\n", task="t", input_dim=1)
    result = compare(found, dataclasses.replace(ref, inputs=("x",)))
    assert not result.direct_output and not result.match and not result.named
