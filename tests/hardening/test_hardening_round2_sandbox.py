"""Isolation, second round (issue 22): the sandbox's PID 1, what the child can read, and how its end is
reported. Each test checks the outcome (what the child saw or did), not only the message."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import time

import pytest

from mips.errors import SandboxError
from mips.sandbox import SandboxLimits, host, run_sandboxed
from tests.hardening import targets_round2 as targets

FAST = SandboxLimits(cpu_seconds=5.0, memory_mb=256, wall_seconds=30.0)
pytestmark = pytest.mark.usefixtures("isolated")


def test_the_target_is_pid_one_under_the_filter_with_nothing_else_in_its_namespace():
    seen = run_sandboxed(targets.pid_one, limits=FAST)
    assert seen["me"] == 1 and seen["pids"] == [1]           # no init of bubblewrap's own to attack
    assert seen["seccomp"] == "2" and seen["no_new_privs"] == "1"


def test_pid_ones_memory_is_only_ever_the_childs_own():
    assert run_sandboxed(targets.write_pid_one_memory, limits=FAST) == "opened the memory of pid 1, which is pid 1"


def test_threads_cannot_be_started_and_numpy_still_works():
    with pytest.raises(SandboxError, match=r"raised RuntimeError: can't start new thread"):
        run_sandboxed(targets.start_threads, 10_000, limits=FAST)
    assert run_sandboxed(targets.numpy_work, limits=FAST) == pytest.approx(targets.numpy_work())


@pytest.mark.parametrize("pid", [2, 0, -1], ids=["other", "group", "everyone"])
def test_queued_signals_to_others_are_refused(pid):
    assert run_sandboxed(targets.queue_signal, pid, int(signal.SIGUSR1), limits=FAST) == errno.EPERM


def test_the_death_signal_cannot_be_cleared():
    assert run_sandboxed(targets.clear_death_signal, limits=FAST) == errno.EPERM


def test_limits_are_set_before_bubblewrap_starts():
    limits = SandboxLimits(cpu_seconds=7.0, memory_mb=300, wall_seconds=30.0)
    cmd, popen = host.child_command("import time; time.sleep(20)", limits=limits)
    assert cmd[0] == host.PRLIMIT and cmd.index(host.BWRAP) > 0
    proc = subprocess.Popen(cmd, env=host.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True, **popen)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:   # prlimit sets its own limits, then becomes bubblewrap
            with open(f"/proc/{proc.pid}/cmdline", "rb") as f:
                if f.read().split(b"\0")[0] == host.BWRAP.encode():
                    break
            time.sleep(0.05)
        with open(f"/proc/{proc.pid}/limits") as f:
            rows = {line[:26].strip(): line[26:].split() for line in f.read().splitlines()[1:]}
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert rows["Max cpu time"][:2] == [str(7 + host.START_CPU_SECONDS), str(9 + host.START_CPU_SECONDS)]
    assert rows["Max address space"][1] == str((300 + host.START_MEMORY_MB) << 20)
    assert rows["Max core file size"][:2] == ["0", "0"]
    assert rows["Max open files"][1] == str(host.START_OPEN_FILES)


def test_only_the_interpreter_and_the_packages_are_visible(tmp_path):
    project = host.PROJECT_ROOT
    for secret in (".git/config", ".streamlit/config.toml", "README.md", "pyproject.toml"):
        with pytest.raises(SandboxError, match=r"raised FileNotFoundError: \[Errno 2\] No such file or directory"):
            run_sandboxed(targets.read_bytes, str(project / secret), limits=FAST)
    visible = set(run_sandboxed(targets.list_folder, str(project), limits=FAST))
    assert visible <= {"mips", "tests", ".venv"} and "mips" in visible
    assert run_sandboxed(targets.list_folder, "/etc", limits=FAST) in ([], ["ld.so.cache"])
    home = os.path.expanduser("~")
    shown = run_sandboxed(targets.list_folder, home, limits=FAST) if home != "/" else []
    assert all(not name.startswith(".") or name in {".pyenv", ".local"} for name in shown)
    assert not {".bash_history", ".ssh", ".gitconfig", ".cache"} & set(shown)


def test_a_secrets_file_beside_the_functions_package_stays_unseen(tmp_path, monkeypatch):
    project = tmp_path / "project"
    (project / "hostile_pkg").mkdir(parents=True)
    (project / ".streamlit").mkdir()
    (project / ".streamlit" / "secrets.toml").write_text('token = "s3cret-value"\n')
    (project / "hostile_pkg" / "__init__.py").write_text(
        "import os\n"
        "def peek():\n"
        "    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))\n"
        "    found = sorted(os.listdir(here))\n"
        "    with open(os.path.join(here, '.streamlit', 'secrets.toml')) as f:\n"
        "        return found, f.read()\n")
    monkeypatch.syspath_prepend(str(project))
    import hostile_pkg
    assert hostile_pkg.peek()[1].startswith("token")             # in the parent the file is there
    with pytest.raises(SandboxError, match=r"raised FileNotFoundError") as info:
        run_sandboxed(hostile_pkg.peek, limits=FAST)             # the child sees the package, not its folder
    assert "s3cret-value" not in str(info.value)


@pytest.mark.parametrize(("fn", "kind", "message"), [
    (targets.seccomp_kill, "blocked", r"was stopped: it made a blocked system call"),
    (targets.deep_recursion, "recursion", r"stopped: recursion too deep \(a segmentation fault"),
    (targets.recursion_error, "recursion", r"stopped: recursion too deep\. Use a loop"),
], ids=["sigsys", "c-stack-overflow", "recursion-error"])
def test_each_way_of_ending_is_named(fn, kind, message):
    with pytest.raises(SandboxError, match=message) as info:
        run_sandboxed(fn, limits=FAST)
    assert info.value.kind == kind
    assert "memory" not in str(info.value) and "exit()" not in str(info.value)


def test_a_memory_bomb_is_named_as_such():
    from tests.hardening import targets as first_round
    with pytest.raises(SandboxError, match=r"memory limit of 256 MB") as info:
        run_sandboxed(first_round.eat_memory, limits=FAST)
    assert info.value.kind == "memory"


def test_without_prlimit_the_same_limits_are_set_before_bubblewrap(monkeypatch):
    monkeypatch.setattr(host, "PRLIMIT", None)
    limits = SandboxLimits(cpu_seconds=7.0, memory_mb=300, wall_seconds=30.0)
    cmd, popen = host.child_command("import time; time.sleep(20)", limits=limits)
    assert cmd[0] == host.BWRAP and callable(popen["preexec_fn"])
    proc = subprocess.Popen(cmd, env=host.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True, **popen)
    try:
        time.sleep(0.3)
        with open(f"/proc/{proc.pid}/limits") as f:
            rows = {line[:26].strip(): line[26:].split() for line in f.read().splitlines()[1:]}
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert rows["Max address space"][1] == str((300 + host.START_MEMORY_MB) << 20)
    assert rows["Max cpu time"][:2] == [str(7 + host.START_CPU_SECONDS), str(9 + host.START_CPU_SECONDS)]
    assert run_sandboxed(targets.pid_one, limits=FAST)["me"] == 1   # and a sandboxed call still works
