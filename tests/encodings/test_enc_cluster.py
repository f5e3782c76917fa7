"""Cluster and Boolean encodings: planted clusters are recovered without any permutation search."""

import numpy as np
import pytest
from enchelpers import separated_centres, shift_register_trace
from hypothesis import given, settings
from hypothesis import strategies as st

from mips.encodings import find_clusters, prepare_states, single_linkage_cuts
from mips.encodings.cluster import majority_outputs, successors


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    pairs = set(zip(a.tolist(), b.tolist()))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 100_000), bits=st.integers(1, 3), h=st.integers(1, 4), noise=st.floats(0.001, 0.05),
       per_cluster=st.integers(3, 60))
def test_planted_clusters_are_recovered(seed, bits, h, noise, per_cluster):
    # (a handful of isolated points has no cluster structure to recover: at least 3 noisy copies each)
    rng = np.random.default_rng(seed)
    m = 2 ** bits
    centres = separated_centres(m, h, rng, min_dist=1.0)
    truth = np.repeat(np.arange(m), per_cluster)
    points = centres[truth] + noise * rng.uniform(-1, 1, size=(truth.size, h))
    cuts = single_linkage_cuts(points)
    assert cuts, "no cut found"
    assert any(same_partition(c.labels, truth) for c in cuts)
    best = cuts[0]
    assert best.n_clusters == m and same_partition(best.labels, truth)


def test_cut_labels_of_a_large_sample_agree_with_the_full_linkage():
    rng = np.random.default_rng(3)
    centres = separated_centres(5, 2, rng, min_dist=2.0)
    truth = rng.integers(0, 5, size=5000)
    points = centres[truth] + 0.05 * rng.normal(size=(5000, 2))
    sampled = single_linkage_cuts(points, max_sample=300)[0]              # 300-point sample, then assignment
    full = single_linkage_cuts(points, max_sample=10_000)[0]
    assert sampled.n_clusters == full.n_clusters == 5
    assert same_partition(sampled.labels, full.labels) and same_partition(full.labels, truth)


def test_no_gap_means_no_cut():
    points = np.linspace(0, 1, 500)[:, None] + 1e-3 * np.random.default_rng(0).normal(size=(500, 1))
    assert single_linkage_cuts(points, max_clusters=256) == []


def test_successors_and_outputs_match_a_naive_count():
    tr, _ = shift_register_trace(np.random.default_rng(0))
    data = prepare_states(tr)
    cut = single_linkage_cuts(data.points, data.counts, must_include=data.initial)[0]
    labels = cut.labels[data.index]
    table = successors(labels, data, cut.n_clusters)
    naive: dict = {}
    for i in range(labels.shape[0]):
        for t in range(labels.shape[1] - 1):
            key = (labels[i, t], data.x_index[i, t])
            naive.setdefault(key, {}).setdefault(labels[i, t + 1], 0)
            naive[key][labels[i, t + 1]] += 1
    for (c, u), counts in naive.items():
        assert table[c, u] == max(counts, key=counts.get)
    outs = majority_outputs(labels, data, cut.n_clusters)
    assert outs[labels[0, 0]] == -1                                        # the initial state has no output


def test_find_clusters_on_a_two_bit_register():
    tr, centres = shift_register_trace(np.random.default_rng(1))
    found = find_clusters(prepare_states(tr))
    kinds = {e.kind for e in found}
    assert kinds == {"boolean", "cluster"}
    boolean = next(e for e in found if e.kind == "boolean")
    # 5 clusters (4 register states + h_{-1}); h_{-1} acts like a state whose last bit is 0 and
    # shares its code, so 4 codes in 2 bits
    assert boolean.params["n_clusters"] == 5 and boolean.params["initial_alias"] is not None
    assert boolean.n_vars == 2 and boolean.n_states == 4
    assert boolean.max_residual < 0.2
    # the code of a state is the code of its nearest centre, and decode gives that centre back
    codes = boolean.encode(centres)
    assert len({tuple(c) for c in codes.tolist()}) == 4
    np.testing.assert_allclose(boolean.decode(codes), centres, atol=0.05)


def test_touching_clusters_with_different_outputs_are_split_by_output():
    # parity states: two long bands 0.02 apart (single linkage sees one blob, plus h_{-1})
    rng = np.random.default_rng(4)
    x = rng.integers(0, 2, size=(400, 8, 1))
    state = np.cumsum(x[..., 0], axis=1) % 2
    hidden = np.stack([rng.uniform(2, 5, size=state.shape), 0.12 * state + 0.05 * rng.uniform(-1, 1, size=state.shape)],
                      axis=-1)
    from enchelpers import make_trace

    from mips.encodings import choose_encoding
    from mips.encodings.cluster import output_exception_fraction, output_split_cut
    data = prepare_states(make_trace(hidden, x, state[..., None]))
    assert all(c.n_clusters < 3 for c in single_linkage_cuts(data.points, data.counts, must_include=data.initial))
    split = output_split_cut(data)
    assert split.method == "output-split" and split.n_clusters == 3                # 2 parities + h_{-1}
    assert output_exception_fraction(data, split) == 0.0
    choice = choose_encoding(data)
    assert choice.chosen.n_states == 2 and choice.chosen.output_exceptions == 0
    assert choice.chosen.method.endswith("output-split")


def test_output_exception_fraction_matches_a_naive_count():
    tr, _ = shift_register_trace(np.random.default_rng(5))
    data = prepare_states(tr)
    from mips.encodings.cluster import output_exception_fraction, point_outputs
    from mips.encodings.linkage import Cut
    labels = np.random.default_rng(0).integers(0, 3, size=data.n_points)      # an arbitrary partition
    cut = Cut(threshold=0.0, gap_ratio=1.0, labels=labels, centres=np.zeros((3, data.hidden_dim)))
    out = point_outputs(data)
    seen = out >= 0
    off = 0
    for c in range(3):
        ys = out[seen & (labels == c)].tolist()
        if ys:
            off += len(ys) - max(ys.count(v) for v in set(ys))
    assert output_exception_fraction(data, cut) == pytest.approx(off / seen.sum())
