"""Serial binary adder with two outputs: the sum bit and the carry out.

Inputs are bit pairs (a_t, b_t), least significant bit first; the carry c starts at 0.
y_t = (a_t XOR b_t XOR c_t, c_(t+1)) with c_(t+1) = 1 if at least two of a_t, b_t, c_t are 1.
An example of a custom task with INPUT_DIM = 2 and OUTPUT_DIM = 2 (items are tuples).
"""

NAME = "Xor_Carry"
INPUT_DIM = 2
INPUT_VALUES = [0, 1]
SEQ_LEN = 10
OUTPUT_DIM = 2


def target(xs):
    """y_t = (a_t XOR b_t XOR c_t, carry out) of a serial binary adder."""
    carry = 0
    ys = []
    for a, b in xs:
        total = a + b + carry
        carry = int(total >= 2)
        ys.append((total % 2, carry))
    return ys
