"""Command line: ``python -m mips verify`` (check a hand-written or edited program headless).

The same three checks as the workbench's Program page: against the task (every input sequence
when there are at most 2**20, else the whole test split), against the network when ``--model`` is
given, and on longer sequences. The program file is read as text and parsed against the program
grammar; it is never executed.
"""

from __future__ import annotations

import argparse
import os
import stat
from pathlib import Path

from mips.cli.common import add_task_args, printable, resolve
from mips.cli.run import write_json
from mips.errors import ConfigError


def add_parser(sub) -> None:
    v = sub.add_parser("verify", help="check a program file against a task (and a network) without the browser")
    add_task_args(v)
    v.add_argument("--program", required=True, metavar="FILE", help="Python source of def f(xs): ... (see README)")
    v.add_argument("--model", metavar="CHECKPOINT", help="also check agreement with this network")
    v.add_argument("--seed", type=int, default=0, help="seed of the longer test sequences")
    v.add_argument("--json", metavar="OUT", help="write the verification as JSON here")


def _read(path: str) -> str:
    """The program file's text: a regular file of at most ``MAX_PROGRAM_CHARS`` bytes, read with a bounded
    read (a FIFO, a device such as /dev/zero or a folder is refused before anything is read)."""
    from mips.program.limits import MAX_PROGRAM_CHARS   # deferred: the program stage imports torch (see run)

    shown = printable(Path(path).name)
    try:   # O_NONBLOCK: opening a FIFO does not wait for a writer
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ConfigError(f"Cannot read the program file '{shown}': {exc.strerror}.") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ConfigError(f"The program file '{shown}' is not a regular file; give the path of a .py file.")
        data = os.read(fd, MAX_PROGRAM_CHARS + 1)
    except OSError as exc:
        raise ConfigError(f"Cannot read the program file '{shown}': {exc.strerror}.") from None
    finally:
        os.close(fd)
    if len(data) > MAX_PROGRAM_CHARS:
        raise ConfigError(f"The program file '{shown}' is larger than {MAX_PROGRAM_CHARS:,} bytes, the limit; "
                          f"a program is short.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"The program file '{shown}' is not UTF-8 text.") from None


def run(args: argparse.Namespace) -> int:
    # deferred: the network stage imports torch, which `--help` and `mips tasks` need not wait for
    from mips.network import load_network
    from mips.program import parse_program, to_source, verify_program
    from mips.program.codegen import ProgramSyntaxError

    spec = resolve(args)
    source = _read(args.program)
    try:
        program = parse_program(source, task=spec.name, input_dim=spec.input_dim)
    except ProgramSyntaxError as exc:
        raise ConfigError(f"The program in '{args.program}' is not a valid program: {exc}") from None
    weights = None
    if args.model:
        net = load_network(args.model).network     # a checkpoint, or a state dict with net.json next to it
        if net.input_dim != spec.input_dim or net.output_dim != spec.output_dim:
            raise ConfigError(f"The network '{args.model}' reads {net.input_dim} and writes "
                              f"{net.output_dim} number(s) per step; task {spec.name} has "
                              f"{spec.input_dim} and {spec.output_dim}.")
        weights = net
    if program.output_dim != spec.output_dim:
        raise ConfigError(f"The program returns {program.output_dim} number(s) per step; task {spec.name} "
                          f"has {spec.output_dim}.")
    print(printable(to_source(program), multiline=True))
    v = verify_program(program, spec, weights=weights, seed=args.seed)
    print(f"verification: {printable(v.summary())}")
    ce = v.counterexample
    if ce is not None:
        print(f"first counterexample (against the {ce.against}), sequence {ce.sequence}, step {ce.first_wrong_step}"
              + (f": {printable(ce.error)}" if ce.error else ":"))
        for row in ce.steps[: ce.first_wrong_step + 1]:
            print("   ", printable(row))
    print(f"{printable(spec.name)}: {'VERIFIED' if v.passed else 'not verified'}")
    if args.json:
        print(f"report -> {write_json(args.json, {'task': spec.name, 'verified': v.passed, **v.to_dict(), 'counterexample': ce.to_dict() if ce else None})}")
    return 0 if v.passed else 1
