"""A TLS cluster (issue 22, README "Running on a cluster"): a scheduler and a worker that accept only
peers holding a certificate of the cluster's own authority, and the client reaching them through
``dask_client`` with the matching settings. A client without a certificate is turned away."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.runtime.test_cluster import stop

from mips.runtime.dask_client import dask_client
from mips.runtime.worker_reply import decode_row, encode

OPENSSL = shutil.which("openssl")
BIN = Path(sys.executable).parent


def _certificates(folder: Path) -> dict[str, str]:
    """A certificate authority and one certificate it signed (for the scheduler, worker and client)."""
    def run(*args: str) -> None:
        subprocess.run([OPENSSL, *args], cwd=folder, check=True, capture_output=True, timeout=60)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=mips test cluster CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "node.key", "-out", "node.csr", "-subj", "/CN=127.0.0.1")
    (folder / "ext.cnf").write_text("basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\n")
    run("x509", "-req", "-in", "node.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out",
        "node.pem", "-days", "2", "-extfile", "ext.cnf")
    return {"ca": str(folder / "ca.pem"), "cert": str(folder / "node.pem"), "key": str(folder / "node.key")}


def _use_certificates(monkeypatch, certs: dict[str, str]) -> None:
    import dask
    for name, key in (("CA_FILE", "ca"), ("CLIENT__CERT", "cert"), ("CLIENT__KEY", "key")):
        monkeypatch.setenv(f"DASK_DISTRIBUTED__COMM__TLS__{name}", certs[key])
    dask.config.refresh()


def _dask(*args: str) -> list[str]:
    script = BIN / "dask"
    return [str(script), *args] if script.exists() else [sys.executable, "-m", "dask", *args]


_stop = stop      # tests/runtime/test_cluster.py: terminate, then kill


@pytest.mark.skipif(OPENSSL is None, reason="needs the openssl command (Debian package openssl)")
def test_a_tls_cluster_serves_only_clients_with_its_certificates(tmp_path, monkeypatch):
    import dask
    try:
        with monkeypatch.context() as env:       # the DASK_ variables are gone before the refresh below
            _run_tls_cluster(tmp_path, env)
    finally:
        dask.config.refresh()                     # later tests in this process get the usual configuration


def _run_tls_cluster(tmp_path: Path, monkeypatch) -> None:
    certs = _certificates(tmp_path)
    tls = ["--tls-ca-file", certs["ca"], "--tls-cert", certs["cert"], "--tls-key", certs["key"]]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DASK_")}
    sched_file = tmp_path / "scheduler.json"
    scheduler = worker = None
    with contextlib.ExitStack() as stack:
        log = stack.enter_context(open(tmp_path / "cluster.log", "w"))
        stack.callback(lambda: (_stop(worker), _stop(scheduler)))
        scheduler = subprocess.Popen(_dask("scheduler", "--protocol", "tls", "--host", "127.0.0.1", "--port", "0",
                                           "--no-dashboard", "--scheduler-file", str(sched_file), *tls),
                                     cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while not sched_file.exists() or not sched_file.read_text().strip():
            assert scheduler.poll() is None and time.monotonic() < deadline, (tmp_path / "cluster.log").read_text()
            time.sleep(0.2)
        address = json.loads(sched_file.read_text())["address"]
        assert address.startswith("tls://")
        worker = subprocess.Popen(_dask("worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard",
                                        "--local-directory", str(tmp_path / "worker"), *tls),
                                  cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
        _use_certificates(monkeypatch, certs)                 # as the README says: DASK_ variables
        with dask_client(address, None, 1) as client:
            client.wait_for_workers(1, timeout=60)
            reply = client.submit(encode, {"task": "Parity_All", "solved": True}, pure=False).result(timeout=60)
        assert decode_row(reply, "Parity_All")["solved"] is True
        rogue_folder = tmp_path / "rogue"
        rogue_folder.mkdir()
        _use_certificates(monkeypatch, {**certs, **{k: v for k, v in _certificates(rogue_folder).items()
                                                    if k != "ca"}})   # a certificate of another authority
        started = time.monotonic()
        with pytest.raises(OSError) as refused:
            with dask_client(address, None, 1):
                pass
        assert time.monotonic() - started < 30 and "Timed out" not in str(refused.value)
