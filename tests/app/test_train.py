"""Train page: renders, trains a small network with live curves, and the result replaces the zoo network."""

from tests.app.conftest import open_app, texts


def test_train_page_renders_with_zoo_architecture():
    at = open_app("Binary_Addition", "train")
    assert at.title[0].value == "Train"
    assert at.number_input(key="train_hidden_dim").value == 2       # the zoo network's H
    assert at.button(key="train_start") and at.button(key="train_cancel")
    assert any("Press Start" in t or "press Start" in t for t in texts(at.info))


def test_training_replaces_the_zoo_network_for_this_session():
    at = open_app("Parity_All", "train")
    at.select_slider(key="train_n_sequences").set_value(20_000)
    at.number_input(key="train_seeds").set_value(2)
    at.button(key="train_start").click().run()
    assert not at.exception, at.exception
    record = at.session_state["mips_train_history"]
    assert record.task_key == "builtin:Parity_All" and record.error is None
    assert record.log.steps, "no evaluation point was recorded"
    outcome = record.outcome
    assert outcome is not None and outcome.kind == "train"
    if outcome.perfect:
        assert any("replaces the zoo network" in t for t in texts(at.success))
        assert at.session_state["mips_models"]["builtin:Parity_All"]["source"] == "trained"
        at.switch_page("pages/home.py").run()
        assert any("trained in this session" in t for t in texts(at.markdown))
        assert at.button(key="forget_model")
    else:
        assert any("not put in use" in t for t in texts(at.warning))


def test_search_mode_renders():
    at = open_app("Parity_All", "train")
    at.radio(key="train_mode").set_value("Search the smallest network").run()
    assert not at.exception
    assert at.number_input(key="search_limit").value == 300
    assert at.radio(key="search_order").value == "practical"
    assert at.number_input(key="search_work").value == 250_000
    assert not at.get("number_input") or "train_hidden_dim" not in [w.key for w in at.number_input]


def test_search_runs_and_lists_every_trial():
    at = open_app("Bitwise_Not", "train")
    at.radio(key="train_mode").set_value("Search the smallest network").run()
    at.select_slider(key="train_n_sequences").set_value(20_000)
    at.number_input(key="train_seeds").set_value(2)
    at.number_input(key="search_work").set_value(10_000)
    at.button(key="train_start").click().run()
    assert not at.exception, at.exception
    record = at.session_state["mips_train_history"]
    outcome, log = record.outcome, record.log
    assert outcome is not None and outcome.kind == "search"
    assert log.trials and {"architecture", "seeds", "steps", "test_accuracy", "seconds"} <= set(log.trials[0])
    assert outcome.perfect and "practical order" in outcome.summary
    assert outcome.training["search"]["order"] == "practical"
