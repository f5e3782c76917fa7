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


def _distinct_transitions(codes: np.ndarray, data: StateData) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (code, input) -> code' triples: (prev codes, input ids, next codes)."""
    k = codes.shape[-1]
    prev = codes[:, :-1].reshape(-1, k)
    nxt = codes[:, 1:].reshape(-1, k)
    x = data.x_index.reshape(-1, 1)
    first, _, _ = unique_rows(np.concatenate([prev, x, nxt], axis=1))
    return prev[first], x[first, 0], nxt[first]


def _affine_rule(prev: np.ndarray, x: np.ndarray, nxt: np.ndarray, inputs: np.ndarray):
    """Best integer-affine rule z' = z·M + x·W + c on distinct triples: (theta, n_exceptions)."""
    design = np.concatenate([prev, inputs[x], np.ones((prev.shape[0], 1))], axis=1).astype(np.float64)
    theta = np.round(least_squares(design, nxt.astype(np.float64)))
    pred = np.round(design @ theta).astype(np.int64)
    return theta.astype(np.int64), int(np.sum(np.any(pred != nxt, axis=1)))


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
                  ) -> tuple[float, str | None]:
    """Bits of the update rule and the rule's text when a rule with no exception is cheapest."""
    prev, x, nxt = _distinct_transitions(codes, data)
    n_triples = prev.shape[0]
    if n_triples == 0:
        return 0.0, None
    pair_first, _, _ = unique_rows(np.concatenate([prev, x[:, None]], axis=1))
    n_pairs = pair_first.shape[0]
    exception = bits_per_code + np.log2(1.0 + n_triples)
    table = n_pairs * bits_per_code + (n_triples - n_pairs) * exception
    if enc.kind == "lattice":
        theta, n_exc = _affine_rule(prev, x, nxt, data.inputs)
        text = _affine_text(enc, theta, data.inputs.shape[1])
    elif enc.kind == "modular":
        theta, n_exc = _rotation_rule(enc, prev, x, nxt, data.inputs)
        text = enc.update_rule
    else:
        return float(table), None
    if theta is None:
        return float(table), None
    rule = integer_bits(theta) + n_exc * exception
    if rule < table:
        return float(rule), (text if n_exc == 0 else None)
    return float(table), None


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


def output_exception_bits(codes: np.ndarray, data: StateData, bits_per_code: float) -> tuple[float, int]:
    """Bits for the (code, output) pairs that break "output is a function of the code"."""
    k = codes.shape[-1]
    c = codes[:, 1:].reshape(-1, k)
    y = data.outputs.reshape(-1, data.outputs.shape[-1])
    if c.shape[0] == 0:
        return 0.0, 0
    n_codes = np.unique(row_keys(c)).shape[0]
    n_pairs = np.unique(row_keys(np.concatenate([c, y], axis=1))).shape[0]
    extra = n_pairs - n_codes
    return float(extra * (bits_per_code + np.log2(1.0 + n_pairs))), int(extra)


def finish(enc: Encoding, data: StateData, *, eps: float = DEFAULT_EPS, summary: str = "") -> Encoding:
    """Attach description length, residual statistics, state count and summary to an encoding."""
    codes = encode_grid(enc, data)
    residual = _residuals(enc, data)
    res = np.linalg.norm(residual, axis=1)
    res_bits = float(np.sum(np.log2(1.0 + np.abs(residual) / eps)))
    per_code = code_space_bits(enc, codes)
    if enc.kind == "lattice":
        params = parameter_bits(enc.basis, enc.offset, enc.step_offsets, eps=eps)
    else:
        params = parameter_bits(enc.centres, eps=eps)
    dyn, rule = dynamics_bits(enc, codes, data, per_code)
    out_bits, n_conflicts = output_exception_bits(codes, data, per_code)
    dl = DescriptionLength(parameter_bits=params, code_bits=per_code * data.n_points,
                           residual_bits=res_bits, dynamics_bits=dyn, output_bits=out_bits, eps=eps,
                           n_points=data.n_points)
    n_states = int(np.unique(row_keys(codes.reshape(-1, enc.n_vars))).shape[0])
    init = tuple(int(v) for v in codes[0, 0])
    max_res = float(res.max()) if res.size else 0.0
    rms = float(np.sqrt(np.mean(res ** 2))) if res.size else 0.0
    text = (f"{enc.kind} ({enc.method}): {enc.n_vars} variable(s) {', '.join(enc.variables)}, "
            f"{n_states} states, residual max {max_res:.3g} rms {rms:.3g}, "
            f"DL {dl.total_bits:.1f} bits ({dl.bits_per_point:.2f}/state)")
    if rule or enc.update_rule:
        text += f"; update {rule or enc.update_rule}"
    if n_conflicts:
        text += f"; {n_conflicts} output conflict(s)"
    if summary:
        text += f"; {summary}"
    return replace(enc, description_length=dl, max_residual=max_res, rms_residual=rms,
                   n_states=n_states, initial_code=init, update_rule=rule or enc.update_rule,
                   summary=text)
