"""The paper's benchmark list and results columns (mips-method.md §2.2 Table A, §2.4 Table B).

``builtin`` builds a built-in ``TaskSpec`` and fills its paper fields (index, MIPS / GPT-4 solved)
from the tables below, so the per-family definition modules only state semantics.
"""

from __future__ import annotations

from collections.abc import Sequence

from mips.tasks._vec import uniform_sampler
from mips.tasks.spec import ComputeOutputs, OutputBounds, Reference, SampleInputs, TaskSpec

#: The 62 benchmark tasks in the paper's Table 1 order (= Table A of mips-method.md).
BENCHMARK_TASKS: tuple[str, ...] = (
    "Binary_Addition", "Base_3_Addition", "Base_4_Addition", "Base_5_Addition",
    "Base_6_Addition", "Base_7_Addition", "Bitwise_Xor", "Bitwise_Or", "Bitwise_And",
    "Bitwise_Not", "Parity_Last2", "Parity_Last3", "Parity_Last4", "Parity_All", "Parity_Zeros",
    "Evens_Counter", "Sum_All", "Sum_Last2", "Sum_Last3", "Sum_Last4", "Sum_Last5", "Sum_Last6",
    "Sum_Last7", "Current_Number", "Prev1", "Prev2", "Prev3", "Prev4", "Prev5",
    "Previous_Equals_Current", "Diff_Last2", "Abs_Diff", "Abs_Current", "Diff_Abs_Values",
    "Min_Seen", "Max_Seen", "Majority_0_1", "Majority_0_2", "Majority_0_3", "Evens_Detector",
    "Perfect_Square_Detector", "Bit_Palindrome", "Balanced_Parenthesis", "Parity_Bits_Mod2",
    "Alternating_Last3", "Alternating_Last4", "Bit_Shift_Right", "Bit_Dot_Prod_Mod2", "Div_3",
    "Div_5", "Div_7", "Add_Mod_3", "Add_Mod_4", "Add_Mod_5", "Add_Mod_6", "Add_Mod_7",
    "Add_Mod_8", "Dithering", "Newton_Freebody", "Newton_Gravity", "Newton_Spring",
    "Newton_Magnetic",
)

#: Table B "MIPS solved (inferred)": 32 tasks.
MIPS_SOLVED: frozenset[str] = frozenset({
    "Binary_Addition", "Bitwise_Xor", "Bitwise_Or", "Bitwise_And", "Bitwise_Not", "Parity_Last2",
    "Parity_Last3", "Parity_All", "Parity_Zeros", "Sum_All", "Sum_Last2", "Sum_Last3", "Sum_Last4",
    "Sum_Last5", "Sum_Last6", "Sum_Last7", "Current_Number", "Prev1", "Prev2", "Prev3", "Prev4",
    "Prev5", "Previous_Equals_Current", "Diff_Last2", "Abs_Diff", "Abs_Current",
    "Bit_Shift_Right", "Bit_Dot_Prod_Mod2", "Add_Mod_3", "Newton_Freebody", "Newton_Gravity",
    "Newton_Spring",
})

#: Table B "GPT-4 solved (csv)", partial successes included: 30 tasks.
GPT4_SOLVED: frozenset[str] = frozenset({
    "Base_6_Addition", "Bitwise_Xor", "Bitwise_Or", "Bitwise_And", "Bitwise_Not", "Parity_Last2",
    "Sum_All", "Sum_Last4", "Sum_Last5", "Sum_Last6", "Sum_Last7", "Current_Number", "Prev1",
    "Prev2", "Prev3", "Prev4", "Prev5", "Abs_Current", "Diff_Abs_Values", "Min_Seen", "Max_Seen",
    "Majority_0_1", "Evens_Detector", "Bit_Palindrome", "Parity_Bits_Mod2", "Alternating_Last4",
    "Bit_Shift_Right", "Div_3", "Add_Mod_3", "Dithering",
})

_INDEX = {name: i + 1 for i, name in enumerate(BENCHMARK_TASKS)}


def builtin(name: str, description: str, family: str, values: Sequence[int],
            compute: ComputeOutputs, reference: Reference, *, bounds: OutputBounds,
            input_dim: int = 1, output_dim: int = 1, seq_len: int = 10,
            train_fraction: float = 0.9, sampler: SampleInputs | None = None,
            variant_of: str | None = None, deduplicate: bool = False) -> TaskSpec:
    """Build a built-in task; paper fields come from the tables when ``name`` is a benchmark task."""
    in_paper = name in _INDEX
    return TaskSpec(
        name=name, description=description, family=family, input_dim=input_dim,
        input_values=tuple(sorted(values)), seq_len=seq_len, output_dim=output_dim,
        train_fraction=train_fraction, paper_index=_INDEX.get(name), variant_of=variant_of,
        source="builtin",
        mips_solved=(name in MIPS_SOLVED) if in_paper else None,
        gpt4_solved=(name in GPT4_SOLVED) if in_paper else None,
        deduplicate=deduplicate,
        sample_inputs=sampler if sampler is not None else uniform_sampler(values, input_dim),
        compute_outputs=compute, reference=reference, output_bounds=bounds,
    )


def const_bounds(low: int, high: int) -> OutputBounds:
    """Bounds that do not depend on the sequence length."""

    def bounds(seq_len: int) -> tuple[int, int]:
        return (low, high)

    return bounds
