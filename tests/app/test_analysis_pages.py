"""Hidden states, Normalizers, Lattice and State machine pages on zoo networks."""

from tests.app.conftest import open_app, texts


def test_hidden_states_page_scatter_and_typed_input():
    at = open_app("Parity_All", "hidden_states")
    assert at.title[0].value == "Hidden states"
    assert at.get("plotly_chart"), "no scatter"
    assert at.metric[0].value == f"{400 * 11:,}"                     # 400 sequences x (10 steps + initial)
    assert at.selectbox(key="hs_color").options == ["network output", "state (code z)", "time step"]
    at.radio(key="hs_dims").set_value("3D")
    at.selectbox(key="hs_color").set_value("step").run()
    assert not at.exception
    at.text_input(key="hs_typed").set_value("0 1 1 0 1").run()
    at.slider(key="hs_step").set_value(4).run()
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert list(table["step"]) == [0, 1, 2, 3, 4]
    assert list(table["input"]) == ["", "0", "1", "1", "0"]
    # the network's code, the machine's state and the program, step-aligned: one numbering, one start
    assert list(table["state (code z)"]) == list(table["machine state"]) == ["0", "0", "1", "0", "0"]
    assert list(table["network y"])[1:] == list(table["program y"])[1:] == ["0", "1", "0", "0"]
    at.text_input(key="hs_typed").set_value("0 1 2").run()
    assert not at.exception
    assert any("Step 3: 2 is not an input of Parity_All; each number must be 0 or 1" in e for e in texts(at.error))


def test_normalizers_page_steps_metrics_and_rejection():
    at = open_app("Binary_Addition", "normalizers")
    assert at.title[0].value == "Normalizers"
    assert at.radio(key="norm_step").options == ["1. whitening", "2. Jordan normal form", "3. Toeplitz",
                                                 "4. de-biasing (rejected)", "5. quantization"]
    assert "may change outputs within its tolerance" in at.markdown[0].value or any(
        "may change outputs within its tolerance" in t.value for t in at.get("markdown"))
    metrics = at.dataframe[0].value
    assert list(metrics["step"]) == ["initial", "whiten", "jnf", "toeplitz", "debias", "quantize"]
    # the zoo's Binary_Addition network has its de-biasing rejected (it would change answers)
    assert any("Rejected step 'de-biasing'" in t for t in texts(at.warning))
    # the chain's largest output change counts the accepted steps only (quantization's 0.42, not the
    # rejected de-biasing proposal's 0.81)
    caption = next(c.value for c in at.caption if c.value.startswith("Largest output change of the accepted"))
    assert "'quantization'" in caption and "de-biasing" not in caption
    assert metrics["max output change"].iloc[4] == 0.0 and metrics["rejected proposal's change"].iloc[4] > 0.5
    at.radio(key="norm_step").set_value("debias").run()
    assert not at.exception
    assert at.metric[0].value == "REJECTED" and at.metric[2].label == "Proposal's output change"
    assert len(at.get("plotly_chart")) == 2                          # a layer's heatmaps, the step's clouds
    at.toggle(key="norm_all_clouds").set_value(True).run()
    assert len(at.get("plotly_chart")) == 3                          # and the clouds after every step
    assert [o.split(":")[0] for o in at.radio(key="norm_layer").options] == ["f layer 1", "f layer 2", "g (output)"]
    at.radio(key="norm_layer").set_value("g (output)").run()
    assert not at.exception


def test_lattice_page_candidates_and_description_lengths():
    at = open_app("Parity_All", "lattice")
    assert at.title[0].value == "Lattice"
    box = at.selectbox(key="lat_candidate")
    assert "used by the state machine and the program" in box.options[box.index]
    assert len(box.options) == len(set(box.options))                  # no duplicate rows
    assert len(at.get("plotly_chart")) == 3                           # integer picture, hidden states, bits
    lattice = next(i for i, o in enumerate(box.options) if o.startswith("lattice"))
    box.set_value(lattice).run()
    assert not at.exception
    assert any("not the encoding the state machine" in t for t in texts(at.info))
    basis = at.dataframe[0].value
    assert list(basis["vector"]) == ["b1", "offset"]
    dl = at.dataframe[1].value
    assert {"kind", "total_bits", "chosen", "machine"} <= set(dl.columns) and dl["chosen"].sum() == 1
    assert len(dl) == len(box.options)
    at.radio(key="lat_dims").set_value("3D").run()
    assert not at.exception


def test_lattice_page_binary_addition_counts_the_machines_states():
    at = open_app("Binary_Addition", "lattice")
    box = at.selectbox(key="lat_candidate")
    # the encoding the machine uses (which one depends on the last bits of the trace: a Boolean
    # split here, the behavioural grouping where a borderline state gave the split a conflict)
    chosen = box.options[box.index]
    assert ", 4 states" in chosen and "used by the state machine" in chosen
    text = " ".join(m.value for m in at.markdown)
    assert "4 states" in text and "The start state (h₋₁ = 0) has code" in text
    assert "5 clusters" not in chosen                                  # states counted, not clusters


def test_state_machine_page_graph_and_table():
    at = open_app("Binary_Addition", "state_machine")
    assert at.title[0].value == "State machine"
    assert any(t.startswith("Finite machine") for t in texts(at.success))
    graph = at.get("graphviz_chart")
    assert graph and "digraph" in str(graph[0].proto)
    table = at.dataframe[0].value
    assert len(table) == 4 and {"x=(0,0)", "x=(1,1)"} <= set(table.columns)
    assert [c for c in table.columns if c.startswith("x=")] == ["x=(0,0)", "x=(0,1)", "x=(1,0)", "x=(1,1)"]
    states = list(table["state (code z)"])                         # labelled by their codes
    assert len(set(states)) == 4 and sum(s.endswith(" (start)") for s in states) == 1
    assert at.metric[1].value == "4"                                  # minimal Moore states


def test_state_machine_page_add_mod_5_is_a_cycle():
    at = open_app("Add_Mod_5", "state_machine")
    dot = at.get("graphviz_chart")[0].proto.spec
    assert "layout=neato" in dot and dot.count("!\"") == 6          # 5 states and the start arrow, pinned
    assert at.multiselect(key="fsm_inputs").value == [(0,), (1,)]    # the inputs that show the cycle
    assert dot.count(" -> s") == 10 + 1
    at.multiselect(key="fsm_inputs").set_value([(0,), (1,), (2,), (3,), (4,)]).run()
    assert not at.exception
    assert at.get("graphviz_chart")[0].proto.spec.count(" -> s") == 25 + 1


def test_state_machine_page_shows_a_window_for_a_lattice_network():
    at = open_app("Sum_Last3", "state_machine")
    assert any("a window" in t for t in texts(at.warning) + texts(at.info))
    graph = at.get("graphviz_chart")
    assert graph and "rank=same" in graph[0].proto.spec
    table = at.dataframe[0].value
    assert table["state (code z)"].iloc[0] == "(0,0,0) (start)"
    at.slider(key="fsm_window_steps").set_value(2).run()
    assert not at.exception and len(at.dataframe[0].value) == 7


def test_state_machine_page_warns_about_a_counter():
    at = open_app("Sum_All", "state_machine")
    assert any(t.startswith("Counter: the number of states keeps growing") for t in texts(at.warning))
    assert at.get("graphviz_chart")                                   # and draws a window anyway
