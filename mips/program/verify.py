"""Verification stage: a program against the task, the network and longer sequences
(mips-method.md §9.4, made strict).

The paper checked 10 training sequences. Here, every time:

1. program vs task on the *whole* test split, or on every possible input sequence when there are
   at most 2**20 of them (``exhaustive``);
2. program vs network (agreement of the rounded outputs) on the same sequences;
3. program vs task on sequences five times the training length (length generalisation).

Accuracies are fractions of sequences that are right at every step. The first counterexample
comes with a step-by-step trace: input, the network's hidden state and output, the encoded state,
the program's variables and output, and the expected output.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np

from mips.encodings.base import Encoding
from mips.errors import ConfigError
from mips.network.interface import RecurrentNetwork
from mips.network.mips_network import as_network
from mips.network.rnn import RNNWeights
from mips.program import limits
from mips.program.program import Program, Run, operations, run_program
from mips.tasks.dataset import Dataset, make_dataset
from mips.tasks.spec import TaskSpec

log = logging.getLogger(__name__)

MAX_EXHAUSTIVE = 2 ** 20
LENGTH_FACTOR = 5
N_LENGTH_SEQUENCES = 10_000


@dataclass(frozen=True, slots=True, kw_only=True)
class Counterexample:
    """The first sequence where the program is wrong, with a step-by-step trace.

    Attributes
    ----------
    against : {"task", "network", "length"}
    sequence : int
        Index in the checked set.
    inputs, expected, got : lists (one item per step)
    first_wrong_step : int
    steps : list of dict
        One row per step: ``step, input, hidden, network_output, encoded_state, program_state,
        program_output, expected``.
    error : str or None
        An evaluation error (division by zero, overflow) instead of a wrong output.
    """

    against: str
    sequence: int
    inputs: list
    expected: list
    got: list
    first_wrong_step: int
    steps: list[dict] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict:
        return {"against": self.against, "sequence": self.sequence, "inputs": self.inputs,
                "expected": self.expected, "got": self.got, "first_wrong_step": self.first_wrong_step,
                "steps": self.steps, "error": self.error}


@dataclass(frozen=True, slots=True, kw_only=True)
class Verification:
    """Three-way verification figures (fractions of sequences entirely right).

    Attributes
    ----------
    task_accuracy : float
        Program vs task on ``n_sequences`` sequences (the whole test split, or all sequences).
    rnn_agreement : float or None
        Program vs network on the same sequences (None without a network).
    n_sequences : int
    exhaustive : bool
        True when every possible input sequence of the training length was checked.
    length_generalization : float or None
        Program vs task on sequences ``LENGTH_FACTOR`` times longer (None if not run).
    length : int
        Length of those sequences.
    counterexample : Counterexample or None
        The first failure (task first, then network, then length).
    seconds : float
    """

    task_accuracy: float
    rnn_agreement: float | None
    n_sequences: int
    exhaustive: bool
    length_generalization: float | None
    length: int = 0
    counterexample: Counterexample | None = None
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        """Right on every checked sequence, in all three checks that ran."""
        return (self.task_accuracy == 1.0 and self.rnn_agreement in (None, 1.0)
                and self.length_generalization in (None, 1.0))

    def to_dict(self) -> dict:
        return {"task_accuracy": self.task_accuracy, "rnn_agreement": self.rnn_agreement,
                "n_sequences": self.n_sequences, "exhaustive": self.exhaustive,
                "length_generalization": self.length_generalization}

    def summary(self) -> str:
        parts = [f"task {self.task_accuracy:.2%} of {self.n_sequences:,} "
                 f"{'(all possible) ' if self.exhaustive else 'test '}sequences"]
        if self.rnn_agreement is not None:
            parts.append(f"network agreement {self.rnn_agreement:.2%}")
        if self.length_generalization is not None:
            parts.append(f"length {self.length}: {self.length_generalization:.2%}")
        return "; ".join(parts)


def all_sequences(task: TaskSpec, seq_len: int | None = None) -> np.ndarray | None:
    """Every input sequence of the task's length, or None when there are more than 2**20."""
    t_len = task.seq_len if seq_len is None else seq_len
    alphabet = np.asarray(task.input_values, dtype=np.int64)
    n_symbols = alphabet.size ** task.input_dim
    if n_symbols ** t_len > MAX_EXHAUSTIVE:
        return None
    n = n_symbols ** t_len
    # sequence i spells i in base |alphabet|, the first input the most significant digit: the
    # column of the digit worth A^s repeats each symbol A^s times, over and over
    positions = t_len * task.input_dim
    out = np.empty((n, positions), dtype=np.int64)
    for c in range(positions):
        out[:, c] = np.tile(np.repeat(alphabet, alphabet.size ** (positions - 1 - c)), alphabet.size ** c)
    return out.reshape(n, t_len, task.input_dim)


