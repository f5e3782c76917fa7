"""State views and regression into programs, on planted data (no network needed)."""

import numpy as np

from mips.encodings.data import row_keys
from mips.failure import Failure
from mips.program.program import run_program
from mips.program.regress_view import regress_view
from mips.program.state_view import StateView
from mips.program.window import window_view


def windows(x: np.ndarray, k: int) -> np.ndarray:
    n, t, _ = x.shape
    padded = np.concatenate([np.zeros((n, k, 1), dtype=np.int64), x], axis=1)
    return np.stack([padded[:, k - j: k - j + t, 0] for j in range(k)], axis=2)


def test_window_view_finds_the_smallest_k():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, (2000, 10, 1))
    keys = row_keys(windows(x, 3).reshape(-1, 3)).reshape(2000, 10)
    state = np.concatenate([np.zeros((2000, 1), dtype=np.int64), keys.astype(np.int64)], axis=1)
    view = window_view(state, x)
    assert view is not None and view.n_vars == 3 and view.name == "last 3 inputs"
    np.testing.assert_array_equal(view.codes[:, 1:], windows(x, 3))


def test_window_view_refuses_a_running_state():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 2, (2000, 10, 1))
    parity = np.concatenate([np.zeros((2000, 1), dtype=np.int64), np.cumsum(x[..., 0], axis=1) % 2], axis=1)
    assert window_view(parity * 7 + 1, x, max_window=4) is None


def test_window_view_needs_evidence():
    rng = np.random.default_rng(2)
    x = rng.integers(0, 100, (300, 10, 1))           # 100^3 windows: each seen about once
    keys = row_keys(windows(x, 3).reshape(-1, 3)).reshape(300, 10).astype(np.int64)
    assert window_view(np.concatenate([np.zeros((300, 1), np.int64), keys], axis=1), x, max_window=3) is None


def test_regress_view_parity_last2_from_a_window():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 2, (1000, 10, 1))
    w = windows(x, 2)
    y = (w[..., 0] ^ w[..., 1])[..., None]
    view = StateView(name="last 2 inputs", codes=np.concatenate([np.zeros((1000, 1, 2), np.int64), w], axis=1),
                     moduli=(None, None), comments=("current x", "x of 1 step ago"))
    prog = regress_view(view, x, y, task="Parity_Last2", initial=(0, 0), time_budget_seconds=1.0)
    assert not isinstance(prog, str), prog
    assert [f.expr for f in prog.updates] == ["x", "a"]
    fresh = rng.integers(0, 2, (200, 30, 1))
    fw = windows(fresh, 2)
    np.testing.assert_array_equal(run_program(prog, fresh).outputs[..., 0], fw[..., 0] ^ fw[..., 1])


def test_regress_view_repairs_the_initial_state():
    # a counter whose code is offset by one before the first input (like Sum_All's lattice)
    rng = np.random.default_rng(4)
    x = rng.integers(0, 10, (800, 10, 1))
    total = np.cumsum(x[..., 0], axis=1)
    codes = np.concatenate([np.zeros((800, 1), np.int64), total - 1], axis=1)[..., None]
    view = StateView(name="lattice", codes=codes, moduli=(None,))
    prog = regress_view(view, x, total[..., None], task="Sum_All", initial=(0,), time_budget_seconds=1.0)
    assert not isinstance(prog, str), prog
    assert prog.initial == (-1,) and "instead of the zero hidden state's code" in prog.comments["__init__"]
    np.testing.assert_array_equal(run_program(prog, x).outputs[..., 0], total)


def test_regress_view_reports_why_it_failed():
    rng = np.random.default_rng(5)
    x = rng.integers(0, 2, (200, 10, 1))
    codes = rng.integers(0, 50, (200, 11, 1))                        # no rule at all
    view = StateView(name="cluster", codes=codes, moduli=(None,))
    fail = regress_view(view, x, x.copy(), task="t", initial=(0,), time_budget_seconds=0.3)
    assert isinstance(fail, Failure) and fail.stage == "regress" and fail.method == "cluster"
    assert str(fail).startswith("cluster: ") and fail.message


def test_initial_states_are_tried_nearest_first_within_a_work_bound():
    from mips.program.regress_view import INITIAL_WORK, _offsets
    offsets = list(_offsets(3, 2))
    assert offsets[0] == (0, 0, 0) and len(offsets) == 5 ** 3
    norms = [sum(map(abs, o)) for o in offsets]
    assert norms == sorted(norms) and offsets[1:7] == sorted(offsets[1:7])
    assert len(set(offsets)) == len(offsets)
    # an 8-variable program of size 200 on 256 x 10 steps gets far fewer than 1,500 tries
    assert INITIAL_WORK // (200 * 256 * 10) < 100
