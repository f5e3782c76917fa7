"""A code editor for the Program page: a Streamlit v2 component written here (``editor.js``,
``editor.css``; no third-party package, nothing fetched from the network, so it renders offline).

Monospace text over a highlighted copy, line numbers, Tab / Shift+Tab indent and dedent (Esc, then
Tab, leaves the editor), Enter keeps the indentation, the editor grows with its text so the whole
program is visible, and the line of a reported error is marked in the gutter.

The text the user typed is sent back on blur and on Ctrl+Enter (as ``st.text_area`` does) and
lands in ``st.session_state[text_key]``, which stays the one source of the text: Python replaces
what the editor shows by writing that key and bumping the revision (:func:`set_text`).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

HERE = Path(__file__).parent
_COMPONENT = st.components.v2.component(
    "mips_code_editor",
    js=(HERE / "editor.js").read_text(encoding="utf-8"),
    css=(HERE / "editor.css").read_text(encoding="utf-8"),
)


def _revision_key(text_key: str) -> str:
    return f"{text_key}__revision"


def set_text(text_key: str, text: str) -> None:
    """Replace the editor's text from Python (a reset, a new program)."""
    st.session_state[text_key] = text
    st.session_state[_revision_key(text_key)] = st.session_state.get(_revision_key(text_key), 0) + 1


def code_editor(text_key: str, *, label: str, key: str, error_line: int | None = None, min_lines: int = 8,
                disabled: bool = False, font_size: str | None = None) -> str:
    """Show the editor for the text in ``st.session_state[text_key]``; return the current text.

    ``error_line`` (1-based) is marked in the gutter until the user types.
    """
    def adopt() -> None:
        state = st.session_state.get(key)
        value = _state_text(state)
        if value is not None:
            st.session_state[text_key] = value

    data = {"text": st.session_state.get(text_key, ""), "revision": st.session_state.get(_revision_key(text_key), 0),
            "label": label, "error_line": int(error_line) if error_line else 0, "min_lines": int(min_lines),
            "disabled": bool(disabled)}
    if font_size:
        data["font_size"] = font_size
    _COMPONENT(key=key, data=data, on_text_change=adopt)
    return st.session_state.get(text_key, "")


def _state_text(state: object) -> str | None:
    """The text in the component's state (``{"text": {"text": ..., "at": ...}}``), or None."""
    try:
        entry = state["text"] if state is not None else None
    except (KeyError, TypeError):
        entry = getattr(state, "text", None)
    if isinstance(entry, dict) and isinstance(entry.get("text"), str):
        return entry["text"]
    return None
