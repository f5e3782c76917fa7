"""Hidden-state views for the app: 2-D / 3-D PCA of every hidden state (mips-method.md §8.1, §8.2).

Each point of the projection carries its sequence, step, the network's output and the task's
label, and (when an encoding is given) its code, cluster and unrounded lattice coordinates; the
lattice basis and offset are projected into the same axes so a figure can draw them as arrows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mips.encodings.base import Encoding
from mips.errors import ConfigError, check_int
from mips.network.trace import HiddenTrace


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)   # arrays inside: identity equality
class Projection:
    """Hidden states in principal-component axes, one row per (sequence, step).

    Attributes
    ----------
    coords : float64 array of shape (n_points, n_components)
    sequence : int64 array of shape (n_points,)
    step : int64 array of shape (n_points,)
        Position in ``trace.hidden``: 0 is the initial state h_{-1}, s is the state after input s-1.
    output : float64 array of shape (n_points, output_dim)
        The network's rounded output at that state (NaN at step 0, where there is none).
    label : float64 array of shape (n_points, output_dim)
        The task's label (NaN at step 0).
    codes : int64 array of shape (n_points, k) or None
        The encoding's code of each state.
    cluster : int64 array of shape (n_points,)
        Nearest centre (centre-based encodings) or index of the distinct code (lattices); -1
        without an encoding.
    lattice : float64 array of shape (n_points, k) or None
        Unrounded lattice coordinates (lattice encodings).
    components : float64 array of shape (n_components, hidden_dim)
    mean : float64 array of shape (hidden_dim,)
    explained_variance_ratio : float64 array of shape (n_components,)
    basis : float64 array of shape (k, n_components) or None
        Lattice basis vectors as directions in the projection.
    offset : float64 array of shape (n_components,) or None
        Lattice offset b as a point in the projection.
    centres : float64 array of shape (m, n_components) or None
        Cluster centres (centre-based encodings) as points in the projection.
    """

    coords: np.ndarray
    sequence: np.ndarray
    step: np.ndarray
    output: np.ndarray
    label: np.ndarray
    codes: np.ndarray | None
    cluster: np.ndarray
    lattice: np.ndarray | None
    components: np.ndarray
    mean: np.ndarray
    explained_variance_ratio: np.ndarray
    basis: np.ndarray | None
    offset: np.ndarray | None
    centres: np.ndarray | None

    def __post_init__(self) -> None:
        for name in self.__slots__:
            a = getattr(self, name)
            if isinstance(a, np.ndarray):
                a.flags.writeable = False

    @property
    def n_points(self) -> int:
        return int(self.coords.shape[0])

    @property
    def n_components(self) -> int:
        return int(self.coords.shape[1])

    def columns(self) -> dict[str, np.ndarray]:
        """Flat, equally long columns (``pc1``, ``pc2``, ..., ``sequence``, ``step``, ``output``,
        ``label``, ``cluster``, ``z0``, ..., ``lattice_z0``, ...) for a data frame or a plot."""
        cols: dict[str, np.ndarray] = {f"pc{i + 1}": self.coords[:, i] for i in range(self.n_components)}
        cols.update(sequence=self.sequence, step=self.step, cluster=self.cluster)
        for name, arr in (("output", self.output), ("label", self.label)):
            for j in range(arr.shape[1]):
                cols[name if arr.shape[1] == 1 else f"{name}{j}"] = arr[:, j]
        if self.codes is not None:
            for j in range(self.codes.shape[1]):
                cols[f"z{j}"] = self.codes[:, j]
        if self.lattice is not None:
            for j in range(self.lattice.shape[1]):
                cols[f"lattice_z{j}"] = self.lattice[:, j]
        return cols


def _pca(points: np.ndarray, n_components: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, components (d, H) and explained variance ratio; components padded with zeros when H < d."""
    mean = points.mean(axis=0)
    centred = points - mean
    evals, evecs = np.linalg.eigh(centred.T @ centred / max(points.shape[0], 1))
    order = np.argsort(evals)[::-1]
    evals, evecs = np.maximum(evals[order], 0.0), evecs[:, order]
    d = min(n_components, points.shape[1])
    comps = evecs[:, :d].T
    # a deterministic sign: the largest-magnitude entry of each component is positive
    signs = np.sign(comps[np.arange(d), np.argmax(np.abs(comps), axis=1)])
    comps = comps * np.where(signs == 0, 1.0, signs)[:, None]
    total = evals.sum()
    ratio = evals[:d] / total if total > 0 else np.zeros(d)
    if d < n_components:
        comps = np.vstack([comps, np.zeros((n_components - d, points.shape[1]))])
        ratio = np.concatenate([ratio, np.zeros(n_components - d)])
    return mean, comps, ratio


