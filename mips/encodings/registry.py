"""Encoding stage: the registry of encoding kinds (mips-method.md §8).

Kind name -> its :class:`~mips.encodings.kind.EncodingKind`, in the order
:func:`~mips.encodings.choose.choose_encoding` runs the finders and breaks ties. A new kind is one
module defining an ``EncodingKind`` subclass plus one line here.
"""

from __future__ import annotations

from types import MappingProxyType

from mips.encodings.cluster import BOOLEAN, CLUSTER
from mips.encodings.kind import EncodingKind
from mips.encodings.lattice import LATTICE
from mips.encodings.modular import MODULAR

ENCODINGS: MappingProxyType[str, EncodingKind] = MappingProxyType({kind.name: kind for kind in (
    LATTICE,
    MODULAR,
    BOOLEAN,
    CLUSTER,
)})
KINDS: tuple[str, ...] = tuple(ENCODINGS)
