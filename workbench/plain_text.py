"""Text from files (task files, checkpoints, sandboxed children) shown as text, never as Markdown."""

from __future__ import annotations

import re

_INLINE = re.compile(r"([\\`*_{}\[\]()#|<>~$:^])")                   # meaningful anywhere in a line
_LINE_START = re.compile(r"^(\s*\d*)([-+=.)])", re.MULTILINE)          # lists, headings, rules


def escape_markdown(text: object, limit: int = 2_000) -> str:
    """``text`` with every Markdown, LaTeX and Streamlit directive character backslash-escaped.

    Long text is cut to ``limit`` characters; newlines are kept.
    """
    s = str(text)
    if len(s) > limit:
        s = s[:limit - 1] + "…"
    s = _INLINE.sub(r"\\\1", s)
    return _LINE_START.sub(r"\1\\\2", s)
