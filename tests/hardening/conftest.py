"""The isolation tests need bubblewrap and seccomp on the host. Where either is missing they are
skipped, except under CI (``MIPS_REQUIRE_ISOLATION=1``, set by ``.ci/run``), where they fail."""

from __future__ import annotations

import os

import pytest

from mips.runtime.sandbox import isolation


@pytest.fixture
def isolated():
    iso = isolation()
    if not iso.complete:
        message = f"this host cannot isolate untrusted code: {iso.summary()}"
        if os.environ.get("MIPS_REQUIRE_ISOLATION") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return iso
