"""Projection for the app: PCA coordinates with every per-point attribute, basis in the same axes."""

import numpy as np
import pytest

from mips.encodings import choose_encoding
from mips.encodings.projection import project
from mips.errors import ConfigError
from mips.network.trace import HiddenTrace


def lattice_trace(seed=0, n_seq=120, seq_len=6):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, size=(n_seq, seq_len, 1))
    z = np.cumsum(x[..., 0], axis=1)
    a = np.array([0.2, -0.1, 0.05])
    hidden = np.concatenate([np.zeros((n_seq, 1, 3)), z[..., None] * a + np.array([0.0, 0.0, 0.0])], axis=1)
    y = z[..., None]
    return HiddenTrace(task="t", x=x, y=y, hidden=hidden, output=y.astype(float))


def test_projection_columns_and_pca_match_a_naive_computation():
    tr = lattice_trace()
    enc = choose_encoding(tr, kinds=("lattice",)).chosen
    p = project(tr, enc, n_components=2)
    n, s, h = tr.hidden.shape
    assert p.n_points == n * s and p.coords.shape == (n * s, 2)
    cols = p.columns()
    assert {"pc1", "pc2", "sequence", "step", "output", "label", "cluster", "z0", "lattice_z0"} <= set(cols)
    assert all(len(v) == p.n_points for v in cols.values())
    # naive: the row of (sequence i, step t) is hidden[i, t] projected
    for row in (0, 7, p.n_points - 1):
        i, t = p.sequence[row], p.step[row]
        np.testing.assert_allclose(p.coords[row], (tr.hidden[i, t] - p.mean) @ p.components.T, atol=1e-12)
        if t == 0:
            assert np.isnan(p.output[row, 0])
        else:
            assert p.output[row, 0] == tr.predictions()[i, t - 1, 0] and p.label[row, 0] == tr.y[i, t - 1, 0]
    np.testing.assert_allclose(p.components @ p.components.T, np.eye(2), atol=1e-12)
    assert p.explained_variance_ratio[0] == pytest.approx(1.0)            # all states on one line


def test_lattice_basis_and_offset_live_in_the_same_axes():
    tr = lattice_trace(1)
    enc = choose_encoding(tr, kinds=("lattice",)).chosen
    p = project(tr, enc, n_components=3)
    z = np.array([2])
    point = z @ enc.basis + enc.offset
    np.testing.assert_allclose((point - p.mean) @ p.components.T, z @ p.basis + p.offset, atol=1e-12)
    np.testing.assert_array_equal(p.codes[:, 0], np.round(p.lattice[:, 0]))


def test_centre_encodings_give_clusters_and_centres():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, size=(200, 6, 1))
    s = np.cumsum(x[..., 0], axis=1) % 3
    ang = 2 * np.pi * s / 3
    hidden = np.stack([3 + np.cos(ang), np.sin(ang)], axis=-1) + 0.01 * rng.normal(size=s.shape + (2,))
    tr = HiddenTrace(task="t", x=x, y=s[..., None], hidden=np.concatenate([np.zeros((200, 1, 2)), hidden], axis=1),
                     output=s[..., None].astype(float))
    enc = choose_encoding(tr).chosen
    p = project(tr, enc, max_sequences=50, include_initial=False, seed=3)
    assert p.n_points == 50 * 6 and p.step.min() == 1
    assert p.centres.shape == (enc.centres.shape[0], 2) and p.basis is None
    assert set(np.unique(p.cluster)) <= set(range(enc.centres.shape[0]))
    assert not p.coords.flags.writeable


def test_projection_pads_one_dimensional_states():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, size=(30, 4, 1))
    hidden = np.concatenate([np.zeros((30, 1, 1)), np.cumsum(x, axis=1) * 0.5], axis=1)
    tr = HiddenTrace(task="t", x=x, y=np.cumsum(x, axis=1), hidden=hidden, output=np.cumsum(x, axis=1) * 1.0)
    p = project(tr)
    assert p.coords.shape[1] == 2 and np.all(p.coords[:, 1] == 0) and p.codes is None


def test_project_rejects_misuse():
    tr = lattice_trace()
    with pytest.raises(ConfigError, match="'n_components' parameter of project must be an int in \\[2, 3\\]"):
        project(tr, n_components=4)
    with pytest.raises(ConfigError, match="must be a HiddenTrace"):
        project(tr.hidden)
