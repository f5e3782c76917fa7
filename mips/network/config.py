"""The RNN's architecture as a frozen, validated config (mips-method.md §3, §5).

``h_t = f([h_{t-1}; x_t])``, ``y_t = g(h_t)``; f and g are MLPs where *depth* is the
number of Linear layers (ReLU between them, none after the last).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from mips.errors import ConfigError, check_choice, check_int

MAX_HIDDEN_DIM = 128
MAX_WIDTH = 256
MAX_DEPTH = 3
ACTIVATIONS = ("relu",)


@dataclass(frozen=True, slots=True, kw_only=True)
class RNNConfig:
    """Architecture of a MIPS RNN.

    Widths are meaningless for depth-1 MLPs; they are normalised to 1 there so that two
    configs that describe the same network compare equal (the paper's "equivalence", §5).
    """

    input_dim: int
    output_dim: int
    hidden_dim: int
    hidden_depth: int = 1
    hidden_width: int = 1
    output_depth: int = 1
    output_width: int = 1
    activation: Literal["relu"] = "relu"

    def __post_init__(self) -> None:
        owner = "RNNConfig"
        check_int(owner, "input_dim", self.input_dim, 1, 64)
        check_int(owner, "output_dim", self.output_dim, 1, 64)
        check_int(owner, "hidden_dim", self.hidden_dim, 1, MAX_HIDDEN_DIM)
        check_int(owner, "hidden_depth", self.hidden_depth, 1, MAX_DEPTH)
        check_int(owner, "hidden_width", self.hidden_width, 1, MAX_WIDTH)
        check_int(owner, "output_depth", self.output_depth, 1, MAX_DEPTH)
        check_int(owner, "output_width", self.output_width, 1, MAX_WIDTH)
        check_choice(owner, "activation", self.activation, ACTIVATIONS)
        if self.hidden_depth == 1:
            object.__setattr__(self, "hidden_width", 1)
        if self.output_depth == 1:
            object.__setattr__(self, "output_width", 1)

    # -- shapes --------------------------------------------------------------------
    def f_shapes(self) -> list[tuple[int, int]]:
        """(out, in) of each Linear layer of f."""
        return _mlp_shapes(self.hidden_dim + self.input_dim, self.hidden_dim,
                           self.hidden_width, self.hidden_depth)

    def g_shapes(self) -> list[tuple[int, int]]:
        """(out, in) of each Linear layer of g."""
        return _mlp_shapes(self.hidden_dim, self.output_dim, self.output_width, self.output_depth)

    @property
    def n_parameters(self) -> int:
        return sum(o * i + o for o, i in self.f_shapes() + self.g_shapes())

    @property
    def is_linear(self) -> bool:
        """True when f and g are single affine maps (the whole RNN is linear)."""
        return self.hidden_depth == 1 and self.output_depth == 1

    def describe(self) -> str:
        """Short human form, e.g. ``H=2, f 2/4, g 1/-``."""
        fw = str(self.hidden_width) if self.hidden_depth > 1 else "-"
        gw = str(self.output_width) if self.output_depth > 1 else "-"
        return f"H={self.hidden_dim}, f {self.hidden_depth}/{fw}, g {self.output_depth}/{gw}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RNNConfig":
        if not isinstance(data, dict):
            raise ConfigError(f"An RNN config must be a dict. Got {type(data).__name__} instead.")
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"Unknown RNNConfig field(s) {unknown}; allowed: {sorted(known)}.")
        return cls(**data)


def _mlp_shapes(n_in: int, n_out: int, width: int, depth: int) -> list[tuple[int, int]]:
    if depth == 1:
        return [(n_out, n_in)]
    return [(width, n_in)] + [(width, width)] * (depth - 2) + [(n_out, width)]
