"""The registry of encoding kinds: every kind's behaviour lives with it; a new kind is one class
plus one registry entry, and choose_encoding, the description length and the projection use it."""

import numpy as np
import pytest
from enchelpers import cycle_trace

from mips.encodings import (
    ENCODINGS,
    KINDS,
    Encoding,
    EncodingFailure,
    choose_encoding,
    prepare_states,
    registry,
)
from mips.encodings import choose as choose_module
from mips.encodings import kind as kind_module
from mips.encodings.centres import CentreKind
from mips.encodings.kind import EncodingKind, Search
from mips.encodings.mdl import finish
from mips.encodings.projection import project
from mips.errors import ConfigError
from mips.failure import Failure


def test_registry_order_is_the_kind_order_and_every_encoding_knows_its_kind():
    assert KINDS == ("lattice", "modular", "boolean", "cluster") == tuple(ENCODINGS)
    assert all(isinstance(k, EncodingKind) and k.name == name and k.description for name, k in ENCODINGS.items())
    assert kind_module.REGISTERED is ENCODINGS                           # the table an Encoding looks its kind up in
    tr, _ = cycle_trace(5, 3, 0.01, np.random.default_rng(0), seq_len=12)
    for enc in choose_encoding(tr).candidates:
        assert enc.kind_type is ENCODINGS[enc.kind]


def test_an_unknown_kind_is_refused_with_the_registered_ones():
    with pytest.raises(ConfigError, match=r"'kind' parameter of Encoding must be one of \('lattice', 'modular'"):
        Encoding(kind="spiral", method="m", hidden_dim=1, variables=("z",), moduli=(None,))


def test_failures_are_the_encode_stage_failure():
    fail = EncodingFailure(kind="modular", method="cycle", message="no cycle")
    assert isinstance(fail, Failure) and fail.stage == "encode" and str(fail) == "cycle: no cycle"


class _OneCluster(CentreKind):
    """Every state in one cluster: the simplest possible kind (for this test only)."""

    name = "one"
    description = "a single state"

    def find(self, search: Search):
        data = search.data
        enc = Encoding(kind=self.name, method="mean", hidden_dim=data.hidden_dim, variables=("s",),
                       moduli=(None,), centres=data.points.mean(axis=0, keepdims=True),
                       centre_codes=np.zeros((1, 1), dtype=np.int64))
        return [finish(enc, data, eps=search.eps)]


def test_a_new_kind_is_one_class_and_one_registry_entry(monkeypatch):
    monkeypatch.setattr(kind_module, "REGISTERED", kind_module.REGISTERED)     # restored after the test
    kinds = kind_module.register((*ENCODINGS.values(), _OneCluster()))    # what one more line in registry.py does
    monkeypatch.setattr(registry, "ENCODINGS", kinds)
    monkeypatch.setattr(choose_module, "ENCODINGS", kinds)
    monkeypatch.setattr(choose_module, "KINDS", tuple(kinds))
    tr, _ = cycle_trace(3, 2, 0.01, np.random.default_rng(2), seq_len=6)
    choice = choose_encoding(prepare_states(tr), kinds=("modular", "one"))
    one = [c for c in choice.candidates if c.kind == "one"]
    assert len(one) == 1 and one[0].n_states == 1 and one[0].kind_type is kinds["one"]
    assert one[0].description_length.total_bits > 0 and np.all(one[0].encode(tr.hidden) == 0)
    assert choice.chosen.kind == "modular"                             # one state cannot tell the outputs apart
    shown = project(tr, one[0])
    assert shown.centres.shape == (1, 2) and np.all(shown.cluster == 0)


def test_an_encoding_survives_pickling_for_the_sandboxed_edit_check():
    """The check of an edited program runs in a child process, which receives the encoding pickled
    (parent to child only; replies are never pickles): params travel as a plain dict."""
    import pickle

    import numpy as np

    from mips.encodings.base import Encoding

    enc = Encoding(kind="cluster", method="test", hidden_dim=2, variables=("c",), moduli=(None,),
                   centres=np.array([[0.0, 0.0], [1.0, 1.0]]), centre_codes=np.array([[0], [1]]),
                   params={"n_clusters": 2})
    back = pickle.loads(pickle.dumps(enc))
    h = np.array([[0.1, -0.1], [0.9, 1.2]])
    assert np.array_equal(back.encode(h), enc.encode(h)) and dict(back.params) == {"n_clusters": 2}
