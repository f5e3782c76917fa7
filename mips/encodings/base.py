"""Encoding stage: the common result type of every finder (mips-method.md §8).

An :class:`Encoding` maps a hidden vector h (H floats) to integer state variables z (k ints):

``lattice``
    h ≈ z·A + b (+ a per-step offset), z = round((h − b)·A⁺); A is (k × H).
``modular``
    one variable z in Z_N: the N states of a cycle, z = index of the nearest cycle centre.
``boolean``
    ceil(log2 m) bits: the binary code of the nearest of m cluster centres.
``cluster``
    one categorical variable: the index of the nearest of m cluster centres.

Finders return an ``Encoding`` or an :class:`EncodingFailure` (an expected negative outcome is
data, not an exception).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, Mapping

import numpy as np

from mips.errors import ConfigError

Kind = Literal["lattice", "boolean", "modular", "cluster"]
KINDS: tuple[str, ...] = ("lattice", "modular", "boolean", "cluster")


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
class EncodingFailure:
    """A finder that found nothing: which kind, which method, and why."""

    kind: str
    message: str
    method: str = ""

    @property
    def ok(self) -> bool:
        return False


def _readonly(a: np.ndarray | None, dtype) -> np.ndarray | None:
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
    kind : {"lattice", "modular", "boolean", "cluster"}
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

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ConfigError(f"The 'kind' parameter of Encoding must be one of {KINDS}. Got {self.kind!r} instead.")
        k = len(self.variables)
        if len(self.moduli) != k:
            raise ConfigError(f"Encoding has {k} variables but {len(self.moduli)} moduli.")
        set_ = object.__setattr__
        if self.kind == "lattice":
            if self.basis is None or self.offset is None:
                raise ConfigError("A lattice Encoding needs 'basis' and 'offset'.")
            set_(self, "basis", _readonly(self.basis, np.float64))
            set_(self, "offset", _readonly(self.offset, np.float64))
            set_(self, "step_offsets", _readonly(self.step_offsets, np.float64))
            if self.basis.shape != (k, self.hidden_dim) or self.offset.shape != (self.hidden_dim,):
                raise ConfigError(f"Lattice basis must be ({k}, {self.hidden_dim}) and offset "
                                  f"({self.hidden_dim},); got {self.basis.shape} and {self.offset.shape}.")
        else:
            if self.centres is None or self.centre_codes is None:
                raise ConfigError(f"A {self.kind} Encoding needs 'centres' and 'centre_codes'.")
            set_(self, "centres", _readonly(self.centres, np.float64))
            set_(self, "centre_codes", _readonly(self.centre_codes, np.int64))
            set_(self, "prototypes", _readonly(self.prototypes, np.float64))
            set_(self, "prototype_clusters", _readonly(self.prototype_clusters, np.int64))
            set_(self, "metric", _readonly(self.metric, np.float64))
            if (self.prototypes is None) != (self.prototype_clusters is None):
                raise ConfigError("An Encoding needs both 'prototypes' and 'prototype_clusters', or neither.")
            if (self.centres.ndim != 2 or self.centres.shape[1] != self.hidden_dim
                    or self.centre_codes.shape != (self.centres.shape[0], k)):
                raise ConfigError(f"Centres must be (m, {self.hidden_dim}) and centre codes (m, {k}); "
                                  f"got {self.centres.shape} and {self.centre_codes.shape}.")
        set_(self, "params", MappingProxyType(dict(self.params)))
        set_(self, "initial_code", tuple(int(v) for v in self.initial_code))

    # -- mapping -------------------------------------------------------------------------------
    @property
    def n_vars(self) -> int:
        return len(self.variables)

    @property
    def ok(self) -> bool:
        return True

    def _offsets(self, shape: tuple[int, ...], steps) -> np.ndarray:
        if self.step_offsets is None or steps is None:
            return self.offset
        s = np.minimum(np.asarray(steps, dtype=np.int64), self.step_offsets.shape[0] - 1)
        return self.offset + self.step_offsets[np.broadcast_to(s, shape)]

    def coordinates(self, hidden: np.ndarray, steps=None) -> np.ndarray:
        """Unrounded lattice coordinates (h − b)·A⁺ (lattice only), shape (..., k)."""
        if self.kind != "lattice":
            raise ConfigError(f"coordinates() needs a lattice Encoding; this one is {self.kind!r}.")
        hidden = self._check(hidden)
        return (hidden - self._offsets(hidden.shape[:-1], steps)) @ np.linalg.pinv(self.basis)

    def nearest_centre(self, hidden: np.ndarray) -> np.ndarray:
        """Cluster (index into ``centres``) of each state, shape (...): the cluster of the nearest
        prototype, or the nearest centre when there are no prototypes (non-lattice kinds)."""
        if self.kind == "lattice":
            raise ConfigError("nearest_centre() needs a centre-based Encoding; this one is a lattice.")
        hidden = self._check(hidden)
        ref = self.centres if self.prototypes is None else self.prototypes
        metric = np.eye(self.hidden_dim) if self.metric is None else self.metric
        tree = self._tree
        if tree is None:
            from scipy.spatial import cKDTree
            tree = cKDTree(ref @ metric)
            object.__setattr__(self, "_tree", tree)
        _, idx = tree.query(hidden.reshape(-1, self.hidden_dim) @ metric)
        idx = np.asarray(idx, dtype=np.int64)
        if self.prototypes is not None:
            idx = self.prototype_clusters[idx]
        return idx.reshape(hidden.shape[:-1])

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
        if self.kind == "lattice":
            return np.round(self.coordinates(hidden, steps)).astype(np.int64)
        return self.centre_codes[self.nearest_centre(hidden)]

    def decode(self, codes: np.ndarray, steps=None) -> np.ndarray:
        """Hidden vectors of codes (NaN for a code no centre carries), shape (..., hidden_dim)."""
        codes = np.asarray(codes, dtype=np.int64)
        if codes.shape[-1:] != (self.n_vars,):
            raise ConfigError(f"codes must have shape (..., {self.n_vars}); got {codes.shape}.")
        if self.kind == "lattice":
            return codes @ self.basis + self._offsets(codes.shape[:-1], steps)
        table = {}
        for c, row in zip(map(tuple, self.centre_codes), self.centres):
            table.setdefault(c, row)
        flat = codes.reshape(-1, self.n_vars)
        if any(m for m in self.moduli):
            mod = np.array([m or 0 for m in self.moduli])
            flat = np.where(mod > 0, np.mod(flat, np.where(mod > 0, mod, 1)), flat)
        nan = np.full(self.hidden_dim, np.nan)
        out = np.array([table.get(tuple(r), nan) for r in flat.tolist()], dtype=np.float64)
        return out.reshape(codes.shape[:-1] + (self.hidden_dim,))

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
