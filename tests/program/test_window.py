"""The linear last-k-inputs view: hidden vectors that are an affine image of the last k inputs."""

import numpy as np

from mips.program.window import linear_window_view


def _hidden(x, k, noise, seed=0):
    rng = np.random.default_rng(seed)
    n, t_len, _ = x.shape
    padded = np.concatenate([np.zeros((n, k, 1)), x], axis=1)
    win = np.stack([padded[:, k - j: k - j + t_len, 0] for j in range(k)], axis=2)
    mix = rng.normal(size=(k, k + 1))                       # into a hidden space of one more dimension
    h = win @ mix + rng.normal(size=k + 1) + noise * rng.normal(size=(n, t_len, k + 1))
    return np.concatenate([np.zeros((n, 1, k + 1)), h], axis=1)


def test_a_noisy_affine_image_of_the_last_five_inputs_is_a_five_register_window():
    x = np.random.default_rng(1).integers(0, 100, (400, 20, 1))
    view = linear_window_view(_hidden(x, 5, noise=0.2), x)
    assert view is not None and view.n_vars == 5 and view.name.startswith("last 5 inputs")
    np.testing.assert_array_equal(view.codes[:, 1:, 0], x[:, :, 0])          # current x
    np.testing.assert_array_equal(view.codes[:, 3:, 2], x[:, :-2, 0])        # x two steps ago
    assert np.all(view.codes[:, 0] == 0)


def test_a_running_sum_or_a_nonlinear_state_is_no_window():
    x = np.random.default_rng(2).integers(0, 10, (400, 10, 1))
    total = np.cumsum(x, axis=1).astype(float)
    hidden = np.concatenate([np.zeros((400, 1, 1)), total], axis=1)
    assert linear_window_view(hidden, x) is None
    square = np.concatenate([np.zeros((400, 1, 1)), (x * np.roll(x, 1, axis=1)).astype(float)], axis=1)
    assert linear_window_view(square, x, max_window=3) is None
    assert linear_window_view(np.zeros((400, 11, 2)), x) is None                # no spread at all


def test_outputs_that_are_a_function_of_the_last_two_inputs_give_a_two_register_window():
    from mips.program.window import output_window_view
    x = np.random.default_rng(3).integers(-20, 20, (3000, 10, 1))
    prev = np.concatenate([np.zeros((3000, 1, 1), dtype=np.int64), x[:, :-1]], axis=1)
    view = output_window_view(np.abs(x) - np.abs(prev), x)
    assert view is not None and view.n_vars == 2 and "outputs a function of them" in view.name
    assert output_window_view(np.cumsum(x, axis=1) % 7, x, max_window=3) is None     # a running state


def test_an_output_that_is_the_sign_of_a_running_count_gives_the_count():
    from mips.program.window import output_counter_view
    x = np.random.default_rng(4).integers(0, 2, (2000, 10, 1))
    count = np.cumsum(2 * x - 1, axis=1)
    view = output_counter_view((count > 0).astype(np.int64), x)
    assert view is not None and view.n_vars == 1 and view.comments == ("the running sum of 2 * x - 1",)
    np.testing.assert_array_equal(view.codes[:, 1:, 0], count[:, :, 0])
    every_third_step = np.broadcast_to((np.arange(10) % 3 == 0)[None, :, None], x.shape).astype(np.int64)
    assert output_counter_view(every_third_step, x) is None         # a clock, not a count of the inputs


