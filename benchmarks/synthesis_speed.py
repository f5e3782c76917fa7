"""Synthesis speed: this project's enumerative solver against the SyGuS solver cvc5, same tables.

Each problem is one formula of a finite Moore machine's program, posed exactly as
:func:`mips.program.exact.machine_program.machine_programs` poses it for the *first* labeling
that :func:`mips.program.exact.features.labelings` yields (the state variables tried first): a
column per name (state variables at the source state and the input numbers, one row per
reachable state and input; or the state variables alone, one row per reachable state, for an
output) and the target column (a variable's value at the destination state, or the output),
with the same constants and moduli. Both solvers get the same problem:

* enumerative: :func:`mips.program.exact.solve.build_bank` (growth stops once the target is
  matched) and :func:`mips.program.exact.solve.smallest`, default budgets, no regression
  shortcut;
* cvc5 (``pip install cvc5==1.4.2``, used as a Python library, not a project requirement):
  SyGuS over integers with one example constraint per distinct row and a grammar close to the
  project's: the names, the constants, ``+ - *``, unary minus, ``div``/``mod`` by the moduli,
  ``min``/``max``/``abs`` as macros written with ``ite``, comparisons, ``and/or/not``, ``ite``;
  a 0/1 target may also be a comparison itself. cvc5 is budgeted by work only: a fixed
  resource limit (``--rlimit``, cvc5's ``rlimit`` option) and a fixed ``seed``, so the outcome
  is the same on every computer.

Every returned expression is rendered as Python and checked against every row (a wrong answer
counts as not solved); sizes are :func:`mips.regression.formula.expression_size` of that Python
for both solvers. Wall time is reported, never used to decide anything.

Machines: the generated families (:mod:`mips.families`; each task file is loaded and labelled,
and :func:`mips.families.truth.ground_truth_machine` gives the minimal machine, as
``benchmarks/generality.py --machine-only`` does) and the 62 built-in tasks. A built-in task has
no reference program with states, so a small adapter stands in for one: each prefix of each test
sequence is labelled by its *signature* (the task's own outputs after the prefix and along a fixed
set of probe continuations, the same for every prefix), signatures become the states of a table
program, and ``ground_truth_machine`` builds and minimises the machine from it (refusing, as for
a family, a state reached with two labels). Tasks whose signatures do not determine the next
state, or whose machine has more than 64 states, are skipped and listed with the reason.

cvc5 runs non-incrementally (as its binary reads a SyGuS file; the API's incremental default is
orders of magnitude slower) with its default strategy, which for examples like these is its PBE
solver: fast, but its answers are decision trees over the rows, often far larger than the
smallest expression. ``--cvc5-option sygus-pbe=false`` makes it enumerate smallest first instead.
cvc5 does not check its resource limit everywhere (its PBE solver can spend minutes sizing a huge
candidate tree), so each problem runs in a child process, and one still running after ``--guard``
seconds is stopped and reported as HUNG (not solved): a safety net, not a budget.

Output: a Markdown row per problem as it is solved, then a summary per source (families,
built-in) of ratios measured in the same run; ``results.json`` and ``results.md`` in ``--out``.

    .venv/bin/pip install cvc5==1.4.2
    .venv/bin/python benchmarks/synthesis_speed.py [--n 13] [--seed 0] [--family F ...] [--limit N]
        [--n-sequences 2000] [--rlimit 1000000] [--guard 120] [--cvc5-option KEY=VALUE ...]
        [--builtin | --no-builtin] [--task NAME ...] [--out runs/synthesis_speed]

``--n`` family tasks are generated round-robin (``--n 0``: none); ``--limit`` keeps the first N
generated and the first N built-in tasks.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import itertools
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mips.errors import ConfigError  # noqa: E402
from mips.machine.moore import MooreMachine  # noqa: E402
from mips.program.exact.features import features, labelings  # noqa: E402
from mips.program.exact.machine_program import MAX_ROWS, MAX_STATES, _constants, _names  # noqa: E402
from mips.program.exact.solve import build_bank, smallest  # noqa: E402
from mips.program.program import Program, input_names, output_names  # noqa: E402
from mips.regression.evaluate import ExpressionError, evaluate  # noqa: E402
from mips.regression.formula import expression_size  # noqa: E402

CVC5_VERSION = "1.4.2"
DEFAULT_RLIMIT = 1_000_000
DEFAULT_N = 13
DEFAULT_N_SEQUENCES = 2000
CVC5_SEED = 0
LOGIC = "NIA"                    # integer arithmetic with products of two terms
EXHAUSTIVE_PROBES = 256          # every continuation of the longest length with at most this many
RANDOM_PROBES = 128              # and this many random continuations of the task's length
PROBE_SEED = 0
MAX_RENDER = 20_000              # nodes of a cvc5 solution worth writing out as Python
DEFAULT_GUARD = 120.0            # seconds after which a cvc5 child that ignores its rlimit is stopped


def need_cvc5() -> None:
    """Exit with the one line that says how to get cvc5 where it is missing."""
    if importlib.util.find_spec("cvc5") is None:
        raise SystemExit(f"cvc5 is not installed: run `.venv/bin/pip install cvc5=={CVC5_VERSION}` "
                         f"(a benchmark-only dependency, not in requirements.txt).")


# -- problems: one formula of a machine's program ---------------------------------------------------

@dataclass
class Problem:
    task: str
    target: str                  # "x' <- ..." for an update, "y = ..." for an output
    columns: dict[str, np.ndarray]
    values: np.ndarray
    constants: list[int]
    moduli: list[int]

    @property
    def rows(self) -> int:
        return int(self.values.size)


def _first_labeling(m: MooreMachine, outputs: np.ndarray, reach: list[int]):
    labeling = next(iter(labelings(features(m, outputs), reach)), None)
    if labeling is None:
        raise ConfigError("no labeling tells the states apart")
    return labeling


def _moduli(labeling, x_vals: np.ndarray, targets: list[np.ndarray]) -> list[int]:
    """As ``machine_programs``: residues' moduli, the number base, each 0-based target's range."""
    moduli = {f.modulus for f in labeling if f.modulus} | {int(x_vals.max()) + 1 if x_vals.size else 2}
    return sorted(moduli | {int(t.max()) + 1 for t in targets if t.size and t.min() == 0 and t.max() >= 1})


def machine_problems(m: MooreMachine, task: str, input_dim: int) -> list[Problem]:
    """The update and output problems of ``m``'s first labeling, as ``machine_programs`` poses them."""
    reach = sorted(m.reachable())
    shown = [q for q in reach if m.outputs[q] is not None]
    if not shown:
        raise ConfigError("the machine has no observed output")
    o_dim = len(m.outputs[shown[0]])
    outputs = np.array([o if o is not None else (0,) * o_dim for o in m.outputs], dtype=np.int64)
    x_vals = np.array(m.inputs, dtype=np.int64).reshape(len(m.inputs), -1)
    rows = np.array([(q, i, int(t)) for q in reach for i, t in enumerate(m.transitions[q]) if t >= 0])
    if len(rows) > MAX_ROWS:
        raise ConfigError(f"{len(rows)} transitions (more than {MAX_ROWS})")
    labeling = _first_labeling(m, outputs, reach)
    names = _names(labeling, input_names(input_dim), o_dim)
    table = np.array([f.values for f in labeling], dtype=np.int64).T          # (n_states, variables)
    cols = {nm: table[rows[:, 0], j] for j, nm in enumerate(names)}
    cols.update({nm: x_vals[rows[:, 1], d] for d, nm in enumerate(input_names(input_dim))})
    targets = [table[rows[:, 2], j] for j in range(len(names))]
    shown_out = [outputs[shown, o] for o in range(o_dim)]
    moduli = _moduli(labeling, x_vals, targets + shown_out)
    consts = _constants(x_vals, targets + shown_out, moduli)
    out_cols = {nm: table[shown, j] for j, nm in enumerate(names)}
    return ([Problem(task, f"{nm}'", cols, t, consts, moduli) for nm, t in zip(names, targets)]
            + [Problem(task, nm, out_cols, t, consts, moduli) for nm, t in zip(output_names(o_dim), shown_out)])


