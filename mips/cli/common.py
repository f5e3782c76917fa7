"""What the subcommands share: the task arguments, resolving them, label progress."""

from __future__ import annotations

import argparse
import re
import sys
import time

from mips.sandbox import isolation
from mips.tasks import resolve_task, with_label_cache
from mips.tasks.taskfile import TRUST_HELP

# C0 controls (ESC, CR, BEL, backspace...), DEL, C1 controls (CSI, OSC...) and the bidirectional
# overrides: a terminal acts on them, so text from a file must never reach it raw
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_CONTROL_BUT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\r": "\\r", "\t": "\\t", "\n": "\\n", "\x1b": "\\x1b"}


def printable(text: object, *, multiline: bool = False, indent: str = "") -> str:
    """``text`` safe to print on a terminal: every control character (ANSI CSI/OSC escape sequences,
    carriage returns, C1 controls, bidirectional overrides) written as a visible escape (``\\x1b``,
    ``\\r``); newlines kept only when ``multiline``. Use it on everything printed that came from a
    file (task names and docstrings, exception texts, a child's output, programs, zoo entries).
    ``indent`` starts every continued line, so that no line of the text can pass for a line of ours."""
    pattern = _CONTROL_BUT_NEWLINE if multiline else _CONTROL
    shown = pattern.sub(lambda m: _NAMED.get(m.group(0)) or
                       (f"\\x{ord(m.group(0)):02x}" if ord(m.group(0)) < 0x100 else f"\\u{ord(m.group(0)):04x}"),
                       str(text))
    return shown.replace("\n", "\n" + indent) if indent else shown


def add_task_args(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--task", metavar="NAME", help="a benchmark task (see `python -m mips tasks`)")
    g.add_argument("--task-file", metavar="FILE", help="a custom task file (see README)")
    p.add_argument("--trust-task-file", action="store_true", help=TRUST_HELP)


def resolve(args: argparse.Namespace):
    iso = isolation() if args.task_file and args.trust_task_file else None
    if iso is not None and not iso.complete:
        print(f"warning: running the task file without full isolation (--trust-task-file): {iso.problem}.",
              file=sys.stderr)
        if getattr(args, "verbose", False):
            print(f"details: {iso.summary()}", file=sys.stderr)
    return with_label_cache(resolve_task(name=args.task, task_file=args.task_file, trust=args.trust_task_file))


def print_label_progress(every_seconds: float = 2.0):
    """A label-progress callback printing a line when labelling starts, every few seconds, and at the end."""
    last = [0.0]

    def report(e: dict) -> None:
        now = time.perf_counter()
        done, total = e["done"], e["total"]
        if e["done"] == e["cached"] or done == total or now - last[0] >= every_seconds:
            last[0] = now
            cached = f", {e['cached']:,} cached" if e["cached"] else ""
            print(f"  labels   {done:,} of {total:,} distinct sequences of length {e['seq_len']} "
                  f"({e['seconds']:.1f}s{cached})", flush=True)
    return report
