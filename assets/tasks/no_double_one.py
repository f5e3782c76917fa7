"""A regular language, written as a person would: a regular expression applied to every prefix.

y_t = 1 if the bits x_0..x_t, as a string, match (0|10)+ (no two 1s in a row, ending in 0).
Labelling costs a regular-expression match per prefix, so it is far slower than a vectorised
task; each distinct sequence is labelled once (a T = 10 binary task has only 1,024 of them).
"""

import re

NAME = "No_Double_One"
INPUT_DIM = 1
INPUT_VALUES = [0, 1]
SEQ_LEN = 10
OUTPUT_DIM = 1

LANGUAGE = re.compile(r"(0|10)+")


def target(xs):
    """y_t = 1 if the prefix x_0..x_t is in the language (0|10)+."""
    text = "".join(str(v) for v in xs)
    return [int(LANGUAGE.fullmatch(text[: t + 1]) is not None) for t in range(len(xs))]