# -- machines: generated families ------------------------------------------------------------------

def family_machines(args, folder: Path):
    """(task name, machine or skip reason) for each generated task, as generality.py --machine-only."""
    from mips.families import generate, write_tasks
    from mips.families.truth import ground_truth_machine
    from mips.tasks.dataset import search_dataset
    from mips.tasks.label_cache import with_label_cache
    from mips.tasks.taskfile import load_task_file
    tasks = generate(args.n, seed=args.seed, families=args.family or None)
    tasks = tasks[: args.limit] if args.limit else tasks
    paths = write_tasks(tasks, folder)
    for t in tasks:
        spec = with_label_cache(load_task_file(paths[t.name], trust=True))
        data = search_dataset(spec, n_sequences=args.n_sequences)
        try:
            yield t.name, t.input_dim, ground_truth_machine(t, data.x_test, data.y_test)
        except ConfigError as exc:
            yield t.name, t.input_dim, str(exc)


# -- machines: built-in tasks (signatures stand in for a reference program's states) ---------------

@dataclass(frozen=True)
class _Labelled:
    """What :func:`ground_truth_machine` reads of a task: its name and a program with states."""
    name: str
    table: Program

    def program(self) -> Program:
        return self.table


def _probes(spec, rng: np.random.Generator) -> np.ndarray:
    """Continuations (n, T, input_dim): every string of the longest length with at most
    EXHAUSTIVE_PROBES of them, then RANDOM_PROBES random strings of the task's length."""
    alphabet = np.array(list(itertools.product(spec.input_values, repeat=spec.input_dim)), dtype=np.int64)
    length = 0
    while len(alphabet) ** (length + 1) <= EXHAUSTIVE_PROBES:
        length += 1
    t_len = spec.seq_len
    words = np.zeros((0, t_len, spec.input_dim), dtype=np.int64)
    if length:
        every = np.array(list(itertools.product(range(len(alphabet)), repeat=length)), dtype=np.int64)
        pad = rng.integers(len(alphabet), size=(len(every), t_len - length)) if t_len > length else every[:, :0]
        words = alphabet[np.concatenate([every, pad], axis=1)]
    return np.concatenate([words, alphabet[rng.integers(len(alphabet), size=(RANDOM_PROBES, t_len))]])


