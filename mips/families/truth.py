"""The ground-truth minimal Moore machine of a generated task, without a network.

The machine is read off the task's own labels the way the FSM stage reads one off a network
(:mod:`mips.machine.extract`), with the generator's reference program standing in for a perfect
network: each prefix of each sequence is in the state the reference program holds after it, the
initial pseudo-state (no output) is state 0, each state's output is the *target's* label after
reaching it, and the observed machine is minimised. A state reached with two different labels
means the reference program does not determine the target: that is refused, never papered over.
Transitions that the sequences never take stay unobserved (-1), as in the FSM stage.
"""

from __future__ import annotations

import numpy as np

from mips.errors import ConfigError
from mips.machine.moore import MooreMachine, minimize
from mips.program.program import run_program
from mips.families.base import GeneratedTask


def _rows(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of a 2-D int array (in order of first occurrence) and each row's index."""
    uniq, first, inverse = np.unique(a, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size)
    return uniq[order], rank[np.asarray(inverse).reshape(-1)]


def ground_truth_machine(task: GeneratedTask, x: np.ndarray, y: np.ndarray) -> MooreMachine:
    """The minimal Moore machine of ``task`` on sequences ``x`` (n, T, input_dim) labelled ``y``
    (n, T, output_dim) by the task's target (see the module docstring).

    Raises
    ------
    ConfigError
        When the reference program fails on ``x`` or one of its states is reached with two labels.
    """
    x = np.asarray(x, dtype=np.int64)
    y = np.asarray(y, dtype=np.int64)
    run = run_program(task.program(), x)
    if run.error is not None:
        raise ConfigError(f"The reference program of {task.name} fails on its sequences: {run.error}.")
    n, t_len, _ = x.shape
    codes, state_ids = _rows(run.states[:, 1:].reshape(n * t_len, -1))
    ids = np.concatenate([np.zeros((n, 1), dtype=np.int64), 1 + state_ids.reshape(n, t_len)], axis=1)
    inputs, input_ids = _rows(x.reshape(n * t_len, -1))
    order = np.lexsort(inputs.T[::-1])                          # the alphabet in increasing order
    position = np.empty(order.size, dtype=np.int64)
    position[order] = np.arange(order.size)
    inputs, input_ids = inputs[order], position[input_ids]
    n_states, n_in = codes.shape[0] + 1, inputs.shape[0]
    transitions = np.full((n_states, n_in), -1, dtype=np.int64)
    counts = np.zeros((n_states, n_in), dtype=np.int64)
    src, dst = ids[:, :-1].reshape(-1), ids[:, 1:].reshape(-1)
    transitions[src, input_ids] = dst                           # deterministic: the program's own step
    np.add.at(counts, (src, input_ids), 1)
    labels = y.reshape(n * t_len, -1)
    outputs: list[tuple[int, ...] | None] = [None] * n_states
    first = np.full(n_states, -1, dtype=np.int64)
    first[dst[::-1]] = np.arange(dst.size)[::-1]
    for s in range(1, n_states):
        outputs[s] = tuple(int(v) for v in labels[first[s]])
    clash = np.any(labels != labels[first[dst]], axis=1)
    if clash.any():
        i = int(np.argmax(clash))
        raise ConfigError(f"The reference program of {task.name} does not determine its target: state "
                          f"{tuple(int(v) for v in codes[dst[i] - 1])} is labelled both "
                          f"{outputs[dst[i]]} and {tuple(int(v) for v in labels[i])}.")
    initial_code = tuple(int(v) for v in run.states[0, 0])
    machine = MooreMachine(states=(initial_code,) + tuple(tuple(int(v) for v in c) for c in codes),
                           names=("init",) + tuple(f"s{i}" for i in range(1, n_states)),
                           inputs=tuple(tuple(int(v) for v in row) for row in inputs), outputs=tuple(outputs),
                           transitions=transitions, initial=0, counts=counts)
    return minimize(machine)[0]
