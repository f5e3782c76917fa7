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
from mips.encodings.lattice_algebra import least_squares

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
    if enc.kind == "lattice" and enc.step_offsets is not None:
        steps = np.broadcast_to(np.arange(data.n_steps), data.index.shape)
        return enc.encode(data.points[data.index], steps=steps)
    return enc.encode(data.points)[data.index]


def _residuals(enc: Encoding, data: StateData) -> np.ndarray:
    """Residual vector of each distinct point (at its first occurrence), shape (n_points, H).

    Lattices reconstruct h as z·A + b; centre-based encodings as the nearest centre.
    """
    if enc.kind != "lattice":
        return data.points - enc.centres[enc.nearest_centre(data.points)]
    if enc.step_offsets is not None:
        _, first = np.unique(data.index.reshape(-1), return_index=True)
        steps = first % data.n_steps
        codes = enc.encode(data.points, steps=steps)
        return data.points - enc.decode(codes, steps=steps)
    return data.points - enc.decode(enc.encode(data.points))


def code_space_bits(enc: Encoding, codes: np.ndarray) -> float:
    """Bits of a fixed-length code for one state: sum over variables of log2(#values)."""
    flat = codes.reshape(-1, enc.n_vars)
    bits = 0.0
    for j, m in enumerate(enc.moduli):
        if m:
            bits += np.log2(m)
        elif enc.kind == "boolean":
            bits += 1.0
        else:
            bits += np.log2(float(flat[:, j].max() - flat[:, j].min() + 1))
    return float(bits)


