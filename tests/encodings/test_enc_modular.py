"""Modular encodings: states on a cycle (running sums mod N) are recovered with the right N."""

import numpy as np
from enchelpers import cycle_trace
from hypothesis import given, settings
from hypothesis import strategies as st

from mips.encodings import (
    EncodingFailure,
    find_modular,
    prepare_states,
    single_linkage_cuts,
)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 100_000), n=st.integers(2, 9), dim=st.sampled_from([2, 3]),
       noise=st.floats(0.0, 0.02), max_input=st.integers(1, 3))
def test_planted_cycle_is_recovered(seed, n, dim, noise, max_input):
    rng = np.random.default_rng(seed)
    tr, states = cycle_trace(n, dim, noise, rng, max_input=max_input, seq_len=max(8, 3 * n))   # every residue visited
    found = find_modular(prepare_states(tr))
    assert isinstance(found, list), found.message
    enc = found[0]
    assert enc.moduli == (n,)
    assert enc.update_rule in (f"z <- (z + x) mod {n}", f"z <- (z - x) mod {n}") or n == 2
    codes = enc.encode(tr.hidden[:, 1:])[..., 0]
    # the code is the true residue up to the direction of the cycle; h_{-1} = 0 gets code 0
    sign = 1 if np.array_equal(codes, states) else -1
    np.testing.assert_array_equal(codes, (sign * states) % n)
    assert enc.initial_code == (0,)


def test_two_clusters_per_residue_are_merged_into_one_state():
    rng = np.random.default_rng(5)
    tr, states = cycle_trace(3, 2, 0.0, rng, seq_len=6)
    # the network keeps a second copy of residue 0 for "the last input was 0"
    hidden = tr.hidden.copy()
    last0 = np.concatenate([np.zeros((hidden.shape[0], 1), bool), tr.x[..., 0] == 0], axis=1)
    moved = last0 & (np.concatenate([np.full((hidden.shape[0], 1), -1), states], axis=1) == 0)
    hidden[moved] += 0.4 * (hidden[moved] - hidden[moved].mean(axis=0) + 1.0)
    from enchelpers import make_trace
    tr2 = make_trace(hidden[:, 1:], tr.x, tr.y)
    data = prepare_states(tr2)
    cuts = single_linkage_cuts(data.points, data.counts, must_include=data.initial)
    found = find_modular(data, cuts)
    assert isinstance(found, list), found.message
    assert found[0].moduli == (3,)


def test_not_a_cycle_is_a_failure_with_a_reason():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, size=(200, 6, 1))
    state = np.minimum(np.cumsum(x[..., 0], axis=1), 3)                   # saturating counter 0..3
    centres = np.array([[1.0, 2.0], [3.0, 2.0], [5.0, 2.0], [7.0, 2.0]])
    from enchelpers import make_trace
    tr = make_trace(centres[state], x, state[..., None])
    fail = find_modular(prepare_states(tr))
    assert isinstance(fail, EncodingFailure) and fail.kind == "modular" and fail.stage == "encode"
    assert "cycle" in fail.message
