"""Hidden states, Normalizers, Lattice and State machine pages on zoo networks."""

from tests.app.conftest import open_app, texts


def test_hidden_states_page_scatter_and_trajectory():
    at = open_app("Parity_All", "hidden_states")
    assert at.title[0].value == "Hidden states"
    assert at.get("plotly_chart"), "no scatter"
    assert at.metric[0].value == f"{400 * 11:,}"                     # 400 sequences x (10 steps + initial)
    at.radio(key="hs_dims").set_value("3D")
    at.selectbox(key="hs_color").set_value("step").run()
    assert not at.exception
    seq = at.selectbox(key="hs_sequence").options[1]
    at.selectbox(key="hs_sequence").set_value(int(seq.split()[-1])).run()
    at.slider(key="hs_step").set_value(4).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["step"]) == [0, 1, 2, 3, 4]
    assert "code z" in table.columns


def test_normalizers_page_steps_metrics_and_rejection():
    at = open_app("Binary_Addition", "normalizers")
    assert at.title[0].value == "Normalizers"
    assert at.select_slider(key="norm_step").options == ["1. whitening", "2. Jordan normal form", "3. Toeplitz",
                                                         "4. de-biasing", "5. quantization"]
    metrics = at.dataframe[0].value
    assert list(metrics["step"]) == ["initial", "whiten", "jnf", "toeplitz", "debias", "quantize"]
    # the zoo's Binary_Addition network has its de-biasing rejected (it would change answers)
    assert any("Rejected step 'de-biasing'" in t for t in texts(at.warning))
    at.select_slider(key="norm_step").set_value("debias").run()
    assert not at.exception
    assert at.metric[0].value == "REJECTED"
    assert at.get("plotly_chart")


def test_lattice_page_candidates_and_description_lengths():
    at = open_app("Parity_All", "lattice")
    assert at.title[0].value == "Lattice"
    box = at.selectbox(key="lat_candidate")
    assert "chosen" in box.options[box.index]
    lattice = next(i for i, o in enumerate(box.options) if o.startswith("lattice"))
    box.set_value(lattice).run()
    assert not at.exception
    basis = at.dataframe[0].value
    assert list(basis["vector"]) == ["b1", "offset"]
    dl = at.dataframe[1].value
    assert {"kind", "total_bits", "chosen"} <= set(dl.columns) and dl["chosen"].sum() == 1
    at.radio(key="lat_dims").set_value("3D").run()
    assert not at.exception


def test_state_machine_page_graph_and_table():
    at = open_app("Binary_Addition", "state_machine")
    assert at.title[0].value == "State machine"
    assert any(t.startswith("Finite machine") for t in texts(at.success))
    graph = at.get("graphviz_chart")
    assert graph and "digraph" in str(graph[0].proto)
    table = at.dataframe[0].value
    assert len(table) == 4 and {"x=(0,0)", "x=(1,1)"} <= set(table.columns)
    assert at.metric[1].value == "4"                                  # minimal Moore states


def test_state_machine_page_warns_about_a_counter():
    at = open_app("Sum_All", "state_machine")
    assert any(t.startswith("Counter: the number of states keeps growing") for t in texts(at.warning))
