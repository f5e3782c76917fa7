"""Messages written for the person in front of the browser (pure: no streamlit).

The core's messages are written for the command line and for Python callers: they may name a
server path (a temporary folder, the file a checkpoint was read from), an internal parameter
(``cpu_seconds``, ``SandboxLimits``) or a command-line flag. :func:`for_browser` rewrites an
error for the workbench: limits in minutes and megabytes, no paths, no parameter names, and what
the user can do from the browser.
"""

from __future__ import annotations

import re

from mips.errors import CheckpointError, MipsError, SandboxError

#: Absolute paths (``/tmp/mips-sandbox-x1/err``, ``/root/project/a.pt``); a name alone is kept.
_PATH = re.compile(r"(?<![\w.:/])(?:/[\w+@-]+(?:\.[\w+@-]+)*){2,}/?")
#: Sentences that only make sense on the server or the command line.
_SERVER_ONLY = re.compile(r"cpu_seconds|wall_seconds|memory_mb|SandboxLimits|limits=|--trust-task-file|"
                          r"save_checkpoint|run_sandboxed|PYTHON\w*=|\braise the\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _duration(seconds: float) -> str:
    if seconds >= 90:
        minutes = seconds / 60
        return f"{minutes:g} minutes" if minutes != 1 else "1 minute"
    return f"{seconds:g} seconds"


def _limit(message: str, default: str) -> str:
    m = re.search(r"limit of ([\d.]+) s", message)
    return _duration(float(m.group(1))) if m else default


def clean(text: object) -> str:
    """``text`` without server paths or sentences about server-side settings."""
    s = str(text)
    s = _PATH.sub(lambda m: "'" + m.group(0).rstrip("/").rsplit("/", 1)[-1] + "'"
                  if re.search(r"\.(py|pt|json)$", m.group(0)) else "a temporary file on the server", s)
    s = " ".join(part for part in _SENTENCE_END.split(s) if not _SERVER_ONLY.search(part)).strip()
    return s or "Something went wrong on the server."


def for_browser(error: BaseException | str, *, what: str = "The file") -> str:
    """A message for the browser about ``error``; ``what`` names the thing (``"Task file 'a.py'"``)."""
    if isinstance(error, SandboxError):
        message, kind = str(error), error.kind
        if kind == "timeout":
            return (f"{what} did not finish within {_limit(message, 'its time limit')} and was stopped. Check "
                    f"target(xs) and the file's top level for an endless loop, make it faster, and upload it again.")
        if kind == "cpu":
            return (f"{what} used more than {_limit(message, 'its share of')} of computing time and was stopped. "
                    f"Check it for an endless loop, make it do less work, and upload it again.")
        if kind == "memory":
            m = re.search(r"(\d+) MB", message)
            amount = f"{int(m.group(1)):,} MB" if m else "its share"
            return f"{what} needed more than {amount} of memory and was stopped. Make it use less memory."
        if kind == "recursion":
            return f"{what} stopped: recursion too deep. Use a loop or shallower recursion and upload it again."
        if kind == "blocked":
            return (f"{what} was stopped: it made a blocked system call (new processes, sockets and access to other "
                    f"processes are not allowed). Remove that call and upload it again.")
        if kind == "cancelled":
            return f"{what} was cancelled: nothing changed."
        if kind == "isolation":
            from mips.sandbox import isolation
            problem = isolation().problem or "isolation is missing"
            return (f"{what} was refused: this server cannot run uploaded code isolated from the rest of the "
                    f"system ({problem}). Tick 'I trust this file' only for a file you wrote yourself, or ask the "
                    f"person who runs this server to run `{isolation().fix}`.")
        if kind == "crashed":
            return (f"{what} stopped before it finished (it crashed or called exit()). "
                    f"Fix the file and upload it again.")
        return clean(message)
    if isinstance(error, CheckpointError):
        text = clean(error)
        text = text.replace("Cannot read the uploaded checkpoint: it is", f"{what} is")
        if "not a valid MIPS checkpoint" in text:
            return (f"{what} is not a network checkpoint. A checkpoint is the .pt file saved by the Train page's "
                    f"download or by `python -m mips train`; choose such a file.")
        return text
    if isinstance(error, MipsError):
        return clean(error)
    if isinstance(error, BaseException):
        return f"{what} could not be used ({type(error).__name__}): {clean(error)}"
    return clean(error)
