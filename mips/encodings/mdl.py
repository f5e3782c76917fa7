"""Encoding stage: description length of an encoding (mips-method.md §8.4, extended).

The paper compared lattices by ``mean log2(1 + |round Z|) + mean log2(1 + |residual| / eps)``.
To compare encodings of different kinds (lattice, cycle, bits, clusters) this module counts a
two-part code in bits over the distinct hidden states:

* parameters: ``1 + log2(1 + |p| / eps)`` per real number of the encoding;
* codes: ``log2`` of the size of the code space per state (a fixed-length code);
* residuals: the paper's data term, summed;
* dynamics: the update ``(z, x) -> z'`` as the cheaper of a lookup table over the observed
  (code, input) pairs and a rule (integer-affine for lattices, a rotation for cycles) with its
  exceptions;
* outputs: exceptions to "the output is a function of the code".
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from mips.encodings.base import DescriptionLength, Encoding
from mips.encodings.data import StateData, row_keys, unique_rows
from mips.margins import compare

DEFAULT_EPS = 1e-2


def parameter_bits(*arrays: np.ndarray | None, eps: float = DEFAULT_EPS) -> float:
    """``sum(1 + log2(1 + |p| / eps))`` over every entry of the given arrays."""
    total = 0.0
    for a in arrays:
        if a is not None and np.size(a):
            total += float(np.sum(1.0 + np.log2(1.0 + np.abs(np.asarray(a, dtype=np.float64)) / eps)))
    return total


def integer_bits(values: np.ndarray) -> float:
    """``sum(1 + log2(1 + |v|))`` over integers (sign and magnitude of rule coefficients)."""
    values = np.asarray(values, dtype=np.float64)
    return float(np.sum(1.0 + np.log2(1.0 + np.abs(values)))) if values.size else 0.0


def encode_grid(enc: Encoding, data: StateData) -> np.ndarray:
    """Codes of every (sequence, step) of the trace, shape (n_sequences, n_steps, k)."""
    if enc.step_offsets is not None:                     # a lattice whose offset drifts per step
        steps = np.broadcast_to(np.arange(data.n_steps), data.index.shape)
        return enc.encode(data.points[data.index], steps=steps)
    return enc.encode(data.points)[data.index]


def code_space_bits(enc: Encoding, codes: np.ndarray) -> float:
    """Bits of a fixed-length code for one state: sum over variables of log2(#values)."""
    flat = codes.reshape(-1, enc.n_vars)
    bits = 0.0
    for j, m in enumerate(enc.moduli):
        bits += np.log2(m) if m else enc.kind_type.variable_bits(flat[:, j])
    return float(bits)


def distinct_transitions(codes: np.ndarray, x_index: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (code, input) -> code' triples of a code grid (n, S, k) and its inputs (n, S - 1)."""
    n, s, k = codes.shape
    keys = row_keys(codes.reshape(-1, k)).view(np.int64).reshape(n, s)      # one hash per code
    triple = np.stack([keys[:, :-1].reshape(-1), x_index.reshape(-1), keys[:, 1:].reshape(-1)], axis=1)
    first, _, _ = unique_rows(triple)
    rows, steps = np.divmod(first, s - 1)
    return codes[rows, steps], x_index[rows, steps], codes[rows, steps + 1]


def dynamics_bits(enc: Encoding, codes: np.ndarray, data: StateData, bits_per_code: float
                  ) -> tuple[float, str | None, np.ndarray | None]:
    """Bits of the update rule, the rule's text when a rule with no exception is cheapest, and the
    initial code that rule implies (lattices whose initial state lies off the lattice)."""
    prev, x, nxt = distinct_transitions(codes, data.x_index)
    n_triples = prev.shape[0]
    if n_triples == 0:
        return 0.0, None, None
    pair_first, _, _ = unique_rows(np.stack([row_keys(prev).view(np.int64), x], axis=1))
    n_pairs = pair_first.shape[0]
    exception = bits_per_code + np.log2(1.0 + n_triples)
    table = n_pairs * bits_per_code + (n_triples - n_pairs) * exception
    found = enc.kind_type.rule(enc, codes, data, (prev, x, nxt))
    if found is None:
        return float(table), None, None
    theta, n_exc, init, text = found
    rule = integer_bits(theta) + n_exc * exception + (bits_per_code if init is not None else 0.0)
    if compare("description length: an update rule against a transition table", rule, "<", table):
        return float(rule), (text if n_exc == 0 else None), (init if n_exc == 0 else None)
    return float(table), None, None


def output_exception_bits(codes: np.ndarray, data: StateData) -> tuple[float, int]:
    """Bits to correct the outputs where "the output is a function of the code" fails.

    Every distinct (state, output) pair whose output differs from the most frequent output of its
    code is an exception, costing ``log2(1 + n_points) + log2(n_outputs)`` bits (which state,
    which output), at most the cost of listing every state's output. Returns (bits, number of
    exceptions).
    """
    k = codes.shape[-1]
    c = codes[:, 1:].reshape(-1, k)
    y = data.outputs.reshape(-1, data.outputs.shape[-1])
    if c.shape[0] == 0:
        return 0.0, 0
    _, cid, _ = unique_rows(c)
    _, yc, _ = unique_rows(y)
    n_y = int(yc.max()) + 1
    if n_y == 1:
        return 0.0, 0
    pair, counts = np.unique(cid * n_y + yc, return_counts=True)
    code_of, out_of = np.divmod(pair, n_y)
    order = np.lexsort((-counts, code_of))
    first = np.ones(order.size, dtype=bool)
    first[1:] = code_of[order][1:] != code_of[order][:-1]
    majority = np.zeros(int(cid.max()) + 1, dtype=np.int64)
    majority[code_of[order][first]] = out_of[order][first]
    if np.all(first):
        return 0.0, 0
    pid = data.index[:, 1:].reshape(-1)
    wrong = yc != majority[cid]
    n_exc = int(np.unique(pid[wrong] * n_y + yc[wrong]).size)
    per = np.log2(1.0 + data.n_points) + np.log2(n_y)
    return float(min(n_exc * per, data.n_points * np.log2(n_y))), n_exc


def finish(enc: Encoding, data: StateData, *, eps: float = DEFAULT_EPS, summary: str = "",
           assignment: np.ndarray | None = None) -> Encoding:
    """Attach description length, residual statistics, state count and summary to an encoding.

    ``assignment`` (centre-based encodings): ``enc.nearest_centre(data.points)`` when already known.
    """
    codes, residual = enc.kind_type.codes_and_residuals(enc, data, assignment)
    res = np.linalg.norm(residual, axis=1)
    res_bits = float(np.sum(np.log2(1.0 + np.abs(residual) / eps)))
    per_code = code_space_bits(enc, codes)
    params = parameter_bits(*enc.kind_type.parameters(enc), eps=eps)
    dyn, rule, rule_init = dynamics_bits(enc, codes, data, per_code)
    out_bits, n_conflicts = output_exception_bits(codes, data)
    dl = DescriptionLength(parameter_bits=params, code_bits=per_code * data.n_points,
                           residual_bits=res_bits, dynamics_bits=dyn, output_bits=out_bits, eps=eps,
                           n_points=data.n_points)
    n_states = int(np.unique(row_keys(codes.reshape(-1, enc.n_vars))).shape[0])
    init = tuple(int(v) for v in (codes[0, 0] if rule_init is None else rule_init))
    max_res = float(res.max()) if res.size else 0.0
    rms = float(np.sqrt(np.mean(res ** 2))) if res.size else 0.0
    text = (f"{enc.kind} ({enc.method}): {enc.n_vars} variable(s) {', '.join(enc.variables)}, "
            f"{n_states} states, residual max {max_res:.3g} rms {rms:.3g}, "
            f"DL {dl.total_bits:.1f} bits ({dl.bits_per_point:.2f}/state)")
    if rule or enc.update_rule:
        text += f"; update {rule or enc.update_rule}"
    if n_conflicts:
        text += f"; {n_conflicts} state(s) off their code's output"
    if summary:
        text += f"; {summary}"
    return replace(enc, description_length=dl, max_residual=max_res, rms_residual=rms,
                   n_states=n_states, initial_code=init, update_rule=rule or enc.update_rule,
                   output_exceptions=n_conflicts,
                   summary=text)
