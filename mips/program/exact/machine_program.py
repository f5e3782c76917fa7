"""Exact synthesis: a finite machine's tables become a program, found rather than fitted.

When the minimised machine is finite, its transition and output tables are the whole
specification of a program. For each set of state features that tells the states apart
(:func:`mips.program.exact.features.labelings`), every update and output formula is the smallest
expression of the program grammar that agrees with the tables on every row
(:func:`mips.program.exact.solve.smallest`): one row per reachable state and input for the updates,
one per reachable state for the outputs. The program then reproduces the machine by construction;
it is verified on the task's test split afterwards like every other candidate. The smallest
program over all labelings wins, fewer variables breaking ties.

All budgets count work (candidate expressions, bank rows scanned), so the same machine gives the
same program on every computer.
"""

from __future__ import annotations

import numpy as np

from mips.failure import Failure
from mips.machine.moore import MooreMachine
from mips.program.exact.features import Feature, features, labelings
from mips.program.exact.last_input import with_last_input
from mips.program.exact.solve import MAX_CANDIDATES, MAX_SIZE, build_bank, smallest
from mips.program.program import Program, input_names, output_names
from mips.regression.fit import fit_formulas
from mips.regression.formula import Formula

MAX_STATES = 64                   # larger machines are left to the traced-data regressions
MAX_ROWS = 4096                   # update rows (states x inputs) for one bank
MAX_INPUT = 1 << 20               # larger input values would overflow the bank's int64 products
WORK = 60_000_000                 # candidate expressions x table rows evaluated per machine, all labelings together
PRODUCT_SHARE = 4                 # the machine x its last input gets at most WORK / 4 of that
ROLE_NAMES = {"output": "state", "last": "last", "count": "count", "residue": "residue",
              "balance": "balance", "total": "total",
              "memory": "memory", "part": "part", "state": "state"}
ROLE_COMMENTS = {"output": "the output of the state", "last": "the input that entered the state",
                 "count": "steps from the start, where the machine counts them",
                 "residue": "a residue the machine carries",
                 "balance": "moves by a step that depends on the input only",
                 "total": "grows by a step that depends on the input only", "memory": "what the state remembers beyond its output",
                 "part": "a component machine that runs on its own", "state": "the state's number"}


def _names(labeling: tuple[Feature, ...], inputs: tuple[str, ...], n_outputs: int) -> list[str]:
    """Role names, numbered where a role repeats, never clashing with the inputs."""
    stems = []
    for f in labeling:
        stem = ROLE_NAMES[f.role]
        if f.role == "last" and len(inputs) > 1:
            stem = f"last_{inputs[f.index]}"
        if f.role == "output" and n_outputs > 1:
            stem = f"state{f.index + 1}"
        stems.append(stem)
    names = []
    for j, stem in enumerate(stems):
        name = stem if stems.count(stem) == 1 else f"{stem}{stems[:j].count(stem) + 1}"
        while name in inputs or name in names:
            name += "_"
        names.append(name)
    return names


def _constants(inputs: np.ndarray, targets: list[np.ndarray], moduli: list[int]) -> list[int]:
    consts = {0, 1, 2, 3}
    if inputs.size:
        consts.add(int(inputs.max()) + 1)
    for t in targets:
        consts.update(int(v) for v in np.unique(t) if -8 <= v <= 16)
    consts.update(m for m in moduli if m)
    return sorted(consts)


def _fitted(columns: dict[str, np.ndarray], targets: list[np.ndarray], constants: list[int]) -> list[Formula | None]:
    """Integer linear and modular formulas for the targets (exact on every row), which reach
    weighted sums that enumeration would need many nodes for: ``(a + 2*x1 + 3*x2) % 5``."""
    names = [f"_t{j}" for j in range(len(targets))]
    moduli = {nm: int(t.max()) + 1 for nm, t in zip(names, targets) if t.size and t.min() == 0 and t.max() >= 1}
    fits = fit_formulas(columns, dict(zip(names, targets)), moduli=moduli, constants=constants,
                        methods=("linear", "modular"))
    return [f if isinstance(f, Formula) else None for f in (fits[nm] for nm in names)]


