"""What a user sees on the analysis pages, checked on the figure builders (no browser): a lattice as a
grid, a cycle as a cycle, categorical colours for discrete values, labelled heatmaps, one numbering
of states, typed input (design.md §5b)."""

import math
import re

import numpy as np
import plotly.graph_objects as go
import pytest

from mips.encodings.projection import project
from mips.network.zoo import load_zoo_model
from tests.pipeline_cache import run_pipeline
from workbench import (
    figures,
    lattice_overlay,
    lattice_view,
    machine_layout,
    normalizer_view,
    tables,
    typed_input,
)
from workbench.state.results import APP_CONFIG
from workbench.state_numbering import (
    ROLE_MACHINE,
    ROLE_SHORTEST,
    code_label,
    encoding_options,
    machine_encoding,
    machine_state_labels,
    start_code,
)


def _run(task):
    """The analysis the workbench shows for ``task`` (the app's settings, the zoo network), run once per
    test session: the app's AppTests and the browser tests' servers load the same result."""
    return run_pipeline(task, APP_CONFIG, model=load_zoo_model(task))


@pytest.fixture(scope="module")
def sum_last3():
    return _run("Sum_Last3")


@pytest.fixture(scope="module")
def add_mod_5():
    return _run("Add_Mod_5")


@pytest.fixture(scope="module")
def binary_addition():
    return _run("Binary_Addition")


def _markers(fig):
    return [d for d in fig.data if isinstance(d, (go.Scatter, go.Scatter3d)) and d.mode and "markers" in d.mode
            and d.x is not None and len(d.x) and d.x[0] is not None]


def _has_colorbar(trace) -> bool:
    marker = trace.marker
    return marker is not None and marker.colorscale is not None and not isinstance(marker.color, str)


# -- Lattice -----------------------------------------------------------------------------------------------
def test_sum_last3_lattice_is_a_grid_drawn_inside_the_data(sum_last3):
    enc = machine_encoding(sum_last3)
    assert enc.kind == "lattice" and enc.n_vars == 3
    proj = project(sum_last3.trace, enc, max_sequences=200)
    # the integer picture: every point at integer coordinates, the distinct codes
    fig = lattice_view.integer_figure(proj, enc)
    pts = fig.data[0]
    x, y = np.asarray(pts.x, dtype=float), np.asarray(pts.y, dtype=float)
    assert np.array_equal(x, np.round(x)) and np.array_equal(y, np.round(y))
    distinct = np.unique(proj.codes, axis=0)
    assert len(x) in (min(len(distinct), lattice_view.MAX_POINTS), lattice_view.MAX_POINTS + 1)   # a sample beyond
    assert {(a, b) for a, b in zip(x, y)} <= {(a, b) for a, b in distinct[:, :2]}     # each at its code
    assert fig.layout.yaxis.scaleanchor == "x"                    # a square grid, not a stretched one
    # the hidden-space picture: grid lines through the cloud, arrows at a visible scale inside it
    fig = lattice_overlay.hidden_figure(proj, enc)
    grid = [d for d in fig.data if d.name and d.name.startswith("lattice grid")]
    assert len(grid) == 3 and sum(len(d.x) for d in grid) > 30
    lo, hi = proj.coords.min(axis=0), proj.coords.max(axis=0)
    span = hi - lo
    gx = np.array([v for d in grid for v in d.x if v is not None])
    gy = np.array([v for d in grid for v in d.y if v is not None])
    assert gx.min() <= lo[0] + 0.1 * span[0] and gx.max() >= hi[0] - 0.1 * span[0]      # the grid spans the cloud
    assert gy.min() <= lo[1] + 0.1 * span[1] and gy.max() >= hi[1] - 0.1 * span[1]
    g = lattice_overlay.lattice_grid(proj, enc)
    assert np.all(g["anchor"] >= lo) and np.all(g["anchor"] <= hi)                     # anchored in the data
    arrows = [a for a in fig.layout.annotations if a.showarrow]
    assert len(arrows) == 3
    for a in arrows:
        assert lo[0] <= a.ax <= hi[0] and lo[1] <= a.ay <= hi[1]
        assert math.hypot(a.x - a.ax, a.y - a.ay) > 0.03 * float(np.linalg.norm(span))     # visible, not 1 unit
    # many codes: coloured by the output on an ordered scale, never by a 0…35000 "cluster" index
    assert not any("cluster" in str(d.marker.colorbar.title.text or "") for d in _markers(fig)
                   if d.marker.colorbar is not None and d.marker.colorbar.title is not None)


