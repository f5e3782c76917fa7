"""The same programs under every OpenBLAS kernel (issue 23, item 3: same programs on every machine).

Linear algebra with another BLAS kernel moves the last bits of the normalized weights and of
every hidden state. Before the decisions were given float margins (:mod:`mips.margins`) and the
distinct states an order that does not hash their bits, Newton_Magnetic's encoding failed under
the Haswell and Zen kernels and was found under SkylakeX and Sandybridge. Each kernel is chosen
per process with ``OPENBLAS_CORETYPE``, which OpenBLAS reads when it is loaded, so every kernel
runs in its own subprocess (this file, run as a script) and computes all the tasks there; the
programs, encodings and machines they print must be identical.

The default check runs small datasets up to each task's machine (the normalizers, encodings and
machine choice are where the float decisions are) and Bitwise_Not to its program, about 30 s on
2 cores; the slow one runs the benchmark's settings to every program under four kernels (about
10 minutes). A kernel the processor cannot run is left out (OpenBLAS then falls back to another,
which the subprocess reports); with fewer than two left the check is skipped. The other tests
move states by a few units in the last place, as another kernel does, and check each decision
that used to flip.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mips.encodings import prepare_states, single_linkage_cuts
from mips.encodings.lattice_algebra import integer_rank, lattice_from_vectors, smallest_denominator
from mips.failure import Failure
from mips.margins import collect_notes, compare, notes_text, round_half, tolerant_min, tolerant_order
from mips.network.trace import HiddenTrace

#: Tasks whose decisions sat at a threshold: Newton_Magnetic's encoding failed under the Haswell
#: and Zen kernels; Bitwise_And's and Newton_Spring's encoding switched between the lattice
#: finders, Bitwise_Not's candidates changed; Binary_Addition, Max_Seen, Sum_Last5 and Div_7 were
#: reported kernel-sensitive (encodings, description lengths).
TASKS = ("Newton_Magnetic", "Binary_Addition", "Max_Seen", "Sum_Last5", "Div_7", "Bitwise_And", "Newton_Spring",
         "Bitwise_Not")
CORETYPES = ("Haswell", "SkylakeX", "Sandybridge")
#: The fast check: small datasets and traces; every task up to its machine (where the float
#: decisions are: normalizers, encodings, machine choice), the cheap ones to their program.
FAST = {"config": {"n_sequences": 20_000, "n_trace_sequences": 4_096, "length_factor": 0},
        "until": {**{t: "fsm" for t in TASKS if t != "Bitwise_Not"}, "Newton_Magnetic": "encode"}}
ROOT = Path(__file__).resolve().parents[2]


def make_trace(hidden_states: np.ndarray, x: np.ndarray, y: np.ndarray) -> HiddenTrace:
    """A HiddenTrace from the states after each step (n, T, H); h_{-1} = 0 is prepended."""
    n, _, h = hidden_states.shape
    hidden = np.concatenate([np.zeros((n, 1, h)), hidden_states], axis=1)
    return HiddenTrace(task="planted", x=x.astype(np.int64), y=y.astype(np.int64), hidden=hidden,
                       output=y.astype(np.float64))


def _ulps(a: np.ndarray, seed: int) -> np.ndarray:
    """``a`` with every non-zero entry moved by one or two units in the last place, as another BLAS
    kernel moves them (equal entries stay equal: the same input gives the same output)."""
    _, inverse = np.unique(a, return_inverse=True)
    steps = np.random.default_rng(seed).integers(-2, 3, size=inverse.max() + 1)[inverse.reshape(a.shape)]
    out = a.copy()
    for _ in range(2):
        out = np.where(steps > 0, np.nextafter(out, np.inf), np.where(steps < 0, np.nextafter(out, -np.inf), out))
        steps = steps - np.sign(steps)
    return np.where(a == 0, 0.0, out)


def test_distinct_states_are_numbered_by_first_visit_not_by_their_bits() -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, size=(400, 6, 1))
    hidden = np.cumsum(x, axis=1) * np.array([0.37, -1.21]) + rng.normal(scale=1e-3, size=(400, 6, 2))
    a = prepare_states(make_trace(hidden, x, x))
    b = prepare_states(make_trace(_ulps(hidden, 1), x, x))
    assert a.n_points == b.n_points > 1000          # more than the finders' samples
    assert np.array_equal(a.index, b.index) and np.array_equal(a.counts, b.counts)
    assert np.allclose(a.points, b.points, rtol=1e-14, atol=0.0)
    assert a.initial == 0 and np.array_equal(np.unique(a.index[:, 1], return_index=True)[1].argsort(),
                                             np.arange(np.unique(a.index[:, 1]).size))


@pytest.mark.parametrize("sign", [1, -1], ids=["above", "below"])
def test_a_coordinate_on_the_snapping_threshold_is_decided_the_same_way(sign: int) -> None:
    """Newton_Magnetic's differences sit exactly a quarter off the lattice (tolerance 0.25)."""
    z = np.array([[1, 0], [0, 1], [1, 1], [2, 1], [1, -1], [3, 2]], dtype=np.float64)
    with collect_notes() as notes:
        exact = lattice_from_vectors(np.vstack([z, [[1.25, 0.0]]]), 2, tol=0.25)
        moved = lattice_from_vectors(np.vstack([z, [[1.25 + sign * 4e-16, 0.0]]]), 2, tol=0.25)
        q = smallest_denominator(np.array([0.125 + sign * 1e-15, 0.5]), 0.25, 12)
    assert np.array_equal(exact, moved)
    assert q == smallest_denominator(np.array([0.125, 0.5]), 0.25, 12) == 2
    assert any("lattice snapping" in n and "at the threshold" in n for n in notes)
    assert "decided at a threshold" in notes_text(notes)


