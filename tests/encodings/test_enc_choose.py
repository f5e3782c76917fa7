"""choose_encoding: every finder competes on description length; failures are data, not exceptions."""

import numpy as np
import pytest
from enchelpers import cycle_trace, make_trace, shift_register_trace

from mips.encodings import choose_encoding, prepare_states
from mips.encodings.mdl import integer_bits, parameter_bits
from mips.errors import ConfigError


def test_cycle_is_encoded_as_modular():
    tr, _ = cycle_trace(5, 3, 0.01, np.random.default_rng(0), seq_len=12)
    choice = choose_encoding(tr)
    assert choice.chosen.kind == "modular" and choice.chosen.moduli == (5,)
    assert choice.chosen.update_rule in ("z <- (z + x) mod 5", "z <- (z - x) mod 5")
    assert any(line.startswith("* ") for line in choice.messages)
    totals = [c.description_length.total_bits for c in choice.candidates]
    assert choice.chosen.description_length.total_bits <= min(totals) * 1.02 + 1e-9


def test_counter_is_encoded_as_lattice_and_clusters_fail():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 10, size=(300, 8, 1))
    z = np.cumsum(x[..., 0], axis=1)
    hidden = z[..., None] * np.array([0.05, -0.02]) + np.array([0.3, 0.1])
    tr = make_trace(hidden, x, z[..., None])
    choice = choose_encoding(tr)
    assert choice.chosen.kind == "lattice" and choice.chosen.n_vars == 1
    assert choice.chosen.update_rule == "z0 <- z0 + x"
    assert "modular" in {f.kind for f in choice.failures}               # a counter is no cycle
    assert all(f.message for f in choice.failures)
    # exact states: clusters of states are possible, but cost more than the lattice
    clusters = [c for c in choice.candidates if c.kind in ("boolean", "cluster")]
    assert all(c.description_length.total_bits > choice.chosen.description_length.total_bits for c in clusters)


def test_bits_are_encoded_as_clusters_or_bits():
    tr, _ = shift_register_trace(np.random.default_rng(2))
    choice = choose_encoding(tr)
    assert choice.chosen.kind in ("boolean", "cluster", "lattice")
    assert choice.chosen.n_states == 4
    rows = choice.table()
    assert len(rows) == len(choice.candidates) and sum(r["chosen"] for r in rows) == 1


def test_restricting_kinds():
    tr, _ = cycle_trace(3, 2, 0.01, np.random.default_rng(3))
    choice = choose_encoding(prepare_states(tr), kinds=("boolean",))
    assert {c.kind for c in choice.candidates} == {"boolean"}


@pytest.mark.parametrize("kwargs, message", [
    ({"kinds": ("lattice", "modulr")}, "'kinds' parameter of choose_encoding must be one of .* Did you mean 'modular'"),
    ({"kinds": ()}, "'kinds' parameter of choose_encoding must be a non-empty tuple"),
    ({"eps": 0.0}, "'eps' parameter of choose_encoding must be a float in \\(0.0"),
], ids=["unknown-kind", "no-kinds", "zero-eps"])
def test_choose_encoding_rejects_bad_arguments(kwargs, message):
    tr, _ = cycle_trace(3, 2, 0.0, np.random.default_rng(0), n_seq=5)
    with pytest.raises(ConfigError, match=message):
        choose_encoding(tr, **kwargs)


def test_parameter_and_integer_bits_match_a_naive_sum():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(3, 4)), rng.normal(size=5)
    naive = sum(1 + np.log2(1 + abs(v) / 0.01) for v in list(a.ravel()) + list(b))
    assert parameter_bits(a, None, b, eps=0.01) == pytest.approx(naive)
    assert integer_bits(np.array([0, -3, 7])) == pytest.approx(1 + 1 + np.log2(4) + 1 + np.log2(8))
