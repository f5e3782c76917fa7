"""What the upload widgets hand over: content hashes, shown file names, and the uploads already handled.

Streamlit's file uploader keeps its file across reruns; an upload is handled once, the first time
its tag (what it is and the hash of its bytes) is seen, until :func:`forget_uploads` says the same
file may come again.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import streamlit as st

from workbench.state.keys import K_SEEN_UPLOADS


def sha(data: bytes) -> str:
    """A short content hash (what the caches and the upload tags key on)."""
    return hashlib.sha256(data).hexdigest()[:16]


def shown_name(filename: str) -> str:
    """The upload's name as messages show it: the base name, plain characters only."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", Path(str(filename)).name)[:80] or "task.py"


def first_sight(tag: tuple) -> bool:
    """True the first time this session sees the upload ``tag`` (then it counts as handled)."""
    seen = st.session_state.setdefault(K_SEEN_UPLOADS, set())
    if tag in seen:
        return False
    seen.add(tag)
    return True


def forget_uploads(kind: str) -> None:
    """Forget the handled uploads of ``kind`` ("task" or "ckpt"): the same file may be uploaded again."""
    seen = st.session_state.get(K_SEEN_UPLOADS)
    if seen:
        seen.difference_update({t for t in seen if t[0] == kind})
