"""Encoding stage: the geometry shared by centre-based kinds (mips-method.md §8.5).

A centre-based encoding (modular, boolean, cluster, ...) holds m cluster centres, the code of
each, and optionally member prototypes and a whitening metric: a state's code is the code of the
cluster of its nearest prototype (or nearest centre). Kinds that code the clusters differently
subclass :class:`CentreKind` and add their own code bits, update rule and finder.
"""

from __future__ import annotations

import numpy as np

from mips.encodings.base import Encoding, readonly
from mips.encodings.data import StateData
from mips.encodings.kind import EncodingKind
from mips.errors import ConfigError


class CentreKind(EncodingKind):
    """Codes by nearest centre (or prototype); decodes a code to the first centre carrying it."""

    def validate(self, enc: Encoding) -> None:
        if enc.centres is None or enc.centre_codes is None:
            raise ConfigError(f"A {enc.kind} Encoding needs 'centres' and 'centre_codes'.")
        set_ = object.__setattr__
        set_(enc, "centres", readonly(enc.centres, np.float64))
        set_(enc, "centre_codes", readonly(enc.centre_codes, np.int64))
        set_(enc, "prototypes", readonly(enc.prototypes, np.float64))
        set_(enc, "prototype_clusters", readonly(enc.prototype_clusters, np.int64))
        set_(enc, "metric", readonly(enc.metric, np.float64))
        if (enc.prototypes is None) != (enc.prototype_clusters is None):
            raise ConfigError("An Encoding needs both 'prototypes' and 'prototype_clusters', or neither.")
        if (enc.centres.ndim != 2 or enc.centres.shape[1] != enc.hidden_dim
                or enc.centre_codes.shape != (enc.centres.shape[0], enc.n_vars)):
            raise ConfigError(f"Centres must be (m, {enc.hidden_dim}) and centre codes (m, {enc.n_vars}); "
                              f"got {enc.centres.shape} and {enc.centre_codes.shape}.")

    def nearest_centre(self, enc: Encoding, hidden: np.ndarray) -> np.ndarray:
        ref = enc.centres if enc.prototypes is None else enc.prototypes
        metric = np.eye(enc.hidden_dim) if enc.metric is None else enc.metric
        tree = enc._tree
        if tree is None:
            # deferred: scipy takes about a second to import, and only fits need it
            from scipy.spatial import cKDTree
            tree = cKDTree(ref @ metric)
            object.__setattr__(enc, "_tree", tree)
        _, idx = tree.query(hidden.reshape(-1, enc.hidden_dim) @ metric)
        idx = np.asarray(idx, dtype=np.int64)
        if enc.prototypes is not None:
            idx = enc.prototype_clusters[idx]
        return idx.reshape(hidden.shape[:-1])

    def encode(self, enc: Encoding, hidden: np.ndarray, steps) -> np.ndarray:
        return enc.centre_codes[self.nearest_centre(enc, hidden)]

    def decode(self, enc: Encoding, codes: np.ndarray, steps) -> np.ndarray:
        table = {}
        for c, row in zip(map(tuple, enc.centre_codes), enc.centres):
            table.setdefault(c, row)
        flat = codes.reshape(-1, enc.n_vars)
        if any(m for m in enc.moduli):
            mod = np.array([m or 0 for m in enc.moduli])
            flat = np.where(mod > 0, np.mod(flat, np.where(mod > 0, mod, 1)), flat)
        nan = np.full(enc.hidden_dim, np.nan)
        out = np.array([table.get(tuple(r), nan) for r in flat.tolist()], dtype=np.float64)
        return out.reshape(codes.shape[:-1] + (enc.hidden_dim,))

    def codes_and_residuals(self, enc: Encoding, data: StateData, assignment: np.ndarray | None
                            ) -> tuple[np.ndarray, np.ndarray]:
        # one nearest-prototype search for both
        cluster = enc.nearest_centre(data.points) if assignment is None else assignment
        return enc.centre_codes[cluster][data.index], data.points - enc.centres[cluster]

    def parameters(self, enc: Encoding) -> tuple[np.ndarray | None, ...]:
        return (enc.centres,)

    def project(self, enc: Encoding, hidden: np.ndarray, steps: np.ndarray, codes: np.ndarray,
                mean: np.ndarray, components: np.ndarray) -> dict[str, np.ndarray | None]:
        return {"cluster": enc.nearest_centre(hidden), "centres": (enc.centres - mean) @ components.T}
