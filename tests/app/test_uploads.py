"""Uploaded task files are checked and run from the uploaded bytes: nothing is written to a shared
folder (no planted symlink can redirect a write, no file can be swapped after the check)."""

import tempfile
from pathlib import Path

from tests.app.test_home import ROOT, _run_upload


def test_an_upload_writes_nothing_to_disk(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))      # where the old code wrote uploads
    source = (ROOT / "assets" / "tasks" / "running_max3.py").read_bytes()
    hostile = tmp_path / "..%2f..%2fevil **bold** [x](y).py"
    hostile.write_bytes(source)
    before = sorted(p.name for p in tmp_path.iterdir())
    at = _run_upload("task", str(hostile))
    assert not at.error
    assert "task=Running_Max3 source=file" in at.markdown[0].value
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert not (Path(tempfile.gettempdir()) / "mips-workbench-tasks").exists()


def test_a_host_without_isolation_says_so_and_asks_for_trust(monkeypatch):
    import mips.sandbox
    from mips.sandbox import host
    from tests.app.conftest import open_app

    weak = host.Isolation(namespaces=False, seccomp=True, unprivileged_uid=False, notes=("Namespaces: missing.",),
                          problem="bubblewrap is not installed", fix="apt-get install bubblewrap")
    monkeypatch.setattr(mips.sandbox, "isolation", lambda: weak)
    at = open_app("Parity_All")
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 1 and "\n" not in warnings[0], warnings               # one line, then the expander
    assert "cannot isolate uploaded task files (bubblewrap is not installed)" in warnings[0]
    assert "`apt-get install bubblewrap`" in warnings[0]
    assert any(e.label.startswith("Why") for e in at.expander)
    assert "Namespaces: missing." in " ".join(t.value for t in at.text)
    assert at.checkbox(key="trust_task_file").label.startswith("I trust this file")
