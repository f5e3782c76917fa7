"""Uploads, second round (issue 22): the server refuses an upload larger than the largest legitimate one,
and an upload the app refuses leaves none of its bytes in the session."""

from __future__ import annotations

import dataclasses
import io
import math
import tomllib

import torch

from mips.network.checkpoint import MAX_CHECKPOINT_BYTES
from mips.paths import ASSETS, PROJECT_ROOT
from mips.tasks.taskfile import MAX_FILE_BYTES


def test_the_upload_cap_fits_the_largest_legitimate_upload_and_no_more():
    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text())
    cap_mb = config["server"]["maxUploadSize"]
    largest_zoo = max(p.stat().st_size for p in (ASSETS / "zoo").glob("*.pt"))
    assert isinstance(cap_mb, int)
    assert cap_mb >= math.ceil(max(MAX_FILE_BYTES, largest_zoo) / 2**20)    # a task file, any zoo network
    assert cap_mb <= 8 < MAX_CHECKPOINT_BYTES / 2**20                        # a few MB, not the default 200


def _holds(value: object, data: bytes, seen: set | None = None) -> bool:
    """True when ``value`` (session state) holds ``data`` anywhere."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return False
    seen.add(id(value))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return data in bytes(value)
    if isinstance(value, dict):
        return any(_holds(k, data, seen) or _holds(v, data, seen) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_holds(v, data, seen) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return any(_holds(getattr(value, f.name), data, seen) for f in dataclasses.fields(value))
    if hasattr(value, "__dict__"):
        return any(_holds(v, data, seen) for v in vars(value).values())
    return False


def test_a_refused_upload_leaves_no_bytes_in_the_session(tmp_path):
    from tests.app.test_home import _run_upload
    ck = torch.load(ASSETS / "zoo" / "Abs_Current.pt", weights_only=True)
    ck["state_dict"]["hmlp.mlp.0.weight"] = torch.empty(1, 1).expand(10**4, 10**4)
    buf = io.BytesIO()
    torch.save(ck, buf)
    hostile = tmp_path / "hostile.pt"
    hostile.write_bytes(buf.getvalue())
    bad_task = tmp_path / "bad_task.py"
    bad_task.write_text("NAME = 'bad'\nINPUT_DIM = 0\n# " + "padding " * 200 + "\n")
    for kind, path in (("task", bad_task), ("ckpt", hostile)):
        at = _run_upload(kind, str(path))
        assert at.error, kind
        data = path.read_bytes()
        assert not any(_holds(v, data) for v in at.session_state.values()), kind
