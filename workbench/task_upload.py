"""Loading an uploaded task file in the background, with a Cancel (pure: no streamlit).

A task file is checked in a sandboxed child (:func:`mips.tasks.taskfile.load_task_source`), which
may take up to its time limit when the file loops. :class:`TaskFileLoad` runs that check in a
thread so the page stays responsive: it shows the elapsed time and a Cancel button, and Cancel
sets the event that kills the child at once. The page polls :attr:`TaskFileLoad.done` and then
reads :attr:`spec` or :attr:`error` (a message written for the browser).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from mips.errors import MipsError, SandboxError
from mips.tasks.spec import TaskSpec
from mips.tasks.taskfile import load_task_source
from workbench.user_messages import for_browser


@dataclass(eq=False)
class TaskFileLoad:
    """One upload being checked. Start it with :meth:`start`; every field is set by the worker thread
    before ``done`` is set, so a reader that sees ``done`` sees the outcome."""

    filename: str              # the shown name (plain characters)
    data: bytes = field(repr=False)
    sha: str
    trust: bool = False
    started: float = field(default_factory=time.monotonic)
    spec: TaskSpec | None = None
    error: str | None = None
    cancelled: bool = False
    finished: float | None = None
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    _done: threading.Event = field(default_factory=threading.Event, repr=False)

    def start(self) -> TaskFileLoad:
        threading.Thread(target=self.run, name=f"task-file-{self.sha}", daemon=True).start()
        return self

    def run(self) -> None:
        """Check the file here and now (what the thread runs; tests and scripts may call it directly)."""
        what = f"Task file '{self.filename}'"
        try:
            self.spec = load_task_source(self.data, self.filename, trust=self.trust, cancel=self._cancel)
        except SandboxError as exc:
            self.cancelled = exc.kind == "cancelled"
            self.error = for_browser(exc, what=what)
        except MipsError as exc:
            self.error = for_browser(exc, what=what)
        except Exception as exc:  # noqa: BLE001 - the file is a stranger's code: report, never raise
            self.error = for_browser(exc, what=what)
        finally:
            self.finished = time.monotonic()
            self._done.set()

    def cancel(self) -> None:
        """Stop the check now (the sandboxed child is killed)."""
        self._cancel.set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    @property
    def seconds(self) -> float:
        return (self.finished if self.finished is not None else time.monotonic()) - self.started

    def status(self) -> str:
        """One line for the page while the check runs."""
        if self._cancel.is_set() and not self.done:
            return f"Stopping the check of '{self.filename}'..."
        return (f"Checking task file '{self.filename}' in an isolated process: running its code on a few "
                f"sample sequences ({self.seconds:.0f} s so far).")
