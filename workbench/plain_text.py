"""Text from files (task files, checkpoints, sandboxed children) shown as text, never as Markdown."""

from __future__ import annotations

import re

_INLINE = re.compile(r"([\\`*_{}\[\]()#|<>~$:^])")                   # meaningful anywhere in a line
_LINE_START = re.compile(r"^(\s*\d*)([-+=.)])", re.MULTILINE)          # lists, headings, rules
#: Where a bare URL, ``www.`` name or e-mail address would become a link: the renderer finds them in the
#: text after escapes are resolved (``https://``, ``www.``, ``name@host``), so an invisible word joiner
#: is put inside each of those patterns instead
_JOINER = "\u2060"
_AUTOLINK = re.compile(r"(?i)(?<=www)(?=\\?\.)|(?<!\\)(?=\\?:/)|(?<!\\)(?=\\?@)")


def escape_markdown(text: object, limit: int = 2_000) -> str:
    """``text`` with every Markdown, LaTeX and Streamlit directive character backslash-escaped.

    Long text is cut to ``limit`` characters; newlines are kept. Bare URLs, ``www.`` names and e-mail
    addresses stay plain text (never clickable links): a word joiner (invisible) breaks each pattern.
    """
    s = str(text)
    if len(s) > limit:
        s = s[:limit - 1] + "…"
    s = _INLINE.sub(r"\\\1", s)
    s = _LINE_START.sub(r"\1\\\2", s)
    return unlinked(s)


def unlinked(text: object) -> str:
    """``text`` with every bare URL (``https://``), ``www.`` name and e-mail address broken by an
    invisible word joiner, so that Markdown shows it as text, not as a clickable link (for messages of
    the project's own that may quote a user's text but are otherwise Markdown-safe)."""
    return _AUTOLINK.sub(_JOINER, str(text))
