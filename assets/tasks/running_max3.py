"""Running maximum of the last 3 digits: y_t = max(x_(t-2), x_(t-1), x_t), window truncated at t < 2.

An example custom task file: load it with ``mips.tasks.load_task_file`` (or the command line's
``--task-file``). The contract: NAME, INPUT_DIM, INPUT_VALUES, SEQ_LEN, optional OUTPUT_DIM and a
function ``target(xs)`` returning one output per input step.
"""

NAME = "Running_Max3"
INPUT_DIM = 1
INPUT_VALUES = list(range(10))
SEQ_LEN = 10
OUTPUT_DIM = 1


def target(xs):
    """y_t = max(x_(t-2), x_(t-1), x_t) over the digits seen so far (window truncated)."""
    return [max(xs[max(0, t - 2): t + 1]) for t in range(len(xs))]
