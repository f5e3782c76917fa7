"""The machine stage's fallback: a network whose states never collapse (Div_3: every binary prefix
its own hidden point) still yields its exact remainder machine when the behavioural grouping probes
only states whose probes stay within the traced length."""

from __future__ import annotations

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