def _prefix_classes(spec, x: np.ndarray, probes: np.ndarray) -> np.ndarray:
    """A class per (sequence, prefix length 0..T), shape (n, T + 1): prefixes share a class when
    they share their signature, the task's outputs along every probe continuation and the
    prefix's own last output (none for the empty prefix)."""
    n, t_len, d = x.shape
    m = len(probes)
    seen: dict[bytes, int] = {}
    classes = np.zeros((n, t_len + 1), dtype=np.int64)
    for t in range(t_len + 1):
        heads, where = np.unique(x[:, :t].reshape(n, t * d), axis=0, return_inverse=True)
        heads = heads.reshape(len(heads), t, d)
        seqs = np.concatenate([np.repeat(heads, m, axis=0), np.tile(probes, (len(heads), 1, 1))], axis=1)
        y = np.asarray(spec.compute_outputs(seqs), dtype=np.int64).reshape(len(heads), m, t + t_len, -1)
        own = y[:, 0, t - 1] if t else np.full((len(heads), y.shape[3]), -(1 << 40), dtype=np.int64)
        sig = np.concatenate([own, y[:, :, t:].reshape(len(heads), -1)], axis=1)
        ids = np.array([seen.setdefault(row.tobytes(), len(seen)) for row in sig], dtype=np.int64)
        classes[:, t] = ids[np.asarray(where).reshape(-1)]
    return classes


def _table_program(spec, x: np.ndarray, y: np.ndarray, classes: np.ndarray) -> Program:
    """A table program whose states are the signature classes (n, T + 1) of the prefixes."""
    n, t_len, d = x.shape
    moves: dict[tuple[int, tuple[int, ...]], int] = {}
    outs: dict[int, tuple[int, ...]] = {}
    for i, t in itertools.product(range(n), range(t_len)):
        key = (int(classes[i, t]), tuple(int(v) for v in x[i, t]))
        nxt = int(classes[i, t + 1])
        if moves.setdefault(key, nxt) != nxt:
            raise ConfigError("the probe signatures do not determine the next state")
        outs[nxt] = tuple(int(v) for v in y[i, t])
    return Program(task=spec.name, kind="table", method="probe signatures", inputs=input_names(d),
                   state=("s",), initial=(int(classes[0, 0]),), transitions=moves, table_outputs=outs)


