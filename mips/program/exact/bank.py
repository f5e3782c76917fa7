"""Exact synthesis: every distinct expression up to a size, by bottom-up enumeration.

The rows of a finite machine's tables are the whole specification of a program's formulas, so a
formula can be *found* rather than fitted: enumerate expressions of the program grammar smallest
first and keep one per distinct column of values over the rows (observational equivalence, as in
enumerative SyGuS solvers: two expressions that agree on every row are interchangeable, and only
the first, smallest one is kept). A target column is matched by the first kept expression equal
to it, which is therefore a smallest one.

Expressions are typed, as a teacher writes them: integer terms (names, constants, ``+ - * // %``,
unary ``-``, ``abs``, ``min``, ``max``) and Boolean terms (comparisons of integer terms, ``not``,
``and``, ``or``). Integer operators never take Boolean operands (no ``x + (a > b)``), a modulus or
floor divisor is a constant of at least 2, and two constants are never combined (constants are
folded). A product of two non-constant terms multiplies plain names only (``x1 * x2``, never
``x * (last - x)``, which computes a condition as arithmetic). Booleans are 0/1 columns, so a 0/1
target may be matched by a comparison.

The work is counted, never timed: ``max_candidates`` bounds the expressions evaluated, so the same
rows give the same bank on every machine. Equal columns are detected by exact integer hashing over
int64 with fixed odd multipliers; candidates sharing a hash are compared in full.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

VALUE_BOUND = 1 << 30           # columns with a larger value are dropped (no overflow, no riddles)
INT_OPS = ("+", "-", "*", "min", "max", "//", "%")
COMMUTATIVE = {"+", "*", "min", "max"}
CMP_OPS = ("<", "<=", "==", "!=")
FLIP = {"<": ">", "<=": ">=", "==": "==", "!=": "!="}


def _multipliers(n: int) -> np.ndarray:
    """Fixed odd 64-bit multipliers (a splitmix-style sequence: the same on every machine)."""
    out = np.empty(n, dtype=np.uint64)
    z = 0x9E3779B97F4A7C15
    for i in range(n):
        z = (z + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        v = z
        v = ((v ^ (v >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        v = ((v ^ (v >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
        out[i] = (v ^ (v >> 31)) | 1
    return out


@dataclass(slots=True)
class Term:
    expr: str
    size: int
    kind: str                    # "int" or "bool"
    const: bool = False          # built from constants only (a leaf constant)
    atom: bool = False           # a name or a constant: no parentheses needed
    prec: int = 100              # Python precedence of the outermost operator
    flag: bool = False           # a name whose column is 0/1
    name: bool = False           # a variable (its truthiness may be a test: ``a if a else ...``)
    trick: bool = False          # a Boolean trick as a value (flag != x): allowed only as a test
    offset: bool = False         # ``t + c`` or ``t - c``: another constant would be folded into c
    linear: bool = False         # names and constants under + - and * by a constant
    has_flag: bool = False       # reads a 0/1 variable


_PREC = {"or": 1, "and": 2, "not": 3, "cmp": 4, "+": 6, "-": 6, "*": 7, "//": 7, "%": 7, "neg": 8}


def _wrap(t: Term, prec: int, right: bool = False) -> str:
    """``t``'s source as an operand of an operator of precedence ``prec``."""
    if t.prec > prec or (t.prec == prec and not right and prec >= 6):
        return t.expr
    return f"({t.expr})"


