"""Command line: ``python -m mips tasks | train | run | verify | bench | zoo`` (see README).

Every subcommand is one module of this package with ``add_parser(sub)`` and ``run(args)``;
:data:`COMMANDS` is the one table of them.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from mips.cli.common import printable
from mips.errors import MipsError

COMMANDS = ("tasks", "train", "run", "verify", "bench", "zoo")


def _module(name: str):
    return importlib.import_module(f"mips.cli.{name}")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m mips",
                                description="MIPS workbench: RNNs to verified Python programs.")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        _module(name).add_parser(sub)
    return p


class _PrintableFormatter(logging.Formatter):
    """Log lines may quote a file's text: its control characters are escaped like every printed text."""

    def format(self, record: logging.LogRecord) -> str:
        return printable(super().format(record), multiline=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    handler = logging.StreamHandler()
    handler.setFormatter(_PrintableFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, handlers=[handler])
    try:
        return _module(args.command).run(args)
    except MipsError as exc:
        print(f"error: {printable(exc)}", file=sys.stderr)           # one line, whatever the file put in it
        details = getattr(exc, "details", "")
        if details and args.verbose:
            print(f"details: {printable(details, multiline=True, indent='  ')}", file=sys.stderr)
        return 2
