"""Random, degenerate and noisy input to the core (encodings, FSM extraction, regression): each call
returns a result or a failure status with a message, or raises a MipsError naming the bad input;
never another exception, never a hang (hypothesis deadline)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mips.encodings import choose_encoding
from mips.errors import MipsError
from mips.failure import Failure
from mips.machine.extract import extract_fsm
from mips.network.trace import HiddenTrace
from mips.regression import (
    fit_boolean,
    fit_formulas,
    fit_linear,
    fit_modular,
    search_formula,
)

SETTINGS = settings(max_examples=25, deadline=30_000, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
KINDS = ["normal", "constant", "nan", "inf", "huge", "tiny-noise", "duplicated", "lattice-noisy", "zeros"]


@st.composite
def traces(draw) -> HiddenTrace:
    n = draw(st.integers(1, 12))
    t = draw(st.integers(1, 5))
    h_dim = draw(st.integers(1, 4))
    kind = draw(st.sampled_from(KINDS))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.integers(0, 2, size=(n, t, 1))
    y = np.cumsum(x, axis=1) % 2
    hidden = {
        "normal": lambda: rng.normal(size=(n, t + 1, h_dim)),
        "constant": lambda: np.full((n, t + 1, h_dim), draw(st.floats(-1e6, 1e6))),
        "nan": lambda: np.where(rng.random((n, t + 1, h_dim)) < 0.3, np.nan, 1.0),
        "inf": lambda: np.where(rng.random((n, t + 1, h_dim)) < 0.3, np.inf, -1.0),
        "huge": lambda: rng.normal(size=(n, t + 1, h_dim)) * 1e300,
        "tiny-noise": lambda: rng.normal(size=(n, t + 1, h_dim)) * 1e-300,
        "duplicated": lambda: np.repeat(rng.normal(size=(1, 1, h_dim)), n * (t + 1), axis=0).reshape(n, t + 1, h_dim),
        "lattice-noisy": lambda: (np.concatenate([np.zeros((n, 1, 1)), np.cumsum(x, 1)], 1) * np.ones(h_dim)
                                  + rng.normal(scale=draw(st.sampled_from([0.0, 0.01, 0.4])), size=(n, t + 1, h_dim))),
        "zeros": lambda: np.zeros((n, t + 1, h_dim)),
    }[kind]()
    output = y.astype(np.float64) + (np.nan if kind == "nan" and draw(st.booleans()) else 0.0)
    return HiddenTrace(task="hostile", x=x, y=y, hidden=hidden.astype(np.float64), output=output)


def _survives(fn, *args, **kwargs):
    """Call and return the result, or None if a MipsError (a clear message) was raised."""
    try:
        return fn(*args, **kwargs)
    except MipsError as exc:
        assert str(exc), "a MipsError must carry a message"
        return None


@SETTINGS
@given(trace=traces())
def test_encodings_and_fsm_survive_hostile_hidden_states(trace):
    choice = _survives(choose_encoding, trace, max_clusters=32)
    if choice is None:
        return
    if choice.chosen is None:
        assert choice.failures and all(str(f) for f in choice.failures)
        return
    fsm = _survives(extract_fsm, choice, max_states=200)
    if fsm is not None:
        assert fsm.status in ("finite", "growing", "failed") or isinstance(fsm.status, str)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
def test_non_finite_hidden_states_are_a_clear_config_error_or_a_failure(bad):
    x = np.zeros((4, 3, 1), dtype=np.int64)
    hidden = np.zeros((4, 4, 2))
    hidden[1, 2, 0] = bad
    trace = HiddenTrace(task="t", x=x, y=x.copy(), hidden=hidden, output=x.astype(np.float64))
    choice = _survives(choose_encoding, trace)
    assert choice is None or choice.chosen is None or np.isfinite(trace.hidden).all()


INTS = st.integers(-(2**40), 2**40)


@st.composite
def tables(draw):
    n = draw(st.integers(1, 40))
    n_cols = draw(st.integers(1, 3))
    kind = draw(st.sampled_from(["random", "constant", "huge", "binary"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    cols = {}
    for i in range(n_cols):
        if kind == "constant":
            cols[f"c{i}"] = np.full(n, draw(INTS), dtype=np.int64)
        elif kind == "huge":
            cols[f"c{i}"] = rng.integers(-(2**62), 2**62, size=n, dtype=np.int64)
        elif kind == "binary":
            cols[f"c{i}"] = rng.integers(0, 2, size=n, dtype=np.int64)
        else:
            cols[f"c{i}"] = rng.integers(-50, 50, size=n, dtype=np.int64)
    target = rng.integers(-(2**62), 2**62, size=n, dtype=np.int64) if draw(st.booleans()) and kind == "huge" \
        else rng.integers(0, 3, size=n, dtype=np.int64)
    return cols, target


@SETTINGS
@given(table=tables(), modulus=st.integers(2, 9))
def test_regression_survives_random_and_degenerate_tables(table, modulus):
    cols, target = table
    for result in (_survives(fit_linear, cols, target), _survives(fit_modular, cols, target, modulus),
                   _survives(search_formula, cols, target, max_size=5, time_budget_seconds=0.5)):
        assert result is None or isinstance(result, Failure) or isinstance(result.expr, str)
    bits = {k: v & 1 for k, v in cols.items()}
    assert _survives(fit_boolean, bits, target & 1, time_budget_seconds=0.5) is None or True
    out = _survives(fit_formulas, cols, {"y": target}, time_budget_seconds=0.5)
    assert out is None or set(out) == {"y"}


@pytest.mark.parametrize("bad", [np.nan, np.inf], ids=["nan", "inf"])
def test_regression_on_float_columns_with_non_finite_values(bad):
    cols = {"a": np.array([0.0, 1.0, bad, 3.0])}
    target = np.array([0, 1, 2, 3])
    for fn in (fit_linear, search_formula):
        result = _survives(fn, cols, target)
        assert result is None or isinstance(result, Failure) or isinstance(result.expr, str)