def test_add_mod_5_is_drawn_as_a_labelled_five_cycle(add_mod_5):
    enc = machine_encoding(add_mod_5)
    assert enc.kind == "modular" and enc.moduli == (5,)
    proj = project(add_mod_5.trace, enc, max_sequences=200)
    fig = lattice_view.integer_figure(proj, enc)
    residues = next(d for d in fig.data if d.name == "residues")
    assert list(residues.text) == ["0", "1", "2", "3", "4"]
    angles = np.degrees(np.arctan2(residues.y, residues.x))
    assert np.allclose(np.hypot(residues.x, residues.y), 1.0)
    assert np.allclose(np.diff(np.unwrap(np.radians(angles))), -2 * np.pi / 5)      # +1 turns one fifth clockwise
    fig = lattice_overlay.hidden_figure(proj, enc)
    codes = next(d for d in fig.data if d.name == "codes")
    assert sorted(re.sub(r"<.*?>", "", t) for t in codes.text) == ["0", "1", "2", "3", "4"]
    assert sum(1 for a in fig.layout.annotations if a.showarrow) == 5                 # 0→1→2→3→4→0
    states = _markers(fig)
    names = [d.name for d in states if d.legendgroup]
    assert names[:5] == ["0 (start)", "1", "2", "3", "4"]
    assert all(isinstance(d.marker.color, str) for d in states)                      # categorical, no colour bar
    assert len({d.marker.color for d in states[:5]}) == 5


def test_add_mod_5_machine_is_a_cycle_named_by_codes(add_mod_5):
    enc = machine_encoding(add_mod_5)
    m = add_mod_5.fsm.minimal
    assert m.n_states == 5
    assert machine_state_labels(m) == tuple(code_label(c) for c in m.states)         # labels are the codes
    dot = machine_layout.machine_dot(m, kind=enc.kind, modulus=5, inputs=machine_layout.default_inputs(m, 5))
    assert "layout=neato" in dot
    pos = {}
    for label, x, y in re.findall(r'<<b>(\d)</b>.*?pos="([-\d.]+),([-\d.]+)!"', dot):
        pos[int(label)] = (float(x), float(y))
    assert sorted(pos) == [0, 1, 2, 3, 4]
    radii = [math.hypot(*p) for p in pos.values()]
    assert max(radii) - min(radii) < 1e-2
    angle = [math.atan2(pos[r][1], pos[r][0]) for r in range(5)]
    assert np.allclose(np.diff(np.unwrap(angle)), -2 * math.pi / 5, atol=1e-3)
    # by default only the inputs that show the cycle: 0 (stay) and 1 (one step on): 10 edges, not 25
    edges = re.findall(r"s\d -> s\d", dot)
    assert len(edges) == 10
    rows = tables.transition_rows(add_mod_5.fsm)
    assert [r["state (code z)"] for r in rows] == ["0 (start)", "1", "2", "3", "4"]
    assert [k for k in rows[0] if k.startswith("x=")] == ["x=0", "x=1", "x=2", "x=3", "x=4"]
    assert all(r["x=1"] == str((i + 1) % 5) for i, r in enumerate(rows))


def test_encoding_list_has_no_duplicates_and_one_count_of_states(add_mod_5, binary_addition):
    for result in (add_mod_5, binary_addition):
        opts = encoding_options(result)
        keys = [(o.encoding.kind, o.encoding.method, o.encoding.n_states) for o in opts]
        assert len(keys) == len(set(keys))
        assert ROLE_MACHINE in opts[0].roles and opts[0].encoding is machine_encoding(result)
        assert sum(ROLE_SHORTEST in o.roles for o in opts) == 1
        m = result.fsm.minimal
        assert f"{m.n_states} states" in opts[0].title                               # the machine's count
    # Binary_Addition: the machine's 4 states, not the 3 codes of the shortest description
    opts = encoding_options(binary_addition)
    assert opts[0].encoding.n_states == binary_addition.fsm.minimal.n_states == 4