def builtin_machine(spec, x: np.ndarray, y: np.ndarray) -> MooreMachine:
    """The minimal machine of a built-in task on ``x`` labelled ``y`` (see the module docstring)."""
    from mips.families.truth import ground_truth_machine
    classes = _prefix_classes(spec, x, _probes(spec, np.random.default_rng(PROBE_SEED)))
    return ground_truth_machine(_Labelled(spec.name, _table_program(spec, x, y, classes)), x, y)


def builtin_machines(args):
    from mips.tasks.dataset import search_dataset
    from mips.tasks.registry import get_task, list_tasks
    specs = [get_task(n) for n in args.task] if args.task else list_tasks()
    specs = specs[: args.limit] if args.limit else specs
    for spec in specs:
        data = search_dataset(spec, n_sequences=args.n_sequences)
        try:
            yield spec.name, spec.input_dim, builtin_machine(spec, data.x_test, data.y_test)
        except ConfigError as exc:
            yield spec.name, spec.input_dim, str(exc)


# -- checking an answer ----------------------------------------------------------------------------

def correct(problem: Problem, expr: str) -> bool:
    """Whether ``expr`` (Python) equals the target on every row."""
    try:
        got = evaluate(expr, problem.columns, shape=problem.values.shape)
    except (ExpressionError, ConfigError):
        return False
    return bool(np.array_equal(np.asarray(got, dtype=np.int64), problem.values))


@dataclass
class Attempt:
    solved: bool
    expr: str | None
    size: int | None
    seconds: float
    note: str = ""


def judged(problem: Problem, expr: str | None, seconds: float, note: str = "") -> Attempt:
    if expr is None:
        return Attempt(False, None, None, seconds, note or "no expression within the budget")
    if not correct(problem, expr):
        return Attempt(False, expr, expression_size(expr), seconds, "WRONG on the table rows")
    return Attempt(True, expr, expression_size(expr), seconds, note)


# -- the enumerative solver -------------------------------------------------------------------------

def enumerative(problem: Problem) -> Attempt:
    start = time.perf_counter()
    bank = build_bank(problem.columns, problem.constants, targets=[problem.values],
                      moduli=frozenset(problem.moduli))
    found = smallest(bank, problem.values)
    return judged(problem, found.expr if found else None, time.perf_counter() - start)


# -- cvc5 ------------------------------------------------------------------------------------------

