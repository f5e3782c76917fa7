"""Dataset generation: alphabets, shapes, dtypes, splits, determinism, special samplers (§2.1-2.2)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from mips.errors import ConfigError
from mips.tasks import BENCHMARK_TASKS, Dataset, get_task, list_tasks, make_dataset

ALL_TASKS = list_tasks(include_variants=True)
IDS = [s.name for s in ALL_TASKS]


@pytest.mark.parametrize("spec", ALL_TASKS, ids=IDS)
def test_dataset_shapes_dtypes_alphabet_and_split(spec) -> None:
    n = 1000
    ds = make_dataset(spec, n_sequences=n, seed=3)
    assert isinstance(ds, Dataset) and ds.task == spec.name and ds.seed == 3
    n_train = int(n * spec.train_fraction)
    assert ds.x_train.shape == (n_train, spec.seq_len, spec.input_dim)
    assert ds.y_train.shape == (n_train, spec.seq_len, spec.output_dim)
    assert ds.x_test.shape == (n - n_train, spec.seq_len, spec.input_dim)
    assert ds.y_test.shape == (n - n_train, spec.seq_len, spec.output_dim)
    for a in (ds.x_train, ds.y_train, ds.x_test, ds.y_test):
        assert a.dtype == np.int64
        assert not a.flags.writeable
    x = np.concatenate([ds.x_train, ds.x_test])
    y = np.concatenate([ds.y_train, ds.y_test])
    assert np.isin(x, spec.input_values).all()
    low, high = spec.output_range()
    assert low <= y.min() and y.max() <= high
    np.testing.assert_array_equal(spec.compute_outputs(x), y)


@pytest.mark.parametrize("spec", ALL_TASKS, ids=IDS)
def test_same_seed_same_data_other_seed_other_data(spec) -> None:
    a = make_dataset(spec, n_sequences=300, seed=11)
    b = make_dataset(spec, n_sequences=300, seed=11)
    c = make_dataset(spec, n_sequences=300, seed=12)
    for field in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.x_train, c.x_train)


def test_uniform_inputs_use_the_whole_alphabet() -> None:
    ds = make_dataset("Perfect_Square_Detector", n_sequences=2000, seed=0)
    assert set(np.unique(ds.x_train).tolist()) == set(range(20))
    ds = make_dataset("Diff_Last2", n_sequences=2000, seed=0)
    assert ds.x_train.min() == -100 and ds.x_train.max() == 99


def test_written_arrays_are_rejected() -> None:
    ds = make_dataset("Parity_All", n_sequences=10)
    with pytest.raises(ValueError, match="read-only"):
        ds.x_train[0, 0, 0] = 1


@pytest.mark.parametrize(("name", "n_train", "n_test"), [
    ("Parity_All", 900, 100), ("Binary_Addition", 900, 100), ("Sum_Last7", 900, 100),
    ("Add_Mod_3", 800, 200), ("Div_7", 800, 200), ("Dithering", 800, 200),
    ("Newton_Magnetic", 800, 200), ("Div_3_NoLag", 800, 200), ("Max_Seen_0_99", 900, 100),
])
def test_split_fractions(name: str, n_train: int, n_test: int) -> None:
    ds = make_dataset(name, n_sequences=1000, seed=0)
    assert (ds.n_train, ds.n_test) == (n_train, n_test)


def test_paper_defaults() -> None:
    lengths = {s.name: s.seq_len for s in list_tasks()}
    assert {name for name, t in lengths.items() if t == 20} == {"Prev5", "Sum_Last5", "Sum_Last6",
                                                               "Sum_Last7"}
    assert all(s.n_sequences == 1_000_000 for s in ALL_TASKS)
    point_eight = {s.name for s in list_tasks() if s.train_fraction == 0.8}
    expected = ({f"Add_Mod_{m}" for m in range(3, 9)} | {"Div_3", "Div_5", "Div_7", "Dithering"}
                | {n for n in BENCHMARK_TASKS if n.startswith("Newton_")})
    assert point_eight == expected
    two_in = {s.name for s in list_tasks() if s.input_dim == 2}
    assert two_in == ({"Binary_Addition", "Bitwise_And", "Bitwise_Or", "Bitwise_Xor",
                       "Bit_Dot_Prod_Mod2", "Newton_Magnetic"}
                      | {f"Base_{k}_Addition" for k in range(3, 8)})
    assert [s.name for s in list_tasks() if s.output_dim == 2] == ["Newton_Magnetic"]
    assert get_task("Max_Seen").input_values == tuple(range(10))
    assert get_task("Max_Seen_0_99").input_values == tuple(range(100))
    assert get_task("Previous_Equals_Current").input_values == tuple(range(8))
    assert get_task("Newton_Spring").input_values == tuple(range(-10, 11))
    assert get_task("Abs_Diff").input_values == tuple(range(-100, 100))


def test_seq_len_override() -> None:
    ds = make_dataset("Sum_Last3", n_sequences=50, seq_len=31, seed=0)
    assert ds.x_train.shape == (45, 31, 1) and ds.y_test.shape == (5, 31, 1)
    ds = make_dataset("Newton_Magnetic", n_sequences=20, seq_len=1, seed=0)
    assert ds.y_train.shape == (16, 1, 2)
    np.testing.assert_array_equal(ds.y_train, ds.x_train)  # one step: p_0 = v_0 = a_0 = x_0


def test_smallest_dataset() -> None:
    ds = make_dataset("Parity_All", n_sequences=2)
    assert (ds.n_train, ds.n_test) == (1, 1)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"n_sequences": 1},
     r"The 'n_sequences' parameter of make_dataset must be an int in \[2, inf\]. Got 1 instead."),
    ({"n_sequences": 2.5},
     r"The 'n_sequences' parameter of make_dataset must be an int in \[2, inf\]. "
     r"Got 2.5 of type float instead."),
    ({"n_sequences": True}, r"'n_sequences' parameter of make_dataset must be an int"),
    ({"seq_len": 0},
     r"The 'seq_len' parameter of make_dataset must be an int in \[1, inf\]. Got 0 instead."),
    ({"seed": -1}, r"The 'seed' parameter of make_dataset must be an int in \[0, inf\]. Got -1"),
])
def test_make_dataset_rejects_bad_parameters(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make_dataset("Parity_All", **kwargs)


def test_make_dataset_rejects_non_task() -> None:
    with pytest.raises(ConfigError, match="'task' parameter of make_dataset must be a TaskSpec"):
        make_dataset(3)  # type: ignore[arg-type]


def test_make_dataset_checks_sampler_contract() -> None:
    spec = dataclasses.replace(get_task("Parity_All"),
                               sample_inputs=lambda rng, n, t: np.zeros((n, t), dtype=np.int64))
    with pytest.raises(ConfigError, match=r"sample_inputs of task 'Parity_All' must return an int64 "
                                          r"array of shape \(5, 10, 1\)"):
        make_dataset(spec, n_sequences=5)


# --- Bit_Palindrome: non-uniform sampling --------------------------------------------------------

def test_bit_palindrome_inputs_start_with_a_palindrome() -> None:
    ds = make_dataset("Bit_Palindrome", n_sequences=5000, seed=0)
    x = np.concatenate([ds.x_train, ds.x_test])[:, :, 0]
    longest = np.zeros(len(x), dtype=int)
    for i, row in enumerate(x.tolist()):
        longest[i] = max(m for m in range(1, 11) if row[:m] == row[:m][::-1])
    assert (longest >= 2).all()  # every prefix of length L >= 2 is a palindrome
    assert longest.max() == 10
    # L ~ U{2..10}: each of the 9 lengths is planted about 1/9 of the time, so full-length
    # palindromes are far more common than for uniform bits (2^-5 = 3%)
    assert (longest == 10).mean() > 0.09


def test_bit_palindrome_prefix_scales_with_seq_len() -> None:
    spec = get_task("Bit_Palindrome")
    x = spec.sample_inputs(np.random.default_rng(0), 3000, 20)[:, :, 0]
    full = [row == row[::-1] for row in x.tolist()]
    assert np.mean(full) > 0.03  # L = 20 drawn with probability 1/19
    assert spec.sample_inputs(np.random.default_rng(0), 5, 1).shape == (5, 1, 1)


# --- Previous_Equals_Current: de-duplicated and shuffled -----------------------------------------

def test_previous_equals_current_has_no_duplicate_rows() -> None:
    ds = make_dataset("Previous_Equals_Current", n_sequences=3000, seed=0, seq_len=4)  # 8^4 = 4096
    x = np.concatenate([ds.x_train, ds.x_test]).reshape(-1, 4)
    assert len(np.unique(x, axis=0)) == len(x)
    drawn = get_task("Previous_Equals_Current").sample_inputs(
        np.random.default_rng(np.random.SeedSequence(0)), 3000, 4)
    assert len(x) == len(np.unique(drawn.reshape(-1, 4), axis=0)) < 3000
    assert ds.n_train == int(len(x) * 0.9)
    keys = x @ (8 ** np.arange(4))
    assert not (np.diff(keys) > 0).all()  # shuffled, not left in sorted order


def test_deduplication_fallback_for_wide_rows() -> None:
    """Rows too wide to pack into one int64 key take the np.unique(axis=0) path."""
    def sampler(rng: np.random.Generator, n: int, t: int) -> np.ndarray:
        half = rng.integers(-10**6, 10**6, size=(n // 2, t, 1), dtype=np.int64)
        return np.concatenate([half, half])

    spec = dataclasses.replace(get_task("Previous_Equals_Current"), sample_inputs=sampler)
    ds = make_dataset(spec, n_sequences=400, seed=0)
    x = np.concatenate([ds.x_train, ds.x_test]).reshape(-1, 10)
    assert len(x) == 200 and len(np.unique(x, axis=0)) == 200