def _formulas(columns: dict[str, np.ndarray], targets: list[np.ndarray], constants: list[int],
              moduli: frozenset[int], budget: int, max_size: int,
              residues: list[bool] | None = None) -> tuple[list[str] | None, int]:
    """The smallest expression for each target over ``columns`` (each of size at most
    ``max_size``), and the work spent: enumeration, bounded by what linear and modular
    regression already found. A residue keeps its update modulo N when regression finds one
    (``(r + x) % 2`` says what a parity does; ``abs(r - x)`` hides it)."""
    fitted = _fitted(columns, targets, constants)
    if all(f is not None for f in fitted):
        max_size = min(max_size, max(f.size for f in fitted) - 1)
    if max_size < 1 and all(f is not None for f in fitted):
        return [f.expr for f in fitted], 0
    bank = build_bank(columns, constants, max_candidates=budget, targets=targets, moduli=moduli,
                      max_size=min(MAX_SIZE, max_size))
    exprs = []
    for j, (target, fit) in enumerate(zip(targets, fitted)):
        found = smallest(bank, target) if max_size >= 1 else None
        keep_fit = fit is not None and residues is not None and residues[j] and "%" in fit.expr
        if found is not None and (fit is None or found.size < fit.size) and not keep_fit:
            exprs.append(found.expr)
        elif fit is not None:
            exprs.append(fit.expr)
        else:
            return None, bank.candidates
    return exprs, bank.candidates


