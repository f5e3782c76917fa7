"""run_pipeline on shipped zoo networks, the run command and its JSON report."""

import json
from pathlib import Path

import numpy as np
import pytest

from mips import pipeline
from mips.cli.main import main
from mips.errors import ConfigError
from mips.failure import Failure
from mips.pipeline import STAGES, PipelineConfig, run_pipeline
from mips.program.program import run_program

ZOO = Path(__file__).resolve().parents[2] / "assets" / "zoo"
FAST = PipelineConfig(n_sequences=20_000, length_factor=2)


@pytest.fixture(scope="module")
def sum_all():
    return run_pipeline("Sum_All", FAST, model=ZOO / "Sum_All.pt")


def test_sum_all_solved_with_the_right_initial_state(sum_all):
    r = sum_all
    assert [s for s in STAGES] == list(r.stages)
    assert all(s.status == "ok" for s in r.stages.values()), {n: s.message for n, s in r.stages.items()}
    assert r.solved and r.program.kind == "symbolic"
    v = r.verification
    assert v.task_accuracy == 1.0 and v.rnn_agreement == 1.0 and v.length_generalization == 1.0
    # the program is a running sum: check it independently of the verifier
    x = np.random.default_rng(0).integers(0, 100, (50, 10, 1))
    np.testing.assert_array_equal(run_program(r.program, x).outputs[..., 0], np.cumsum(x[..., 0], axis=1))


def test_report_has_exactly_the_documented_schema(sum_all):
    rep = sum_all.report()
    assert set(rep) == {"task", "solved", "program_kind", "program", "method", "rnn", "network", "verification",
                        "readability", "alternatives", "stages", "seconds"}
    assert set(rep["network"]) == {"kind", "description", "hidden_dim", "n_parameters", "input_encoding", "output",
                                   "normalizers"} and rep["network"]["kind"] == "mips-rnn"
    assert set(rep["readability"]) == {"score", "size", "n_vars", "flags"}
    for alt in rep["alternatives"]:
        assert set(alt) == {"program", "method", "readability"}
    assert set(rep["rnn"]) == {"hidden_dim", "hidden_depth", "hidden_width", "output_depth", "output_width",
                               "test_accuracy"}
    assert set(rep["verification"]) == {"task_accuracy", "rnn_agreement", "n_sequences", "exhaustive",
                                        "length_generalization"}
    assert set(rep["stages"]) == set(STAGES)
    for st in rep["stages"].values():
        assert set(st) == {"status", "seconds", "message"} and st["status"] in ("ok", "failed", "skipped")
    json.dumps(rep)


def test_until_skips_later_stages():
    r = run_pipeline("Parity_All", FAST, model=ZOO / "Parity_All.pt", until="encode")
    assert [r.stages[s].status for s in STAGES] == ["ok"] * 4 + ["skipped"] * 3
    assert r.program is None and not r.solved
    assert "after 'encode'" in r.stages["fsm"].message


def test_events_and_stop():
    events = []
    r = run_pipeline("Parity_All", FAST, model=ZOO / "Parity_All.pt", on_event=events.append,
                     should_stop=lambda: len(events) >= 4)
    assert events[0] == {"event": "stage_start", "stage": "model", "task": "Parity_All"}
    assert r.stages["verify"].status == "skipped" and "stopped" in r.stages["verify"].message


def test_bad_arguments_are_errors_not_statuses():
    with pytest.raises(KeyError, match="Did you mean 'Parity_All'"):
        run_pipeline("Parity_Al", FAST, model=ZOO / "Parity_All.pt")
    with pytest.raises(ValueError, match="'until'"):
        run_pipeline("Parity_All", FAST, model=ZOO / "Parity_All.pt", until="everything")
    with pytest.raises(ValueError, match="The 'n_trace_sequences' parameter of PipelineConfig"):
        PipelineConfig(n_trace_sequences=0)
    with pytest.raises(ValueError, match="reads 1 and writes 1 number"):
        run_pipeline("Binary_Addition", FAST, model=ZOO / "Parity_All.pt")


def test_misuse_inside_a_stage_raises_and_a_failure_is_a_status(monkeypatch):
    """An exception inside a numerical stage is misuse or a bug: it reaches the caller with its own
    message. A stage that found nothing returns a Failure: the stage fails and the later ones skip."""
    def misused(states):
        raise ConfigError("The 'min_states' parameter of choose_encoding must be an int in [1, inf]. Got 0 instead.")
    monkeypatch.setattr(pipeline, "choose_encoding", misused)
    with pytest.raises(ConfigError, match="'min_states' parameter of choose_encoding"):
        run_pipeline("Parity_All", FAST, model=ZOO / "Parity_All.pt")

    monkeypatch.setattr(pipeline, "choose_encoding",
                        lambda states: Failure(stage="encode", method="lattice", message="no lattice fits"))
    monkeypatch.setattr(pipeline, "_encode_stage", lambda tr: pipeline.choose_encoding(tr))
    r = run_pipeline("Parity_All", FAST, model=ZOO / "Parity_All.pt")
    assert r.stages["encode"].status == "failed" and r.stages["encode"].message == "no lattice fits"
    assert r.encoding is None and not r.solved
    assert [r.stages[s].status for s in ("fsm", "regress", "verify")] == ["skipped"] * 3
    assert r.stages["regress"].message == "skipped: 'encode' did not succeed"


def test_cli_run_writes_the_json_report(tmp_path, capsys):
    out = tmp_path / "r.json"
    code = main(["run", "--task", "Parity_All", "--model", str(ZOO / "Parity_All.pt"), "--n-sequences", "20000",
                 "--json", str(out)])
    text = capsys.readouterr().out
    rep = json.loads(out.read_text())
    assert code == 0 and rep["solved"] is True and rep["program_kind"] == "symbolic"
    assert "def f(xs):" in text and "SOLVED" in text
    assert rep["verification"]["exhaustive"] is True and rep["verification"]["n_sequences"] == 1024


def test_cli_run_bad_model_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    assert main(["run", "--task", "Parity_All", "--model", str(bad)]) == 2
    assert "not a valid MIPS checkpoint" in capsys.readouterr().err
