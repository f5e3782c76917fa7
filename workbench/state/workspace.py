"""The Program page's editor: its text, the last check of an edited program, and the accepted program.

All three belong to one analysis (a task and its network): when either changes, the editor starts
over with the new generated program.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import streamlit as st

from workbench.code_editor import set_text
from workbench.state.keys import K_PROGRAM_ACCEPTED, K_PROGRAM_CHECK, K_PROGRAM_OWNER, K_PROGRAM_TEXT
from workbench.state.models import ModelChoice
from workbench.state.task import TaskContext

if TYPE_CHECKING:
    from workbench.program_edit import EditCheck


@dataclass(frozen=True, slots=True)
class ProgramWorkspace:
    """The Program page's state for one analysis. Obtain it with :func:`program_workspace`.

    Attributes
    ----------
    owner : the analysis it belongs to (``"<task key>|<network fingerprint>"``)
    start : what the editor starts with, and what Reset puts back
    """

    owner: str
    start: str

    #: Where the code editor keeps the text (:func:`workbench.code_editor.code_editor`'s ``text_key``).
    text_key = K_PROGRAM_TEXT

    @property
    def text(self) -> str:
        """The editor's text (what the user typed, once the editor sent it)."""
        return st.session_state.get(K_PROGRAM_TEXT, self.start)

    def reset(self) -> None:
        """Put :attr:`start` back in the editor and forget the last check."""
        set_text(K_PROGRAM_TEXT, self.start)
        st.session_state.pop(K_PROGRAM_CHECK, None)

    @property
    def check(self) -> EditCheck | None:
        """The last check of an edited program of this analysis."""
        return st.session_state.get(K_PROGRAM_CHECK, {}).get(self.owner)

    def set_check(self, check: EditCheck) -> None:
        st.session_state[K_PROGRAM_CHECK] = {self.owner: check}

    @property
    def accepted(self) -> dict | None:
        """The accepted program's record (:func:`workbench.program_accept.accepted_record`), or None."""
        return st.session_state.get(K_PROGRAM_ACCEPTED, {}).get(self.owner)

    def accept(self, record: dict) -> None:
        st.session_state[K_PROGRAM_ACCEPTED] = {**st.session_state.get(K_PROGRAM_ACCEPTED, {}), self.owner: record}

    def withdraw(self) -> None:
        st.session_state[K_PROGRAM_ACCEPTED] = {k: v for k, v in st.session_state.get(K_PROGRAM_ACCEPTED, {}).items()
                                                if k != self.owner}


def program_workspace(task: TaskContext, model: ModelChoice, start: str) -> ProgramWorkspace:
    """The Program page's state for ``task`` analysed on ``model``; the editor starts over with ``start``
    when the task or the network changed since the page last showed it."""
    workspace = ProgramWorkspace(owner=f"{task.key}|{model.fingerprint}", start=start)
    if st.session_state.get(K_PROGRAM_OWNER) != workspace.owner:
        st.session_state[K_PROGRAM_OWNER] = workspace.owner
        workspace.reset()
    return workspace
