"""`mips tasks`: the benchmark tasks with their definitions."""

from __future__ import annotations

import argparse

from mips.cli.common import printable
from mips.tasks import list_tasks


def add_parser(sub) -> None:
    t = sub.add_parser("tasks", help="list the benchmark tasks with their definitions")
    t.add_argument("--variants", action="store_true", help="also list the dataset variants")


def run(args: argparse.Namespace) -> int:
    tasks = list_tasks(include_variants=args.variants)
    width = max(len(t.name) for t in tasks)
    for t in tasks:
        num = f"{t.paper_index:>2}" if t.paper_index else " -"
        dims = f"in {t.input_dim} out {t.output_dim} T={t.seq_len:<2}"
        print(f"{num} {printable(t.name):<{width}}  {dims}  {printable(t.description)}")
    return 0