@pytest.mark.parametrize("sign", [1, -1], ids=["above", "below"])
def test_a_gap_ratio_on_the_threshold_gives_the_same_clusters(sign: int) -> None:
    """Merge heights 1, 1, 1, 1 and 3: a gap ratio of exactly ``min_gap``, moved by the last bits."""
    points = np.array([[0.0], [1.0], [2.0], [5.0], [6.0], [7.0]])
    moved = points.copy()
    moved[3, 0] += sign * 2e-15
    with collect_notes() as notes:
        a = single_linkage_cuts(points, min_gap=3.0)
        b = single_linkage_cuts(moved, min_gap=3.0)
    assert [c.n_clusters for c in a] == [c.n_clusters for c in b] == [2, 6]      # the real gap before "no merge"
    assert all(np.array_equal(c.labels, d.labels) for c, d in zip(a, b))
    assert any("gap ratio" in n for n in notes)


def test_near_ties_are_broken_by_the_discrete_key_not_by_the_last_bits() -> None:
    items = [("linear", 100.0 + 1e-10), ("gcd", 100.0), ("cluster", 99.0)]
    for shuffled in (items, items[::-1]):
        order = tolerant_order(shuffled, lambda e: e[1], lambda e: e[0])
        assert [e[0] for e in order] == ["cluster", "gcd", "linear"]
    assert tolerant_min(items[:2], lambda e: e[1], lambda e: e[0])[0] == "gcd"
    assert tolerant_min(items[:2][::-1], lambda e: e[1], lambda e: e[0])[0] == "gcd"
    # clearly apart: the value decides
    assert tolerant_min([("a", 1.0), ("b", 1.0 - 1e-3)], lambda e: e[1], lambda e: e[0])[0] == "b"


def test_a_nearly_singular_basis_is_a_failure_not_noise() -> None:
    """Coordinates in a basis with condition number 1e12 are noise times 1e12: no integer test can
    read them, and their size (Parity_Last4's linear finder: 1e25) differed between kernels."""
    found = lattice_from_vectors(np.array([[1.0, 0.0], [0.0, 1e-12], [2.0, 3e-12], [1.5, 0.5e-12]]), 2)
    assert isinstance(found, Failure) and "nearly singular" in found.message


def test_exact_integer_rank() -> None:
    rng = np.random.default_rng(1)
    for _ in range(200):
        n, k = int(rng.integers(1, 12)), int(rng.integers(1, 5))
        r = int(rng.integers(0, k + 1))
        m = rng.integers(-4, 5, size=(n, r)) @ rng.integers(-4, 5, size=(r, k)) if r else np.zeros((n, k))
        assert integer_rank(m.astype(np.float64)) == np.linalg.matrix_rank(m)
    # large entries where a float rank's tolerance would misjudge
    big = np.array([[2.0 ** 40, 1.0], [2.0 ** 40 + 1.0, 1.0]])
    assert integer_rank(big) == 2


