"""Lattice finders: planted lattices under unimodular changes of basis, LLL, integer bases."""

import itertools

import numpy as np
import pytest
from enchelpers import make_trace, random_unimodular, well_conditioned
from hypothesis import given, settings
from hypothesis import strategies as st

from mips.encodings import (
    EncodingFailure,
    find_lattice,
    fit_lattice_points,
    prepare_states,
)
from mips.encodings.lattice_algebra import (
    integer_row_basis,
    lattice_from_vectors,
    lll_reduce,
    size_reduce,
)
from mips.errors import ConfigError
from mips.failure import Failure


def same_lattice(b1: np.ndarray, b2: np.ndarray, tol: float = 0.05) -> bool:
    """Rows of b1 and b2 generate the same lattice: b1 = M·b2 with M integer, |det M| = 1."""
    m = b1 @ np.linalg.pinv(b2)
    if np.max(np.abs(b1 - m @ b2)) > tol * np.abs(b2).max():            # not even the same span
        return False
    mi = np.round(m)
    return bool(np.max(np.abs(m - mi)) < tol and abs(round(np.linalg.det(mi))) == 1)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 100_000), h=st.integers(1, 5), extra=st.integers(0, 2),
       noise=st.floats(0.0, 0.03))
def test_planted_lattice_is_recovered_up_to_unimodular_equivalence(seed, h, extra, noise):
    rng = np.random.default_rng(seed)
    k = max(1, h - extra)
    a = well_conditioned(k, h, rng)
    planted = random_unimodular(k, rng) @ a                             # the same lattice, another basis
    z = rng.integers(-3, 4, size=(150, k))
    z = np.vstack([np.zeros((1, k), dtype=np.int64), np.eye(k, dtype=np.int64), z])   # generates Z^k
    offset = rng.normal(size=h) * 3
    sigma = noise * np.linalg.svd(a, compute_uv=False)[-1]
    points = z @ a + offset + sigma * rng.uniform(-1, 1, size=(z.shape[0], h))
    fit = fit_lattice_points(points[rng.permutation(points.shape[0])], seed=seed)
    assert not isinstance(fit, Failure), fit
    basis, b = fit
    assert basis.shape == (k, h)
    assert same_lattice(basis, planted) and same_lattice(basis, a)
    shift = (b - offset) @ np.linalg.pinv(a)                             # offsets differ by a lattice vector
    assert np.max(np.abs(shift - np.round(shift))) < 0.05
    # every point rounds back to itself (up to the planted noise)
    zz = np.round((points - b) @ np.linalg.pinv(basis))
    assert np.max(np.linalg.norm(zz @ basis + b - points, axis=1)) <= 3 * sigma * np.sqrt(h) + 1e-9


def test_lattice_from_vectors_refines_to_the_finer_lattice():
    a = np.array([[1.0, 0.2], [0.3, 1.5]])
    coarse = np.array([[2, 0], [0, 1], [2, 1]]) @ a                     # index-2 sublattice...
    fine = np.array([[1, 0]]) @ a                                       # ...plus a vector off it
    basis = lattice_from_vectors(np.vstack([coarse, fine]), 2)
    assert not isinstance(basis, Failure) and same_lattice(basis, a)


def test_lattice_from_vectors_reports_irrational_coordinates():
    v = np.array([[1.0], [np.sqrt(2)]])
    found = lattice_from_vectors(v, 1, tol=0.01, max_denominator=5)
    assert isinstance(found, Failure) and "denominator <= 5" in found.message


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 100_000), k=st.integers(1, 4))
def test_lll_keeps_the_lattice_and_is_reduced(seed, k):
    rng = np.random.default_rng(seed)
    a = well_conditioned(k, k + 1, rng, max_cond=3.0)
    skewed = random_unimodular(k, rng, n_ops=12) @ a
    red = lll_reduce(skewed)
    assert same_lattice(red, a)
    # size reduction and the Lovász condition (delta = 0.75), checked naively
    q = np.zeros_like(red)
    mu = np.zeros((k, k))
    for i in range(k):
        v = red[i].copy()
        for j in range(i):
            mu[i, j] = red[i] @ q[j] / (q[j] @ q[j])
            v -= mu[i, j] * q[j]
        q[i] = v
    assert np.all(np.abs(mu[np.tril_indices(k, -1)]) <= 0.5 + 1e-9)
    for i in range(1, k):
        assert q[i] @ q[i] >= (0.75 - mu[i, i - 1] ** 2) * (q[i - 1] @ q[i - 1]) - 1e-9
    assert np.prod(np.linalg.norm(red, axis=1)) <= np.prod(np.linalg.norm(skewed, axis=1)) + 1e-9


