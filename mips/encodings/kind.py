"""Encoding stage: what one kind of encoding does (mips-method.md §8).

Every kind (lattice, modular, boolean, cluster, ...) is one module that defines a subclass of
:class:`EncodingKind` and one registry line in :mod:`mips.encodings.registry`. The
:class:`~mips.encodings.base.Encoding` artefact, the description length
(:mod:`mips.encodings.mdl`), the projection for the app (:mod:`mips.encodings.projection`) and
the choice among kinds (:mod:`mips.encodings.choose`) call these methods and never test the kind
by name. Centre-based kinds inherit their geometry from
:class:`mips.encodings.centres.CentreKind`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from mips.errors import ConfigError

if TYPE_CHECKING:
    from mips.encodings.base import Encoding, EncodingFailure
    from mips.encodings.data import StateData


class Rule(NamedTuple):
    """An update rule ``(z, x) -> z'`` that a kind fitted to the observed transitions.

    ``theta``: its integer parameters (costed at ``1 + log2(1 + |v|)`` bits each); ``n_exceptions``:
    distinct transitions it gets wrong; ``initial``: the initial code it implies, when it differs
    from the observed one; ``text``: the rule as text.
    """

    theta: np.ndarray
    n_exceptions: int
    initial: np.ndarray | None
    text: str | None


class Search:
    """What every finder of one :func:`~mips.encodings.choose.choose_encoding` call shares.

    Attributes
    ----------
    data : StateData
    eps : float
        Resolution of the description length.
    min_gap, max_clusters : float, int
        Clustering settings of the centre-based finders.
    seed : int
    """

    __slots__ = ("_memo", "data", "eps", "max_clusters", "min_gap", "seed")

    def __init__(self, data: StateData, *, eps: float, min_gap: float, max_clusters: int, seed: int) -> None:
        self.data, self.eps, self.min_gap, self.max_clusters, self.seed = data, eps, min_gap, max_clusters, seed
        self._memo: dict[str, object] = {}

    def shared(self, key: str, compute: Callable[[], object]) -> object:
        """``compute()`` once per search: work several kinds need (clusterings, say)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]


class EncodingKind:
    """One kind of encoding: its geometry, its description-length terms and its finder.

    Subclasses set ``name`` (the registry key, stored in ``Encoding.kind``) and ``description``,
    and implement the methods below that raise ``NotImplementedError``.
    """

    name: str = ""
    description: str = ""
    #: Methods in the order that wins a tie of description lengths (within the float margin);
    #: methods not listed follow, in the order they were found.
    tie_order: tuple[str, ...] = ()

    # -- the artefact ---------------------------------------------------------------------------
    def validate(self, enc: Encoding) -> None:
        """Check and freeze the kind's own fields of a new Encoding (called by ``__post_init__``)."""
        raise NotImplementedError

    def encode(self, enc: Encoding, hidden: np.ndarray, steps) -> np.ndarray:
        """Integer codes (..., k) of checked hidden states (..., hidden_dim)."""
        raise NotImplementedError

    def decode(self, enc: Encoding, codes: np.ndarray, steps) -> np.ndarray:
        """Hidden vectors (..., hidden_dim) of checked int64 codes (..., k)."""
        raise NotImplementedError

    def coordinates(self, enc: Encoding, hidden: np.ndarray, steps) -> np.ndarray:
        raise ConfigError(f"coordinates() needs a lattice Encoding; this one is {self.name!r}.")

    def nearest_centre(self, enc: Encoding, hidden: np.ndarray) -> np.ndarray:
        raise ConfigError(f"nearest_centre() needs a centre-based Encoding; this one is a {self.name}.")

    # -- description length (mips.encodings.mdl) ------------------------------------------------
    def codes_and_residuals(self, enc: Encoding, data: StateData, assignment: np.ndarray | None
                            ) -> tuple[np.ndarray, np.ndarray]:
        """Codes of every (sequence, step), shape (n, S, k), and the reconstruction residual of
        every distinct point, shape (n_points, H)."""
        raise NotImplementedError

    def parameters(self, enc: Encoding) -> tuple[np.ndarray | None, ...]:
        """The real parameters of the encoding, each costed by ``parameter_bits``."""
        raise NotImplementedError

    def variable_bits(self, values: np.ndarray) -> float:
        """Bits of a fixed-length code for one variable that is not modular, given its values."""
        return float(np.log2(float(values.max() - values.min() + 1)))

    def rule(self, enc: Encoding, codes: np.ndarray, data: StateData,
             transitions: tuple[np.ndarray, np.ndarray, np.ndarray]) -> Rule | None:
        """The kind's own update rule on the distinct (code, input, code') triples, if it has one
        (else the dynamics are costed as a transition table)."""
        return None

    # -- the app's projection (mips.encodings.projection) ----------------------------------------
    def project(self, enc: Encoding, hidden: np.ndarray, steps: np.ndarray, codes: np.ndarray,
                mean: np.ndarray, components: np.ndarray) -> dict[str, np.ndarray | None]:
        """Per-point ``cluster`` and, where the kind has them, ``lattice`` coordinates and the
        ``basis``, ``offset`` and ``centres`` in the projection's axes."""
        raise NotImplementedError

    # -- finding ----------------------------------------------------------------------------------
    def find(self, search: Search) -> list[Encoding | EncodingFailure]:
        """Every encoding of this kind the finder produces on ``search.data`` (finished, with
        their description length), and a failure for each way it found nothing."""
        raise NotImplementedError


#: kind name -> kind, in the registry's order: the table an Encoding looks its kind up in. Filled by
#: :mod:`mips.encodings.registry` (through :func:`register`), which sits above the kinds' modules; they
#: build encodings, so the table they are looked up in must sit below them, here.
REGISTERED: Mapping[str, EncodingKind] = MappingProxyType({})


def register(kinds: Iterable[EncodingKind]) -> Mapping[str, EncodingKind]:
    """Make ``kinds``, in order, the kinds an :class:`~mips.encodings.base.Encoding` may name, and return them."""
    global REGISTERED
    REGISTERED = MappingProxyType({kind.name: kind for kind in kinds})
    return REGISTERED


def registered_kind(name: str) -> EncodingKind:
    """The registered kind called ``name`` (ConfigError naming the registered ones otherwise)."""
    kind = REGISTERED.get(name) if isinstance(name, str) else None
    if kind is None:
        raise ConfigError(f"The 'kind' parameter of Encoding must be one of {tuple(REGISTERED)}. "
                          f"Got {name!r} instead.")
    return kind
