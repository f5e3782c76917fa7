"""The sandbox itself: each limit really fires on a function that breaks it, the parent survives,
and nothing the child sends back is executed in the parent."""

from __future__ import annotations

import time

import numpy as np
import pytest

from mips.errors import ConfigError, SandboxError
from mips.sandbox import SandboxLimits
from mips.sandbox import run_sandboxed as _run_sandboxed
from tests.hardening import targets
from tests.system_packages import TRUST_TASK_FILES


def run_sandboxed(fn, *args, **kwargs):
    """The limits and the reply's checks need no namespaces: where the host has none, the child runs
    with the layers it has; the attacks that need isolation take the ``isolated`` fixture."""
    kwargs.setdefault("require_isolation", not TRUST_TASK_FILES)
    return _run_sandboxed(fn, *args, **kwargs)

FAST = SandboxLimits(cpu_seconds=1.0, memory_mb=256, wall_seconds=20.0)


def test_returns_plain_values_and_arrays():
    assert run_sandboxed(targets.add, 2, b=3, limits=FAST) == 5
    np.testing.assert_array_equal(run_sandboxed(targets.array_of, 3, limits=FAST), [[0], [1], [2]])


def test_prints_do_not_corrupt_the_reply():
    assert run_sandboxed(targets.print_and_return, limits=FAST) == 7


def test_cpu_limit_stops_a_genuine_endless_loop():
    start = time.monotonic()
    with pytest.raises(SandboxError, match=r"used more than the CPU-time limit of 1 s and was stopped\. "
                                           r"Make it do less work \(no endless loops\)") as info:
        run_sandboxed(targets.spin, limits=FAST)
    assert info.value.kind == "cpu"
    assert time.monotonic() - start < 15


def test_wall_clock_stops_a_sleeping_child():
    start = time.monotonic()
    with pytest.raises(SandboxError, match=r"did not finish within the wall-clock limit of 2 s and was stopped\. "
                                           r"Make it finish sooner .*") as info:
        run_sandboxed(targets.sleep_forever, limits=SandboxLimits(wall_seconds=2.0))
    assert info.value.kind == "timeout"
    assert time.monotonic() - start < 10


def test_memory_limit_stops_a_memory_bomb():
    with pytest.raises(SandboxError, match=r"ran out of its memory limit of 256 MB\. Make it use less memory\.$") as info:
        run_sandboxed(targets.eat_memory, limits=FAST)
    assert info.value.kind == "memory"


@pytest.mark.parametrize("fn", [targets.connect, targets.open_socket], ids=["connect", "socket"])
def test_network_is_refused_by_the_kernel(fn, isolated):
    with pytest.raises(SandboxError, match=r"raised PermissionError: \[Errno 1\] Operation not permitted") as info:
        run_sandboxed(fn, limits=FAST)
    assert info.value.kind == "raised"


def test_a_shell_command_never_runs(tmp_path, isolated):
    assert run_sandboxed(targets.run_shell, limits=FAST) != 0    # the C library reports the refused spawn


def test_a_child_that_exits_is_reported_as_crashed():
    with pytest.raises(SandboxError, match=r"crashed: the sandboxed process exited with status 3 before "
                                           r"returning a result") as info:
        run_sandboxed(targets.hard_exit, limits=FAST)
    assert info.value.kind == "crashed"


def test_exceptions_keep_their_message_and_mips_errors_their_class():
    with pytest.raises(SandboxError, match=r"^Job X raised ValueError: boom$"):
        run_sandboxed(targets.raise_value_error, limits=FAST, what="Job X")
    with pytest.raises(ConfigError, match=r"^The 'x' parameter of f must be 1\. Got 2 instead\.$"):
        run_sandboxed(targets.raise_config_error, limits=FAST)


def test_a_reply_of_other_classes_is_refused_in_the_child():
    with pytest.raises(SandboxError, match=r"raised TypeError: it returned a value that cannot be sent back: "
                                           r"a Opaque cannot be sent back \(plain data and numpy arrays only\)"):
        run_sandboxed(targets.return_opaque, limits=FAST)


def test_unpicklable_function_and_bad_limits_are_config_errors():
    with pytest.raises(ConfigError, match=r"run_sandboxed needs a top-level function and picklable arguments"):
        run_sandboxed(lambda: 1)
    with pytest.raises(ConfigError, match=r"'cpu_seconds' parameter of SandboxLimits must be a float in \(0\.0"):
        SandboxLimits(cpu_seconds=0)
    with pytest.raises(ConfigError, match=r"'memory_mb' parameter of SandboxLimits must be an int in \[16,"):
        SandboxLimits(memory_mb=1)
    with pytest.raises(ConfigError, match=r"'limits' parameter of run_sandboxed must be a SandboxLimits"):
        run_sandboxed(targets.add, 1, 2, limits={"cpu_seconds": 1})


def test_a_cancel_stops_the_child_at_once():
    import threading
    cancel = threading.Event()
    threading.Timer(1.0, cancel.set).start()
    start = time.monotonic()
    with pytest.raises(SandboxError, match=r"^The sandboxed code was cancelled\.$") as info:
        run_sandboxed(targets.sleep_forever, limits=SandboxLimits(wall_seconds=60.0), cancel=cancel)
    assert info.value.kind == "cancelled"
    assert time.monotonic() - start < 5
