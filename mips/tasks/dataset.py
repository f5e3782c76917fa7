"""Dataset generation: sample inputs, label them, split train/test (mips-method.md §2.1).

Randomness comes only from ``np.random.default_rng(np.random.SeedSequence(seed))``; the same seed
gives the same dataset. The first ``int(n * train_fraction)`` rows are train, the rest test.

De-duplication (``deduplicate=True``) keeps the first occurrence of each distinct input sequence
and shuffles them before the split, so no test sequence is also a training sequence. Searches use
it whenever the task's input space is small (:func:`search_dataset`): a T = 10 binary task has
only 1,024 distinct sequences, so a million drawn ones are almost all repeats, and a test split
drawn the same way would be mostly training sequences.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mips.errors import ConfigError, check_int
from mips.tasks.registry import get_task
from mips.tasks.spec import TaskSpec

_OWNER = "make_dataset"


#: the seed of every dataset unless a caller chooses another (the shipped zoo and benchmark use it)
DATA_SEED = 42

@dataclass(frozen=True, slots=True, kw_only=True)
class Dataset:
    """Train and test splits of one task; all arrays int64 and read-only.

    Parameters
    ----------
    task : str
        Name of the task.
    seed : int
        Seed the data were generated from.
    x_train : ndarray of shape (n_train, seq_len, input_dim)
    y_train : ndarray of shape (n_train, seq_len, output_dim)
    x_test : ndarray of shape (n_test, seq_len, input_dim)
    y_test : ndarray of shape (n_test, seq_len, output_dim)
    """

    task: str
    seed: int
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def __post_init__(self) -> None:
        arrays = {"x_train": self.x_train, "y_train": self.y_train,
                  "x_test": self.x_test, "y_test": self.y_test}
        for name, a in arrays.items():
            if not isinstance(a, np.ndarray) or a.dtype != np.int64 or a.ndim != 3:
                got = f"{a.dtype} array of shape {a.shape}" if isinstance(a, np.ndarray) else type(a).__name__
                raise ConfigError(f"The '{name}' parameter of Dataset must be an int64 array with 3 "
                                  f"axes (n, seq_len, dim). Got {got} instead.")
            a.flags.writeable = False
        for split in ("train", "test"):
            x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
            if x.shape[:2] != y.shape[:2]:
                raise ConfigError(f"x_{split} and y_{split} of Dataset must agree on (n, seq_len). "
                                  f"Got {x.shape} and {y.shape} instead.")

    @property
    def n_train(self) -> int:
        """Number of training sequences."""
        return int(self.x_train.shape[0])

    @property
    def n_test(self) -> int:
        """Number of test sequences."""
        return int(self.x_test.shape[0])


def _unique_rows(x: np.ndarray) -> np.ndarray:
    """Indices of the first occurrence of each distinct row of ``x`` (n, T, d), in row order."""
    flat = x.reshape(x.shape[0], -1)
    low, high = int(flat.min()), int(flat.max())
    base = high - low + 1
    if base ** flat.shape[1] < 2 ** 62:  # encode each row as one int64 key: much faster
        weights = base ** np.arange(flat.shape[1], dtype=np.int64)
        keys = (flat - low) @ weights
        _, first = np.unique(keys, return_index=True)
    else:
        _, first = np.unique(flat, axis=0, return_index=True)
    return np.sort(first)


MAX_DATASET_NUMBERS = 250_000_000   # inputs and outputs of all sequences, checked before allocating
SMALL_INPUT_SPACE = 2 ** 24          # searches de-duplicate tasks with at most this many input sequences


def input_space_size(task: TaskSpec, seq_len: int | None = None) -> int:
    """How many distinct input sequences of length ``seq_len`` (default the task's) exist (exact int)."""
    length = task.seq_len if seq_len is None else seq_len
    return len(task.input_values) ** (task.input_dim * length)


def search_dataset(task: TaskSpec | str, n_sequences: int | None = None, seed: int = DATA_SEED) -> Dataset:
    """The dataset a network search trains on: :func:`make_dataset`, de-duplicated when the task
    has at most :data:`SMALL_INPUT_SPACE` distinct input sequences (train and test then disjoint)."""
    spec = get_task(task) if isinstance(task, str) else task
    small = isinstance(spec, TaskSpec) and input_space_size(spec) <= SMALL_INPUT_SPACE
    return make_dataset(spec, n_sequences=n_sequences, seed=seed, deduplicate=True if small else None)


def make_dataset(task: TaskSpec | str, n_sequences: int | None = None, seed: int = DATA_SEED,
                 seq_len: int | None = None, deduplicate: bool | None = None) -> Dataset:
    """Generate a task's dataset and split it into train and test.

    Parameters
    ----------
    task : TaskSpec or str
        The task, or the name of a built-in task.
    n_sequences : int, optional
        Number of sequences to draw (default: the task's ``n_sequences``, 1,000,000). Tasks with
        ``deduplicate`` keep only distinct rows, so they may return fewer.
    seed : int
        Seed of the only random generator used.
    seq_len : int, optional
        Sequence length (default: the task's ``seq_len``); used for length generalisation.
    deduplicate : bool, optional
        Keep only distinct input sequences, shuffled, so that train and test are disjoint
        (default: the task's ``deduplicate``). Fewer than ``n_sequences`` may remain.

    Returns
    -------
    Dataset
    """
    spec = get_task(task) if isinstance(task, str) else task
    if not isinstance(spec, TaskSpec):
        raise ConfigError(f"The 'task' parameter of {_OWNER} must be a TaskSpec or a task name. "
                          f"Got {task!r} of type {type(task).__name__} instead.")
    n = check_int(_OWNER, "n_sequences", spec.n_sequences if n_sequences is None else n_sequences, 2)
    length = check_int(_OWNER, "seq_len", spec.seq_len if seq_len is None else seq_len, 1)
    check_int(_OWNER, "seed", seed, 0)
    numbers = n * length * (spec.input_dim + spec.output_dim)
    if numbers > MAX_DATASET_NUMBERS:
        raise ConfigError(f"A dataset of {n:,} sequences of length {length} for task '{spec.name}' holds "
                          f"{numbers:,} numbers, more than the {MAX_DATASET_NUMBERS:,} allowed "
                          f"({MAX_DATASET_NUMBERS * 8 >> 30} GiB). Use fewer or shorter sequences.")
    rng = np.random.default_rng(np.random.SeedSequence(seed))

    x = np.ascontiguousarray(spec.sample_inputs(rng, n, length))
    if x.shape != (n, length, spec.input_dim) or x.dtype != np.int64:
        raise ConfigError(f"sample_inputs of task '{spec.name}' must return an int64 array of shape "
                          f"{(n, length, spec.input_dim)}. Got {x.dtype} of shape {x.shape} instead.")
    if deduplicate is not None and not isinstance(deduplicate, bool):
        raise ConfigError(f"The 'deduplicate' parameter of {_OWNER} must be a bool or None. "
                          f"Got {deduplicate!r} instead.")
    if spec.deduplicate if deduplicate is None else deduplicate:
        x = x[_unique_rows(x)]
        x = x[rng.permutation(x.shape[0])]
    y = np.ascontiguousarray(spec.compute_outputs(x))
    if y.shape != (x.shape[0], length, spec.output_dim) or y.dtype != np.int64:
        raise ConfigError(f"compute_outputs of task '{spec.name}' must return an int64 array of "
                          f"shape {(x.shape[0], length, spec.output_dim)}. "
                          f"Got {y.dtype} of shape {y.shape} instead.")
    n_train = int(x.shape[0] * spec.train_fraction)
    return Dataset(task=spec.name, seed=seed, x_train=x[:n_train], y_train=y[:n_train],
                   x_test=x[n_train:], y_test=y[n_train:])