class _Sygus:
    """One SyGuS problem in a fresh cvc5 solver (seeded, resource-limited)."""

    def __init__(self, cvc5, problem: Problem, rlimit: int, options: dict[str, str]):
        self.k = cvc5.Kind
        self.tm = tm = cvc5.TermManager()
        self.solver = s = cvc5.Solver(tm)
        # not incremental, as the cvc5 binary reads a SyGuS file (incremental solving is far slower)
        fixed = {"sygus": "true", "incremental": "false", "seed": str(CVC5_SEED), "rlimit": str(rlimit)}
        for key, value in (options | fixed).items():
            s.setOption(key, value)
        s.setLogic(LOGIC)
        self.int, self.bool = tm.getIntegerSort(), tm.getBooleanSort()
        self.args = [tm.mkVar(self.int, nm) for nm in problem.columns]
        self.macros = self._macros()
        self.f = s.synthFun("f", self.args, self.int, self._grammar(problem))
        for row in self._distinct_rows(problem):
            call = tm.mkTerm(self.k.APPLY_UF, self.f, *[tm.mkInteger(v) for v in row[:-1]])
            s.addSygusConstraint(tm.mkTerm(self.k.EQUAL, call, tm.mkInteger(row[-1])))

    @staticmethod
    def _distinct_rows(problem: Problem) -> list[tuple[int, ...]]:
        table = np.stack([*problem.columns.values(), problem.values], axis=1)
        return [tuple(int(v) for v in r) for r in np.unique(table, axis=0)]

    def _macros(self) -> dict:
        tm, k, s, i = self.tm, self.k, self.solver, self.int
        p, q, b = tm.mkVar(i, "p"), tm.mkVar(i, "q"), tm.mkVar(self.bool, "b")
        le = tm.mkTerm(k.LEQ, p, q)
        return {"min": s.defineFun("min", [p, q], i, tm.mkTerm(k.ITE, le, p, q)),
                "max": s.defineFun("max", [p, q], i, tm.mkTerm(k.ITE, le, q, p)),
                "abs": s.defineFun("abs", [p], i, tm.mkTerm(k.ITE, tm.mkTerm(k.LT, p, tm.mkInteger(0)),
                                                            tm.mkTerm(k.NEG, p), p)),
                "bool": s.defineFun("bool", [b], i, tm.mkTerm(k.ITE, b, tm.mkInteger(1), tm.mkInteger(0)))}

    def _grammar(self, problem: Problem):
        tm, k, m = self.tm, self.k, self.macros
        n, b = tm.mkVar(self.int, "I"), tm.mkVar(self.bool, "B")
        flag = bool(np.all((problem.values == 0) | (problem.values == 1)))
        start = tm.mkVar(self.int, "Start") if flag else n
        g = self.solver.mkGrammar(self.args, [start, n, b] if flag else [n, b])
        call = self._call
        ints = self.args + [tm.mkInteger(c) for c in problem.constants]
        ints += [tm.mkTerm(op, n, n) for op in (k.ADD, k.SUB, k.MULT)] + [tm.mkTerm(k.NEG, n)]
        ints += [call(m["min"], n, n), call(m["max"], n, n), call(m["abs"], n), tm.mkTerm(k.ITE, b, n, n)]
        for c in (c for c in problem.moduli if c >= 2 and c in problem.constants):
            ints += [tm.mkTerm(op, n, tm.mkInteger(c)) for op in (k.INTS_DIVISION, k.INTS_MODULUS)]
        g.addRules(n, ints)
        g.addRules(b, [tm.mkTerm(op, n, n) for op in (k.LT, k.LEQ, k.EQUAL, k.DISTINCT)]
                   + [tm.mkTerm(k.NOT, b), tm.mkTerm(k.AND, b, b), tm.mkTerm(k.OR, b, b)])
        if flag:
            g.addRules(start, [n, call(m["bool"], b), tm.mkTerm(k.ITE, b, start, start)])
        return g

    def _call(self, macro, *args):
        return self.tm.mkTerm(self.k.APPLY_UF, macro, *args)

    def solve(self) -> tuple[str | None, str]:
        """The solution as Python, or None and why."""
        if not self.solver.checkSynth().hasSolution():
            return None, "unknown within the rlimit"
        body = self.solver.getSynthSolution(self.f)[1]
        nodes = tree_size(body)
        if nodes > MAX_RENDER:
            return None, f"a solution of {nodes} nodes (not rendered: more than {MAX_RENDER})"
        return python_text(body), ""


def tree_size(term, memo: dict | None = None) -> int:
    """Nodes of ``term`` written out as a tree, counted over its shared form."""
    memo = {} if memo is None else memo
    if term not in memo:
        memo[term] = 1 + sum(tree_size(c, memo) for c in term)
    return memo[term]


_INFIX = {"ADD": "+", "SUB": "-", "MULT": "*", "INTS_DIVISION": "//", "INTS_MODULUS": "%", "LT": "<",
          "LEQ": "<=", "GT": ">", "GEQ": ">=", "EQUAL": "==", "DISTINCT": "!=", "AND": "and", "OR": "or"}


