"""De-duplication of hidden states: fast hashing vs numpy's exact unique, index round trips."""

import numpy as np
import pytest
from enchelpers import make_trace
from hypothesis import given, settings
from hypothesis import strategies as st

from mips.encodings import EncodingFailure, prepare_states
from mips.encodings.data import row_keys, unique_rows
from mips.errors import ConfigError


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 300), h=st.integers(1, 5), levels=st.integers(1, 4))
def test_unique_rows_matches_numpy(seed, n, h, levels):
    rng = np.random.default_rng(seed)
    a = rng.integers(-levels, levels + 1, size=(n, h)).astype(np.float64) * 0.5
    first, inverse, counts = unique_rows(a)
    ref, ref_counts = np.unique(a, axis=0, return_counts=True)
    assert first.size == ref.shape[0]
    np.testing.assert_array_equal(a[first][inverse], a)                 # every row maps to an equal row
    assert sorted(counts.tolist()) == sorted(ref_counts.tolist())
    # naive: rows equal <=> same index
    for i in range(min(n, 30)):
        for j in range(min(n, 30)):
            assert (inverse[i] == inverse[j]) == bool(np.all(a[i] == a[j]))


def test_row_keys_separate_sign_flips_and_negative_zero():
    a = np.array([[1.5, -2.0], [-1.5, 2.0], [0.0, 1.0], [-0.0, 1.0]])
    keys = row_keys(a)
    assert keys[0] != keys[1]
    assert keys[2] == keys[3]                                           # -0.0 and 0.0 are one state
    _, inverse, _ = unique_rows(a)
    assert inverse[2] == inverse[3] and len(set(inverse.tolist())) == 3


def test_prepare_states_round_trip():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, size=(20, 5, 1))
    hidden = np.round(rng.normal(size=(20, 5, 2)), 1)
    tr = make_trace(hidden, x, x % 2)
    data = prepare_states(tr)
    np.testing.assert_array_equal(data.points[data.index], tr.hidden)
    np.testing.assert_array_equal(data.inputs[data.x_index], tr.x)
    assert data.counts.sum() == tr.hidden.shape[0] * tr.hidden.shape[1]
    assert np.all(data.points[data.initial] == 0)
    assert not data.points.flags.writeable
    labels = prepare_states(tr, outputs="labels")
    assert labels.output_source == "labels"


def test_prepare_states_rejects_bad_arguments():
    with pytest.raises(ConfigError, match="must be a HiddenTrace"):
        prepare_states(np.zeros((2, 3, 1)))
    tr = make_trace(np.zeros((1, 2, 1)), np.zeros((1, 2, 1)), np.zeros((1, 2, 1)))
    with pytest.raises(ConfigError, match="'outputs' parameter of prepare_states must be one of"):
        prepare_states(tr, outputs="netwrk")


def test_finders_accept_traces_and_reject_other_inputs():
    from mips.encodings import find_clusters, find_lattice, find_modular
    tr = make_trace(np.zeros((2, 3, 1)), np.zeros((2, 3, 1)), np.zeros((2, 3, 1)))
    assert isinstance(find_lattice(tr), EncodingFailure)                                     # a trace is fine (one state: failure)
    for finder in (find_lattice, find_clusters, find_modular):
        with pytest.raises(ConfigError, match=f"'data' parameter of {finder.__name__} must be a HiddenTrace"):
            finder(np.zeros((3, 1)))
