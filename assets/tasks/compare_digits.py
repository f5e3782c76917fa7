"""Two numbers compared digit by digit, most significant digit first.

Inputs are digit pairs (a_t, b_t). y_t = 0 while the digits seen so far are equal, then 1 if the
first differing digit of a was larger, 2 if b's was; it stays there (a 3-state machine).
An example of a custom task with INPUT_DIM = 2 whose smallest network is nonlinear.
"""

NAME = "Compare_Digits"
INPUT_DIM = 2
INPUT_VALUES = list(range(10))
SEQ_LEN = 10
OUTPUT_DIM = 1


def target(xs):
    """y_t = 0 while a and b agree so far, else 1 if a is larger, 2 if b is (MSB first)."""
    state = 0
    ys = []
    for a, b in xs:
        if state == 0 and a != b:
            state = 1 if a > b else 2
        ys.append(state)
    return ys
