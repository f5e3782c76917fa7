"""FSM stage: Moore machines, minimisation, growth detection, dict and DOT export."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mips.encodings import Encoding, choose_encoding, prepare_states
from mips.errors import ConfigError
from mips.machine.extract import MooreMachine, extract_fsm, minimize, n_mealy_states
from mips.network.trace import HiddenTrace


def machine(transitions, outputs, initial=0, inputs=None):
    t = np.array(transitions, dtype=np.int64)
    n, u = t.shape
    return MooreMachine(states=tuple((i,) for i in range(n)), names=tuple(f"s{i}" for i in range(n)),
                        inputs=tuple(inputs or [(j,) for j in range(u)]),
                        outputs=tuple(None if o is None else (o,) for o in outputs), transitions=t,
                        initial=initial, counts=np.ones((n, u), dtype=np.int64))


def naive_run(m: MooreMachine, seq):
    state, out = m.initial, []
    for v in seq:
        state = int(m.transitions[state, m.inputs.index((v,))])
        if state < 0:
            return out
        out.append(m.outputs[state])
    return out


@st.composite
def machines(draw, complete: bool = False):
    n = draw(st.integers(1, 7))
    u = draw(st.integers(1, 3))
    low = 0 if complete else -1
    trans = draw(st.lists(st.lists(st.integers(low, n - 1), min_size=u, max_size=u), min_size=n, max_size=n))
    outs = draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    if not complete:
        outs[0] = draw(st.sampled_from([None, outs[0]]))
    return machine(trans, outs)


def test_mod3_counter_with_redundant_states_minimises_to_three():
    # a mod-6 counter whose output is the count mod 3: states k and k + 3 are equivalent
    m = machine([[k, (k + 1) % 6] for k in range(6)], [k % 3 for k in range(6)])
    minimal, mapping = minimize(m)
    assert minimal.n_states == 3
    assert mapping.tolist() == [0, 1, 2, 0, 1, 2]
    x = np.random.default_rng(0).integers(0, 2, size=(50, 12, 1))
    out, defined = minimal.run(x)
    assert defined.all()
    np.testing.assert_array_equal(out[..., 0], np.cumsum(x[..., 0], axis=1) % 3)


def behaviour(m: MooreMachine, state: int, depth: int) -> tuple:
    """Outputs along every input word up to ``depth`` from ``state`` (a naive Myhill-Nerode signature)."""
    if depth == 0 or state < 0:
        return (m.outputs[state] if state >= 0 else "dead",)
    return (m.outputs[state],) + tuple(behaviour(m, int(m.transitions[state, u]), depth - 1)
                                       for u in range(m.n_inputs))


@settings(max_examples=80, deadline=None)
@given(m=machines())
def test_minimising_twice_changes_nothing_and_keeps_behaviour(m):
    once = m.minimize()
    assert once.minimize() == once
    assert once.n_states <= len(m.reachable())
    rng = np.random.default_rng(0)
    for _ in range(20):
        seq = rng.integers(0, m.n_inputs, size=6).tolist()
        a, b = naive_run(m, seq), naive_run(once, seq)
        # same outputs wherever the original is defined (None: the unknown initial output)
        assert len(b) >= len(a) and all(p is None or p == q for p, q in zip(a, b))


@settings(max_examples=60, deadline=None)
@given(m=machines(complete=True))
def test_minimal_size_matches_a_brute_force_count(m):
    distinct = {behaviour(m, s, m.n_states) for s in m.reachable()}
    assert m.minimize().n_states == len(distinct)


@settings(max_examples=60, deadline=None)
@given(m=machines())
def test_dict_round_trip(m):
    d = m.to_dict()
    assert MooreMachine.from_dict(json.loads(json.dumps(d))) == m


def test_run_matches_a_naive_loop():
    m = machine([[1, 2], [2, -1], [0, 1]], [None, 1, 0])
    x = np.random.default_rng(1).integers(0, 2, size=(40, 5, 1))
    out, defined = m.run(x)
    for i in range(40):
        expect = naive_run(m, x[i, :, 0].tolist())                      # stops at an unobserved transition
        got = [tuple(o) if d else None for o, d in zip(out[i].tolist(), defined[i])]
        assert got[:len(expect)] == expect and not any(defined[i, len(expect):])


def test_unknown_initial_output_merges_into_a_compatible_state():
    # initial state (output unknown) behaves like state 1 on every input
    m = machine([[1, 2], [1, 2], [2, 1]], [None, 0, 1])
    minimal, mapping = minimize(m)
    assert minimal.n_states == 2 and mapping[0] == mapping[1] == minimal.initial
    assert minimal.outputs[minimal.initial] == (0,)


def test_unobserved_transitions_are_listed():
    m = machine([[1, -1], [1, 0]], [None, 0])
    assert m.unobserved() == ((0, (1,)),)


def test_mealy_count_of_binary_addition():
    # Moore states (carry, sum bit); inputs (a, b); the Mealy machine needs only the carry
    inputs = [(0, 0), (0, 1), (1, 0), (1, 1)]
    states = [(c, s) for c in (0, 1) for s in (0, 1)]
    idx = {st_: i + 1 for i, st_ in enumerate(states)}
    trans = [[idx[((a + b) // 2, (a + b) % 2)] for a, b in inputs]]
    for c, _ in states:
        trans.append([idx[((a + b + c) // 2, (a + b + c) % 2)] for a, b in inputs])
    m = machine(trans, [None] + [s for _, s in states], inputs=inputs)
    assert m.minimize().n_states == 4
    assert n_mealy_states(m.minimize()) == 2


def test_to_dot_lists_states_and_grouped_edges():
    dot = machine([[1, 1], [0, 1]], [None, 1]).to_dot()
    assert dot.startswith("digraph moore {") and dot.rstrip().endswith("}")
    assert "__start -> s0;" in dot and 's0 -> s1 [label="0,1"];' in dot and "y=?" in dot


@pytest.mark.parametrize("data, message", [
    ({"format": "other"}, "must have format 'mips-moore-machine'"),
    ({"format": "mips-moore-machine", "states": []}, "lacks \\['initial', 'inputs'"),
], ids=["format", "missing"])
def test_from_dict_rejects_bad_input(data, message):
    with pytest.raises(ConfigError, match=message):
        MooreMachine.from_dict(data)


def test_machine_rejects_bad_transitions():
    with pytest.raises(ConfigError, match="Transitions must be state indices"):
        machine([[3]], [0])


# -- extraction from traces ---------------------------------------------------------------------

def trace_of(hidden_after, x, y):
    n, _, h = hidden_after.shape
    hidden = np.concatenate([np.zeros((n, 1, h)), hidden_after], axis=1)
    return HiddenTrace(task="t", x=x, y=y, hidden=hidden, output=y.astype(float))


def cycle(n=4, n_seq=300, seq_len=10, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, size=(n_seq, seq_len, 1))
    s = np.cumsum(x[..., 0], axis=1) % n
    ang = 2 * np.pi * s / n
    hidden = np.stack([2 + np.cos(ang), 1 + np.sin(ang)], axis=-1) + 0.01 * rng.normal(size=s.shape + (2,))
    return trace_of(hidden, x, s[..., None])


def test_extract_fsm_of_a_cycle_reproduces_the_outputs():
    tr = cycle()
    res = extract_fsm(choose_encoding(tr))
    assert res.status == "finite" and res.minimal.n_states == 4
    assert res.machine.n_states == 5                                      # 4 states + the initial one
    assert res.output_conflicts == () and res.transition_conflicts == ()
    out, defined = res.minimal.run(tr.x)
    assert defined.all()
    np.testing.assert_array_equal(out, tr.y)
    assert MooreMachine.from_dict(res.minimal.to_dict()) == res.minimal
    assert res.states_by_step[-1] == 4 + 1 or res.states_by_step[-1] == 4


def test_a_counter_is_flagged_not_enumerated():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 5, size=(400, 12, 1))
    z = np.cumsum(x[..., 0], axis=1)
    tr = trace_of(z[..., None] * np.array([0.1, 0.05]), x, z[..., None])
    res = extract_fsm(choose_encoding(tr, kinds=("lattice",)), max_states=10)
    assert res.status == "counter" and "counter" in res.message
    assert res.growing_variables == ("z0",) and res.machine is None
    assert np.all(np.diff(res.states_by_step) > 0)


def test_bounded_but_unsaturated_states():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 10, size=(300, 10, 1))
    prev = np.concatenate([np.zeros((300, 2), dtype=np.int64), x[..., 0]], axis=1)
    window = np.stack([prev[:, 2:], prev[:, 1:-1], prev[:, :-2]], axis=-1)      # last three inputs
    tr = trace_of(window * 0.3, x, window.sum(-1, keepdims=True))
    res = extract_fsm(choose_encoding(tr, kinds=("lattice",)))
    assert res.status == "unsaturated" and "does not cover" in res.message


def test_output_conflicts_are_reported():
    tr = cycle(n=4)
    y = np.array(tr.y)
    y[0, 3, 0] = 9                                                        # one impossible label
    tr2 = HiddenTrace(task="t", x=tr.x, y=y, hidden=tr.hidden, output=tr.output)
    data = prepare_states(tr2, outputs="labels")
    res = extract_fsm(data, choose_encoding(tr).chosen)
    assert len(res.output_conflicts) == 1 and "conflicting outputs" in res.message
    state, counts = res.output_conflicts[0]
    assert (9,) in counts and max(counts.values()) > 1


def test_extract_fsm_rejects_misuse():
    tr = cycle()
    with pytest.raises(ConfigError, match="'source' parameter of extract_fsm"):
        extract_fsm(tr.hidden)
    with pytest.raises(ConfigError, match="needs an Encoding"):
        extract_fsm(tr)
    enc = Encoding(kind="cluster", method="manual", hidden_dim=3, variables=("c",), moduli=(None,),
                   centres=np.zeros((1, 3)), centre_codes=np.zeros((1, 1)))
    with pytest.raises(ConfigError, match="hidden_dim 3; the trace has 2"):
        extract_fsm(tr, enc)
