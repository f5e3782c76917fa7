"""Speed benchmark: the brute-force symbolic regression (and the Boolean one) on planted formulas.

Usage::

    .venv/bin/python benchmarks/symbolic_speed.py [--budget 10] [--repeat 3]

Each planted formula is evaluated on every combination of its variables' values (the kind of table
an extracted state machine gives: state values x input symbols), and ``search_formula`` is run with
the constants a caller would pass (0..3 plus the modulus). Prints the formula found, its size
against the planted size, the best of ``--repeat`` wall-clock times, and candidate expressions
enumerated (formed or screened) per second. The Boolean table does the same for ``fit_boolean``.
Exits 1 if a planted formula is not recovered at its size or smaller.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mips.regression.boolean import fit_boolean  # noqa: E402
from mips.regression.formula import Formula, expression_size  # noqa: E402
from mips.regression.symbolic import search_formula  # noqa: E402

SAFE = {"__builtins__": {}, "abs": abs, "min": min, "max": max}

SYMBOLIC = [   # (planted formula, variable domains, constants)
    ("(a + x) % 3", dict(a=3, x=3), (0, 1, 2, 3)),
    ("abs(b - a)", dict(a=100, b=100), (0, 1, 2, 3)),
    ("x == b", dict(b=10, x=10), (0, 1, 2, 3)),
    ("max(a, x)", dict(a=10, x=10), (0, 1, 2, 3)),
    ("min(a, x)", dict(a=10, x=10), (0, 1, 2, 3)),
    ("a + x1 + x2 > 4", dict(a=2, x1=5, x2=5), (0, 1, 2, 3, 4)),
    ("(a + x1 + x2) % 5", dict(a=2, x1=5, x2=5), (0, 1, 2, 3, 5)),
    ("(a + x1 + x2) // 5", dict(a=2, x1=5, x2=5), (0, 1, 2, 3, 5)),
    ("(c + x1 + x2) % 10", dict(c=2, x1=10, x2=10), (0, 1, 2, 3, 10)),
    ("(c + x1 + x2) // 10", dict(c=2, x1=10, x2=10), (0, 1, 2, 3, 10)),
    ("a * (x == 0) + x", dict(a=10, x=10), (0, 1, 2, 3)),
    ("99 - x + a", dict(a=5, x=10), (0, 1, 99)),
    ("a + b + c + d > 2", dict(a=2, b=2, c=2, d=2), (0, 1, 2, 3)),
    ("(a + 2 * x) % 7", dict(a=7, x=7), (0, 1, 2, 3, 7)),
]

BOOLEAN = [    # (planted formula, number of variables)
    ("a ^ b ^ c", 3), ("b ^ x1 ^ x2", 3), ("b + x1 + x2 > 1", 3), ("a ^ (x1 and x2)", 3),
    ("a ^ b ^ c ^ d ^ e ^ f", 6), ("a + b + c + d + e + f + g + h > 4", 8),
    ("a and b and c and d and e and f and g and h", 8), ("b if a else c", 3),
]


def table(expr: str, domains: dict[str, int]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Every combination of the domains and the planted formula's value on it (Python eval)."""
    names = list(domains)
    rows = list(itertools.product(*(range(d) for d in domains.values())))
    cols = {v: np.array([r[i] for r in rows], dtype=np.int64) for i, v in enumerate(names)}
    target = np.array([int(eval(expr, SAFE, dict(zip(names, r)))) for r in rows], dtype=np.int64)
    return cols, target


def main(argv: list[str] | None = None) -> int:
    """Run both tables; return the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=10.0, help="time budget per search, seconds")
    parser.add_argument("--repeat", type=int, default=3, help="runs per formula (best time is shown)")
    args = parser.parse_args(argv)
    failures = 0
    print(f"{'planted':26s} {'rows':>5s} {'found':28s} {'size':>9s} {'seconds':>8s} {'exprs/s':>9s}")
    for expr, domains, constants in SYMBOLIC:
        cols, target = table(expr, domains)
        best, stats, found = np.inf, {}, None
        for _ in range(args.repeat):
            run_stats: dict[str, object] = {}
            start = time.perf_counter()
            found = search_formula(cols, target, constants=constants, time_budget_seconds=args.budget,
                                   stats=run_stats)
            seconds = time.perf_counter() - start
            if seconds < best:
                best, stats = seconds, run_stats
        planted = expression_size(expr)
        ok = found is not None and found.size <= planted
        failures += not ok
        rate = stats["n_enumerated"] / best if best > 0 else float("nan")
        print(f"{expr:26s} {len(target):5d} {found.expr if found else 'None':28s} "
              f"{(found.size if found else '-')!s:>4s} / {planted:<2d} {best:8.3f} {rate:9.2e}"
              + ("" if ok else "  NOT RECOVERED"))
    print()
    print(f"{'planted (boolean)':44s} {'found':40s} {'size':>9s} {'seconds':>8s}")
    for expr, n in BOOLEAN:
        names = sorted({t for t in expr.replace("(", " ").replace(")", " ").split() if t.isidentifier()
                        and t not in ("and", "or", "not", "if", "else")})
        cols, target = table(expr, {v: 2 for v in names[:n]})
        best, found = np.inf, None
        for _ in range(args.repeat):
            start = time.perf_counter()
            found = fit_boolean(cols, target, time_budget_seconds=args.budget)
            best = min(best, time.perf_counter() - start)
        planted = expression_size(expr)
        found = found if isinstance(found, Formula) else None       # a Failure: nothing recovered
        ok = found is not None and found.size <= planted
        failures += not ok
        print(f"{expr:44s} {found.expr if found else 'None':40s} {(found.size if found else '-')!s:>4s} / "
              f"{planted:<2d} {best:8.3f}" + ("" if ok else "  NOT RECOVERED"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
