"""The machine stage's fallback: a network whose states never collapse (Div_3: every binary prefix
its own hidden point) still yields its exact remainder machine when the behavioural grouping probes
only states whose probes stay within the traced length."""

from __future__ import annotations

import pytest

from mips.encodings.behaviour import find_behavioural
from mips.machine.extract import extract_fsm
from mips.machine.stage import conflicts
from mips.paths import ASSETS
from mips.pipeline import PipelineConfig, run_pipeline

FAST = PipelineConfig(n_sequences=20_000, length_factor=2)


def test_div3_machine_is_exact_with_probes_within_the_traced_length() -> None:
    r = run_pipeline("Div_3", FAST, model=ASSETS / "zoo" / "Div_3.pt")
    choice, network = r.encoding, r.traced_network
    everywhere = find_behavioural(choice.data, network, length=2)
    within = find_behavioural(choice.data, network, length=2, within_length=True)
    assert conflicts(extract_fsm(choice, within)) < conflicts(extract_fsm(choice, everywhere))
    assert "within the traced length" in r.stages["fsm"].message or r.fsm.encoding.method == "behaviour"
    # the machine the stage chose is right on every one of the 1,024 sequences and on longer ones
    assert r.program is not None and r.verification.task_accuracy == 1.0, r.stages["verify"].message
    assert r.verification.rnn_agreement == 1.0 and r.verification.length_generalization == 1.0


def test_div7_gets_its_exact_28_state_machine() -> None:
    # the chosen encoding's machine has conflicts; a runner-up has none but never saturates (every
    # prefix its own point): the behavioural machine the data covers must win over it
    r = run_pipeline("Div_7", FAST, model=ASSETS / "zoo" / "Div_7.pt", until="fsm")
    assert r.fsm.status == "finite" and r.fsm.minimal.n_states == 28 and not conflicts(r.fsm)


#: the program stage on Div_7's 28 states takes about 20 s of CPU; the default suite keeps the machine
#: (above), the end-to-end remainder program on Div_3 (the first test) and the remainder view on the
#: long-division machines of 3, 5 and 7 (tests/program/test_remainder.py)
@pytest.mark.slow
def test_div7_gets_its_exact_28_state_machine_and_its_remainder_program() -> None:
    r = run_pipeline("Div_7", FAST, model=ASSETS / "zoo" / "Div_7.pt")
    assert r.fsm.status == "finite" and r.fsm.minimal.n_states == 28 and not conflicts(r.fsm)
    assert r.solved and any(f"% {n}" in r.program.updates[0].expr for n in (7, 14)), r.stages["verify"].message


def test_a_covered_machine_ranks_before_an_unsaturated_one_with_as_few_conflicts() -> None:
    from types import SimpleNamespace

    from mips.machine.stage import _rank
    finite = SimpleNamespace(status="finite", transition_conflicts=(), output_conflicts=())
    unsaturated = SimpleNamespace(status="unsaturated", transition_conflicts=(), output_conflicts=())
    conflicted = SimpleNamespace(status="finite", transition_conflicts=((0, 0, {}),), output_conflicts=())
    assert _rank(finite) < _rank(unsaturated) < _rank(conflicted)
    assert _rank(SimpleNamespace(status="counter", transition_conflicts=(), output_conflicts=())) == (0, False)


def test_the_message_says_why_the_machine_was_replaced() -> None:
    from types import SimpleNamespace

    from mips.machine.stage import _replaced
    enc = SimpleNamespace(kind="behaviour", method="behaviour", n_states=28)
    conflicted = SimpleNamespace(status="finite", transition_conflicts=((0, 0, {}),) * 3, output_conflicts=())
    unsaturated = SimpleNamespace(status="unsaturated", transition_conflicts=(), output_conflicts=())
    best = SimpleNamespace(status="finite", transition_conflicts=(), output_conflicts=(), encoding=enc)
    assert _replaced(best, best) == ""
    assert "had 3 conflicts; using the behaviour encoding (behaviour), 28 states" in _replaced(conflicted, best)
    assert "was not covered by the data (unsaturated)" in _replaced(unsaturated, best)
    assert "0 conflicts" not in _replaced(unsaturated, best)