# -- Hidden states -----------------------------------------------------------------------------------------
def test_discrete_colourings_are_categorical_with_a_legend(binary_addition):
    enc = machine_encoding(binary_addition)
    proj = project(binary_addition.trace, enc, max_sequences=100)
    start = code_label(start_code(enc))
    for colour_by, title in (("output", "network output"), ("state", "state (code z)")):
        fig = figures.hidden_state_figure(proj, colour_by, start_label=start)
        pts = _markers(fig)
        assert pts and all(isinstance(d.marker.color, str) for d in pts), colour_by       # one colour per value
        assert not any(_has_colorbar(d) for d in pts)
        assert fig.layout.legend.title.text == title + ":"
        if colour_by == "output":
            assert [d.name for d in pts] == ["0", "1", figures.NO_OUTPUT]               # the start: no output, grey
            assert pts[-1].marker.color == "#7F7F7F"
        else:
            # the machine's encoding here: a Boolean split of the outputs, two bits per state (the same
            # under the Haswell, SkylakeX and Sandybridge OpenBLAS kernels)
            assert [d.name for d in pts] == ["(0,0)", "(0,1)", "(1,0) (start)", "(1,1)"]
    fig = figures.hidden_state_figure(proj, "step")                                      # ordered: a colour bar
    assert _has_colorbar(fig.data[0]) and fig.data[0].marker.colorbar.title.text == "time step"


def test_explained_variance_is_labelled_with_its_real_share(binary_addition):
    proj = project(binary_addition.trace, max_sequences=100)
    ratio = proj.explained_variance_ratio
    assert ratio[0] > 0.99 and 0 < ratio[1] < 0.01 and abs(ratio.sum() - 1) < 1e-9
    fig = figures.hidden_state_figure(proj)
    x_title, y_title = fig.layout.xaxis.title.text, fig.layout.yaxis.title.text
    assert "(100%)" not in x_title and "(0%)" not in y_title
    assert figures.percent(ratio[1]) in y_title and figures.percent(ratio[1]) != "0%"
    assert figures.percent(0.9995) == "99.95%" and figures.percent(0.0005) == "0.05%"
    assert figures.percent(0.382) == "38.2%"
    proj3 = project(project_trace_h1(), n_components=3)
    assert figures.axis_names(proj3, 1)[1] == "PC2 (none: H = 1)"


def project_trace_h1():
    from mips.network.trace import HiddenTrace
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, (10, 4, 1))
    return HiddenTrace(task="t", x=x, y=x.copy(), hidden=rng.normal(size=(10, 5, 1)), output=x.astype(float))


def test_trajectory_labels_of_revisited_spots_do_not_overlap():
    coords = np.array([[0.0, 0.0], [10.0, 0.0], [0.1, 0.01], [10.05, 0.0], [5.0, 5.0]])
    labels = figures.step_labels(coords, range(5), extent=np.array([10.0, 5.0]))
    assert labels == ["steps 0, 2", "steps 1, 3", "", "", "step 4"]


# -- Typed input: the network, the machine and the program, step by step -------------------------------------
def test_typed_input_trace_is_aligned_step_by_step(binary_addition):
    spec = binary_addition.task
    x = typed_input.parse_typed_input("01 11 10", input_values=spec.input_values, input_dim=2, task=spec.name)
    assert x.tolist() == [[0, 1], [1, 1], [1, 0]]
    run = typed_input.typed_trace(binary_addition, x)
    assert [r["step"] for r in run.rows] == [0, 1, 2, 3] and run.hidden.shape == (4, 2)
    assert [r["input"] for r in run.rows] == ["", "01", "11", "10"]
    start = code_label(start_code(machine_encoding(binary_addition)))
    assert run.rows[0]["state (code z)"] == start == run.rows[0]["machine state"]     # one start state
    for r in run.rows:
        assert r["machine state"] == r["state (code z)"]                             # one numbering
    for r in run.rows[1:]:
        assert r["network y"] == r["machine y"] == r["program y"] == r["task y"]
    assert [r["task y"] for r in run.rows[1:]] == ["1", "0", "0"]              # 1 + 3 = 4 = 0b100
    assert not run.notes


@pytest.mark.parametrize("text,problem,fix", [
    ("01 21", "Step 2: 2 is not an input of Binary_Addition", "each number must be 0 or 1"),
    ("01 110", "Step 2: '110' has 3 number(s); Binary_Addition reads 2 per step (x1 x2)", "e.g. 01 10 01"),
    ("01 ab", "Step 2: 'ab' is not 2 numbers", "Separate the steps with spaces"),
    ("01 " * 51, "Too long: more than 50 steps", "Type at most 50 steps"),
    ("   ", "Nothing typed", "each step as its 2 digits"),
], ids=["symbol", "count", "garbage", "too-long", "empty"])
def test_typed_input_errors_name_the_problem_and_the_fix(text, problem, fix):
    with pytest.raises(typed_input.TypedInputError) as err:
        typed_input.parse_typed_input(text, input_values=(0, 1), input_dim=2, task="Binary_Addition")
    assert problem in str(err.value) and fix in str(err.value)