def _distinct_transitions(codes: np.ndarray, x_index: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (code, input) -> code' triples of a code grid (n, S, k) and its inputs (n, S - 1)."""
    n, s, k = codes.shape
    keys = row_keys(codes.reshape(-1, k)).view(np.int64).reshape(n, s)      # one hash per code
    triple = np.stack([keys[:, :-1].reshape(-1), x_index.reshape(-1), keys[:, 1:].reshape(-1)], axis=1)
    first, _, _ = unique_rows(triple)
    rows, steps = np.divmod(first, s - 1)
    return codes[rows, steps], x_index[rows, steps], codes[rows, steps + 1]


def _affine_rule(prev: np.ndarray, x: np.ndarray, nxt: np.ndarray, inputs: np.ndarray):
    """Best integer-affine rule z' = z·M + x·W + c on distinct triples: (theta, n_exceptions)."""
    design = np.concatenate([prev, inputs[x], np.ones((prev.shape[0], 1))], axis=1).astype(np.float64)
    theta = np.round(least_squares(design, nxt.astype(np.float64)))
    pred = np.round(design @ theta).astype(np.int64)
    return theta.astype(np.int64), int(np.sum(np.any(pred != nxt, axis=1)))


def _lattice_rule(codes: np.ndarray, data: StateData):
    """Affine rule fitted on the steps after the first, and the initial code it implies.

    The initial state h_{-1} = 0 often lies off the lattice; like its output, its code is free,
    so the rule is fitted without it and the initial code is the one the rule maps onto the
    observed first states (when one exists).

    Returns (theta, n_exceptions, initial_code or None).
    """
    k = codes.shape[-1]
    if codes.shape[1] > 2:
        prev, x, nxt = _distinct_transitions(codes[:, 1:], data.x_index[:, 1:])
    else:
        prev, x, nxt = _distinct_transitions(codes, data.x_index)
    theta, n_exc = _affine_rule(prev, x, nxt, data.inputs)
    m, w, c = theta[:k], theta[k:-1], theta[-1]
    x0, first = np.unique(data.x_index[:, 0], return_index=True)
    nxt0 = codes[first, 1]
    own = codes[0, 0]
    rhs = nxt0 - data.inputs[x0] @ w - c                              # must equal z0·M
    if np.all(own @ m == rhs):
        return theta, n_exc, None
    z0 = np.round(rhs[0].astype(np.float64) @ np.linalg.pinv(m.astype(np.float64))).astype(np.int64)
    if np.all(z0 @ m == rhs):
        return theta, n_exc, z0
    return theta, n_exc + int(np.sum(np.any(own @ m != rhs, axis=1))), None


def _rotation_rule(enc: Encoding, prev, x, nxt, inputs):
    """Exceptions to z' = (z + x·g + c) mod N (or z + d[x] mod N) for a modular encoding."""
    n = int(enc.moduli[0])
    if "generator" in enc.params:
        g = np.asarray(enc.params["generator"], dtype=np.int64)
        c = int(enc.params.get("shift", 0))
        pred = np.mod(prev[:, 0] + inputs[x] @ g + c, n)
        theta = np.concatenate([g, [c]])
    elif "rotation" in enc.params:
        d = np.asarray(enc.params["rotation"], dtype=np.int64)
        pred = np.mod(prev[:, 0] + d[x], n)
        theta = d
    else:
        return None, prev.shape[0]
    return theta, int(np.sum(pred != nxt[:, 0]))


def dynamics_bits(enc: Encoding, codes: np.ndarray, data: StateData, bits_per_code: float
                  ) -> tuple[float, str | None, np.ndarray | None]:
    """Bits of the update rule, the rule's text when a rule with no exception is cheapest, and the
    initial code that rule implies (lattices whose initial state lies off the lattice)."""
    prev, x, nxt = _distinct_transitions(codes, data.x_index)
    n_triples = prev.shape[0]
    if n_triples == 0:
        return 0.0, None, None
    pair_first, _, _ = unique_rows(np.stack([row_keys(prev).view(np.int64), x], axis=1))
    n_pairs = pair_first.shape[0]
    exception = bits_per_code + np.log2(1.0 + n_triples)
    table = n_pairs * bits_per_code + (n_triples - n_pairs) * exception
    init = None
    if enc.kind == "lattice":
        theta, n_exc, init = _lattice_rule(codes, data)
        text = _affine_text(enc, theta, data.inputs.shape[1])
    elif enc.kind == "modular":
        theta, n_exc = _rotation_rule(enc, prev, x, nxt, data.inputs)
        text = enc.update_rule
    else:
        return float(table), None, None
    if theta is None:
        return float(table), None, None
    rule = integer_bits(theta) + n_exc * exception + (bits_per_code if init is not None else 0.0)
    if rule < table:
        return float(rule), (text if n_exc == 0 else None), (init if n_exc == 0 else None)
    return float(table), None, None


def _affine_text(enc: Encoding, theta: np.ndarray, n_inputs: int) -> str:
    k = enc.n_vars
    names = list(enc.variables)
    xs = ["x"] if n_inputs == 1 else [f"x{i}" for i in range(n_inputs)]
    terms_all = names + xs + ["1"]
    lines = []
    for j in range(k):
        terms = []
        for coef, name in zip(theta[:, j], terms_all):
            if coef == 0:
                continue
            mag = "" if abs(coef) == 1 and name != "1" else str(abs(int(coef)))
            body = mag if name == "1" else (f"{mag}*{name}" if mag else name)
            terms.append(("- " if coef < 0 else "+ ") + body)
        rhs = " ".join(terms).lstrip("+ ") if terms else "0"
        if rhs.startswith("- "):
            rhs = "-" + rhs[2:]
        lines.append(f"{names[j]} <- {rhs}")
    return "; ".join(lines)


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
    if enc.kind == "lattice":
        codes, residual = encode_grid(enc, data), _residuals(enc, data)
    else:                                               # one nearest-prototype search for both
        cluster = enc.nearest_centre(data.points) if assignment is None else assignment
        codes, residual = enc.centre_codes[cluster][data.index], data.points - enc.centres[cluster]
    res = np.linalg.norm(residual, axis=1)
    res_bits = float(np.sum(np.log2(1.0 + np.abs(residual) / eps)))
    per_code = code_space_bits(enc, codes)
    if enc.kind == "lattice":
        params = parameter_bits(enc.basis, enc.offset, enc.step_offsets, eps=eps)
    else:
        params = parameter_bits(enc.centres, eps=eps)
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
