"""State views made of inputs, counts and outputs: the network's state re-expressed as them.

The last k inputs, the smallest k that works:

``window_view``
    Exactly, on the encoding's codes: every traced step with the same last k inputs has the same
    code (up to ``TOLERANCE`` of glitches), and most windows are seen more than once, so that the
    claim is not vacuous.
``linear_window_view``
    Linearly, on the hidden vectors themselves: h_t = W (x_t, ..., x_{t-k+1}) + b up to a residual
    below ``LINEAR_RESIDUAL`` of the hidden states' spread. A linear network computing a sum of
    the last k inputs is such a network, even when no lattice fits its states well (a trained
    Sum_Last5 network: residual rms 14 of a spread of 30 with k = 4, 0.15 with k = 5); the
    lattice finder needs exact integer structure, this needs only the k-dimensional affine image.
``output_window_view``
    Behaviourally: the network's output at every traced step is a function of its last k inputs
    (same evidence rules as ``window_view``). A nonlinear network whose states neither lie on a
    lattice nor repeat exactly (Diff_Abs_Values: |x_t| - |x_{t-1}|) still has a k-definite
    behaviour.

Each becomes a shift register ``a, b, c = x, a, b``: a change of variables of the network's own
states (the first two) or of its behaviour (the third), not a guess from the task.

Then, behaviourally too: ``output_counter_view`` (running counts of the inputs of which the
outputs are a function) and ``output_history_views`` (the last k outputs as the state). Every
program from any of them is checked against the network on the whole test split and on longer
sequences, like every other.
"""

from __future__ import annotations

import numpy as np

from mips.encodings.data import row_keys
from mips.margins import compare
from mips.program.program import input_names
from mips.program.state_view import StateView

MAX_WINDOW = 12                   # and at most the traced length - 2 (see largest_window)
MAX_STATE_VARS = 12
MIN_WINDOW_EVIDENCE = 0.5
TOLERANCE = 0.001                 # fraction of traced steps whose code may disagree with the window
LINEAR_RESIDUAL = 0.02            # rms residual of the linear fit, relative to the states' rms spread
MAX_STEP_COEF = 2                 # running counts d <- d + b*x + c with |b|, |c| up to this
MAX_MODULUS = 16                  # running sums of the inputs mod N, N up to this
MAX_COUNTED_SYMBOLS = 4           # counts of each input value, for alphabets up to this size
MAX_OUTPUT_HISTORY = 3            # the last k outputs as the state, k up to this


def largest_window(max_window: int, t_len: int) -> int:
    """Windows shorter than the traced sequences by two steps at least: a window as long as the
    sequence is every step's whole past, and "a function of the window" then holds vacuously (a
    running sum over 10-step sequences is "a function of the last 10 inputs")."""
    return min(max_window, t_len - 2)


def _windows(x: np.ndarray, k: int) -> np.ndarray:
    """w[:, t] = (x_t, x_{t-1}, ..., x_{t-k+1}) with zeros before the start, shape (n, T, k * input_dim)."""
    n, t_len, n_in = x.shape
    padded = np.concatenate([np.zeros((n, k, n_in), dtype=np.int64), np.asarray(x, dtype=np.int64)], axis=1)
    win = np.stack([padded[:, k - j: k - j + t_len] for j in range(k)], axis=2)
    return win.reshape(n, t_len, k * n_in)


def _view(win: np.ndarray, k: int, n_in: int, how: str = "") -> StateView:
    n = win.shape[0]
    codes = np.concatenate([np.zeros((n, 1, k * n_in), dtype=np.int64), win], axis=1)
    ins = input_names(n_in)
    comments = tuple(f"{nm} of {j} step{'s' if j > 1 else ''} ago" if j else f"current {nm}"
                     for j in range(k) for nm in ins)
    return StateView(name=f"last {k} input{'s' if k > 1 else ''}{how}", codes=codes,
                     moduli=(None,) * (k * n_in), comments=comments)