def python_text(term) -> str:
    """A cvc5 term as a Python expression (fully parenthesised; macros as calls, ``bool`` dropped)."""
    name = term.getKind().name
    if name == "CONST_INTEGER":
        return str(term.getIntegerValue())
    if name == "VARIABLE":
        return term.getSymbol()
    if name == "APPLY_UF":
        fn, args = term[0].getSymbol(), [python_text(c) for c in list(term)[1:]]
        return args[0] if fn == "bool" else f"{fn}({', '.join(args)})"
    kids = [python_text(c) for c in term]
    if name in _INFIX:
        return "(" + f" {_INFIX[name]} ".join(kids) + ")"
    if name in ("NEG", "NOT"):
        return f"({'-' if name == 'NEG' else 'not '}{kids[0]})"
    if name == "ITE":
        return f"({kids[1]} if {kids[0]} else {kids[2]})"
    raise ConfigError(f"no Python rendering of the cvc5 term kind {name} in {term}")


def sygus(problem: Problem, rlimit: int, options: dict[str, str]) -> Attempt:
    """cvc5 on ``problem``, in this process."""
    import cvc5
    start = time.perf_counter()
    try:
        expr, note = _Sygus(cvc5, problem, rlimit, options).solve()
    except (RuntimeError, ConfigError) as exc:        # cvc5 raises RuntimeError on API misuse
        expr, note = None, f"cvc5 error: {exc}"
    return judged(problem, expr, time.perf_counter() - start, note)


def _child(conn, problem: Problem, rlimit: int, options: dict[str, str]) -> None:
    sys.setrecursionlimit(10 * MAX_RENDER)            # python_text recurses once per level of the term
    conn.send(sygus(problem, rlimit, options))
    conn.close()


def sygus_guarded(problem: Problem, rlimit: int, options: dict[str, str], guard: float) -> Attempt:
    """:func:`sygus` in a child process. cvc5 stops at its rlimit, except in parts that spend no
    resources (its PBE solver can spend minutes sizing a huge candidate decision tree): a child
    still running after ``guard`` seconds is stopped and the problem counts as not solved."""
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(send, problem, rlimit, options), daemon=True)
    start = time.perf_counter()
    child.start()
    send.close()
    try:
        if receive.poll(guard):
            return receive.recv()
        return Attempt(False, None, None, time.perf_counter() - start,
                       f"HUNG: still running after {guard:g} s without reaching its rlimit (stopped)")
    except EOFError:
        return Attempt(False, None, None, time.perf_counter() - start, f"cvc5 died (exit {child.exitcode})")
    finally:
        child.kill()
        child.join()


# -- running and reporting --------------------------------------------------------------------------

@dataclass
class Record:
    task: str
    source: str
    target: str
    rows: int
    n_states: int
    enumerative: Attempt
    cvc5: Attempt


def run_machine(source: str, name: str, input_dim: int, machine, args, emit) -> list[Record] | str:
    """Both solvers on every problem of one machine; a string says why the machine was skipped."""
    if isinstance(machine, str):
        return machine
    if machine.n_states > MAX_STATES:
        return f"{machine.n_states} states (more than {MAX_STATES})"
    try:
        problems = machine_problems(machine, name, input_dim)
    except ConfigError as exc:
        return str(exc)
    records = []
    for p in problems:
        theirs = sygus_guarded(p, args.rlimit, args.cvc5_options, args.guard)
        records.append(emit(Record(name, source, p.target, p.rows, machine.n_states, enumerative(p), theirs)))
    return records


def _size(a: Attempt) -> str:
    return str(a.size) if a.solved else ("wrong" if a.expr else "-")


def _shown(a: Attempt, width: int = 90) -> str:
    text = a.expr or a.note
    return text if len(text) <= width else text[:width - 3] + "..."


def row_line(r: Record) -> str:
    e, c = r.enumerative, r.cvc5
    return (f"| {r.task} | {r.target} | {r.rows} | {_size(e)} | {e.seconds:.3f} | {_size(c)} | {c.seconds:.3f} | "
            f"`{_shown(e)}` | `{_shown(c)}` |")


