"""One error hierarchy for the whole core.

Every class also inherits a built-in so callers can catch ``ValueError`` etc.
Messages name the parameter, what is allowed and what was received, and suggest
close matches for unknown names.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class MipsError(Exception):
    """Base class of every error raised on purpose by ``mips``."""


class ConfigError(MipsError, ValueError):
    """An invalid parameter value (hyperparameter, option, size)."""


class UnknownTaskError(MipsError, KeyError):
    """A task name that is neither built in nor loaded from a file."""

    def __str__(self) -> str:  # KeyError quotes its message; we want plain text
        return str(self.args[0]) if self.args else ""


class TaskFileError(MipsError, ValueError):
    """A custom task file that breaks the task-file contract."""


class CheckpointError(MipsError, ValueError):
    """A checkpoint file that cannot be read or does not hold a valid network."""


def did_you_mean(name: str, choices: Iterable[str], n: int = 3) -> str:
    """Return ``" Did you mean 'X'?"`` (or ``" Did you mean one of 'X', 'Y'?"``), or ``""``."""
    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    matches = difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.6)
    # substring matches help for prefixes such as 'Sum_Last' or 'parity'
    for c in choices:
        if name.lower() in c.lower() and c.lower() not in matches:
            matches.append(c.lower())
    matches = [lowered[m] for m in matches][:n]
    if not matches:
        return ""
    if len(matches) == 1:
        return f" Did you mean '{matches[0]}'?"
    return " Did you mean one of " + ", ".join(f"'{m}'" for m in matches) + "?"


def check_int(owner: str, name: str, value: object, low: int, high: int | None = None) -> int:
    """Validate an integer parameter in ``[low, high]`` with the project's error template."""
    upper = "inf" if high is None else str(high)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(
            f"The '{name}' parameter of {owner} must be an int in [{low}, {upper}]. "
            f"Got {value!r} of type {type(value).__name__} instead."
        )
    if value < low or (high is not None and value > high):
        raise ConfigError(
            f"The '{name}' parameter of {owner} must be an int in [{low}, {upper}]. Got {value!r} instead."
        )
    return value


def check_float(owner: str, name: str, value: object, low: float, high: float,
                low_open: bool = False) -> float:
    """Validate a float parameter in ``[low, high]`` (or ``(low, high]``)."""
    bracket = "(" if low_open else "["
    ok_type = isinstance(value, (int, float)) and not isinstance(value, bool)
    if ok_type:
        v = float(value)  # type: ignore[arg-type]
        ok = (v > low if low_open else v >= low) and v <= high
        if ok:
            return v
    raise ConfigError(
        f"The '{name}' parameter of {owner} must be a float in {bracket}{low}, {high}]. Got {value!r} instead."
    )


def check_choice(owner: str, name: str, value: object, choices: Iterable[str]) -> str:
    """Validate a string option against its allowed values."""
    choices = list(choices)
    if not isinstance(value, str) or value not in choices:
        hint = did_you_mean(value, choices) if isinstance(value, str) else ""
        allowed = ", ".join(repr(c) for c in choices)
        raise ConfigError(
            f"The '{name}' parameter of {owner} must be one of {allowed}. Got {value!r} instead.{hint}"
        )
    return value


class SandboxError(MipsError, RuntimeError):
    """Work run in a sandboxed child process (:mod:`mips.sandbox`) that hit a limit, crashed or raised.

    Attributes
    ----------
    kind : {"timeout", "cpu", "memory", "recursion", "blocked", "crashed", "raised", "isolation", "cancelled"}
        Which limit fired, or how the child ended.
    details : str
        More than the one-line message, for ``--verbose`` or an expander (may be empty).
    """

    def __init__(self, message: str, kind: str = "crashed", details: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.details = details
