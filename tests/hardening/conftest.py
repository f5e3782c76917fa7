"""The isolation tests need bubblewrap and seccomp on the host: they take the ``isolated`` fixture of
``tests/conftest.py``, which skips them with the packages to install (and fails under CI)."""