def test_values_half_way_between_integers_round_the_same_way() -> None:
    with collect_notes() as notes:
        up = round_half("a coefficient", np.array([0.5 + 1e-13, 2.5 + 1e-13]))
        down = round_half("a coefficient", np.array([0.5 - 1e-13, 2.5 - 1e-13]))
    assert np.array_equal(up, down) and np.array_equal(up, [0.0, 2.0])
    assert notes == ["a coefficient half-way between two integers: rounded half to even"]
    assert compare("q", 3.0 + 1e-13, ">=", 3.0) == compare("q", 3.0 - 1e-13, ">=", 3.0) is True
    assert compare("q", 3.0 + 1e-13, ">", 3.0) == compare("q", 3.0 - 1e-13, ">", 3.0) is False
    assert compare("q", 3.1, ">", 3.0) and not compare("q", 2.9, ">", 3.0)


def _run(coretype: str, request: dict) -> dict:
    """Run this file as a script under one OpenBLAS kernel; its JSON report."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env = dict(os.environ, OPENBLAS_CORETYPE=coretype, PYTHONPATH=path)
    done = subprocess.run([sys.executable, __file__, json.dumps(request)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, f"{coretype}: exit status {done.returncode}\n{done.stderr[-3000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def _compare(reports: dict[str, dict]) -> None:
    ran = {core: r for core, r in reports.items() if r["kernel"].lower() == core.lower()}
    if len(ran) < 2:
        pytest.skip(f"this processor runs fewer than two of the OpenBLAS kernels asked for: "
                    f"{ {core: r['kernel'] for core, r in reports.items()} }")
    (first, base), *rest = ran.items()
    for core, other in rest:
        for task, row in base["tasks"].items():
            assert other["tasks"][task] == row, (
                f"{task}: {first} and {core} differ:\n{json.dumps(row, indent=1)}\n"
                f"{json.dumps(other['tasks'][task], indent=1)}")


def test_same_encodings_machines_and_programs_under_every_openblas_kernel() -> None:
    reports = {core: _run(core, {"tasks": list(TASKS), **FAST}) for core in CORETYPES}
    _compare(reports)
    some = next(iter(reports.values()))["tasks"]
    assert some["Bitwise_Not"]["solved"] and some["Newton_Magnetic"]["statuses"]["encode"] == "ok"


@pytest.mark.slow
def test_same_benchmark_programs_under_every_openblas_kernel() -> None:
    """The benchmark's settings (1,000,000-sequence datasets) and every stage, with Zen too."""
    reports = {core: _run(core, {"tasks": list(TASKS), "config": {}, "until": {}})
               for core in CORETYPES + ("Zen",)}
    _compare(reports)
    assert all(row["solved"] for row in next(iter(reports.values()))["tasks"].values())


def _main(request: dict) -> None:
    """The subprocess: under this process's BLAS kernel, every task's normalizers, encoding
    candidates, machine and (where it runs that far) program, as one JSON line."""
    from threadpoolctl import threadpool_info      # numpy (OpenBLAS) is loaded: the kernel it runs

    from mips.paths import ASSETS
    from mips.pipeline import PipelineConfig, run_pipeline
    from mips.program.codegen import to_source

    kernels = [i.get("architecture", "") for i in threadpool_info() if i.get("internal_api") == "openblas"]
    rows = {}
    for task in request["tasks"]:
        r = run_pipeline(task, PipelineConfig(**request["config"]), model=ASSETS / "zoo" / f"{task}.pt",
                         until=request["until"].get(task))
        norm = r.normalization
        choice, fsm = r.encoding, r.fsm
        rows[task] = {
            "statuses": {name: s.status for name, s in r.stages.items()},
            "normalizers": None if norm is None else [s.name for s in norm.steps if s.accepted and s.changed],
            "candidates": None if choice is None else [[c.kind, c.method, c.n_vars, c.n_states, c.update_rule,
                                                        c.output_exceptions] for c in choice.candidates],
            "chosen": None if choice is None or choice.chosen is None else choice.candidates.index(choice.chosen),
            "machine": None if fsm is None else [fsm.status, fsm.encoding.kind, fsm.encoding.method,
                                                 fsm.encoding.n_states,
                                                 None if fsm.minimal is None else fsm.minimal.n_states],
            "solved": r.solved,
            "program": None if r.program is None else to_source(r.program),
            "alternatives": [to_source(p) for p, _ in r.alternatives]}
    print(json.dumps({"kernel": kernels[0] if kernels else "", "tasks": rows}))


if __name__ == "__main__":
    _main(json.loads(sys.argv[1]))
