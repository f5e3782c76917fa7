"""Pure workbench modules: figure builders, tables, edit-and-verify, benchmark results."""

import json

import numpy as np
import plotly.graph_objects as go
import pytest

from mips.encodings.projection import project
from mips.network.trace import HiddenTrace
from mips.network.zoo import load_zoo_model
from mips.pipeline import PipelineConfig, run_pipeline
from mips.program.codegen import to_source
from workbench import bench, charts, figures, lattice_overlay, normalizer_view, tables
from workbench.program_edit import check_edited_program, report_json


@pytest.fixture(scope="module")
def parity():
    return run_pipeline("Parity_All", PipelineConfig(n_sequences=2_000, n_trace_sequences=500, regression_seconds=1.0),
                        model=load_zoo_model("Parity_All"))


def _trace(n=20, t=4, h=3):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, (n, t, 1))
    return HiddenTrace(task="t", x=x, y=x.copy(), hidden=rng.normal(size=(n, t + 1, h)),
                       output=x.astype(np.float64))


@pytest.mark.parametrize("color_by", ["output", "step"])
@pytest.mark.parametrize("dims", [2, 3], ids=["2d", "3d"])
def test_hidden_state_figure_has_every_point_and_the_trajectory(color_by, dims):
    proj = project(_trace(), n_components=dims)
    fig = figures.hidden_state_figure(proj, color_by, sequence=3, upto_step=2, resolution=None)
    assert isinstance(fig, go.Figure)
    points = [d for d in fig.data if d.name != "sequence 3" and d.name != "start of the trajectory"]
    assert sum(len(d.x) for d in points) == 20 * 5
    traj = next(d for d in fig.data if d.name == "sequence 3")
    assert [t for t in traj.text if t] and all(t.startswith("step") for t in traj.text if t)
    assert sorted(int(v) for t in traj.text if t for v in t.split(" ", 1)[1].split(", ")) == [0, 1, 2]
    assert np.allclose(traj.x, proj.coords[(proj.sequence == 3) & (proj.step <= 2), 0])


def test_thin_points_keeps_one_point_per_cell_and_colour():
    coords = np.array([[0.0, 0.0], [0.001, 0.0], [1.0, 1.0], [0.0005, 0.0], [0.5, 0.5]])
    values = np.array([1.0, 1.0, 1.0, 2.0, np.nan])
    index, counts = figures.thin_points(coords, values, resolution=10)
    assert index.tolist() == [0, 2, 3, 4] and counts.tolist() == [2, 1, 1, 1]
    index, counts = figures.thin_points(coords, values, resolution=None)
    assert index.tolist() == [0, 1, 2, 3, 4] and counts.sum() == 5
    proj = project(_trace(n=200))
    fig = figures.hidden_state_figure(proj, "output", resolution=3)
    assert sum(len(d.x) for d in fig.data) <= 3 * 3 * 3          # per colour (output 0/1 or none), one per cell
    assert any("more state(s) at this spot" in t for d in fig.data for t in d.text)


def test_color_values_and_bad_choice():
    proj = project(_trace())
    values, _ = figures.color_values(proj, "step")
    assert np.array_equal(values, proj.step)
    with pytest.raises(ValueError, match="color_by must be one of"):
        figures.color_values(proj, "colour")
    with pytest.raises(ValueError, match="Sequence 99 is not in the projection"):
        figures.hidden_state_figure(proj, sequence=99)


def test_lattice_hidden_figure_hover_shows_codes(parity):
    lattice = next(i for i, c in enumerate(parity.encoding.candidates) if c.kind == "lattice")
    enc = parity.encoding.candidates[lattice]
    proj = project(parity.trace, enc, max_sequences=50)
    fig = lattice_overlay.hidden_figure(proj, enc)
    names = [d.name for d in fig.data]
    assert "lattice points z" in names and any(n and n.startswith("b1") for n in names)
    assert "state (code z) " in fig.data[0].text[0] and "lattice coords" in fig.data[0].text[0]


def test_weight_figures_one_per_layer_before_after_and_change(parity):
    step = parity.normalization.steps[0]
    figs = normalizer_view.weight_figures(step.before, step.after)
    assert len(figs) == len(step.before.f_weights) + len(step.before.g_weights)
    layer, fig = figs[0]
    w, b = step.before.f_weights[0], step.before.f_biases[0]
    assert np.allclose(np.asarray(fig.data[0].z), w) and np.allclose(np.asarray(fig.data[1].z).ravel(), b)
    assert list(fig.data[0].x) == list(layer.columns) and layer.columns[-1] == "x"


def test_small_figures():
    fig = charts.training_curves([25, 50], [[1.0, 2.0], [0.5, 1.0]], [[0.5, 0.4], [1.0, 0.9]])
    assert len(fig.data) == 4 and list(fig.data[0].y) == [1.0, 0.5]
    assert list(charts.states_by_step_figure([1, 3, 4]).data[0].y) == [1, 3, 4]
    rows = [{"kind": "lattice", "method": "gcd", "chosen": True, "code_bits": 3.0, "parameter_bits": 1.0}]
    fig = charts.description_length_figure(rows)
    assert fig.data[0].x[0] == "lattice (gcd) *" and sum(d.y[0] for d in fig.data) == 4.0
    fig = charts.solved_counts_figure({"a": 3, "b": 2}, 5)
    assert list(fig.data[0].y) == [3, 2] and list(fig.data[0].text) == ["3/5", "2/5"]