def test_typed_input_forms_of_one_number_steps():
    parse = typed_input.parse_typed_input
    assert parse("0110", input_values=(0, 1), input_dim=1).ravel().tolist() == [0, 1, 1, 0]
    assert parse("8 77 65", input_values=range(100), input_dim=1).ravel().tolist() == [8, 77, 65]
    assert parse("3,12 (0,4)", input_values=range(20), input_dim=2).tolist() == [[3, 12], [0, 4]]
    with pytest.raises(typed_input.TypedInputError, match="a whole number from 0 to 99"):
        parse("8 100", input_values=range(100), input_dim=1, task="Sum_Last3")


# -- State machine windows ---------------------------------------------------------------------------------------
def test_a_lattice_network_gets_a_window_of_its_machine(sum_last3):
    enc = machine_encoding(sum_last3)
    w = machine_layout.window_machine(sum_last3.traced_weights, enc, [(0,), (1,)], 2)
    m = w.machine
    assert m.states[m.initial] == start_code(enc)
    assert m.n_states == 1 + 2 + 4 and w.ranks == (0, 1, 1, 2, 2, 2, 2)           # Sum_Last3 remembers inputs
    assert sorted(w.open_states) == [3, 4, 5, 6]
    assert machine_state_labels(m) == tuple(code_label(c) for c in m.states)
    dot = machine_layout.machine_dot(m, open_states=w.open_states, ranks=w.ranks)
    assert dot.count("rank=same") == 3 and "dashed" in dot
    with pytest.raises(ValueError, match="Choose fewer inputs or fewer steps"):
        machine_layout.window_machine(sum_last3.traced_weights, enc, [(v,) for v in range(10)], 3)


# -- Normalizers ----------------------------------------------------------------------------------------------------
def test_heatmaps_are_labelled_with_a_scale_per_matrix(sum_last3):
    step = sum_last3.normalization.step("toeplitz")
    assert step.accepted
    (layer, fig), (out_layer, _) = normalizer_view.weight_figures(step.before, step.after)
    assert layer.rows == ("h1", "h2", "h3") and layer.columns == ("h1", "h2", "h3", "x")
    assert out_layer.rows == ("y",) and out_layer.columns == ("h1", "h2", "h3")
    heat = [d for d in fig.data if isinstance(d, go.Heatmap)]
    assert len(heat) == 6                                                   # before / after / change, W and b
    assert list(heat[0].x) == ["h1", "h2", "h3", "x"] and list(heat[0].y) == ["h1", "h2", "h3"]
    assert list(heat[1].x) == ["bias"]
    assert [h.coloraxis for h in heat] == ["coloraxis", "coloraxis2"] * 2 + ["coloraxis3", "coloraxis4"]
    w_lim, b_lim = fig.layout.coloraxis.cmax, fig.layout.coloraxis2.cmax
    assert w_lim < 2 < 100 < b_lim                      # a −123 bias does not wash out the 0/1 shift matrix
    assert all(fig.layout[f"coloraxis{s}"].colorbar.title.text for s in ("", "2", "3", "4"))
    np.testing.assert_allclose(heat[4].z, heat[2].z - heat[0].z)            # the change is after − before


def test_hidden_clouds_after_each_step_in_hidden_coordinates(binary_addition):
    report = binary_addition.normalization
    clouds = normalizer_view.clouds(report, binary_addition.trace.x[:50])
    assert len(clouds) == len(report.steps) + 1 and clouds[0].title == "initial network"
    assert all(c.hidden.shape == (50 * 10, 2) for c in clouds)
    rejected = [i for i, s in enumerate(report.steps) if not s.accepted]
    for i in rejected:                                   # a rejected step leaves the states as they were
        np.testing.assert_array_equal(clouds[i + 1].hidden, clouds[i].hidden)
    fig = normalizer_view.cloud_figure(clouds, columns=3)
    assert fig.layout.xaxis.title.text == "h1" and fig.layout.yaxis.title.text == "h2"
    assert {d.name for d in fig.data} == {"output 0", "output 1"}
