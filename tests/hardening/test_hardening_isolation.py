"""Attacks on the operating-system isolation of sandboxed children (issue 13).

Each attack is one line of Python that defeated the earlier Python-level blocks. Payloads are
harmless: at most a marker file in this test's temporary folder. Every test checks the outcome in
the parent (the marker is absent, no connection arrived, no signal arrived, no secret came back),
not only the message."""

from __future__ import annotations

import os
import resource
import signal
import socket
import sys
import sysconfig
import time
from pathlib import Path

import pytest

from mips.errors import ConfigError, SandboxError
from mips.sandbox import SandboxLimits, host, run_sandboxed
from mips.sandbox.wire import encode
from tests.hardening import targets

FAST = SandboxLimits(cpu_seconds=2.0, memory_mb=256, wall_seconds=30.0)
pytestmark = pytest.mark.usefixtures("isolated")


@pytest.mark.parametrize("attack", [targets.posix_system, targets.ctypes_system, targets.reloaded_os_system],
                         ids=["posix.system", "ctypes system", "importlib.reload(os)"])
def test_no_program_can_be_started(tmp_path, attack):
    marker = tmp_path / "pwned"
    status = run_sandboxed(attack, str(marker), limits=FAST)
    assert status != 0                       # the shell never ran: fork/exec are refused by seccomp
    assert not marker.exists()


def test_fork_is_refused():
    with pytest.raises(SandboxError, match=r"raised PermissionError: \[Errno 1\] Operation not permitted"):
        run_sandboxed(targets.posix_fork, limits=FAST)


def test_no_network_even_through_object_subclasses():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.5)
    port = server.getsockname()[1]
    try:
        with pytest.raises(SandboxError, match=r"raised PermissionError: \[Errno 1\] Operation not permitted"):
            run_sandboxed(targets.subclass_socket_connect, port, limits=FAST)
        with pytest.raises(TimeoutError):
            server.accept()                  # nothing ever connected
    finally:
        server.close()


def test_the_parents_environment_does_not_reach_the_child(monkeypatch):
    monkeypatch.setenv("MIPS_TEST_SECRET_TOKEN", "s3cret-value")
    env = run_sandboxed(targets.environment, limits=FAST)
    assert "MIPS_TEST_SECRET_TOKEN" not in env and "s3cret-value" not in str(env)
    assert set(env) <= set(host.env()) | {"PWD", "OLDPWD", "_"}


def test_the_parents_process_is_out_of_reach(monkeypatch):
    monkeypatch.setenv("MIPS_TEST_SECRET_TOKEN", "s3cret-value")
    with pytest.raises(SandboxError) as info:   # /proc shows only the child's own PID namespace
        run_sandboxed(targets.read_text, f"/proc/{os.getpid()}/environ", limits=FAST)
    assert "s3cret-value" not in str(info.value)
    got = []
    previous = signal.signal(signal.SIGUSR1, lambda *a: got.append(1))
    try:
        for pid in (os.getpid(), 2, -1):   # (PID 1 of its namespace is the child itself)
            with pytest.raises(SandboxError, match=r"raised (PermissionError|ProcessLookupError)"):
                run_sandboxed(targets.send_signal, pid, int(signal.SIGUSR1), limits=FAST)
        time.sleep(0.2)
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert got == []


def test_setsid_is_refused():
    with pytest.raises(SandboxError, match=r"raised PermissionError"):
        run_sandboxed(targets.new_session, limits=FAST)


@pytest.mark.parametrize("where", ["project", "site-packages", "tmp_path"])
def test_no_writes_outside_the_private_tmp(tmp_path, where):
    folder = {"project": host.PROJECT_ROOT / "mips", "site-packages": Path(sysconfig.get_paths()["purelib"]),
              "tmp_path": tmp_path}[where]
    target = folder / "mips_pwned_marker.py"
    try:
        with pytest.raises(SandboxError, match=r"raised (OSError|PermissionError|FileNotFoundError)"):
            run_sandboxed(targets.write_text, str(target), limits=FAST)
        assert not target.exists()
    finally:
        target.unlink(missing_ok=True)
    assert run_sandboxed(targets.write_text, "/tmp/scratch.txt", limits=FAST) == "written"  # its own /tmp


