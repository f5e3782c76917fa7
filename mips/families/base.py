"""Generated tasks: the record every family returns, its task file and its reference program.

A :class:`GeneratedTask` holds one small sequential task drawn by a family (see
:mod:`mips.families`) with random parameters: the task-file fields, the body of its
``target(xs)`` (written as a specification: a window, a regular expression, a count over the
prefix, a loop; never the reference program's text) and the generator's own program in the
project's program form: state variables with initial values, one update expression per variable,
one output expression per output. Each reference variable is named for its role (``count``,
``last2``, ``residue1``, ...); :attr:`GeneratedTask.roles` are those names without their digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mips.errors import ConfigError
from mips.program.codegen import parse_program
from mips.program.program import Program
from mips.tasks._vec import uniform_sampler
from mips.tasks.spec import TaskSpec

#: the role words reference programs name their variables with (a trailing number tells two apart)
ROLES = ("balance", "count", "largest", "last", "order", "parity", "residue", "run", "seen", "smallest", "state",
         "total")


def role_of(name: str) -> str:
    """``"last2"`` -> ``"last"``, ``"x1_last3"`` -> ``"last"``: a variable name without its
    input prefix and trailing digits."""
    return re.sub(r"\d+$", "", name.split("_")[-1])


@dataclass(frozen=True, slots=True, kw_only=True)
class Reference:
    """The generator's own program.

    ``state``, ``initial``, ``updates`` (simultaneous, reading the previous state and the current
    inputs) and ``outputs`` (reading the updated state) for a symbolic program; for a table
    (random Moore machines) ``next_state[s][i]`` and ``table_outputs[s]`` over the input values in
    order, starting in state 0.
    """

    state: tuple[str, ...] = ()
    initial: tuple[int, ...] = ()
    updates: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    next_state: tuple[tuple[int, ...], ...] = ()
    table_outputs: tuple[int, ...] = ()

    @property
    def is_table(self) -> bool:
        return bool(self.next_state)


@dataclass(frozen=True, slots=True, kw_only=True)
class GeneratedTask:
    """One generated task (see the module docstring).

    Attributes
    ----------
    name : str
        ``NAME`` of the task file, e.g. ``"ModSum_003"``.
    family : str
    params : dict
        The family's random parameters (JSON-friendly).
    input_dim, input_values, seq_len, output_dim : the task-file fields
    description : str
        One line; the docstring of ``target``.
    target_body : str
        The body of ``def target(xs):`` (indented by four spaces), using only module constants it
        defines itself in ``constants``.
    constants : dict
        Extra module-level constants of the file (ints, tuples of ints, strings).
    reference : Reference
    finite : bool
        Whether the task has a finite minimal machine whatever the sequence length (a counter,
        a running total or a balance does not).
    """

    name: str
    family: str
    params: dict
    input_dim: int
    input_values: tuple[int, ...]
    seq_len: int
    output_dim: int
    description: str
    target_body: str
    reference: Reference
    finite: bool
    constants: dict = field(default_factory=dict)

    @property
    def roles(self) -> tuple[str, ...]:
        """The role of each reference state variable (``("state",)`` for a table)."""
        if self.reference.is_table:
            return ("state",)
        return tuple(role_of(v) for v in self.reference.state)

    def program_source(self) -> str:
        """The reference program as Python source (``def f(xs): ...``, or the table and ``f``)."""
        ref = self.reference
        ins = _input_names(self.input_dim)
        loop = f"    for {', '.join(ins)} in xs:"
        if ref.is_table:
            inputs = ins[0] if self.input_dim == 1 else f"({', '.join(ins)})"
            rows = ",\n        ".join(f"({s}, {self._input_key(i)}): {t}" for s, row in enumerate(ref.next_state)
                                      for i, t in enumerate(row))
            outs = ", ".join(f"{s}: {o}" for s, o in enumerate(ref.table_outputs))
            return (f"NEXT = {{\n        {rows},\n}}\nOUT = {{{outs}}}\n\n\ndef f(xs):\n    s = 0\n    ys = []\n"
                    f"{loop}\n        s = NEXT[s, {inputs}]\n        ys.append(OUT[s])\n    return ys\n")
        lines = ["def f(xs):"]
        lines += [f"    {v} = {i}" for v, i in zip(ref.state, ref.initial)]
        lines += ["    ys = []", loop]
        if ref.state:
            lines.append(f"        {', '.join(ref.state)} = {', '.join(ref.updates)}")
        out = ref.outputs[0] if len(ref.outputs) == 1 else f"({', '.join(ref.outputs)})"
        lines += [f"        ys.append({out})", "    return ys"]
        return "\n".join(lines) + "\n"

    def _input_key(self, i: int):
        v = self.input_values[i]
        return v if self.input_dim == 1 else (v,)

    def program(self):
        """The reference program as a :class:`mips.program.program.Program` (parsed from
        :meth:`program_source` for a symbolic program, so the same grammar checks apply)."""
        ref = self.reference
        if not ref.is_table:
            return parse_program(self.program_source(), task=self.name, input_dim=self.input_dim)
        transitions = {(s, (v,)): t for s, row in enumerate(ref.next_state)
                       for v, t in zip(self.input_values, row)}
        outs = {s: (o,) for s, o in enumerate(ref.table_outputs)}
        return Program(task=self.name, kind="table", method="generator's table", inputs=_input_names(self.input_dim),
                       state=("s",), initial=(0,), transitions=transitions, table_outputs=outs)

    @property
    def size(self) -> int:
        """The reference program's size as :attr:`mips.program.program.Program.size` counts it."""
        return self.program().size

    def file_text(self) -> str:
        """The task file: the contract's names, the family's constants, ``target`` and, for a
        reader, the reference program as a string (``REFERENCE_PROGRAM``) with its roles."""
        consts = "".join(f"{k} = {v!r}\n" for k, v in self.constants.items())
        return (f'"""{self.family}: {self.description}\n\nGenerated by mips.families with parameters '
                f'{self.params!r}.\nREFERENCE_PROGRAM is the generator\'s own program for it (not used by '
                f'target).\n"""\n\n'
                f"NAME = {self.name!r}\nINPUT_DIM = {self.input_dim}\nINPUT_VALUES = {list(self.input_values)!r}\n"
                f"SEQ_LEN = {self.seq_len}\nOUTPUT_DIM = {self.output_dim}\nFAMILY = {self.family!r}\n"
                f"ROLES = {self.roles!r}\n{consts}\nREFERENCE_PROGRAM = '''\n{self.program_source()}'''\n\n\n"
                f'def target(xs):\n    """{self.description}"""\n{self.target_body.rstrip()}\n')

    def write(self, folder: str | Path) -> Path:
        """Write the task file as ``<folder>/<name>.py`` and return its path."""
        path = Path(folder) / f"{self.name}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.file_text())
        return path

    def target_outputs(self, x: np.ndarray) -> np.ndarray:
        """Label int64 ``x`` of shape (n, T, input_dim) with this file's ``target``, in this
        process (the generator's own code; a task file from elsewhere goes through
        :func:`mips.tasks.load_task_file` and its sandbox)."""
        namespace: dict = {}
        exec(compile(self.file_text(), f"<generated {self.name}>", "exec"), namespace)  # noqa: S102 - own code
        rows = x.tolist()
        out = []
        for row in rows:
            xs = [s[0] for s in row] if self.input_dim == 1 else [tuple(s) for s in row]
            ys = namespace["target"](xs)
            out.append([[int(v)] if self.output_dim == 1 else [int(u) for u in v] for v in ys])
        return np.asarray(out, dtype=np.int64).reshape(x.shape[0], x.shape[1], self.output_dim)

    def spec(self):
        """A :class:`mips.tasks.spec.TaskSpec` labelled by :meth:`target_outputs` in this process
        (for tests and the generator's own checks; the benchmark loads the written file)."""

        def reference(xs: list) -> list:
            steps = [[v] if self.input_dim == 1 else list(v) for v in xs]
            y = self.target_outputs(np.asarray(steps, dtype=np.int64).reshape(1, len(xs), self.input_dim))[0]
            return [int(r[0]) if self.output_dim == 1 else tuple(int(v) for v in r) for r in y.tolist()]

        return TaskSpec(name=self.name, description=self.description, family="custom", input_dim=self.input_dim,
                        input_values=self.input_values, seq_len=self.seq_len, output_dim=self.output_dim,
                        train_fraction=0.9, source=f"generated {self.family}",
                        sample_inputs=uniform_sampler(self.input_values, self.input_dim),
                        compute_outputs=self.target_outputs, reference=reference)

    def manifest_entry(self) -> dict:
        return {"name": self.name, "family": self.family, "params": self.params, "input_dim": self.input_dim,
                "input_values": list(self.input_values), "seq_len": self.seq_len, "output_dim": self.output_dim,
                "description": self.description, "finite": self.finite, "roles": list(self.roles),
                "reference_program": self.program_source(), "reference_size": self.size}


