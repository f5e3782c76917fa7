"""State view ``encoding``: the chosen encoding's codes (lattice coordinates, modular residue,
Boolean bits, cluster index), the network's own representation, as in the paper; runner-up
encodings of other kinds are tried too."""

from __future__ import annotations

from mips.encodings.base import Encoding
from mips.encodings.choose import EncodingChoice
from mips.encodings.data import StateData
from mips.encodings.mdl import encode_grid
from mips.program.program import Program
from mips.program.state_view import StateView
from mips.program.views.context import Context


def encoding_views(choice: EncodingChoice | None, data: StateData, max_views: int = 3,
                   first: Encoding | None = None) -> list[tuple[StateView, tuple]]:
    """The encoding the machine was built from (default: the chosen one) and the best runner-ups
    of other kinds, with their initial codes."""
    if choice is None or not choice.candidates:
        return []
    picked: list[Encoding] = []
    for enc in (first, choice.chosen) + tuple(choice.candidates):
        if enc is None or any(e is enc for e in picked):
            continue
        if any(e.kind == enc.kind and e.n_vars == enc.n_vars for e in picked):
            continue
        picked.append(enc)
        if len(picked) == max_views:
            break
    views = []
    for enc in picked:
        codes = encode_grid(enc, data)
        views.append((StateView(name=enc.kind, codes=codes, moduli=tuple(enc.moduli)),
                      tuple(int(v) for v in codes[0, 0])))
    return views


def encoded(ctx: Context) -> list[tuple[StateView, tuple]]:
    """The encoding views of ``ctx`` (computed once: the window view reads them too)."""
    if "encoded" not in ctx.cache:
        ctx.cache["encoded"] = encoding_views(ctx.choice, ctx.data,
                                              first=ctx.fsm.encoding if ctx.fsm is not None else None)
    return ctx.cache["encoded"]


def programs(ctx: Context) -> list[Program]:
    return ctx.regress_all(encoded(ctx))
