"""Encoding stage: the registry of encoding kinds (mips-method.md §8).

Kind name -> its :class:`~mips.encodings.kind.EncodingKind`, in the order
:func:`~mips.encodings.choose.choose_encoding` runs the finders and breaks ties. A new kind is one
module defining an ``EncodingKind`` subclass plus one line here; :func:`mips.encodings.kind.register`
makes them the kinds an ``Encoding`` may name.
"""

from __future__ import annotations

from collections.abc import Mapping

from mips.encodings.cluster import BOOLEAN, CLUSTER
from mips.encodings.kind import EncodingKind, register
from mips.encodings.lattice import LATTICE
from mips.encodings.modular import MODULAR

ENCODINGS: Mapping[str, EncodingKind] = register((
    LATTICE,
    MODULAR,
    BOOLEAN,
    CLUSTER,
))
KINDS: tuple[str, ...] = tuple(ENCODINGS)
