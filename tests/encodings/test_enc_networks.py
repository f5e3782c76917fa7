"""Integration: encodings and machines of small networks trained here (fast recipe).

Expected machines: Parity_All 2 states, Add_Mod_3 3 states (a cycle), Binary_Addition 4 Moore
states (carry, last sum bit) but 2 Mealy states (the carry), Sum_All a counter.
"""

import numpy as np
import pytest

from mips.encodings import choose_encoding
from mips.encodings.projection import project
from mips.machine.extract import extract_fsm
from mips.network import RNNConfig
from mips.network.trace import trace
from mips.network.training import train
from mips.tasks import make_dataset

CONFIGS = {
    "Parity_All": dict(input_dim=1, output_dim=1, hidden_dim=1, hidden_depth=2, hidden_width=8),
    "Add_Mod_3": dict(input_dim=1, output_dim=1, hidden_dim=2, hidden_depth=2, hidden_width=16),
    "Binary_Addition": dict(input_dim=2, output_dim=1, hidden_dim=2, hidden_depth=2, hidden_width=8),
    "Sum_All": dict(input_dim=1, output_dim=1, hidden_dim=1),
}
_CACHE: dict = {}


def extracted(task: str):
    """Train (once per session), trace the test split, choose an encoding, extract the machine."""
    if task not in _CACHE:
        ds = make_dataset(task, n_sequences=20_000)
        res = train(task, RNNConfig(**CONFIGS[task]), seeds=(0, 1, 2, 3), dataset=ds)
        assert res.perfect, f"{task} did not train to 100%"
        tr = trace(res.model, ds.x_test, ds.y_test, task=task)
        choice = choose_encoding(tr)
        _CACHE[task] = (tr, choice, extract_fsm(choice))
    return _CACHE[task]


@pytest.mark.parametrize("task, n_states", [("Parity_All", 2), ("Add_Mod_3", 3), ("Binary_Addition", 4)])
def test_finite_machines_have_the_expected_size_and_reproduce_the_network(task, n_states):
    tr, choice, fsm = extracted(task)
    assert choice.chosen is not None, choice.messages
    assert fsm.status == "finite", fsm.message
    assert fsm.minimal.n_states == n_states, fsm.message
    assert fsm.output_conflicts == () and fsm.transition_conflicts == ()
    out, defined = fsm.minimal.run(tr.x)
    assert defined.all()
    np.testing.assert_array_equal(out, tr.predictions())                # the machine is the network


def test_running_sum_mod_3_is_a_cycle():
    _, choice, _ = extracted("Add_Mod_3")
    modular = [c for c in choice.candidates if c.kind == "modular"]
    assert modular and modular[0].moduli == (3,)
    assert modular[0].update_rule == "z <- (z + x) mod 3"


def test_binary_addition_needs_the_sum_bit_as_moore_state_but_only_the_carry_as_mealy_state():
    _, _, fsm = extracted("Binary_Addition")
    assert fsm.minimal.n_states == 4 and fsm.n_mealy_states == 2
    outputs = sorted(o for o in fsm.minimal.outputs if o is not None)
    assert outputs == [(0,), (0,), (1,), (1,)]


def test_sum_all_is_a_counter():
    _, choice, fsm = extracted("Sum_All")
    assert choice.chosen.kind == "lattice" and choice.chosen.n_vars == 1
    assert fsm.status == "counter", fsm.message
    assert fsm.growing_variables == choice.chosen.variables


def test_projection_of_a_trained_network():
    tr, choice, _ = extracted("Binary_Addition")
    p = project(tr, choice.chosen, n_components=2, max_sequences=300)
    assert p.n_points == 300 * (tr.seq_len + 1)
    assert len(np.unique(p.cluster[p.step > 0])) == 4