def _input_names(input_dim: int) -> tuple[str, ...]:
    return ("x",) if input_dim == 1 else tuple(f"x{i + 1}" for i in range(input_dim))


def check_task(task: GeneratedTask) -> GeneratedTask:
    """Refuse a generated task outside the sizes the pipeline handles (a generator bug)."""
    if not 1 <= task.input_dim <= 3 or not 1 <= task.output_dim <= 2 or not 2 <= len(task.input_values) <= 21:
        raise ConfigError(f"Generated task {task.name} is outside the supported sizes: {task.input_dim} inputs, "
                          f"{task.output_dim} outputs, {len(task.input_values)} input values.")
    if not 6 <= task.seq_len <= 30:
        raise ConfigError(f"Generated task {task.name} has SEQ_LEN {task.seq_len}; families keep 6..30.")
    return task


def pick(rng: np.random.Generator, options):
    """One of ``options`` (a list or tuple), drawn with ``rng``."""
    return options[int(rng.integers(len(options)))]


def seq_len(rng: np.random.Generator, options=(10, 10, 12, 15, 20)) -> int:
    return int(pick(rng, options))


def linear_terms(head: str, weights, names) -> str:
    """``head + 2 * x1 - x2``: a sum with integer weights, zero weights left out."""
    text = head
    for w, n in zip(weights, names):
        if w == 0:
            continue
        sign = " - " if w < 0 else " + "
        mag = abs(w)
        term = n if mag == 1 else f"{mag} * {n}"
        text = (term if w > 0 else f"-{term}") if not text else text + sign + term
    return text
