"""Hostile task files: they run in a sandboxed child, so a loop, a memory bomb, a shell command,
a network call or an exit gets a clear error naming the file, and this process is untouched."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from mips.errors import ConfigError, SandboxError, TaskFileError
from mips.sandbox import SandboxLimits
from mips.tasks import make_dataset, taskfile
from mips.tasks import load_task_file as _load_task_file
from tests.system_packages import TRUST_TASK_FILES


def load_task_file(path, **kwargs):
    """Limits, crashes and messages need no namespaces: where the host has none, the trusted path (the
    same child with its limits) is tested; the attacks that need isolation take the ``isolated`` fixture."""
    kwargs.setdefault("trust", TRUST_TASK_FILES)
    return _load_task_file(path, **kwargs)

HEADER = 'NAME = "hostile"\nINPUT_DIM = 1\nINPUT_VALUES = [0, 1]\nSEQ_LEN = 6\n'
LIMITS = SandboxLimits(cpu_seconds=1.0, memory_mb=256, wall_seconds=20.0)


def _file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "hostile.py"
    path.write_text(HEADER + body)
    return path


@pytest.mark.parametrize(("body", "kind", "message"), [
    ("while True:\n    pass\n", "cpu", r"Task file '.*hostile\.py' used more than the CPU-time limit of 1 s"),
    ("def target(xs):\n    while True:\n        pass\n", "cpu", r"hostile\.py' used more than the CPU-time limit"),
    ("def target(xs):\n    return [0] * 10**12\n", "memory", r"hostile\.py' ran out of its memory limit of 256 MB"),
    ("import time\ntime.sleep(1000)\n", "timeout", r"hostile\.py' did not finish within the wall-clock limit"),
    ("import os\nos._exit(0)\n", "crashed", r"hostile\.py' crashed: the sandboxed process exited with status 0"),
    ("import ctypes\nctypes.string_at(0)\n", "recursion", r"recursion too deep \(a segmentation fault"),
], ids=["loop-at-import", "loop-in-target", "memory-bomb", "sleep", "exit", "segfault"])
def test_limits_and_crashes_name_the_file(tmp_path, body, kind, message):
    if kind == "timeout":
        limits = SandboxLimits(cpu_seconds=1.0, memory_mb=256, wall_seconds=3.0)
    else:
        limits = LIMITS
    with pytest.raises(SandboxError, match=message) as info:
        load_task_file(_file(tmp_path, body), limits=limits)
    assert info.value.kind == kind


DENIED = r"raised PermissionError: \[Errno 1\] Operation not permitted \(line \d+\) while being imported"


@pytest.mark.parametrize(("body", "message"), [
    ("import posix\nr = posix.system('echo pwned > {marker}')\nraise RuntimeError(f'status {{r}}')\n",
     r"raised RuntimeError: status 32512"),
    ("import ctypes\nr = ctypes.CDLL(None).system(b'echo pwned > {marker}')\nraise RuntimeError(f'status {{r}}')\n",
     r"raised RuntimeError: status 32512"),
    ("import importlib, os\nimportlib.reload(os).system('echo pwned > {marker}')\nraise RuntimeError('ran')\n",
     r"raised RuntimeError: ran"),
    ("import posix\nposix.fork()\n", DENIED),
    ("import subprocess\nsubprocess.run(['sh', '-c', 'echo pwned > {marker}'])\n", DENIED),
    ("import socket\nsocket.create_connection(('127.0.0.1', 9))\n", DENIED),
    ("import urllib.request\nurllib.request.urlopen('http://127.0.0.1:9')\n", r"while being imported"),
    ("import os\nos.setsid()\n", DENIED),
    ("import os, signal\nos.kill(os.getppid(), signal.SIGTERM)\n", DENIED),
    ("open({marker!r}, 'w').write('pwned')\n", r"raised FileNotFoundError"),
], ids=["posix.system", "ctypes", "reload(os)", "fork", "subprocess", "socket", "urllib", "setsid", "kill-parent",
        "write-outside"])
def test_processes_network_signals_and_writes_are_refused(tmp_path, body, message, isolated):
    marker = tmp_path / "pwned"
    with pytest.raises(TaskFileError, match=message):
        load_task_file(_file(tmp_path, body.format(marker=str(marker))), limits=LIMITS)
    assert not marker.exists()


def test_secrets_do_not_leak_through_the_description_or_messages(tmp_path, monkeypatch, isolated):
    monkeypatch.setenv("MIPS_TEST_SECRET_TOKEN", "s3cret-value")
    leak = ("import os\n"
            "def target(xs):\n"
            "    return list(xs)\n"
            "target.__doc__ = 'env ' + repr(sorted(os.environ.items()))\n")
    spec = load_task_file(_file(tmp_path, leak), limits=LIMITS)
    assert "s3cret" not in spec.description and "MIPS_TEST_SECRET_TOKEN" not in spec.description
    proc = (f"raise RuntimeError(open('/proc/{os.getpid()}/environ').read())\n")
    with pytest.raises(TaskFileError) as info:
        load_task_file(_file(tmp_path, proc), limits=LIMITS)
    assert "s3cret" not in str(info.value)


def test_writes_into_the_package_folder_fail(tmp_path, isolated):
    target = Path(taskfile.__file__).with_name("planted_by_task_file.py")
    body = f"open({str(target)!r}, 'w').write('import os')\n"
    try:
        with pytest.raises(TaskFileError, match=r"raised OSError: \[Errno 30\] Read-only file system"):
            load_task_file(_file(tmp_path, body), limits=LIMITS)
        assert not target.exists()
    finally:
        target.unlink(missing_ok=True)


def test_the_checked_bytes_are_the_bytes_that_run(tmp_path):
    """Swapping the file after it was checked changes nothing: the bytes were read once."""
    path = _file(tmp_path, "def target(xs):\n    return list(xs)\n")
    spec = load_task_file(path, limits=LIMITS)
    path.write_text(HEADER + "def target(xs):\n    return [1 - x for x in xs]\n")
    x = np.array([[[0], [1], [1], [0], [1], [0]]], dtype=np.int64)
    np.testing.assert_array_equal(spec.compute_outputs(x), x)


@pytest.mark.parametrize(("constant", "message"), [
    ("SEQ_LEN = 40000", r"SEQ_LEN must be an int in \[1, 1000\]\. Got 40000 instead"),
    ("INPUT_DIM = 10**6", r"INPUT_DIM must be an int in \[1, 16\]\. Got 1000000 instead"),
    ("OUTPUT_DIM = 100", r"OUTPUT_DIM must be an int in \[1, 16\]\. Got 100 instead"),
    ("INPUT_VALUES = list(range(100000))", r"at most 1024 distinct ints \(no bools\)\. Got 100,000 values"),
    ("NAME = 'x' * 10**6", r"NAME must be a non-empty identifier-like str of at most 64 characters.*Got 'xxx"),
], ids=["seq_len", "input_dim", "output_dim", "input_values", "name"])
def test_sizes_are_bounded_before_anything_is_allocated(tmp_path, constant, message):
    with pytest.raises(TaskFileError, match=message):
        load_task_file(_file(tmp_path, constant + "\ndef target(xs):\n    return list(xs)\n"), limits=LIMITS)


def test_a_dataset_too_large_is_refused_before_allocating(tmp_path):
    spec = load_task_file(_file(tmp_path, "SEQ_LEN = 1000\nOUTPUT_DIM = 16\ndef target(xs):\n"
                                          "    return [(0,) * 16 for _ in xs]\n"), limits=LIMITS)
    with pytest.raises(ConfigError, match=r"holds 17,000,000,000 numbers, more than the 250,000,000 allowed"):
        make_dataset(spec, n_sequences=1_000_000)


def test_an_oversized_file_is_refused_unread(tmp_path):
    path = tmp_path / "big.py"
    path.write_bytes(b"#" * (taskfile.MAX_FILE_BYTES + 10))
    with pytest.raises(TaskFileError, match=r"is larger than 1024 KiB"):
        load_task_file(path, limits=LIMITS)


def test_without_isolation_a_task_file_needs_trust(tmp_path, monkeypatch):
    from mips.sandbox import host
    weak = host.Isolation(namespaces=False, seccomp=False, unprivileged_uid=False, notes=("none here.",),
                          problem="bubblewrap is not installed and the seccomp library is missing",
                          fix="apt-get install bubblewrap; apt-get install libseccomp2")
    monkeypatch.setattr(host, "isolation", lambda: weak)
    path = _file(tmp_path, "def target(xs):\n    return list(xs)\n")
    with pytest.raises(SandboxError, match=r"was refused: this machine cannot isolate untrusted code, because "
                                           r"bubblewrap is not installed and the seccomp library is missing") as info:
        load_task_file(path, limits=LIMITS, trust=False)
    assert info.value.kind == "isolation"
    spec = load_task_file(path, limits=LIMITS, trust=True)
    x = np.zeros((2, 6, 1), dtype=np.int64)
    np.testing.assert_array_equal(spec.compute_outputs(x), x)


def test_file_is_never_imported_here(tmp_path):
    """Module-level code of the file runs in the child only: it cannot touch this process."""
    path = _file(tmp_path, "import os\nos.environ['MIPS_HOSTILE'] = '1'\n"
                           "def target(xs):\n    return list(xs)\n")
    spec = load_task_file(path, limits=LIMITS)
    assert "MIPS_HOSTILE" not in os.environ
    ds = make_dataset(spec, n_sequences=40, seed=0)
    np.testing.assert_array_equal(ds.x_train, ds.y_train)


def test_target_that_loops_only_on_some_inputs_fails_cleanly_when_labelling(tmp_path):
    path = _file(tmp_path, "def target(xs):\n    while len(xs) == 3:\n        pass\n    return list(xs)\n")
    spec = load_task_file(path, limits=LIMITS)
    with pytest.raises(SandboxError, match=r"hostile\.py' \(target on 5 sequences\) used more than the CPU-time"):
        make_dataset(spec, n_sequences=5, seq_len=3)


def test_labels_are_computed_in_batches_one_child_each(tmp_path, monkeypatch):
    calls = []
    real = taskfile.run_sandboxed

    def counting(*args, **kwargs):
        calls.append(args[3].shape if len(args) > 3 else None)
        return real(*args, **kwargs)

    monkeypatch.setattr(taskfile, "run_sandboxed", counting)
    monkeypatch.setattr(taskfile, "LABEL_BATCH_STEPS", 6 * 400)   # 400 sequences of length 6 per child
    spec = load_task_file(_file(tmp_path, "def target(xs):\n    return [1 - x for x in xs]\n"), limits=LIMITS)
    x = np.random.default_rng(0).integers(0, 2, size=(1000, 6, 1))
    start = time.monotonic()
    y = spec.compute_outputs(x)
    np.testing.assert_array_equal(y, 1 - x)
    assert calls[1:] == [(400, 6, 1), (400, 6, 1), (200, 6, 1)]   # calls[0] is the load
    assert time.monotonic() - start < 20


def test_reply_from_the_child_is_checked(tmp_path, monkeypatch):
    """A child that sends back labels of the wrong shape is refused (its reply is untrusted)."""
    spec = load_task_file(_file(tmp_path, "def target(xs):\n    return list(xs)\n"), limits=LIMITS)
    monkeypatch.setattr(taskfile, "run_sandboxed", lambda *a, **k: np.zeros((1, 1, 1), dtype=np.int64))
    with pytest.raises(TaskFileError, match=r"sent back labels that are not an int64 array of shape \(2, 6, 1\)"):
        spec.compute_outputs(np.zeros((2, 6, 1), dtype=np.int64))
    monkeypatch.setattr(taskfile, "run_sandboxed", lambda *a, **k: {"name": 1})
    with pytest.raises(TaskFileError, match=r"sent back malformed task fields"):
        load_task_file(_file(tmp_path, "def target(xs):\n    return list(xs)\n"))
