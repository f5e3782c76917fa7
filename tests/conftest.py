"""Suite-wide settings: property tests draw the same examples on every run and every machine
(a failing example found once is reported in an issue, not left to chance in CI)."""

from hypothesis import settings

settings.register_profile("deterministic", derandomize=True)
settings.load_profile("deterministic")


import multiprocessing as _mp          # noqa: E402
import os as _os                       # noqa: E402
import time as _time                   # noqa: E402

import pytest                          # noqa: E402


def _spin(stop) -> None:
    while not stop.is_set():
        sum(i * i for i in range(10_000))


@pytest.fixture
def cpu_load():
    """Every core busy with another process while the test runs (results must not change)."""
    stop = _mp.Event()
    procs = [_mp.Process(target=_spin, args=(stop,), daemon=True) for _ in range(_os.cpu_count() or 1)]
    for p in procs:
        p.start()
    _time.sleep(0.2)
    yield len(procs)
    stop.set()
    for p in procs:
        p.join(5)
