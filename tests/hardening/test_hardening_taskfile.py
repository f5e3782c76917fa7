"""Hostile task files: they run in a sandboxed child, so a loop, a memory bomb, a shell command,
a network call or an exit gets a clear error naming the file, and this process is untouched."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from mips.errors import SandboxError, TaskFileError
from mips.sandbox import SandboxLimits
from mips.tasks import load_task_file, make_dataset
from mips.tasks import taskfile

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
    ("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n", "crashed", r"killed by signal 11"),
], ids=["loop-at-import", "loop-in-target", "memory-bomb", "sleep", "exit", "segfault"])
def test_limits_and_crashes_name_the_file(tmp_path, body, kind, message):
    if kind == "timeout":
        limits = SandboxLimits(cpu_seconds=1.0, memory_mb=256, wall_seconds=3.0)
    else:
        limits = LIMITS
    with pytest.raises(SandboxError, match=message) as info:
        load_task_file(_file(tmp_path, body), limits=limits)
    assert info.value.kind == kind


@pytest.mark.parametrize(("body", "message"), [
    ("__import__('os').system('touch {marker}')\n",
     r"raised PermissionError: starting a process \(os\.system\) is not allowed in the MIPS sandbox\. \(line 5\) "
     r"while being imported"),
    ("import subprocess\nsubprocess.run(['touch', '{marker}'])\n",
     r"raised PermissionError: starting a process \(subprocess\.run\) is not allowed"),
    ("import urllib.request\nurllib.request.urlopen('http://127.0.0.1:9')\n", r"while being imported"),
    ("import socket\nsocket.create_connection(('127.0.0.1', 9))\n",
     r"raised PermissionError: network access \(socket\.create_connection\) is not allowed"),
], ids=["os.system", "subprocess", "urllib", "socket"])
def test_processes_and_network_are_refused(tmp_path, body, message):
    marker = tmp_path / "pwned"
    with pytest.raises(TaskFileError, match=message):
        load_task_file(_file(tmp_path, body.format(marker=marker)), limits=LIMITS)
    assert not marker.exists()


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
