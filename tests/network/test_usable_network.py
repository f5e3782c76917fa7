"""A search whose best network is right on too few outputs ends the run with a clear message."""

from types import SimpleNamespace

from mips.network.find_network import MIN_USABLE_ACCURACY, unusable
from mips.network.paper_search import SearchResult


def result(accuracy: float | None, found: bool = False) -> SearchResult:
    best = None if accuracy is None else SimpleNamespace(
        test_accuracy=accuracy, config=SimpleNamespace(describe=lambda: "H=4, f 2/16, g 1/-"))
    return SearchResult(task="T", best=best, found=found, order="practical", work=250_000.0, stopped="work_budget")


def test_a_network_right_on_half_the_outputs_is_not_used():
    why = unusable(result(0.49))
    assert why is not None
    assert "49.0%" in why and "250,000 work units" in why and "H=4, f 2/16, g 1/-" in why
    assert "--search-work" in why and "--model" in why


def test_a_nearly_perfect_or_perfect_network_goes_on():
    assert unusable(result(MIN_USABLE_ACCURACY)) is None
    assert unusable(result(0.989)) is None
    assert unusable(result(1.0, found=True)) is None


def test_no_network_at_all():
    assert "trained no network" in unusable(result(None))