def test_dithering_is_a_running_sum_mod_15_with_the_current_input_even_with_rare_errors():
    from mips.program.window import output_counter_view
    rng = np.random.default_rng(5)
    x = rng.integers(0, 16, (4000, 10, 1))
    total = np.cumsum(x[:, :, 0], axis=1)
    prev = np.concatenate([np.zeros((4000, 1), dtype=np.int64), total[:, :-1]], axis=1)
    y = (total // 15 - prev // 15)[:, :, None]
    noisy = y.copy()
    noisy[rng.integers(0, 4000, 20), rng.integers(0, 10, 20), 0] ^= 1          # 0.05% of the steps wrong
    for outputs in (y, noisy):
        view = output_counter_view(outputs, x)
        assert view is not None and view.moduli == (15, None) and view.comments[0] == "the running sum of x mod 15"
        np.testing.assert_array_equal(view.codes[:, 1:, 0], total % 15)
    worse = y.copy()
    worse[rng.integers(0, 4000, 200), rng.integers(0, 10, 200), 0] ^= 1        # 0.5%: not a function
    assert output_counter_view(worse, x) is None


def test_the_most_frequent_of_three_symbols_is_a_function_of_their_counts():
    from mips.program.window import output_counter_view
    x = np.random.default_rng(6).integers(0, 3, (3000, 10, 1))
    counts = np.stack([np.cumsum(x[:, :, 0] == v, axis=1) for v in range(3)], axis=2)
    most = np.argmax(counts, axis=2)[:, :, None]                       # ties go to the smallest symbol
    view = output_counter_view(most, x)
    assert view is not None and view.n_vars == 3 and view.comments[1] == "how many times x was 1 so far"
    np.testing.assert_array_equal(view.codes[:, 1:], counts)


def test_a_delay_of_eight_is_a_nine_input_window_but_no_window_is_as_long_as_the_sequence():
    from mips.program.window import output_window_view
    x = np.random.default_rng(5).integers(0, 2, (3000, 20, 1))
    delayed = np.concatenate([np.zeros((3000, 8, 1), dtype=np.int64), x[:, :-8]], axis=1)
    view = output_window_view(delayed, x)
    assert view is not None and view.n_vars == 9
    # a running parity over 10-step sequences is "a function of the last 10 inputs" only because
    # 10 inputs are the whole past: windows stop two steps short of the sequence's length
    short = x[:, :10]
    assert output_window_view(np.cumsum(short, axis=1) % 2, short) is None


def _function_of_by_two_sorts(keys, later):
    """The evidence rule written plainly: a stable sort by key, a lexsort by (key, value)."""
    from mips.program.window import MIN_WINDOW_EVIDENCE, TOLERANCE
    same = np.sort(keys)[1:] == np.sort(keys)[:-1]
    majority = 0
    for key in np.unique(keys):
        majority += np.unique(later[keys == key], return_counts=True)[1].max()
    if keys.size - majority > TOLERANCE * keys.size:
        return False
    repeated = np.zeros(keys.size, dtype=bool)
    repeated[1:] |= same
    repeated[:-1] |= same
    return bool(repeated.mean() >= MIN_WINDOW_EVIDENCE)


def test_function_of_agrees_with_the_plain_rule_on_any_keys():
    """One combined sort (small ranges) or a lexsort (hashes): the same verdict as the rule itself,
    for functions, functions with a rare glitch, non-functions and keys seen once."""
    from mips.program.window import _at_least_three_values, _function_of
    rng = np.random.default_rng(3)
    verdicts = set()
    for trial in range(120):
        n = int(rng.integers(1, 3000))
        keys = rng.integers(-4, int(rng.integers(-3, 60)) + 5, n).astype(np.int64)
        if trial % 4 == 1:
            keys = keys * (1 << 40) + 7                  # too wide to combine: the lexsort path
        later = (keys * 3 + 1) % 5 if trial % 3 else rng.integers(0, 3, n)
        if trial % 5 == 0:
            later = later.copy()
            later[: max(1, n // 2000)] += 1              # a rare glitch (within TOLERANCE on large n)
        got = _function_of(keys, later.astype(np.int64))
        assert got == _function_of_by_two_sorts(keys, later), trial
        verdicts.add(got)
        assert _at_least_three_values(keys) == (np.unique(keys).size >= 3)
    assert verdicts == {True, False}
    assert not _at_least_three_values(np.array([], dtype=np.int64))


def test_function_of_takes_unsigned_hash_keys():
    """Hash keys (uint64, near 2**64) go through the lexsort: no wrap-around, the same verdict."""
    from mips.program.window import _function_of
    keys = np.array([2 ** 64 - 5, 2 ** 64 - 5, 2 ** 64 - 3, 2 ** 64 - 3] * 50, dtype=np.uint64)
    assert _function_of(keys, np.array([1, 1, 2, 2] * 50))
    assert not _function_of(keys, np.array([1, 2, 2, 2] * 50))
