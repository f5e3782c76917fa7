"""How a sandboxed child's end is told in the browser (issue 22): each kind in one line, without server paths
(these need no isolation: the errors are made here)."""

from __future__ import annotations

import pytest

from mips.errors import SandboxError


@pytest.mark.parametrize(("kind", "expected"), [
    ("blocked", "Task file 'a.py' was stopped: it made a blocked system call (new processes, sockets and access "
                "to other processes are not allowed). Remove that call and upload it again."),
    ("recursion", "Task file 'a.py' stopped: recursion too deep. Use a loop or shallower recursion and upload it "
                  "again."),
    ("memory", "Task file 'a.py' needed more than 256 MB of memory and was stopped. Make it use less memory."),
])
def test_the_browser_names_each_way_of_ending_in_one_line(kind, expected):
    from workbench.user_messages import for_browser
    error = SandboxError("Task file 'a.py' ... the memory limit of 256 MB ... /tmp/mips-sandbox-x/err", kind=kind)
    text = for_browser(error, what="Task file 'a.py'")
    assert text == expected and "\n" not in text and "/tmp" not in text
