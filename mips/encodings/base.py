"""Encoding stage: the common result type of every finder (mips-method.md §8).

An :class:`Encoding` maps a hidden vector h (H floats) to integer state variables z (k ints).
How it does so is its kind's business: ``Encoding.kind`` names an entry of
:data:`mips.encodings.registry.ENCODINGS` (lattice, modular, boolean, cluster, ...), which the
registry hands down to :data:`mips.encodings.kind.REGISTERED`, and the methods here call that entry
(:class:`mips.encodings.kind.EncodingKind`).

Finders return an ``Encoding`` or an :class:`EncodingFailure`, the encode stage's
:class:`~mips.failure.Failure` (an expected negative outcome is data, not an exception).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType

import numpy as np

from mips.encodings.kind import EncodingKind, registered_kind
from mips.errors import ConfigError
from mips.failure import Failure


@dataclass(frozen=True, slots=True, kw_only=True)
class DescriptionLength:
    """Bits to describe the hidden states with an encoding (a two-part code, §8.4 extended).

    Attributes
    ----------
    parameter_bits : float
        The encoding itself: each real parameter (basis, offsets, centres) costs
        ``1 + log2(1 + |p| / eps)``.
    code_bits : float
        The integer codes of the distinct hidden states: ``log2`` of the code space per state.
    residual_bits : float
        ``sum log2(1 + |h − decode(encode(h))| / eps)`` over the distinct states (the paper's
        data term).
    dynamics_bits : float
        The update rule ``(z, x) -> z'``: the cheaper of a transition table and a rule (affine for
        lattices, a rotation for cycles) plus its exceptions.
    output_bits : float
        Exceptions to "the output is a function of the code".
    eps : float
        Resolution in hidden-state units.
    n_points : int
        Distinct hidden states the bits were counted over.
    """

    parameter_bits: float
    code_bits: float
    residual_bits: float
    dynamics_bits: float
    output_bits: float
    eps: float
    n_points: int

    @property
    def total_bits(self) -> float:
        return float(self.parameter_bits + self.code_bits + self.residual_bits + self.dynamics_bits
                     + self.output_bits)

    @property
    def bits_per_point(self) -> float:
        return self.total_bits / max(self.n_points, 1)

    def as_dict(self) -> dict[str, float]:
        return {"parameter_bits": self.parameter_bits, "code_bits": self.code_bits,
                "residual_bits": self.residual_bits, "dynamics_bits": self.dynamics_bits,
                "output_bits": self.output_bits, "total_bits": self.total_bits}


@dataclass(frozen=True, slots=True, kw_only=True)
class EncodingFailure(Failure):
    """A finder that found nothing: which kind, which method, and why (the encode stage's Failure)."""

    kind: str
    stage: str = "encode"


def readonly(a: np.ndarray | None, dtype) -> np.ndarray | None:
    if a is None:
        return None
    a = np.array(a, dtype=dtype)
    a.flags.writeable = False
    return a


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)   # arrays inside: identity equality
class Encoding:
    """Integer state variables for hidden states.

    Attributes
    ----------
    kind : str
        A key of :data:`mips.encodings.registry.ENCODINGS`.
    method : str
        The finder that produced it (``"linear"``, ``"gcd"``, ``"single-linkage"``, ...).
    hidden_dim : int
    variables : tuple of str
        Names of the k state variables.
    moduli : tuple of (int or None)
        Per variable: N when the variable lives in Z_N, else None.
    basis : float64 array of shape (k, hidden_dim), lattice only
    offset : float64 array of shape (hidden_dim,), lattice only
    step_offsets : float64 array of shape (n_steps, hidden_dim) or None, lattice only
        Extra offset of the states after step s (row s; s = 0 is the initial state, rows past the
        end repeat the last one) for networks whose bias drifts during the first steps.
    centres : float64 array of shape (m, hidden_dim), other kinds
    centre_codes : int64 array of shape (m, k), other kinds
        Code of each centre (several centres may share a code).
    prototypes : float64 array of shape (p, hidden_dim) or None
        Member states of the clusters; a state belongs to the cluster of its nearest prototype
        (elongated clusters are not Voronoi cells of their centres). None: nearest centre.
    prototype_clusters : int64 array of shape (p,) or None
        Index into ``centres`` of each prototype.
    metric : float64 array of shape (hidden_dim, r) or None
        Distances are measured between ``h·metric`` (a whitening); None: Euclidean.
    initial_code : tuple of int
        Code of the initial state h_{-1} = 0.
    update_rule : str or None
        A rule ``(z, x) -> z'`` that the observed transitions follow, when one was found.
    description_length : DescriptionLength
    max_residual, rms_residual : float
        Reconstruction error over the distinct observed states (Euclidean norm per state).
    n_states : int
        Distinct codes among the observed states.
    output_exceptions : int
        Distinct (state, output) pairs whose output is not the usual output of the state's code
        (0: the output is a function of the code).
    summary : str
    params : mapping
        The finder's settings.
    """

    kind: str
    method: str
    hidden_dim: int
    variables: tuple[str, ...]
    moduli: tuple[int | None, ...]
    basis: np.ndarray | None = None
    offset: np.ndarray | None = None
    step_offsets: np.ndarray | None = None
    centres: np.ndarray | None = None
    centre_codes: np.ndarray | None = None
    prototypes: np.ndarray | None = None
    prototype_clusters: np.ndarray | None = None
    metric: np.ndarray | None = None
    initial_code: tuple[int, ...] = ()
    update_rule: str | None = None
    description_length: DescriptionLength | None = None
    max_residual: float = float("nan")
    rms_residual: float = float("nan")
    n_states: int = 0
    output_exceptions: int = 0
    summary: str = ""
    params: Mapping[str, object] = field(default_factory=dict)
    _tree: object = field(default=None, repr=False, compare=False)
    _kind: EncodingKind = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_kind", registered_kind(self.kind))
        k = len(self.variables)
        if len(self.moduli) != k:
            raise ConfigError(f"Encoding has {k} variables but {len(self.moduli)} moduli.")
        self._kind.validate(self)
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))
        object.__setattr__(self, "initial_code", tuple(int(v) for v in self.initial_code))

    def __reduce__(self):
        """Pickled as its constructor's fields (``params`` as a plain dict; caches are rebuilt), so an
        encoding can travel to a child process (the sandboxed check of an edited program)."""
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.init and f.name != "_tree"}
        values["params"] = dict(self.params)
        return (_rebuild_encoding, (values,))

    @property
    def kind_type(self) -> EncodingKind:
        """The registered kind named ``kind``: its geometry, description-length terms and finder."""
        return self._kind

    # -- mapping (each kind's own geometry, mips.encodings.kind) --------------------------------
    @property
    def n_vars(self) -> int:
        return len(self.variables)

    def coordinates(self, hidden: np.ndarray, steps=None) -> np.ndarray:
        """Unrounded lattice coordinates (h − b)·A⁺ (lattice only), shape (..., k)."""
        return self._kind.coordinates(self, self._check(hidden), steps)

    def nearest_centre(self, hidden: np.ndarray) -> np.ndarray:
        """Cluster (index into ``centres``) of each state, shape (...): the cluster of the nearest
        prototype, or the nearest centre when there are no prototypes (centre-based kinds)."""
        return self._kind.nearest_centre(self, self._check(hidden))

    def encode(self, hidden: np.ndarray, steps=None) -> np.ndarray:
        """Integer codes of hidden states.

        Parameters
        ----------
        hidden : array of shape (..., hidden_dim)
        steps : int array broadcastable to ``hidden.shape[:-1]``, optional
            The step of each state (0 = initial); only used by lattices with step offsets.

        Returns
        -------
        int64 array of shape (..., k)
        """
        return self._kind.encode(self, self._check(hidden), steps)

    def decode(self, codes: np.ndarray, steps=None) -> np.ndarray:
        """Hidden vectors of codes (NaN for a code no centre carries), shape (..., hidden_dim)."""
        codes = np.asarray(codes, dtype=np.int64)
        if codes.shape[-1:] != (self.n_vars,):
            raise ConfigError(f"codes must have shape (..., {self.n_vars}); got {codes.shape}.")
        return self._kind.decode(self, codes, steps)

    def _check(self, hidden: np.ndarray) -> np.ndarray:
        hidden = np.asarray(hidden, dtype=np.float64)
        if hidden.shape[-1:] != (self.hidden_dim,):
            raise ConfigError(f"hidden must have shape (..., {self.hidden_dim}); got {hidden.shape}.")
        return hidden

    def to_dict(self) -> dict:
        """Plain-data view (lists and numbers) for display and JSON."""
        arr = lambda a: None if a is None else np.asarray(a).tolist()  # noqa: E731
        return {"kind": self.kind, "method": self.method, "hidden_dim": self.hidden_dim,
                "variables": list(self.variables), "moduli": list(self.moduli),
                "basis": arr(self.basis), "offset": arr(self.offset),
                "step_offsets": arr(self.step_offsets), "centres": arr(self.centres),
                "centre_codes": arr(self.centre_codes), "prototypes": arr(self.prototypes),
                "prototype_clusters": arr(self.prototype_clusters), "metric": arr(self.metric),
                "initial_code": list(self.initial_code),
                "update_rule": self.update_rule,
                "description_length": None if self.description_length is None
                else self.description_length.as_dict(),
                "max_residual": self.max_residual, "rms_residual": self.rms_residual,
                "n_states": self.n_states, "output_exceptions": self.output_exceptions, "summary": self.summary, "params": dict(self.params)}


def _rebuild_encoding(values: dict) -> Encoding:
    return Encoding(**values)