def test_tables_from_a_pipeline_run(parity):
    rows = tables.normalizer_rows(parity.normalization)
    assert [r["step"] for r in rows] == ["initial", "whiten", "jnf", "toeplitz", "debias", "quantize"]
    assert rows[0]["accuracy"] == 1.0
    trans = tables.transition_rows(parity.fsm)
    assert len(trans) == parity.fsm.minimal.n_states and {"x=0", "x=1"} <= set(trans[0])
    assert [r["state (code z)"] for r in trans] == ["0 (start)", "1"]
    summary = tables.minimisation_summary(parity.fsm)
    assert summary["minimal Moore states"] == 2 and summary["status"] == "finite"
    proj = project(parity.trace, parity.encoding.chosen, max_sequences=10)
    seq = int(proj.sequence[0])
    traj = tables.trajectory_rows(parity.trace, proj, seq)
    assert len(traj) == parity.trace.seq_len + 1 and traj[0]["input"] == ""
    assert traj[1]["expected"] == str(int(parity.trace.y[seq, 0, 0]))


def test_edit_check_outcomes(parity):
    good = to_source(parity.program)
    ok = check_edited_program(good, parity)
    assert ok.outcome == "verified" and ok.ok and ok.message.startswith("Verified")
    assert " ^ x" in good                                  # parity: the state XOR the input
    bad = check_edited_program(good.replace(" ^ x", " | x"), parity)
    assert bad.outcome == "failed" and "counterexample" in bad.message
    ce = bad.verification.counterexample
    rows = tables.counterexample_rows(ce.steps)
    assert rows[ce.first_wrong_step]["ok"] == "WRONG"
    syn = check_edited_program("def f(xs):\n    ys = []\n    for x in xs:\n        ys.append(x.real)\n    return ys\n",
                               parity)
    assert syn.outcome == "syntax_error" and syn.line == 4 and "attribute access" in syn.message
    two = check_edited_program("def f(xs):\n    ys = []\n    for x1, x2 in xs:\n        ys.append(x1)\n    return ys\n",
                               parity)
    assert two.outcome == "syntax_error" and "1 input number(s)" in two.message
    report = json.loads(report_json(parity, bad))
    assert report["task"] == "Parity_All" and report["edited_program"]["outcome"] == "failed"
    assert report["edited_program"]["counterexample"]["against"] == "task"


def test_bench_results(tmp_path, monkeypatch):
    assert bench.load_results(tmp_path / "none.json") is None
    rows = [{"task": "B", "paper_index": 2, "solved": False, "paper_mips_solved": True, "gpt4_solved": False},
            {"task": "A", "paper_index": 1, "solved": True, "paper_mips_solved": False, "gpt4_solved": True}]
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"rows": rows}))
    monkeypatch.setenv(bench.ENV_VAR, str(path))
    assert bench.results_path() == path
    data = bench.load_results()
    table = bench.table_rows(data)
    assert [r["task"] for r in table] == ["A", "B"]
    assert [r["task"] for r in bench.filter_rows(table, paper="solved")] == ["B"]
    assert [r["task"] for r in bench.filter_rows(table, gpt4="not solved", text="b")] == ["B"]
    counts, total = bench.solved_counts(data)
    assert counts == {"this workbench": 1, "MIPS (paper)": 32, "GPT-4 (paper)": 30} and total == 2
    assert bench.overlap_counts(table) == {"solved by both": 0, "only by this workbench": 1,
                                           "only by the paper": 1, "by neither": 0}
    path.write_text("[1, 2]")
    with pytest.raises(bench.BenchResultsError, match="not a benchmark results file"):
        bench.load_results(path)


def test_the_edit_check_sends_the_child_the_test_split_only(parity, monkeypatch):
    """The training split is most of the dataset and the check never reads it: the child gets the
    test split alone, and a check on it (a task too large for every sequence) says the same."""
    import pickle

    from mips.program import verify
    from workbench.program_edit import _check, _test_split
    slim = _test_split(parity.dataset)
    assert np.array_equal(slim.x_test, parity.dataset.x_test) and np.array_equal(slim.y_test, parity.dataset.y_test)
    assert slim.x_train.shape[0] == 0 and len(pickle.dumps(slim)) < len(pickle.dumps(parity.dataset)) / 2
    import workbench.program_edit as program_edit
    sent = {}

    def capture(fn, *args, **kwargs):                            # what check_edited_program hands the child
        sent["dataset"] = args[3]
        return fn(*args)
    with monkeypatch.context() as m:
        m.setattr(program_edit, "run_sandboxed", capture)
        assert check_edited_program(to_source(parity.program), parity).outcome == "verified"
    assert sent["dataset"].x_train.shape[0] == 0 and np.array_equal(sent["dataset"].x_test, parity.dataset.x_test)
    monkeypatch.setattr(verify, "MAX_EXHAUSTIVE", 1)             # checked on the test split, not every sequence
    source = to_source(parity.program)
    for text in (source, source.replace(" ^ x", " | x")):
        full, part = (_check(text, parity.task, checks=None, dataset=d, network=parity.network,
                             traced=parity.traced_network, encoding=parity.fsm.encoding,
                             length_factor=0, seed=0) for d in (parity.dataset, slim))
        assert full.outcome == part.outcome and full.message == part.message
        assert not full.verification.exhaustive and full.verification.n_sequences == parity.dataset.x_test.shape[0]
