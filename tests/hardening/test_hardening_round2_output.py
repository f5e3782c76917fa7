"""Output is data, not control (issue 22): text that came from a file reaches the terminal with its
control characters (ANSI CSI/OSC escapes, carriage returns, C1 controls) written as visible escapes."""

from __future__ import annotations

import re

import pytest

from mips.cli.common import printable
from mips.cli.main import main
from mips.errors import MipsError

CLEAR = "\x1b[2J"                                  # erase the screen
CLIPBOARD = "\x1b]52;c;ZWNobyBwd25lZA==\x07"       # OSC 52: write the clipboard
FORGED = "\rParity: SOLVED (symbolic program)"     # overwrite the line it is printed on
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")


@pytest.mark.parametrize("payload", [CLEAR, CLIPBOARD, FORGED, "\x9b2J", "\x07\x08\x00", "\u202egnp.exe"],
                         ids=["csi-clear", "osc52-clipboard", "forged-line", "c1-csi", "bell-backspace-nul", "bidi"])
def test_printable_leaves_no_control_character(payload):
    for multiline in (False, True):
        shown = printable(f"before {payload} after\nnext", multiline=multiline)
        assert not RAW.search(shown) and "\u202e" not in shown
        assert shown.startswith("before ") and "after" in shown
        assert ("\n" in shown) == multiline             # newlines only where the text may span lines


def test_a_forged_status_line_stays_on_its_own_line():
    assert printable(FORGED) == "\\rParity: SOLVED (symbolic program)"
    assert printable(CLEAR) == "\\x1b[2J"


HEADER = 'NAME = "hostile"\nINPUT_DIM = 1\nINPUT_VALUES = [0, 1]\nSEQ_LEN = 4\n'


def test_a_task_files_exception_text_is_escaped(tmp_path, capsys, isolated):
    task = tmp_path / "hostile.py"
    task.write_text(HEADER + f"raise ValueError({CLEAR + CLIPBOARD + FORGED!r})\n")
    program = tmp_path / "p.py"
    program.write_text("def f(xs):\n    return [0 for x in xs]\n")
    assert main(["verify", "--task-file", str(task), "--program", str(program)]) == 2
    err = capsys.readouterr().err
    assert "raised ValueError" in err and "\\x1b[2J" in err and "\\x1b]52;" in err and "\\rParity: SOLVED" in err
    assert not RAW.search(err.replace("\n", "")) and err.count("\n") == 1      # one line


def test_a_forged_line_cannot_start_a_line_of_its_own():
    shown = printable("details\nParity: SOLVED", multiline=True, indent="  ")
    assert shown == "details\n  Parity: SOLVED"


def test_a_task_docstring_printed_by_run_is_escaped(tmp_path, capsys, isolated, monkeypatch):
    task = tmp_path / "doc.py"
    task.write_text(f'"""Parity{CLEAR}{CLIPBOARD}{FORGED}"""\n' + HEADER +
                    "def target(xs):\n    return [sum(xs[:t + 1]) % 2 for t in range(len(xs))]\n")
    import mips.pipeline

    def stop(*args, **kwargs):
        raise MipsError(f"stopped{CLEAR}")
    monkeypatch.setattr(mips.pipeline, "run_pipeline", stop)
    monkeypatch.setattr("mips.cli.run.search_first", lambda spec, args: (None, None, None))
    assert main(["run", "--task-file", str(task)]) in (1, 2)
    out, err = capsys.readouterr()
    assert "Parity\\x1b[2J\\x1b]52;" in out and "SOLVED" not in out    # (a docstring line ends at a \r)
    assert not RAW.search(out.replace("\n", "")) and not RAW.search(err.replace("\n", ""))


# what the browser's Markdown renderer turns into links, found in the text after escapes are resolved
# (the patterns of GitHub-flavoured Markdown's autolink literals: URLs, www. names, e-mail addresses)
LINKS = re.compile(r"(?i)(https?:/{2}|www(?=\.))[-.\w]+|[-.\w+]+@[-\w]+(\.[-\w]+)+")


@pytest.mark.parametrize("text", [
    "https://evil.example/login", "see HTTP://evil.example now", "www.evil.example", "mail me@evil.example",
    "Parity https://a.b/c?x=1 and www.b.c and u@d.e",
], ids=["https", "http-in-text", "www", "email", "all"])
def test_urls_from_user_input_never_become_links(text):
    from workbench.plain_text import escape_markdown, unlinked
    assert LINKS.search(text)
    for shown in (escape_markdown(text), unlinked(text)):
        resolved = re.sub(r"\\(.)", r"\1", shown)          # what the renderer sees after escapes
        assert not LINKS.search(resolved), shown
        assert resolved.replace("\u2060", "") == text      # and what a reader sees is the text itself


def test_the_link_notice_and_program_messages_quote_urls_unlinked():
    from workbench import url_state
    from workbench.plain_text import escape_markdown
    _, problem = url_state.resolve_task_name("https://evil.example/x")
    assert problem is not None and "https://evil.example" in problem
    assert not LINKS.search(re.sub(r"\\(.)", r"\1", escape_markdown(problem)))