TABLE_HEAD = ("| task | target | rows | enum size | enum s | cvc5 size | cvc5 s | enumerative | cvc5 |\n"
              "|---|---|---|---|---|---|---|---|---|")


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def _counts(records: list[Record]) -> dict:
    mine, theirs = [r.enumerative for r in records], [r.cvc5 for r in records]
    return {"problems": len(records), "enumerative_solved": sum(a.solved for a in mine),
            "cvc5_solved": sum(a.solved for a in theirs),
            "both_solved": sum(a.solved and b.solved for a, b in zip(mine, theirs)),
            "only_enumerative": sum(a.solved and not b.solved for a, b in zip(mine, theirs)),
            "only_cvc5": sum(b.solved and not a.solved for a, b in zip(mine, theirs)),
            "enumerative_wrong": sum(a.note.startswith("WRONG") for a in mine),
            "cvc5_wrong": sum(b.note.startswith("WRONG") for b in theirs),
            "cvc5_hung": sum(b.note.startswith("HUNG") for b in theirs)}


def _ratios(both: list[Record]) -> dict:
    """cvc5 / enumerative, time and size, over problems both solved."""
    e_t, c_t = [r.enumerative.seconds for r in both], [r.cvc5.seconds for r in both]
    ratio = [c / max(e, 1e-6) for e, c in zip(e_t, c_t)]
    not_leaf = [q for q, r in zip(ratio, both) if max(r.enumerative.size, r.cvc5.size) > 1]
    sizes = [(r.enumerative.size, r.cvc5.size) for r in both]
    return {"median_time_ratio": _median(ratio), "median_time_ratio_not_a_leaf": _median(not_leaf),
            "not_a_leaf": len(not_leaf), "total_time_ratio": round(sum(c_t) / max(sum(e_t), 1e-6), 3) if both else None,
            "enumerative_seconds_both": round(sum(e_t), 2), "cvc5_seconds_both": round(sum(c_t), 2),
            "median_size_ratio": _median([c / e for e, c in sizes]),
            "enumerative_smaller": sum(e < c for e, c in sizes), "cvc5_smaller": sum(c < e for e, c in sizes),
            "same_size": sum(e == c for e, c in sizes)}


def summary(records: list[Record]) -> dict:
    """Solved counts, and time and size ratios (cvc5 / enumerative) where both solved."""
    return _counts(records) | _ratios([r for r in records if r.enumerative.solved and r.cvc5.solved])


def summary_text(s: dict) -> str:
    if not s["problems"]:
        return "no problems\n"
    return (f"- problems: {s['problems']}; solved: enumerative {s['enumerative_solved']}, cvc5 {s['cvc5_solved']} "
            f"(both {s['both_solved']}, only enumerative {s['only_enumerative']}, only cvc5 {s['only_cvc5']}; "
            f"wrong answers: enumerative {s['enumerative_wrong']}, cvc5 {s['cvc5_wrong']}; "
            f"cvc5 stopped by the hang guard: {s['cvc5_hung']})\n"
            f"- time cvc5 / enumerative where both solved: median {s['median_time_ratio']}x, total "
            f"{s['total_time_ratio']}x ({s['cvc5_seconds_both']} s / {s['enumerative_seconds_both']} s); median "
            f"{s['median_time_ratio_not_a_leaf']}x over the {s['not_a_leaf']} whose answers are not both one name "
            f"or constant\n"
            f"- size cvc5 / enumerative where both solved: median {s['median_size_ratio']}; smaller: enumerative "
            f"{s['enumerative_smaller']}, cvc5 {s['cvc5_smaller']}, same {s['same_size']}\n")


def write_results(out: Path, records: list[Record], skipped: dict, settings: dict) -> dict:
    sources = list(dict.fromkeys(r.source for r in records))
    groups = ({"all": records} if len(sources) > 1 else {}) | {
        src: [r for r in records if r.source == src] for src in sources}
    sums = {g: summary(rs) for g, rs in groups.items()}
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps({"settings": settings, "summary": sums, "skipped": skipped,
                                                  "records": [asdict(r) for r in records]}, indent=1) + "\n")
    md = [f"# Synthesis speed: enumerative vs cvc5 {CVC5_VERSION}", "",
          f"Settings: {json.dumps(settings)}", ""]
    for g, s in sums.items():
        md += [f"## Summary ({g})", "", summary_text(s)]
    md += [f"## Skipped machines ({len(skipped)})", ""] + [f"- {k}: {v}" for k, v in skipped.items()]
    md += ["", "## Problems", "", TABLE_HEAD] + [row_line(r) for r in records]
    (out / "results.md").write_text("\n".join(md) + "\n")
    return sums