def _wrong(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.any(a != b, axis=tuple(range(1, a.ndim)))


Network = RecurrentNetwork | RNNWeights    # the MIPS RNN may be given by its weights


def _counterexample(against: str, i: int, x: np.ndarray, expected: np.ndarray, run: Run,
                    weights: Network | None, encoding: Encoding | None, program: Program) -> Counterexample:
    xi = x[i:i + 1]
    exp, got = expected[i], run.outputs[i]
    bad = np.flatnonzero(np.any(exp != got, axis=-1))
    first = int(bad[0]) if bad.size else (run.error_step if run.error_sequence == i else 0)
    hidden = net_out = codes = None
    if weights is not None:
        ran = as_network(weights).run(xi)
        hidden, net_out = ran.hidden[0, 1:], np.round(ran.output[0]).astype(np.int64)
        if encoding is not None and encoding.hidden_dim == hidden.shape[-1]:
            steps = np.arange(1, hidden.shape[0] + 1)
            codes = encoding.encode(hidden, steps=steps if encoding.step_offsets is not None else None)
    rows = []
    flat = lambda v: v.tolist() if v.size > 1 else int(v.reshape(-1)[0])  # noqa: E731
    states = run_program(program, xi).states[0]          # the checks keep no states (see _run_all)
    for t in range(x.shape[1]):
        row = {"step": t, "input": flat(x[i, t]),
               "program_state": dict(zip(program.state, states[t + 1].tolist())),
               "program_output": flat(got[t]), "expected": flat(exp[t])}
        if hidden is not None:
            row["hidden"] = [round(float(v), 4) for v in hidden[t]]
            row["network_output"] = flat(net_out[t])
        if codes is not None:
            row["encoded_state"] = codes[t].tolist()
        rows.append(row)
    err = run.error if run.error_sequence == i else None
    return Counterexample(against=against, sequence=int(i), inputs=[flat(v) for v in x[i]],
                          expected=[flat(v) for v in exp], got=[flat(v) for v in got],
                          first_wrong_step=first, steps=rows, error=err)


def _run_all(program: Program, x: np.ndarray, n_symbols: int | None = None) -> Run:
    """The program's outputs on every sequence of ``x``, run in parts that each stay within the
    run limits (a delay of 8 as nine variables on all 2^20 binary sequences of 20 steps needs 220
    million numbers at once); the work of the whole run is bounded as one run's is. The states
    are not kept; the first error is the earliest (step, sequence), as :func:`run_program`
    reports it. ``n_symbols``: ``x`` is :func:`all_sequences` over that many symbols per step, run
    over their prefixes (:func:`_run_prefixes`)."""
    n, t_len, _ = x.shape
    limits.check_run(0, 0, operations(program), n, t_len)           # the whole run's work stays bounded
    if n_symbols is not None and n_symbols > 1 and n_symbols ** t_len == n:
        tree = _run_prefixes(program, x, n_symbols)
        if tree is not None:
            return tree
    per_sequence = (t_len + 1) * (len(program.state) + program.output_dim)
    size = max(1, limits.MAX_RUN_VALUES // (2 * max(per_sequence, 1)))
    outputs, first = [], None
    for lo in range(0, n, size):
        part = run_program(program, x[lo:lo + size])
        outputs.append(part.outputs)
        if part.error is not None and (first is None or (part.error_step, lo + part.error_sequence) < first[:2]):
            first = (part.error_step, lo + part.error_sequence, part.error)
    out = np.concatenate(outputs) if outputs else np.zeros((0, t_len, program.output_dim), dtype=np.int64)
    empty = np.zeros((n, 0, len(program.state)), dtype=np.int64)
    if first is None:
        return Run(outputs=out, states=empty)
    return Run(outputs=out, states=empty, error=first[2], error_sequence=first[1], error_step=first[0])


def _run_prefixes(program: Program, x: np.ndarray, n_symbols: int) -> Run | None:
    """:func:`_run_all` on every sequence (``x`` from :func:`all_sequences`: step 0 the most
    significant digit, so the sequences sharing a prefix are one block), computed once per distinct
    prefix: step t runs on the S^(t+1) prefixes of length t + 1, from the states of their parents,
    about S/(S-1) steps per sequence instead of T (a program's step reads only the state and the
    input, row by row). The outputs are the same as a run of every sequence; None where a step
    errs or a level would exceed the run limits (the caller then runs every sequence, which reports
    the error as it always does)."""
    n, t_len, _ = x.shape
    k = len(program.state)
    out = np.empty((n, t_len, program.output_dim), dtype=np.int64)
    prev = np.asarray(program.initial, dtype=np.int64).reshape(1, k)
    for t in range(t_len):
        stride = n_symbols ** (t_len - 1 - t)          # the sequences under one prefix of length t + 1
        try:
            level = run_program(program, x[::stride, t:t + 1], initial=np.repeat(prev, n_symbols, axis=0))
        except ConfigError:
            return None
        if level.error is not None:
            return None
        out[:, t] = np.repeat(level.outputs[:, 0], stride, axis=0)
        prev = level.states[:, 1]
    return Run(outputs=out, states=np.zeros((n, 0, k), dtype=np.int64))


def _shown_sequence(run: Run, wrong: np.ndarray) -> int:
    """The sequence to show: the one where evaluation stopped (its error explains the rest), else
    the first wrong one."""
    return run.error_sequence if run.error is not None else int(np.argmax(wrong))


def _accuracy(run: Run, expected: np.ndarray) -> tuple[float, np.ndarray]:
    wrong = _wrong(run.outputs, expected)
    if run.error is not None:
        wrong[run.error_sequence:] = True        # rows after an error were not computed reliably
    return 1.0 - float(wrong.mean()) if wrong.size else 1.0, wrong


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Checks:
    """The sequences programs are checked on and what they must produce (computed once, reused
    for every candidate program of a task).

    Attributes
    ----------
    x, y : int64 arrays of shape (n, T, input_dim) / (n, T, output_dim)
        Every possible sequence (``exhaustive``) or the whole test split, with the task's labels.
    network : int64 array like ``y`` or None
        The network's rounded outputs on ``x``.
    long_x, long_y : arrays or None
        Sequences ``length`` steps long and their labels.
    """

    x: np.ndarray
    y: np.ndarray
    exhaustive: bool
    network: np.ndarray | None
    long_x: np.ndarray | None
    long_y: np.ndarray | None
    length: int


def prepare_checks(task: TaskSpec, *, dataset: Dataset | None = None, weights: Network | None = None,
                   length_factor: int = LENGTH_FACTOR, n_length_sequences: int = N_LENGTH_SEQUENCES,
                   seed: int = 0, skip_errors: tuple[type[BaseException], ...] = (),
                   skipped: list[str] | None = None) -> Checks:
    """Build the check sets of :func:`verify_program` (see its parameters).

    With ``skip_errors``, a set whose labels fail with one of those errors is left out instead of
    failing the whole check (the exhaustive set is replaced by the test split, the longer
    sequences are skipped), and one sentence naming the set and the reason is appended to
    ``skipped`` (see :func:`mips.program.check_sets.prepare_checks_or_skip`).
    """
    notes = skipped if skipped is not None else []
    x = all_sequences(task)
    y = None
    if x is not None:
        try:
            y = task.compute_outputs(x)
        except skip_errors as exc:
            notes.append(f"check on all {x.shape[0]:,} possible sequences replaced by the test split: "
                         f"labelling them failed ({exc})")
            x = None
    exhaustive = x is not None
    if x is None:
        data = dataset if dataset is not None else make_dataset(task)
        x, y = data.x_test, data.y_test
    network = None
    if weights is not None:
        network = as_network(weights).predict(x)
    long_x = long_y = None
    length = 0
    if length_factor:
        length = task.seq_len * int(length_factor)
        try:
            long = make_dataset(task, n_sequences=max(2, int(n_length_sequences)), seed=seed + 1,
                                seq_len=length)
            long_x = np.concatenate([long.x_train, long.x_test])
            long_y = np.concatenate([long.y_train, long.y_test])
        except skip_errors as exc:
            notes.append(f"check on {n_length_sequences:,} sequences of length {length} skipped: "
                         f"labelling them failed ({exc})")
            length = 0
    return Checks(x=x, y=y, exhaustive=exhaustive, network=network, long_x=long_x, long_y=long_y,
                  length=length)


def verify_program(program: Program, task: TaskSpec, *, checks: Checks | None = None,
                   dataset: Dataset | None = None, weights: Network | None = None,
                   encoding: Encoding | None = None, trace_weights: Network | None = None,
                   length_factor: int = LENGTH_FACTOR, n_length_sequences: int = N_LENGTH_SEQUENCES,
                   seed: int = 0) -> Verification:
    """Check a program three ways (see the module docstring).

    Parameters
    ----------
    program : Program
    task : TaskSpec
    checks : Checks, optional
        Prepared check sets (:func:`prepare_checks`); built from the arguments below otherwise.
    dataset : Dataset, optional
        Its test split is checked when the inputs are too many to enumerate (default: the task's
        standard dataset).
    weights : RecurrentNetwork or RNNWeights, optional
        The network to compare with (agreement is None without it), run through its interface.
    encoding : Encoding, optional
        Adds encoded states to the counterexample trace; they are read from the hidden states of
        ``trace_weights`` (default ``weights``), the network the encoding was fitted on.
    length_factor, n_length_sequences : longer sequences checked (``length_factor`` 0 skips it)
    seed : seed of the longer sequences
    """
    start = time.perf_counter()
    if len(program.inputs) != task.input_dim:
        raise ConfigError(f"The program reads {len(program.inputs)} input number(s) per step; task "
                          f"{task.name} has {task.input_dim}.")
    if checks is None:
        checks = prepare_checks(task, dataset=dataset, weights=weights, length_factor=length_factor,
                                n_length_sequences=n_length_sequences, seed=seed)
    x, y = checks.x, checks.y
    shown = trace_weights if trace_weights is not None else weights
    symbols = len(task.input_values) ** task.input_dim if checks.exhaustive else None
    run = _run_all(program, x, symbols)
    if run.outputs.shape != y.shape:
        raise ConfigError(f"The program returns {run.outputs.shape[2]} number(s) per step; task "
                          f"{task.name} has {y.shape[2]}.")
    task_acc, wrong = _accuracy(run, y)
    counter = None
    if wrong.any():
        counter = _counterexample("task", _shown_sequence(run, wrong), x, y, run, shown, encoding, program)
    agreement = None
    if checks.network is not None:
        agreement, disagree = _accuracy(run, checks.network)
        if counter is None and disagree.any():
            counter = _counterexample("network", _shown_sequence(run, disagree), x, checks.network, run, shown,
                                      encoding, program)
    length_acc = None
    if checks.long_x is not None:
        lrun = _run_all(program, checks.long_x)
        length_acc, lwrong = _accuracy(lrun, checks.long_y)
        if counter is None and lwrong.any():
            counter = _counterexample("length", _shown_sequence(lrun, lwrong), checks.long_x, checks.long_y, lrun,
                                      None, None, program)
    result = Verification(task_accuracy=task_acc, rnn_agreement=agreement, n_sequences=int(x.shape[0]),
                          exhaustive=checks.exhaustive, length_generalization=length_acc,
                          length=checks.length, counterexample=counter, seconds=time.perf_counter() - start)
    log.info("verify %s: %s", task.name, result.summary())
    return result