def test_size_reduce_is_the_papers_normalize_basis():
    a = np.array([[1.0, 0.0], [3.2, 1.0]])
    out = size_reduce(a)
    assert same_lattice(out, a) and np.all(out.sum(axis=1) >= 0)
    assert abs(out[1] @ out[0]) <= 0.5 * (out[0] @ out[0]) + 1e-12


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 100_000), r=st.integers(1, 4), extra=st.integers(0, 4))
def test_integer_row_basis_generates_the_same_integer_lattice(seed, r, extra):
    rng = np.random.default_rng(seed)
    m = rng.integers(-6, 7, size=(r + extra, r))
    m[:r] = rng.integers(-3, 4, size=(r, r)) + 20 * np.eye(r, dtype=np.int64)   # diagonally dominant: rank r
    hnf = integer_row_basis(m)
    assert hnf.shape == (r, r) and np.all(np.triu(hnf) == hnf)
    # naive check: every row of m is an integer combination of hnf rows and vice versa
    coef = m @ np.linalg.inv(hnf)
    assert np.allclose(coef, np.round(coef), atol=1e-6)
    assert abs(np.linalg.det(hnf)) <= abs(np.linalg.det(m[:r].astype(float))) + 1e-6


def counter_trace(rng, n_seq=200, seq_len=6, drift=True):
    """A linear 2-D register: h_t = h_{t-1}·W + x·u (+ a bias that settles after a few steps)."""
    x = rng.integers(0, 4, size=(n_seq, seq_len, 1))
    a = np.array([[0.7, 0.2], [-0.3, 0.9]])
    z = np.zeros((n_seq, 2), dtype=np.int64)
    hs = []
    for t in range(seq_len):
        z = np.stack([z[:, 0] + x[:, t, 0], z[:, 0]], axis=1)          # (running sum, previous sum)
        bias = (0.3 * (1 - 0.5 ** (t + 1)) if drift else 0.0) * np.array([0.31, 0.77])
        hs.append(z @ a + bias)
    return make_trace(np.stack(hs, axis=1), x, np.cumsum(x, axis=1)), a


@pytest.mark.parametrize("method", ["gcd", "linear"])
@pytest.mark.parametrize("drift", [False, True], ids=["fixed-offset", "drifting-offset"])
def test_find_lattice_on_a_linear_register(method, drift):
    tr, a = counter_trace(np.random.default_rng(1), drift=drift)
    enc = find_lattice(prepare_states(tr), method=method)
    assert enc.kind == "lattice", enc
    assert same_lattice(enc.basis, a)
    assert enc.max_residual < 1e-6
    assert enc.initial_code == (0, 0)
    assert (enc.step_offsets is not None) == drift
    assert enc.update_rule is not None and enc.update_rule.count("<-") == 2


def test_encode_matches_a_naive_loop():
    tr, _ = counter_trace(np.random.default_rng(2), drift=True)
    enc = find_lattice(prepare_states(tr), method="linear")
    pinv = np.linalg.pinv(enc.basis)
    codes = enc.encode(tr.hidden, steps=np.arange(tr.hidden.shape[1])[None, :])
    for i, s in itertools.product(range(5), range(tr.hidden.shape[1])):
        off = enc.offset + enc.step_offsets[min(s, enc.step_offsets.shape[0] - 1)]
        naive = [int(round(v)) for v in (tr.hidden[i, s] - off) @ pinv]
        assert codes[i, s].tolist() == naive
    np.testing.assert_allclose(enc.decode(codes, steps=np.arange(tr.hidden.shape[1])[None, :]), tr.hidden,
                               atol=1e-9)


def test_find_lattice_rejects_unknown_method_and_single_state():
    tr = make_trace(np.zeros((3, 2, 1)), np.zeros((3, 2, 1)), np.zeros((3, 2, 1)))
    data = prepare_states(tr)
    with pytest.raises(ConfigError, match="'method' parameter of find_lattice must be one of"):
        find_lattice(data, method="lll")
    fail = find_lattice(data)
    assert isinstance(fail, EncodingFailure) and "fewer than two distinct states" in fail.message