def project(trace: HiddenTrace, encoding: Encoding | None = None, *, n_components: int = 2,
            max_sequences: int | None = None, include_initial: bool = True, seed: int = 0) -> Projection:
    """PCA projection of a trace's hidden states with everything a plot needs attached.

    Parameters
    ----------
    trace : HiddenTrace
    encoding : Encoding, optional
        Adds codes, clusters, lattice coordinates and the projected basis / centres.
    n_components : {2, 3}
    max_sequences : int, optional
        Keep a seeded random subset of whole sequences (for large traces).
    include_initial : bool
        Keep the initial state h_{-1} = 0 of each sequence (step 0).
    seed : int
    """
    if not isinstance(trace, HiddenTrace):
        raise ConfigError(f"The 'trace' parameter of project must be a HiddenTrace. Got {type(trace).__name__} instead.")
    check_int("project", "n_components", n_components, 2, 3)
    if encoding is not None and encoding.hidden_dim != trace.hidden_dim:
        raise ConfigError(f"The encoding is for hidden_dim {encoding.hidden_dim}; the trace has {trace.hidden_dim}.")
    seqs = np.arange(trace.n_sequences)
    if max_sequences is not None:
        check_int("project", "max_sequences", max_sequences, 1)
        if max_sequences < trace.n_sequences:
            seqs = np.sort(np.random.default_rng(seed).choice(trace.n_sequences, max_sequences, replace=False))
    first = 0 if include_initial else 1
    hidden = trace.hidden[seqs, first:]                           # (n, S, H)
    n, s, h_dim = hidden.shape
    steps = np.broadcast_to(np.arange(first, first + s), (n, s))
    flat = hidden.reshape(-1, h_dim)
    mean, comps, ratio = _pca(flat, n_components)
    coords = (flat - mean) @ comps.T
    o_dim = trace.y.shape[2]
    nan = np.full((n, 1, o_dim), np.nan)
    pred = trace.predictions()[seqs].astype(np.float64)
    lab = trace.y[seqs].astype(np.float64)
    output = (np.concatenate([nan, pred], axis=1) if include_initial else pred).reshape(-1, o_dim)
    label = (np.concatenate([nan, lab], axis=1) if include_initial else lab).reshape(-1, o_dim)
    codes = lattice = basis = offset = centres = None
    cluster = np.full(flat.shape[0], -1, dtype=np.int64)
    if encoding is not None:
        step_flat = steps.reshape(-1)
        codes = encoding.encode(flat, steps=step_flat)
        shown = encoding.kind_type.project(encoding, flat, step_flat, codes, mean, comps)
        cluster = shown["cluster"]
        lattice, basis, offset, centres = (shown.get(k) for k in ("lattice", "basis", "offset", "centres"))
    return Projection(coords=coords, sequence=np.repeat(seqs, s).astype(np.int64), step=steps.reshape(-1).astype(np.int64),
                      output=output, label=label, codes=codes, cluster=cluster, lattice=lattice, components=comps,
                      mean=mean, explained_variance_ratio=ratio, basis=basis, offset=offset, centres=centres)
