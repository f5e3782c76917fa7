"""The paper's AutoML-found architecture for each benchmark task (mips-method.md §2.4 Table B).

Copied from Table B's column "AutoML result: H, f depth/width, g depth/width, seed" (the
authors' ``tasks/<folder>/args.yaml`` at commit ``79413f0``). A width of ``1`` stands for the
table's "-" (a depth-1 MLP, where width is irrelevant). ``seed`` is the first of the paper's
seeds 0-4 that reached 100%.
"""

from __future__ import annotations

from dataclasses import dataclass

from mips.errors import UnknownTaskError, did_you_mean


@dataclass(frozen=True, slots=True, kw_only=True)
class PaperArchitecture:
    """One row of Table B: hidden size, MLP depths and widths, winning seed."""

    hidden_dim: int
    hidden_depth: int
    hidden_width: int
    output_depth: int
    output_width: int
    seed: int

    @property
    def is_linear(self) -> bool:
        """True when f and g are single affine maps."""
        return self.hidden_depth == 1 and self.output_depth == 1


def _a(h: int, fd: int, fw: int, gd: int, gw: int, seed: int) -> PaperArchitecture:
    return PaperArchitecture(hidden_dim=h, hidden_depth=fd, hidden_width=fw, output_depth=gd,
                             output_width=gw, seed=seed)


# mips-method.md §2.4 Table B, in the paper's task order: H, f depth, f width, g depth, g width, seed
PAPER_ARCHITECTURES: dict[str, PaperArchitecture] = {
    "Binary_Addition": _a(2, 2, 4, 1, 1, 4),
    "Base_3_Addition": _a(2, 2, 5, 1, 1, 0),
    "Base_4_Addition": _a(2, 2, 5, 1, 1, 3),
    "Base_5_Addition": _a(2, 2, 5, 1, 1, 3),
    "Base_6_Addition": _a(2, 2, 6, 1, 1, 1),
    "Base_7_Addition": _a(2, 2, 10, 1, 1, 4),
    "Bitwise_Xor": _a(1, 2, 2, 1, 1, 0),
    "Bitwise_Or": _a(1, 1, 1, 1, 1, 0),
    "Bitwise_And": _a(1, 1, 1, 1, 1, 0),
    "Bitwise_Not": _a(1, 1, 1, 1, 1, 0),
    "Parity_Last2": _a(1, 2, 229, 1, 1, 0),
    "Parity_Last3": _a(2, 2, 5, 1, 1, 1),
    "Parity_Last4": _a(3, 2, 29, 1, 1, 1),
    "Parity_All": _a(1, 2, 2, 1, 1, 0),
    "Parity_Zeros": _a(1, 2, 2, 1, 1, 0),
    "Evens_Counter": _a(4, 3, 73, 1, 1, 0),
    "Sum_All": _a(1, 1, 1, 1, 1, 0),
    "Sum_Last2": _a(2, 1, 1, 1, 1, 0),
    "Sum_Last3": _a(3, 1, 1, 1, 1, 0),
    "Sum_Last4": _a(4, 1, 1, 1, 1, 0),
    "Sum_Last5": _a(5, 1, 1, 1, 1, 0),
    "Sum_Last6": _a(6, 1, 1, 1, 1, 0),
    "Sum_Last7": _a(7, 1, 1, 1, 1, 3),
    "Current_Number": _a(1, 1, 1, 1, 1, 0),
    "Prev1": _a(2, 1, 1, 1, 1, 0),
    "Prev2": _a(3, 1, 1, 1, 1, 0),
    "Prev3": _a(4, 1, 1, 1, 1, 1),
    "Prev4": _a(5, 1, 1, 1, 1, 0),
    "Prev5": _a(6, 1, 1, 1, 1, 0),
    "Previous_Equals_Current": _a(2, 2, 5, 1, 1, 2),
    "Diff_Last2": _a(2, 1, 1, 1, 1, 0),
    "Abs_Diff": _a(2, 1, 1, 2, 2, 4),
    "Abs_Current": _a(1, 2, 2, 1, 1, 0),
    "Diff_Abs_Values": _a(2, 2, 4, 1, 1, 0),
    "Min_Seen": _a(1, 2, 2, 1, 1, 1),
    "Max_Seen": _a(1, 2, 2, 1, 1, 0),
    "Majority_0_1": _a(1, 2, 63, 1, 1, 1),
    "Majority_0_2": _a(4, 2, 98, 1, 1, 0),
    "Majority_0_3": _a(21, 3, 132, 1, 1, 2),
    "Evens_Detector": _a(5, 2, 163, 1, 1, 1),
    "Perfect_Square_Detector": _a(48, 2, 100, 1, 1, 2),
    "Bit_Palindrome": _a(18, 2, 86, 1, 1, 1),
    "Balanced_Parenthesis": _a(1, 2, 16, 1, 1, 2),
    "Parity_Bits_Mod2": _a(1, 1, 1, 1, 1, 3),
    "Alternating_Last3": _a(2, 2, 3, 1, 1, 3),
    "Alternating_Last4": _a(2, 2, 3, 1, 1, 4),
    "Bit_Shift_Right": _a(2, 1, 1, 1, 1, 0),
    "Bit_Dot_Prod_Mod2": _a(1, 2, 3, 1, 1, 3),
    "Div_3": _a(2, 2, 59, 1, 1, 2),
    "Div_5": _a(4, 2, 76, 1, 1, 4),
    "Div_7": _a(4, 2, 103, 1, 1, 3),
    "Add_Mod_3": _a(1, 2, 149, 1, 1, 0),
    "Add_Mod_4": _a(2, 2, 33, 1, 1, 3),
    "Add_Mod_5": _a(3, 2, 43, 1, 1, 0),
    "Add_Mod_6": _a(4, 2, 108, 1, 1, 3),
    "Add_Mod_7": _a(4, 2, 199, 1, 1, 2),
    "Add_Mod_8": _a(67, 2, 134, 1, 1, 1),
    "Dithering": _a(81, 2, 166, 1, 1, 4),
    "Newton_Freebody": _a(2, 1, 1, 1, 1, 0),
    "Newton_Gravity": _a(2, 1, 1, 1, 1, 0),
    "Newton_Spring": _a(2, 1, 1, 1, 1, 0),
    "Newton_Magnetic": _a(4, 1, 1, 1, 1, 1),
}


def paper_architecture(task_name: str) -> PaperArchitecture:
    """The Table B architecture of a benchmark task.

    Raises
    ------
    UnknownTaskError
        ``task_name`` is not one of the 62 benchmark tasks.
    """
    try:
        return PAPER_ARCHITECTURES[task_name]
    except KeyError:
        raise UnknownTaskError(
            f"No paper architecture for task '{task_name}': Table B lists only the 62 benchmark "
            f"tasks.{did_you_mean(task_name, PAPER_ARCHITECTURES)}") from None