class _Search:
    """The labelings of one or more machines of the same behaviour, under one work budget; every
    program kept is no larger than the smallest so far (a tie may still win on fewer variables or
    on readability), and every formula has at least one node."""

    def __init__(self, task: str, input_dim: int, work: int, limit: int) -> None:
        self.task, self.ins, self.left, self.limit = task, input_names(input_dim), work, limit
        self.programs: list[Program] = []
        self.why: list[str] = []

    def machine(self, m: MooreMachine, outputs: np.ndarray, keep=None, feats: list[Feature] | None = None) -> None:
        """Try the labelings of ``m`` (those ``keep`` accepts, when given; ``feats``: its features,
        when already computed)."""
        reach = sorted(m.reachable())
        x_vals = np.array(m.inputs, dtype=np.int64).reshape(len(m.inputs), -1)
        rows = [(q, i, int(t)) for q in reach for i, t in enumerate(m.transitions[q]) if t >= 0]
        if len(rows) > MAX_ROWS:
            self.why.append(f"{len(rows)} transitions (more than {MAX_ROWS})")
            return
        shown = [q for q in reach if m.outputs[q] is not None]
        q_from, i_at, q_to = (np.array([r[k] for r in rows]) for k in range(3))
        base = int(x_vals.max()) + 1 if x_vals.size else 2
        for labeling in labelings(feats if feats is not None else features(m, outputs), reach):
            if self.left <= 0:
                self.why.append("the work budget ran out")
                return
            if keep is None or keep(labeling):
                self._labeling(labeling, m, outputs, x_vals, (q_from, i_at, q_to), shown, base)

    def _labeling(self, labeling, m, outputs, x_vals, rows, shown, base) -> None:
        q_from, i_at, q_to = rows
        o_dim = outputs.shape[1]
        names = _names(labeling, self.ins, o_dim)
        table = np.array([f.values for f in labeling], dtype=np.int64).T      # (n_states, k)
        cols = {nm: table[q_from, j] for j, nm in enumerate(names)}
        cols.update({nm: x_vals[i_at, d] for d, nm in enumerate(self.ins)})
        targets = [table[q_to, j] for j in range(len(names))]
        shown_out = [outputs[shown, o] for o in range(o_dim)]
        moduli = {f.modulus for f in labeling if f.modulus} | {base}
        moduli |= {int(t.max()) + 1 for t in targets + shown_out if t.size and t.min() == 0 and t.max() >= 1}
        consts = _constants(x_vals, targets + shown_out, sorted(moduli))
        updates, spent = _formulas(cols, targets, consts, frozenset(moduli), min(self.left // len(q_from), MAX_CANDIDATES),
                                   self.limit - (len(targets) - 1) - o_dim,
                                   residues=[f.role == "residue" for f in labeling])
        self.left -= spent * len(q_from)
        if updates is None:
            self.why.append(f"{', '.join(names)}: no update within the budget")
            return
        used = sum(Formula(expr=e, method="exact").size for e in updates)
        if used + o_dim > self.limit:
            self.why.append(f"{', '.join(names)}: larger than a program already found")
            return
        out_cols = {nm: table[shown, j] for j, nm in enumerate(names)}
        results, spent = _formulas(out_cols, shown_out, consts, frozenset(moduli),
                                   min(self.left // max(len(shown), 1), MAX_CANDIDATES), self.limit - used - (o_dim - 1))
        self.left -= spent * len(shown)
        if results is None:
            self.why.append(f"{', '.join(names)}: no output formula within the budget")
            return
        roles = "/".join(f.role for f in labeling)
        program = Program(task=self.task, kind="symbolic", method=f"machine exact ({roles})",
                          inputs=self.ins, state=tuple(names), initial=tuple(int(v) for v in table[m.initial]),
                          updates=tuple(Formula(expr=e, method="exact") for e in updates),
                          outputs=tuple(Formula(expr=e, method="exact") for e in results),
                          comments={nm: ROLE_COMMENTS[f.role] for nm, f in zip(names, labeling)})
        if program.size > self.limit:
            self.why.append(f"{', '.join(names)}: larger than a program already found")
            return
        self.programs.append(program)
        self.limit = program.size


def machine_programs(m: MooreMachine, *, task: str, input_dim: int, work: int = WORK,
                     below: int | None = None) -> list[Program] | Failure:
    """A program per labeling of ``m``'s states (smallest first), or a Failure saying why none.
    ``below``: only programs smaller than this are looked for (another view already has one).
    Where ``m`` reads one number per step and does not determine the last one, ``m`` x the last
    input (:mod:`mips.program.exact.last_input`) is tried too, with labelings that keep it, on at
    most ``1 / PRODUCT_SHARE`` of the work."""
    def failed(message: str) -> Failure:
        return Failure(stage="regress", method="machine (exact)", message=message)

    if m.n_states > MAX_STATES:
        return failed(f"{m.n_states} states (more than {MAX_STATES})")
    reach = sorted(m.reachable())
    known = [o for q, o in enumerate(m.outputs) if o is not None and q in reach]
    if not known:
        return failed("the machine has no observed output")
    o_dim = len(known[0])
    x_vals = np.array(m.inputs, dtype=np.int64).reshape(len(m.inputs), -1)
    if x_vals.shape[1] != input_dim:
        return failed(f"the machine reads {x_vals.shape[1]} numbers per step, the task {input_dim}")
    if x_vals.size and int(np.abs(x_vals).max()) >= MAX_INPUT:
        return failed(f"input values reach {int(np.abs(x_vals).max())} (exact synthesis takes |x| < {MAX_INPUT})")
    if not any(t >= 0 for q in reach for t in m.transitions[q]):
        return failed("the machine has no observed transition")
    search = _Search(task, input_dim, work, below - 1 if below is not None else MAX_SIZE * (input_dim + o_dim + 3))
    feats = features(m, _outputs(m, o_dim))
    search.machine(m, _outputs(m, o_dim), feats=feats)
    product = None
    if input_dim == 1 and not any(f.role == "last" for f in feats):
        product = with_last_input(m, 0, MAX_STATES)
    if product is not None:                          # on a share of the work left
        left, search.left = search.left, min(search.left, work // PRODUCT_SHARE)
        search.machine(product, _outputs(product, o_dim), keep=lambda labeling: any(f.role == "last" for f in labeling))
        search.left = left - (min(left, work // PRODUCT_SHARE) - search.left)
    if not search.programs:
        return failed("; ".join(search.why) if search.why else "no labeling tells the states apart")
    return sorted(search.programs, key=lambda p: (p.size, len(p.state)))


def _outputs(m: MooreMachine, o_dim: int) -> np.ndarray:
    return np.array([o if o is not None else (0,) * o_dim for o in m.outputs], dtype=np.int64)


def program_from_machine(m: MooreMachine, *, task: str, input_dim: int) -> Program | Failure:
    """The smallest program of :func:`machine_programs`."""
    found = machine_programs(m, task=task, input_dim=input_dim)
    return found if isinstance(found, Failure) else found[0]
