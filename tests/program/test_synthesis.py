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


def _initial_one_by_one(build, x, y, guess, radius=3, n_sample=256, max_candidates=1500):
    """The initial-state search without screening: every candidate checked on every sampled sequence."""
    import itertools

    from mips.program.regress_view import INITIAL_WORK, SEQUENCE_TOLERANCE, _offsets
    xs, ys = x[:n_sample], y[:n_sample]
    limit = SEQUENCE_TOLERANCE * xs.shape[0]
    first = build(guess)
    max_candidates = max(1, min(max_candidates, INITIAL_WORK // max(1, first.size * xs.shape[0] * xs.shape[1])))
    settled = run_program(first, np.zeros((1, 4 * x.shape[1] + 8, x.shape[2]), dtype=np.int64))
    candidates = [] if settled.error else [tuple(int(v) for v in settled.states[0, -1])]
    candidates += [tuple(g + o for g, o in zip(guess, off))
                   for off in itertools.islice(_offsets(len(guess), radius), max_candidates)]
    for cand in candidates:
        run = run_program(build(cand), xs)
        if run.error is None and np.count_nonzero(np.any(run.outputs != ys, axis=(1, 2))) <= limit:
            return cand
    return None


def test_screened_initial_state_search_picks_what_checking_every_candidate_picks():
    """Candidates are screened on a few sequences, many per run; the state picked must be the one a
    check of each candidate on every sequence picks, also where some starts divide by zero, where
    a few sequences may miss, and where no start works."""
    from mips.program.program import Program
    from mips.program.regress_view import _initial_for
    from mips.regression.formula import Formula
    rng = np.random.default_rng(7)
    cases = [  # (updates, outputs, true initial state)
        (("(a + x) % 5", "b + a * x"), ("(a + b) % 3",), (3, -2)),
        (("a + x", "b // (a - 2) if a != 2 else b"), ("b + a",), (1, 4)),      # a start at a = 2 takes the else
        (("a * x + 1", "12 // a if a else 0"), ("b",), (2, 0)),               # a = 0 at the start of step 1
        (("a + 1", "b"), ("a // (b - 1)",), (-1, 3)),                         # b = 1 divides by zero
        (("max(a, x)", "a"), ("b - a",), (5, 5)),
    ]
    for updates, outputs, truth in cases:
        def build(init, updates=updates, outputs=outputs):
            return Program(task="t", kind="symbolic", method="test", inputs=("x",), state=("a", "b"),
                           initial=tuple(init), updates=tuple(Formula(expr=u, method="test") for u in updates),
                           outputs=tuple(Formula(expr=o, method="test") for o in outputs))
        x = rng.integers(0, 3, size=(300, 8, 1))
        run = run_program(build(truth), x)
        assert run.error is None
        y = run.outputs.copy()
        y[5, 3, 0] += 1                        # one sequence the network got wrong: within tolerance
        for guess in [truth, (0, 0), (truth[0] + 2, truth[1] - 1), (40, 40)]:
            assert _initial_for(build, x, y, guess) == _initial_one_by_one(build, x, y, guess), (updates, guess)
    assert _initial_for(build, x, y + 7, (0, 0)) is None is _initial_one_by_one(build, x, y + 7, (0, 0))
