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
    """The test runs with its core shared by a busy process (results must not change).

    The test's process is pinned to one core and one spinning process is started there (a child keeps
    its parent's core), so the test gets about half of a core however many the machine has and however
    busy the others are; that costs one spinning process, not one per core. Where the affinity cannot
    be set, every core gets a spinning process instead."""
    stop = _mp.Event()
    try:
        before = _os.sched_getaffinity(0)
        _os.sched_setaffinity(0, {min(before)})
    except (AttributeError, OSError):
        before = None
    n = 1 if before is not None else (_os.cpu_count() or 1)
    procs = [_mp.Process(target=_spin, args=(stop,), daemon=True) for _ in range(n)]
    try:
        for p in procs:
            p.start()
        _time.sleep(0.2)
        yield len(procs)
    finally:
        stop.set()
        for p in procs:
            p.join(5)
        if before is not None:
            _os.sched_setaffinity(0, before)


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


# -- one pipeline run per zoo analysis per session (tests/pipeline_cache.py) ---------------------------
@pytest.fixture(scope="session", autouse=True)
def _shared_pipeline_runs(tmp_path_factory):
    """The session's folder of pipeline results, shared by the pytest-xdist workers (their temporary
    folders have one parent) and by the app servers they start (they inherit the variable)."""
    from tests.pipeline_cache import ENV
    if _os.environ.get(ENV) == "off":          # every analysis run afresh (to compare, or to rule the sharing out)
        yield None
        return
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if _os.environ.get("PYTEST_XDIST_WORKER") else base) / "pipeline-runs"
    folder.mkdir(exist_ok=True)
    before = _os.environ.get(ENV)
    _os.environ[ENV] = str(folder)
    yield folder
    if before is None:
        _os.environ.pop(ENV, None)
    else:
        _os.environ[ENV] = before
