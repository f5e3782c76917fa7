"""Benchmark page: table, filters and chart from a results file; a clear hint when it is absent."""

import json

import pytest

from tests.app.conftest import open_app, texts

ROWS = [
    {"task": "Binary_Addition", "paper_index": 1, "solved": True, "paper_mips_solved": True, "gpt4_solved": False,
     "program_kind": "symbolic", "method": "machine", "task_accuracy": 1.0, "rnn_agreement": 1.0, "seconds": 3.0},
    {"task": "Parity_All", "paper_index": 30, "solved": True, "paper_mips_solved": False, "gpt4_solved": True,
     "program_kind": "symbolic", "method": "modular", "task_accuracy": 1.0, "rnn_agreement": 1.0, "seconds": 1.0},
    {"task": "Sum_All", "paper_index": 40, "solved": False, "paper_mips_solved": True, "gpt4_solved": True,
     "program_kind": "table", "failed_stage": "regress", "message": "counter", "task_accuracy": 0.0, "seconds": 9.0},
]


@pytest.fixture
def results(tmp_path, monkeypatch):
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"summary": {"solved": 2, "total": 3, "paper_mips": 32, "gpt4": 30}, "rows": ROWS}))
    monkeypatch.setenv("MIPS_BENCH_RESULTS", str(path))
    return path


def test_benchmark_page_table_filters_and_chart(results):
    at = open_app("Parity_All", "benchmark")
    assert at.title[0].value == "Benchmark"
    assert [m.value for m in at.metric][:3] == ["2/3", "32/3", "30/3"]
    assert at.get("plotly_chart")
    assert list(at.dataframe[0].value["task"]) == ["Binary_Addition", "Parity_All", "Sum_All"]
    at.selectbox(key="bench_ours").set_value("not solved").run()
    assert list(at.dataframe[0].value["task"]) == ["Sum_All"]
    at.selectbox(key="bench_ours").set_value("all")
    at.text_input(key="bench_text").set_value("parity").run()
    assert list(at.dataframe[0].value["task"]) == ["Parity_All"]


def _chart(at) -> dict:
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def test_the_chart_follows_the_filters_and_rows_link_to_the_workbench(results):
    at = open_app("Parity_All", "benchmark")
    chart = _chart(at)
    assert chart["data"][0]["y"] == [2, 2, 2] and "3 tasks shown (all tasks)" in chart["layout"]["title"]["text"]
    at.selectbox(key="bench_ours").set_value("not solved").run()
    chart = _chart(at)
    assert chart["data"][0]["y"] == [0, 1, 1]                        # Sum_All: not solved here, by both papers
    assert chart["data"][0]["text"] == ["0/1", "1/1", "1/1"]
    assert "1 tasks shown (this workbench: not solved)" in chart["layout"]["title"]["text"]
    assert list(at.dataframe[0].value["open"]) == ["./program?task=Sum_All"]


def test_empty_cells_stay_empty(results):
    at = open_app("Parity_All", "benchmark")
    frame = at.dataframe[0].value
    assert frame["encoding"].isna().all() and frame["failed_stage"].isna().sum() == 2     # missing values...
    assert at.dataframe[0].proto.placeholder == ""                                         # ...shown as empty cells


def test_benchmark_page_without_results_says_how_to_make_them(tmp_path, monkeypatch):
    monkeypatch.setenv("MIPS_BENCH_RESULTS", str(tmp_path / "absent.json"))
    at = open_app("Parity_All", "benchmark")
    assert any("make bench" in t for t in texts(at.info))
    assert not at.dataframe


def test_benchmark_page_with_a_broken_file_shows_an_error(tmp_path, monkeypatch):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    monkeypatch.setenv("MIPS_BENCH_RESULTS", str(bad))
    at = open_app("Parity_All", "benchmark")
    assert at.error and "make bench" in at.error[0].value
    assert str(tmp_path) not in at.error[0].value                   # no server path