def test_exception_classes_are_never_imported_by_name():
    planted = "tests.hardening.planted_by_the_child"
    with pytest.raises(SandboxError, match=r"^The sandboxed code raised Boom: chosen by the child$"):
        run_sandboxed(targets.raise_named, planted, "Boom", limits=FAST)
    assert planted not in sys.modules
    # a name from the fixed table gives that class, with the child's text as its message only
    with pytest.raises(ConfigError, match=r"^chosen by the child$"):
        run_sandboxed(targets.raise_named, "anything.at.all", "ConfigError", limits=FAST)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize("reply", [
    b"\x80\x04\x95\x1e\x00\x00\x00\x00\x00\x00\x00\x8c\x08builtins\x94\x8c\tbytearray\x94\x93\x94J\x00\x00\x00"
    b"\x50\x85\x94R\x94.",                                       # the 53-byte pickle that allocated 1.4 GB
    encode(("ok", 1))[:-1] + b"]" * 5,
    b"MIPS-REPLY-1\n" + (10**12).to_bytes(8, "big"),
], ids=["pickle bomb", "broken", "huge header length"])
def test_a_forged_reply_is_refused_without_allocating(reply):
    before = _peak_rss_mb()
    with pytest.raises(SandboxError, match=r"sent back a reply that cannot be read safely"):
        run_sandboxed(targets.forge_reply, reply, limits=FAST)
    assert _peak_rss_mb() - before < 100


def test_a_forged_array_shape_is_refused_without_allocating():
    import json
    import struct
    header = json.dumps({"value": ["ok", {"a": 0}], "arrays": [
        {"dtype": "<i8", "shape": [1 << 30, 1 << 10], "offset": 0, "nbytes": 8}]}).encode()
    forged = b"MIPS-REPLY-1\n" + struct.pack(">Q", len(header)) + header + bytes(8)
    before = _peak_rss_mb()
    with pytest.raises(SandboxError, match=r"does not match its byte count"):
        run_sandboxed(targets.forge_reply, forged, limits=FAST)
    assert _peak_rss_mb() - before < 100


def test_a_reply_over_its_size_limit_is_refused():
    small = SandboxLimits(cpu_seconds=5.0, memory_mb=512, wall_seconds=30.0, reply_mb=1)
    with pytest.raises(SandboxError, match=r"reply of [\d,]+ bytes is larger than the 1 MB limit"):
        run_sandboxed(targets.array_of, 1_000_000, limits=small)


def test_without_isolation_untrusted_work_is_refused_unless_trusted(monkeypatch):
    weak = host.Isolation(namespaces=False, seccomp=True, unprivileged_uid=False,
                          notes=("Namespaces: missing (bubblewrap is not installed).",),
                          problem="bubblewrap is not installed", fix="apt-get install bubblewrap")
    monkeypatch.setattr(host, "isolation", lambda: weak)
    with pytest.raises(SandboxError, match=r"cannot isolate untrusted code, because bubblewrap is not installed "
                                           r"\(install: apt-get install bubblewrap\).*--trust-task-file") as info:
        run_sandboxed(targets.add, 1, 2, limits=FAST)
    assert info.value.kind == "isolation" and "\n" not in str(info.value)
    assert info.value.details == "Namespaces: missing (bubblewrap is not installed)."
    assert run_sandboxed(targets.add, 1, 2, limits=FAST, require_isolation=False) == 3


def test_isolation_report_names_every_layer(isolated):
    assert isolated.namespaces and isolated.seccomp
    text = isolated.summary()
    assert "Namespaces: bubblewrap" in text and "Seccomp" in text and "Uid" in text


@pytest.mark.parametrize("path", ["/escape.txt", "/dev/escape", "/dev/shm/escape", "/etc/escape"])
def test_memory_backed_folders_other_than_tmp_are_read_only(path):
    with pytest.raises(SandboxError, match=r"raised OSError: \[Errno 30\] Read-only file system"):
        run_sandboxed(targets.write_text, path, limits=FAST)


def test_the_private_tmp_and_anonymous_files_cannot_eat_the_hosts_memory():
    assert run_sandboxed(targets.fill_tmp, 32, limits=FAST) == "filled"
    with pytest.raises(SandboxError, match=r"raised OSError: \[Errno 28\] No space left on device"):
        run_sandboxed(targets.fill_tmp, 256, limits=FAST)
    with pytest.raises(SandboxError, match=r"raised PermissionError: \[Errno 1\] Operation not permitted"):
        run_sandboxed(targets.anonymous_file, limits=FAST)
