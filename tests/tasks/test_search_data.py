"""Search datasets (de-duplicated when the input space is small) and cached labels of slow tasks."""

from __future__ import annotations

import numpy as np
import pytest

from mips.errors import ConfigError
from mips.tasks import get_task, load_task_file, make_dataset
from mips.tasks.dataset import SMALL_INPUT_SPACE, input_space_size, search_dataset
from mips.tasks.label_cache import CachedLabels, label_progress, with_label_cache


def _rows(x: np.ndarray) -> set[bytes]:
    return {r.tobytes() for r in x.reshape(x.shape[0], -1)}


def test_small_input_space_is_deduplicated_and_split_disjoint():
    spec = get_task("Parity_All")                       # 2^10 = 1,024 possible sequences
    assert input_space_size(spec) == 1024 <= SMALL_INPUT_SPACE
    ds = search_dataset(spec, n_sequences=50_000, seed=42)
    train, test = _rows(ds.x_train), _rows(ds.x_test)
    assert len(train) == ds.n_train and len(test) == ds.n_test          # no repeats inside a split
    assert not train & test                                             # and none across
    assert ds.n_train + ds.n_test == 1024                                # 50,000 draws hit every sequence
    assert ds.n_train == int(1024 * spec.train_fraction)
    assert np.array_equal(ds.y_test, spec.compute_outputs(ds.x_test))    # labels follow their rows


def test_deduplication_is_deterministic():
    a = search_dataset("Majority_0_2", n_sequences=20_000, seed=42)
    b = search_dataset("Majority_0_2", n_sequences=20_000, seed=42)
    c = search_dataset("Majority_0_2", n_sequences=20_000, seed=43)
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.x_test, b.x_test)
    assert not np.array_equal(a.x_train, c.x_train)


def test_large_input_space_is_left_as_drawn():
    spec = get_task("Add_Mod_7")                        # 7^10 > 2^24
    assert input_space_size(spec) > SMALL_INPUT_SPACE
    a = search_dataset(spec, n_sequences=2_000, seed=5)
    b = make_dataset(spec, n_sequences=2_000, seed=5)
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.x_test, b.x_test)


def test_deduplicate_parameter_is_checked():
    with pytest.raises(ConfigError, match="'deduplicate' parameter of make_dataset must be a bool or None"):
        make_dataset("Parity_All", n_sequences=100, deduplicate="yes")


# -- cached labels --------------------------------------------------------------------------------

class Counting:
    """A labeller that records how many sequences it was asked to label."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def __call__(self, x: np.ndarray) -> np.ndarray:
        self.calls.append(x.shape[0])
        return np.cumsum(x, axis=1) % 3


def test_each_distinct_sequence_is_labelled_once_and_reused():
    inner = Counting()
    labels = CachedLabels(inner, "t", 1, low=0, base=3)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, size=(5000, 6, 1))                  # 3^6 = 729 possible: many repeats
    y = labels(x)
    assert np.array_equal(y, np.cumsum(x, axis=1) % 3)
    distinct = len(_rows(x))
    assert sum(inner.calls) == distinct == labels.labelled < 5000
    again = labels(x[::-1])                                    # every row is cached now
    assert np.array_equal(again, y[::-1]) and sum(inner.calls) == distinct
    longer = rng.integers(0, 3, size=(10, 30, 1))              # another length: its own keys
    assert np.array_equal(labels(longer), np.cumsum(longer, axis=1) % 3)
    assert sum(inner.calls) == distinct + 10


def test_labels_come_in_chunks_with_progress():
    inner = Counting()
    labels = CachedLabels(inner, "t", 1, low=0, base=10)
    x = np.random.default_rng(1).integers(0, 10, size=(3000, 8, 1))
    events = []
    with label_progress(events.append):
        labels(x)
    assert len(inner.calls) >= 2 and inner.calls[0] == 2000 // 8              # a first, measuring chunk
    assert events[0]["done"] == 0 and events[-1]["done"] == events[-1]["total"] == 3000
    assert [e["done"] for e in events] == sorted(e["done"] for e in events)
    labels(np.random.default_rng(2).integers(0, 10, size=(5, 8, 1)))           # outside the block: silent
    assert events[-1]["total"] == 3000


def test_big_one_off_calls_are_not_cached():
    inner = Counting()
    labels = CachedLabels(inner, "t", 1, low=0, base=10, max_cached_numbers=1000)
    big = np.random.default_rng(3).integers(0, 10, size=(200, 5, 1))         # 2,000 numbers > half the cache
    labels(big)
    labels(big)
    assert sum(inner.calls) == 400
    small = big[:20]
    labels(small)
    labels(small)
    assert sum(inner.calls) == 420


def test_builtin_tasks_are_not_wrapped_and_wrapping_is_idempotent(tmp_path):
    spec = get_task("Parity_All")
    assert with_label_cache(spec) is spec
    path = tmp_path / "t.py"
    path.write_text("NAME = 't'\nINPUT_DIM = 1\nINPUT_VALUES = [0, 1]\nSEQ_LEN = 4\n"
                    "def target(xs):\n    return [sum(xs[:i + 1]) % 2 for i in range(len(xs))]\n")
    custom = with_label_cache(load_task_file(path, trust=True))
    assert isinstance(custom.compute_outputs, CachedLabels) and with_label_cache(custom) is custom
    ds = make_dataset(custom, n_sequences=3000, seed=0)          # 3,000 draws, 16 distinct sequences
    assert custom.compute_outputs.labelled == 16
    assert np.array_equal(ds.y_train, np.cumsum(ds.x_train, axis=1) % 2)
