"""Encoding stage: discrete state variables for hidden states (mips-method.md §8).

Public API::

    Encoding, EncodingFailure, DescriptionLength, EncodingChoice, StateData,
    prepare_states, choose_encoding, find_lattice, find_clusters, find_modular,
    fit_lattice_points, single_linkage_cuts, output_split_cut, Cut, encode_grid
    ENCODINGS, KINDS, EncodingKind       the registry of kinds (one module + one line per kind)
"""

from mips.encodings.base import DescriptionLength, Encoding, EncodingFailure
from mips.encodings.choose import EncodingChoice, choose_encoding
from mips.encodings.cluster import find_clusters, output_split_cut
from mips.encodings.data import StateData, prepare_states
from mips.encodings.kind import EncodingKind
from mips.encodings.lattice import find_lattice, fit_lattice_points
from mips.encodings.linkage import Cut, single_linkage_cuts
from mips.encodings.mdl import encode_grid
from mips.encodings.modular import find_modular
from mips.encodings.registry import ENCODINGS, KINDS

__all__ = [
    "ENCODINGS",
    "KINDS",
    "Cut",
    "DescriptionLength",
    "Encoding",
    "EncodingChoice",
    "EncodingFailure",
    "EncodingKind",
    "StateData",
    "choose_encoding",
    "encode_grid",
    "find_clusters",
    "find_lattice",
    "find_modular",
    "fit_lattice_points",
    "output_split_cut",
    "prepare_states",
    "single_linkage_cuts",
]