def window_view(state_keys: np.ndarray, x: np.ndarray, max_window: int = MAX_WINDOW, how: str = ""
                ) -> StateView | None:
    """The last-k-inputs view for the smallest k that determines the network's state, if any.

    Parameters
    ----------
    state_keys : int array of shape (n_sequences, seq_len + 1)
        An identifier of the network's state at each step (e.g. a hash of its code).
    x : int array of shape (n_sequences, seq_len, input_dim)
    how : str
        Appended to the view's name (what ``state_keys`` identify, when not the state's code).
    """
    n, t_len, n_in = x.shape
    later = state_keys[:, 1:].reshape(-1)
    for k in range(1, largest_window(max_window, t_len) + 1):
        if k * n_in > MAX_STATE_VARS:
            break
        win = _windows(x, k)
        wkeys = row_keys(win.reshape(-1, k * n_in))
        order = np.argsort(wkeys, kind="stable")
        wk = wkeys[order]
        same = wk[1:] == wk[:-1]
        # the state must be a function of the window, up to rare glitches of the encoding
        # (every program is verified on the whole test split afterwards)
        sk = later[order]
        if np.count_nonzero(same & (sk[1:] != sk[:-1])) > TOLERANCE * wk.size:
            continue
        # evidence: most steps must share their window with another step, else "a function of the
        # window" holds vacuously (every window seen once)
        repeated = np.zeros(wk.size, dtype=bool)
        repeated[1:] |= same
        repeated[:-1] |= same
        if repeated.mean() < MIN_WINDOW_EVIDENCE:
            return None
        return _view(win, k, n_in, how)
    return None


def linear_window_view(hidden: np.ndarray, x: np.ndarray, max_window: int = MAX_WINDOW,
                       max_rows: int = 200_000) -> StateView | None:
    """The last-k-inputs view for the smallest k of which the hidden states are an affine function.

    Parameters
    ----------
    hidden : float array of shape (n_sequences, seq_len + 1, hidden_dim)
        The traced hidden states (``hidden[:, 0]`` is h_{-1}).
    x : int array of shape (n_sequences, seq_len, input_dim)
    """
    n, t_len, n_in = x.shape
    states = np.asarray(hidden[:, 1:], dtype=np.float64).reshape(n * t_len, -1)
    rows = np.arange(n * t_len)[:max_rows]            # the first sequences, in trace order
    target = states[rows]
    spread = float(np.sqrt(np.mean((target - target.mean(axis=0)) ** 2)))
    if not np.isfinite(spread) or spread == 0.0:
        return None
    for k in range(1, largest_window(max_window, t_len) + 1):
        if k * n_in > MAX_STATE_VARS:
            break
        win = _windows(x, k)
        design = np.column_stack([win.reshape(n * t_len, -1)[rows].astype(np.float64), np.ones(rows.size)])
        coef, *_ = np.linalg.lstsq(design, target, rcond=None)
        residual = float(np.sqrt(np.mean((target - design @ coef) ** 2)))
        if compare(f"last-{k}-inputs view: the linear fit's residual against its share of the spread", residual,
                   "<=", LINEAR_RESIDUAL * spread):
            return _view(win, k, n_in, how=" (hidden state affine in them)")
    return None


def output_window_view(outputs: np.ndarray, x: np.ndarray, max_window: int = MAX_WINDOW) -> StateView | None:
    """The last-k-inputs view for the smallest k that determines the network's output at every step.

    ``outputs``: int array of shape (n_sequences, seq_len, output_dim), the network's rounded outputs.
    """
    n, t_len, _ = x.shape
    keys = row_keys(np.asarray(outputs, dtype=np.int64).reshape(n * t_len, -1)).reshape(n, t_len)
    keys = np.concatenate([np.zeros((n, 1), dtype=keys.dtype), keys], axis=1)   # column 0 is never read
    return window_view(keys, x, max_window=max_window, how=" (outputs a function of them)")


def _frozen_below_zero(steps: np.ndarray) -> np.ndarray:
    """Running sums of ``steps`` (n, T) that stop changing once they are negative."""
    out = np.empty_like(steps)
    d = np.zeros(steps.shape[0], dtype=steps.dtype)
    for t in range(steps.shape[1]):
        d = np.where(d < 0, d, d + steps[:, t])
        out[:, t] = d
    return out