def parse_args(argv):
    from mips.families import FAMILIES
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=DEFAULT_N, help=f"family tasks to generate, round-robin (default "
                   f"{DEFAULT_N}: one per family; 0: none)")
    p.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    p.add_argument("--family", action="append", default=[], choices=list(FAMILIES), metavar="FAMILY",
                   help=f"only these families (repeatable): {', '.join(FAMILIES)}")
    p.add_argument("--limit", type=int, default=None, metavar="N",
                   help="only the first N generated tasks and the first N built-in tasks")
    p.add_argument("--n-sequences", type=int, default=DEFAULT_N_SEQUENCES, metavar="N",
                   help=f"dataset size per task, before the test split (default {DEFAULT_N_SEQUENCES})")
    p.add_argument("--rlimit", type=int, default=DEFAULT_RLIMIT, help=f"cvc5 resource limit per problem "
                   f"(default {DEFAULT_RLIMIT})")
    p.add_argument("--cvc5-option", action="append", default=[], metavar="KEY=VALUE",
                   help="another cvc5 option (repeatable), e.g. sygus-pbe=false for plain enumeration")
    p.add_argument("--guard", type=float, default=DEFAULT_GUARD, metavar="SECONDS",
                   help=f"stop a cvc5 run still going after this long: cvc5 ignoring its rlimit, reported as "
                        f"HUNG and not solved (default {DEFAULT_GUARD:g})")
    p.add_argument("--builtin", action=argparse.BooleanOptionalAction, default=True,
                   help="also the 62 built-in tasks (default: yes)")
    p.add_argument("--task", action="append", default=[], metavar="NAME", help="only these built-in tasks")
    p.add_argument("--out", default=str(ROOT / "runs" / "synthesis_speed"), help="results folder")
    args = p.parse_args(argv)
    if args.n < 0 or (args.limit is not None and args.limit < 1) or args.rlimit < 1 or args.n_sequences < 2:
        p.error("--n must be at least 0, --limit and --rlimit at least 1, --n-sequences at least 2")
    if any("=" not in o for o in args.cvc5_option):
        p.error("--cvc5-option takes KEY=VALUE")
    args.cvc5_options = dict(o.split("=", 1) for o in args.cvc5_option)
    return args


def settings_of(args) -> dict:
    return {"cvc5": importlib.metadata.version("cvc5"), "rlimit": args.rlimit, "cvc5_seed": CVC5_SEED,
            "cvc5_options": args.cvc5_options, "guard_seconds": args.guard, "n": args.n, "seed": args.seed,
            "families": args.family or "all", "limit": args.limit, "n_sequences": args.n_sequences,
            "builtin": args.builtin, "tasks": args.task or "all"}


def run_all(args, emit) -> tuple[list[Record], dict[str, str]]:
    """Every problem of every machine asked for, and the machines skipped (name -> why)."""
    records: list[Record] = []
    skipped: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as folder:
        sources = [("family", family_machines(args, Path(folder)))] if args.n else []
        sources += [("builtin", builtin_machines(args))] if args.builtin else []
        for source, machines in sources:
            for name, input_dim, machine in machines:
                got = run_machine(source, name, input_dim, machine, args, emit)
                if isinstance(got, str):
                    skipped[name] = got
                    print(f"| {name} | skipped: {got} |", flush=True)
                else:
                    records += got
    return records, skipped


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    need_cvc5()

    def emit(rec: Record) -> Record:
        print(row_line(rec), flush=True)
        return rec

    start = time.perf_counter()
    print(TABLE_HEAD, flush=True)
    records, skipped = run_all(args, emit)
    sums = write_results(Path(args.out), records, skipped, settings_of(args))
    print(f"\n{len(records)} problems, {len(skipped)} machines skipped, {time.perf_counter() - start:.0f} s; "
          f"results in {args.out}/results.{{json,md}}")
    for g, s in sums.items():
        print(f"\nSummary ({g}):\n{summary_text(s)}", end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