@dataclass
class Bank:
    """Distinct expressions over ``n_rows`` rows, in the order found (smallest first).

    Row ``i`` of :attr:`data` is expression ``terms[i]``'s column. ``by_size[s]`` lists the indices
    of size s. Two columns with the same 64-bit hash count as equal (the hash is exact integer
    arithmetic, so this is the same on every machine; a collision could only hide an expression,
    never admit a wrong one, since matches are compared in full).
    """

    n_rows: int
    terms: list[Term] = field(default_factory=list)
    by_size: dict[int, list[int]] = field(default_factory=dict)
    seen: dict[int, int] = field(default_factory=dict)
    plain: dict[int, int] = field(default_factory=dict)     # hash -> a non-trick twin of a trick
    candidates: int = 0
    _data: np.ndarray | None = None
    _mult: np.ndarray | None = None

    def __post_init__(self) -> None:
        self._mult = _multipliers(max(self.n_rows, 1))
        self._data = np.zeros((256, self.n_rows), dtype=np.int64)

    @property
    def data(self) -> np.ndarray:
        return self._data[:len(self.terms)]

    def _hash(self, cols: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return (cols.astype(np.uint64) * self._mult).sum(axis=1, dtype=np.uint64)

    def add_block(self, cols: np.ndarray, make) -> list[int]:
        """Add the new distinct columns of ``cols`` (shape (m, n_rows)); ``make(j)`` builds the
        Term of row j. Returns the indices added."""
        self.candidates += len(cols)
        if not len(cols):
            return []
        ok = np.all(np.abs(cols) < VALUE_BOUND, axis=1)
        hashes = self._hash(cols).tolist()
        fresh = []
        seen = self.seen
        plain = []                       # the plain twin of a column a trick holds (flag != x)
        for j in np.flatnonzero(ok).tolist():
            h = hashes[j]
            if h in seen:
                old = seen[h]
                if old >= 0 and h not in self.plain and self.terms[old].trick:
                    term = make(j)
                    if not term.trick:
                        self.plain[h] = -1
                        plain.append((j, term))
                continue
            seen[h] = -1
            fresh.append(j)
        for j, term in plain:
            self._append(cols[j], term)
            self.plain[hashes[j]] = len(self.terms) - 1
        if not fresh:
            return []
        start = len(self.terms)
        need = start + len(fresh)
        if need > len(self._data):
            grown = np.zeros((max(need, 2 * len(self._data)), self.n_rows), dtype=np.int64)
            grown[:start] = self._data[:start]
            self._data = grown
        self._data[start:need] = cols[fresh]
        for k, j in enumerate(fresh):
            term = make(j)
            self.terms.append(term)
            self.by_size.setdefault(term.size, []).append(start + k)
            seen[hashes[j]] = start + k
        return list(range(start, need))

    def _append(self, col: np.ndarray, term: Term) -> None:
        if len(self.terms) >= len(self._data):
            grown = np.zeros((2 * len(self._data), self.n_rows), dtype=np.int64)
            grown[:len(self.terms)] = self._data[:len(self.terms)]
            self._data = grown
        self._data[len(self.terms)] = col
        self.by_size.setdefault(term.size, []).append(len(self.terms))
        self.terms.append(term)

    def matrix(self, idx: list[int]) -> np.ndarray:
        return self._data[idx] if idx else np.zeros((0, self.n_rows), dtype=np.int64)

    def column(self, i: int) -> np.ndarray:
        return self._data[i]

    def find(self, target: np.ndarray) -> int | None:
        """The index of the expression whose column equals ``target``, if any."""
        h = int(self._hash(np.asarray(target, dtype=np.int64)[None])[0])
        i = self.seen.get(h)
        if i is not None and i >= 0 and self.terms[i].trick and self.plain.get(h, -1) >= 0:
            i = self.plain[h]
        if i is None or i < 0 or not np.array_equal(self._data[i], target):
            return None
        return i


def _int_block(op: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """All pairs a[i] op b[j], as an array of shape (m, rows)."""
    A, B = a[:, None, :], b[None, :, :]
    if op == "+":
        out = A + B
    elif op == "-":
        out = A - B
    elif op == "*":
        out = A * B
    elif op == "min":
        out = np.minimum(A, B)
    elif op == "max":
        out = np.maximum(A, B)
    elif op == "//":
        out = np.floor_divide(A, B)
    else:
        out = np.mod(A, B)
    out = out.reshape(-1, a.shape[1])
    return out


def grow(bank: Bank, size: int, *, max_candidates: int, moduli: frozenset[int] = frozenset()) -> list[int]:
    """Add every distinct expression of ``size`` built from smaller ones; stops adding once
    ``max_candidates`` candidates have been evaluated in all. ``%`` and ``//`` take only a constant
    of ``moduli`` (a residue's modulus, a variable's range, the number base), so that they mean
    what they say. Returns the indices added."""
    g = _Growth(bank, size, max_candidates, moduli)
    if g.unary():
        for s1 in range(1, size - 1):
            s2 = size - 1 - s1
            if not (g.arithmetic(s1, s2) and g.comparisons(s1, s2) and g.connectives(s1, s2)):
                break
    return g.added


class _Growth:
    """One size level of a bank; each step returns False once the candidate budget is spent."""

    def __init__(self, bank: Bank, size: int, max_candidates: int, moduli: frozenset[int]):
        self.bank, self.size, self.max_candidates, self.moduli = bank, size, max_candidates, moduli
        self.terms = bank.terms
        self.added: list[int] = []

    def room(self) -> bool:
        return self.bank.candidates < self.max_candidates

    def of(self, s: int, kind: str, const: bool | None = None) -> list[int]:
        return [i for i in self.bank.by_size.get(s, []) if self.terms[i].kind == kind
                and (const is None or self.terms[i].const == const)]

    def unary(self) -> bool:
        """-t, abs(t) and not b."""
        bank, terms, size = self.bank, self.terms, self.size
        ints = [i for i in self.of(size - 1, "int", const=False) if not terms[i].expr.startswith("-")]
        if ints and self.room():
            cols = bank.matrix(ints)
            self.added += bank.add_block(np.concatenate([-cols, np.abs(cols)]), lambda j, n=len(ints): (
                Term(f"-{_wrap(terms[ints[j]], 8)}", size, "int", prec=8, trick=terms[ints[j]].trick) if j < n
                else Term(f"abs({terms[ints[j - n]].expr})", size, "int", atom=True, trick=terms[ints[j - n]].trick)))
        bools = [i for i in self.of(size - 1, "bool") if not terms[i].expr.startswith("not ")]
        if bools and self.room():
            self.added += bank.add_block(1 - bank.matrix(bools), lambda j: Term(
                f"not {_wrap(terms[bools[j]], 3)}", size, "bool", prec=3, trick=terms[bools[j]].trick))
        return True

    def arithmetic(self, s1: int, s2: int) -> bool:
        """Integer operators over a left operand of size s1 and a right one of size s2."""
        bank, terms, size = self.bank, self.terms, self.size
        left_int, right_int = self.of(s1, "int"), self.of(s2, "int")
        for op in INT_OPS:
            if op in COMMUTATIVE and s1 > s2:
                continue
            if op in ("//", "%"):
                right = [j for j in right_int if terms[j].const and s2 == 1 and int(bank.column(j)[0]) in self.moduli]
                left = [i for i in left_int if not terms[i].const and not terms[i].name]   # no x % 2
            else:
                right, left = right_int, left_int
            if not left or not right:
                continue
            A, B = bank.matrix(left), bank.matrix(right)
            for lo in range(0, len(left), 64):
                if not self.room():
                    return False
                cols = _int_block(op, A[lo:lo + 64], B)
                pairs = [(li, rj) for li in left[lo:lo + 64] for rj in right]
                keep = np.array([not (terms[li].const and terms[rj].const)
                                 and not (op in COMMUTATIVE and s1 == s2 and li > rj)
                                 and not (op == "*" and not (terms[li].const or terms[rj].const)
                                          and not (terms[li].name and terms[rj].name))   # x * (a - x): a riddle
                                 and not (op in ("+", "-") and (terms[li].const or terms[rj].const)
                                          and (terms[li].offset or terms[rj].offset))   # constants folded
                                 for li, rj in pairs], dtype=bool)
                sel = np.flatnonzero(keep)
                clamp = _clamps(op, cols[sel], A[lo:lo + 64], B, sel)
                self.added += bank.add_block(cols[sel], lambda j, op=op, sel=sel, pairs=pairs, clamp=clamp:
                                             _binary(terms, op, *pairs[sel[j]], size, trick=bool(clamp[j])))
        return True

    def comparisons(self, s1: int, s2: int) -> bool:
        """Comparisons of integer terms."""
        bank, terms, size = self.bank, self.terms, self.size
        left, right = self.of(s1, "int"), self.of(s2, "int")
        for op in CMP_OPS:
            if (op in ("==", "!=") and s1 > s2) or not left or not right:
                continue
            A, B = bank.matrix(left), bank.matrix(right)
            for lo in range(0, len(left), 64):
                if not self.room():
                    return False
                a, b = A[lo:lo + 64][:, None, :], B[None]
                cols = {"<": a < b, "<=": a <= b, "==": a == b, "!=": a != b}[op].reshape(-1, bank.n_rows)
                pairs = [(li, rj) for li in left[lo:lo + 64] for rj in right]
                keep = np.array([not (terms[li].const and terms[rj].const) and li != rj
                                 for li, rj in pairs], dtype=bool)
                sel = np.flatnonzero(keep)
                self.added += bank.add_block(cols[sel].astype(np.int64), lambda j, op=op, sel=sel, pairs=pairs:
                                             _compare(terms, op, *pairs[sel[j]], size))
        return True

    def connectives(self, s1: int, s2: int) -> bool:
        """``and`` / ``or`` of Boolean terms."""
        bank, terms, size = self.bank, self.terms, self.size
        if s1 > s2:
            return True
        # a 0/1 variable reads as a truth value here: ``seen or x == 2``
        flags = [i for i in self.bank.by_size.get(1, []) if self.terms[i].flag]
        lb = self.of(s1, "bool") + (flags if s1 == 1 else [])
        rb = self.of(s2, "bool") + (flags if s2 == 1 else [])
        if not lb or not rb:
            return True
        A, B = bank.matrix(lb), bank.matrix(rb)
        for op in ("and", "or"):
            if not self.room():
                return False
            a, b = A[:, None, :], B[None]
            cols = (a & b if op == "and" else a | b).reshape(-1, bank.n_rows)
            pairs = [(li, rj) for li in lb for rj in rb]
            keep = np.array([not (s1 == s2 and li >= rj) for li, rj in pairs], dtype=bool)
            sel = np.flatnonzero(keep)
            self.added += bank.add_block(cols[sel], lambda j, op=op, sel=sel, pairs=pairs: Term(
                f"{_wrap(terms[pairs[sel[j]][0]], _PREC[op])} {op} "
                f"{_wrap(terms[pairs[sel[j]][1]], _PREC[op], right=True)}", size, "bool", prec=_PREC[op],
                trick=terms[pairs[sel[j]][0]].trick or terms[pairs[sel[j]][1]].trick))
        return True


def _clamps(op: str, cols: np.ndarray, a: np.ndarray, b: np.ndarray, sel: np.ndarray) -> np.ndarray:
    """Which new columns compute a condition as arithmetic: ``min``, ``max`` or ``*`` giving 0/1
    on every row from an operand that is not 0/1 (``max(seen, min(x, last - x))``). They stay
    usable, as tricks are: a plain twin (``seen or last == 2 and x == 1``) replaces them as a value.
    ``a`` and ``b``: the operands' columns; ``sel``: the pairs (row-major over a x b) kept."""
    if op not in ("min", "max", "*") or not len(cols):
        return np.zeros(len(cols), dtype=bool)
    binary = np.all((cols == 0) | (cols == 1), axis=1)
    a01, b01 = np.all((a == 0) | (a == 1), axis=1), np.all((b == 0) | (b == 1), axis=1)
    both = (a01[:, None] & b01[None, :]).reshape(-1)[sel]
    return binary & ~both


def _binary(terms: list[Term], op: str, li: int, rj: int, size: int, trick: bool = False) -> Term:
    term = _binary_text(terms, op, li, rj, size)
    a, b = terms[li], terms[rj]
    term.trick = trick or a.trick or b.trick          # arithmetic over a trick is one too
    term.linear = a.linear and b.linear and (op in ("+", "-") or (op == "*" and (a.const or b.const)))
    term.has_flag = a.has_flag or b.has_flag
    return term


def _binary_text(terms: list[Term], op: str, li: int, rj: int, size: int) -> Term:
    a, b = terms[li], terms[rj]
    offset = op in ("+", "-") and (a.const or b.const)
    if op in ("min", "max"):
        return Term(f"{op}({a.expr}, {b.expr})", size, "int", atom=True)
    if op == "+" and b.expr.startswith("-") and b.prec == 8:      # a + -b reads a - b
        return Term(f"{_wrap(a, 6)} - {b.expr[1:]}", size, "int", prec=6, offset=offset)
    if op == "+" and a.const and not b.const:                     # 1 + a reads a + 1
        a, b = b, a
    if op == "+" and b.prec == 6:                                 # a + (b - c) reads a + b - c
        return Term(f"{_wrap(a, 6)} + {b.expr}", size, "int", prec=6, offset=offset or b.offset)
    return Term(f"{_wrap(a, _PREC[op])} {op} {_wrap(b, _PREC[op], right=True)}", size, "int", prec=_PREC[op],
                offset=offset)


def _compare(terms: list[Term], op: str, li: int, rj: int, size: int) -> Term:
    a, b = terms[li], terms[rj]
    if (a.const and not b.const) or (a.name and b.name and op in ("<", "<=") and a.expr > b.expr):
        a, b, op = b, a, FLIP[op]                                 # 3 < a reads a > 3; x2 < x1 reads x1 > x2
    # comparing a 0/1 variable with another variable computes xor or implication: a trick as a value
    # as a value (not as a test), a comparison reads plainly against a constant or between two
    # names, and not between a 0/1 variable and another (xor, implication)
    trick = not a.const and not b.const and (not (a.name and b.name) or (a.flag or b.flag) and (
        op in ("==", "!=") or (a.flag and b.flag)))
    # against a constant: a threshold on a sum of quantities (count + x > 3), not on a clamp
    # (min(x, 1)), a residue or a flag folded into arithmetic (state + x != 1, a - b == 0)
    trick = trick or (b.const and not a.name and (not a.linear or a.has_flag or op in ("==", "!=")))
    return Term(f"{_wrap(a, 5)} {op} {_wrap(b, 5)}", size, "bool", prec=4, trick=trick)


def leaves(bank: Bank, names: dict[str, np.ndarray], constants: list[int]) -> None:
    """Size-1 expressions: the names (in the given order), then the constants."""
    for name, col in names.items():
        col = np.asarray(col, dtype=np.int64)
        flag = bool(np.all((col == 0) | (col == 1)))
        bank.add_block(col[None], lambda j, name=name, flag=flag: Term(name, 1, "int", atom=True, flag=flag, name=True,
                                                                      linear=True, has_flag=flag))
    for c in constants:
        col = np.full((1, bank.n_rows), c, dtype=np.int64)
        if c < 0:
            bank.add_block(col, lambda j, c=c: Term(str(c), 2, "int", const=True, prec=8, linear=True))
        else:
            bank.add_block(col, lambda j, c=c: Term(str(c), 1, "int", const=True, atom=True, linear=True))