def _function_of(keys: np.ndarray, later: np.ndarray) -> bool:
    """``later`` is a function of ``keys`` (up to ``TOLERANCE`` of the rows) and most keys repeat."""
    # rows off their key's most frequent value (a network that errs on a rare step): sorted by
    # (key, value), each run of equal pairs is counted and each key keeps its largest count
    values = later.astype(keys.dtype)
    k, v = _sorted_pairs(keys, values)
    same = k[1:] == k[:-1]
    new_pair = np.ones(k.size, dtype=bool)
    new_pair[1:] = ~same | (v[1:] != v[:-1])
    starts = np.flatnonzero(new_pair)
    counts = np.diff(np.append(starts, k.size))
    first_of_key = np.ones(starts.size, dtype=bool)
    first_of_key[1:] = k[starts][1:] != k[starts][:-1]
    majority = np.maximum.reduceat(counts, np.flatnonzero(first_of_key))
    if keys.size - int(majority.sum()) > TOLERANCE * keys.size:
        return False
    repeated = np.zeros(keys.size, dtype=bool)
    repeated[1:] |= same
    repeated[:-1] |= same
    return bool(repeated.mean() >= MIN_WINDOW_EVIDENCE)


def _sorted_pairs(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(key, value) pairs sorted by key, then value: one sort of a combined integer when the
    ranges allow it (exact: the combination is checked to stay within int64), else a lexsort."""
    if keys.size and keys.dtype.kind == values.dtype.kind == "i":
        k_lo, k_hi, v_lo, v_hi = int(keys.min()), int(keys.max()), int(values.min()), int(values.max())
        span = v_hi - v_lo + 1
        if (k_hi - k_lo + 1) * span < 1 << 62:
            both = np.sort((keys.astype(np.int64) - k_lo) * span + (values.astype(np.int64) - v_lo))
            return both // span + k_lo, both % span + v_lo
    both = np.lexsort((values, keys))
    return keys[both], values[both]


def _at_least_three_values(a: np.ndarray) -> bool:
    """``np.unique(a).size >= 3`` without sorting."""
    if a.size == 0:
        return False
    lo, hi = a.min(), a.max()
    return bool(np.any((a != lo) & (a != hi)))


def _step_text(b: int, c: int) -> str:
    if b < 0 < c:
        return f"{c} - {-b} * x" if b != -1 else f"{c} - x"
    return (f"{b} * x" if b not in (1, -1) else "x" if b == 1 else "-x") + (f" {'+-'[c < 0]} {abs(c)}" if c else "")


def output_counter_view(outputs: np.ndarray, x: np.ndarray) -> StateView | None:
    """A running count of which the network's output is a function at every traced step; None
    when there is none. Tried in this order, smallest |b| + |c| first within each:

    1. ``d <- d + b * x + c`` (b != 0, |b|, |c| <= 2): Majority_0_1's output is the sign of
       (ones - zeros) = sum(2 * x - 1). A nonlinear network may hold that count on a curve, or
       merge its large values, so that no encoding shows it; its behaviour still does.
    2. The same count frozen once it is negative: Balanced_Parenthesis is a depth sum(1 - 2 * x)
       that, once negative, stays so.
    3. How many times each input value was seen, for 3 or 4 values: Majority_0_2's output is the
       most frequent value so far.
    4. The sum of the inputs modulo N (N <= ``MAX_MODULUS``) together with the current input:
       Dithering outputs 1 exactly when the running sum of brightness values passes a multiple of
       15, that is when (sum mod 15) < x.

    The same evidence rules as the window views apply (at most ``TOLERANCE`` of the steps
    disagree; most keys are seen more than once). One input only.
    """
    n, t_len, n_in = x.shape
    if n_in != 1:
        return None
    # the outputs as small ranks (the same equalities as the rows; _function_of sorts them cheaply)
    later = np.unique(row_keys(np.asarray(outputs, dtype=np.int64).reshape(n * t_len, -1)),
                      return_inverse=True)[1].reshape(-1).astype(np.int64)
    xs = np.asarray(x[:, :, 0], dtype=np.int64)
    pairs = sorted(((b, c) for b in range(-MAX_STEP_COEF, MAX_STEP_COEF + 1) if b
                    for c in range(-MAX_STEP_COEF, MAX_STEP_COEF + 1)),
                   key=lambda bc: (abs(bc[0]) + abs(bc[1]), bc[0] < 0, bc[1] < 0, abs(bc[0])))
    for frozen in (False, True):
        for b, c in pairs:
            steps = b * xs + c
            count = _frozen_below_zero(steps) if frozen else np.cumsum(steps, axis=1)   # after step t
            if not _at_least_three_values(count) or not _function_of(count.reshape(-1), later):
                continue
            codes = np.concatenate([np.zeros((n, 1, 1), dtype=np.int64), count[:, :, None]], axis=1)
            return StateView(name="running count (outputs a function of it)", codes=codes, moduli=(None,),
                             comments=(f"the running sum of {_step_text(b, c)}"
                                       + (", frozen once negative" if frozen else ""),))
    symbols = np.unique(xs)
    if 3 <= symbols.size <= MAX_COUNTED_SYMBOLS:
        counts = np.stack([np.cumsum(xs == v, axis=1) for v in symbols], axis=2)          # (n, T, m)
        if _function_of(row_keys(counts.reshape(n * t_len, -1)).astype(np.int64), later):
            codes = np.concatenate([np.zeros((n, 1, symbols.size), dtype=np.int64), counts], axis=1)
            return StateView(name="counts of each input value (outputs a function of them)", codes=codes,
                             moduli=(None,) * symbols.size,
                             comments=tuple(f"how many times x was {int(v)} so far" for v in symbols))
    total = np.cumsum(xs, axis=1)
    width = int(xs.max()) - int(xs.min()) + 1
    for modulus in range(2, MAX_MODULUS + 1):
        residue = total % modulus
        if not _function_of(residue.reshape(-1) * width + (xs.reshape(-1) - int(xs.min())), later):
            continue
        codes = np.concatenate([np.zeros((n, 1, 2), dtype=np.int64), np.stack([residue, xs], axis=2)], axis=1)
        return StateView(name="running count mod N and the input (outputs a function of them)", codes=codes,
                         moduli=(modulus, None), comments=(f"the running sum of x mod {modulus}", "current x"))
    return None


def output_history_views(outputs: np.ndarray, max_history: int = MAX_OUTPUT_HISTORY) -> list[StateView]:
    """The state written as the network's last k outputs (k = 1 .. ``max_history``).

    Newton_Magnetic outputs a position p_t; its state is the velocity and the position, that is
    (p_t, p_{t-1}) in other words, and every update is linear in them and the force. Regression
    decides whether the next outputs are a function of these variables and the input; the program
    is then checked against the network like every other.

    ``outputs``: int array of shape (n_sequences, seq_len, output_dim), the network's rounded outputs.
    """
    y = np.asarray(outputs, dtype=np.int64)
    n, t_len, o_dim = y.shape
    views = []
    for k in range(1, max_history + 1):
        if k * o_dim > MAX_STATE_VARS:
            break
        padded = np.concatenate([np.zeros((n, k, o_dim), dtype=np.int64), y], axis=1)
        hist = np.stack([padded[:, k - j: k - j + t_len] for j in range(k)], axis=2).reshape(n, t_len, k * o_dim)
        codes = np.concatenate([np.zeros((n, 1, k * o_dim), dtype=np.int64), hist], axis=1)
        names = [f"y{o + 1}" if o_dim > 1 else "y" for o in range(o_dim)]
        comments = tuple(f"output {nm} of {j} step{'s' if j > 1 else ''} ago" if j else f"output {nm} of this step"
                         for j in range(k) for nm in names)
        views.append(StateView(name=f"last {k} output{'s' if k > 1 else ''}", codes=codes,
                               moduli=(None,) * (k * o_dim), comments=comments))
    return views
