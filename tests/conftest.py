"""Suite-wide settings and the two optional system dependencies.

* Property tests draw the same examples on every run and every machine (a failing example found
  once is reported in an issue, not left to chance in CI).
* Tests that need OS isolation (Debian's ``bubblewrap`` and ``libseccomp2``) use the ``isolated``
  fixture; tests that drive a browser (Debian's ``chromium``) use ``tests/e2e``'s fixtures. Both skip
  with one reason naming the packages, except where CI asks for them (``MIPS_REQUIRE_ISOLATION=1``,
  ``MIPS_REQUIRE_BROWSER=1``, set by ``.ci/run``): there they fail.
* Tests of the task-file *contract* (names, types, shapes, messages) need no isolation: on a host
  without it they go through the trusted path (``tests.system_packages.TRUST_TASK_FILES``), which runs the same checks
  in the same kind of child process, without the namespaces.
"""

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


# -- optional system packages (tests/system_packages.py) ----------------------------------------------
from tests.system_packages import ISOLATION_PACKAGES, missing_system_packages  # noqa: E402


@pytest.fixture
def isolated():
    """The host's isolation layers; the test is skipped (or fails under CI) where they are missing."""
    from mips.sandbox import isolation
    iso = isolation()
    if not iso.complete:
        missing_system_packages("OS isolation", ISOLATION_PACKAGES, "MIPS_REQUIRE_ISOLATION", iso.problem)
    return iso


@pytest.fixture(autouse=True)
def _plain_main_module(monkeypatch):
    """A bare ``__main__`` during each test. AppTest.from_function leaves its generated script as the
    main module's file; a Dask LocalCluster started later in the same process (one pytest-xdist worker
    runs many files) spawns its workers by re-running that file, which fails ("Nanny failed to start")."""
    import sys
    import types
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
