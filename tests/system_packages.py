"""The optional Debian packages some tests need, and the one way such tests skip (or fail in CI)."""

from __future__ import annotations

import os

import pytest

ISOLATION_PACKAGES = "bubblewrap libseccomp2"
BROWSER_PACKAGES = "chromium"


def missing_system_packages(what: str, packages: str, variable: str, why: str) -> None:
    """Skip the test with one reason naming the Debian packages; fail instead where CI sets ``variable``."""
    message = f"needs {what} ({why}): install Debian's {packages} (apt-get install -y {packages}), as .ci/run does"
    if os.environ.get(variable) == "1":
        pytest.fail(f"{message}; {variable}=1 requires it")
    pytest.skip(message)


def _trust_task_files() -> bool:
    from mips.sandbox import isolation
    return not isolation().complete


TRUST_TASK_FILES = _trust_task_files()
"""True where this host cannot isolate task files: tests of the task-file contract then load files
through the trusted path (the same checks, in the same kind of child, without the namespaces)."""
