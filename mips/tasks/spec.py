"""Task definitions: the ``TaskSpec`` record shared by built-in and custom tasks (mips-method.md §2).

A ``TaskSpec`` is a frozen description of one sequence-to-sequence task: its alphabet, lengths,
split and three callables (sampler, vectorised labeller, naive per-sequence reference).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from mips.errors import ConfigError, check_int

SampleInputs = Callable[[np.random.Generator, int, int], np.ndarray]
ComputeOutputs = Callable[[np.ndarray], np.ndarray]
Reference = Callable[[list], list]
OutputBounds = Callable[[int], tuple[int, int]]


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskSpec:
    """One sequence-to-sequence task: inputs x_0..x_{T-1}, one label y_t per step.

    Parameters
    ----------
    name : str
        Paper name such as ``"Parity_All"`` (or the ``NAME`` of a custom task file).
    description : str
        One-line definition, e.g. ``"y_t = (x_0 + ... + x_t) mod 2"``.
    family : str
        Group of related tasks (``"addition"``, ``"parity"``, ..., ``"custom"``).
    input_dim : int
        Numbers per input step.
    input_values : tuple of int
        Allowed values of each input number (sorted, no duplicates).
    seq_len : int
        Training sequence length T.
    output_dim : int
        Numbers per output step.
    train_fraction : float
        Fraction of the sequences that go to the training split (0.9 or 0.8 in the paper).
    n_sequences : int
        Default dataset size (before de-duplication).
    paper_index : int or None
        1..62 in the paper's Table 1 order; None for variants and custom tasks.
    variant_of : str or None
        The benchmark task this one is a variant of (``"Div_3"`` for ``"Div_3_NoLag"``).
    source : str
        ``"builtin"`` or the path of the task file.
    mips_solved, gpt4_solved : bool or None
        Table B of mips-method.md; None for variants and custom tasks.
    deduplicate : bool
        Whether ``make_dataset`` removes duplicate input rows and shuffles (Previous_Equals_Current).
    sample_inputs : callable
        ``(rng, n, seq_len) -> int64 array of shape (n, seq_len, input_dim)``.
    compute_outputs : callable
        ``int64 x of shape (n, T, input_dim) -> int64 y of shape (n, T, output_dim)``, any T.
    reference : callable
        Naive per-sequence labeller with the custom-task ``target`` contract: a list of T items
        (an int each if ``input_dim == 1``, else a tuple) to a list of T items.
    output_bounds : callable or None
        ``T -> (low, high)``: every output of a length-T sequence lies in ``[low, high]``.
    """

    name: str
    description: str
    family: str
    input_dim: int
    input_values: tuple[int, ...]
    seq_len: int
    output_dim: int
    train_fraction: float
    n_sequences: int = 1_000_000
    paper_index: int | None = None
    variant_of: str | None = None
    source: str = "builtin"
    mips_solved: bool | None = None
    gpt4_solved: bool | None = None
    deduplicate: bool = False
    sample_inputs: SampleInputs = field(compare=False, repr=False)
    compute_outputs: ComputeOutputs = field(compare=False, repr=False)
    reference: Reference = field(compare=False, repr=False)
    output_bounds: OutputBounds | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        owner = "TaskSpec"
        if not isinstance(self.name, str) or not self.name:
            raise ConfigError(f"The 'name' parameter of {owner} must be a non-empty str. "
                              f"Got {self.name!r} instead.")
        check_int(owner, "input_dim", self.input_dim, 1)
        check_int(owner, "output_dim", self.output_dim, 1)
        check_int(owner, "seq_len", self.seq_len, 1)
        check_int(owner, "n_sequences", self.n_sequences, 2)
        fraction = self.train_fraction
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < fraction < 1:
            raise ConfigError(f"The 'train_fraction' parameter of {owner} must be a float in (0, 1). "
                              f"Got {fraction!r} instead.")
        values = self.input_values
        ok = (isinstance(values, tuple) and len(values) > 0
              and all(isinstance(v, int) and not isinstance(v, bool) for v in values)
              and list(values) == sorted(set(values)))
        if not ok:
            raise ConfigError(f"The 'input_values' parameter of {owner} must be a non-empty sorted "
                              f"tuple of distinct ints. Got {values!r} instead.")
        if self.paper_index is not None:
            check_int(owner, "paper_index", self.paper_index, 1, 62)
        for name in ("sample_inputs", "compute_outputs", "reference"):
            if not callable(getattr(self, name)):
                raise ConfigError(f"The '{name}' parameter of {owner} must be callable. "
                                  f"Got {getattr(self, name)!r} instead.")

    @property
    def is_benchmark(self) -> bool:
        """Whether this is one of the paper's 62 benchmark tasks."""
        return self.paper_index is not None

    def output_range(self, seq_len: int | None = None) -> tuple[int, int] | None:
        """Return ``(low, high)`` bounding every output of a sequence, or None if unknown.

        Parameters
        ----------
        seq_len : int, optional
            Sequence length; defaults to the task's ``seq_len``.
        """
        if self.output_bounds is None:
            return None
        length = self.seq_len if seq_len is None else check_int("output_range", "seq_len", seq_len, 1)
        return self.output_bounds(length)
