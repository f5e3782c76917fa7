"""Suite-wide settings: property tests draw the same examples on every run and every machine
(a failing example found once is reported in an issue, not left to chance in CI)."""

from hypothesis import settings

settings.register_profile("deterministic", derandomize=True)
settings.load_profile("deterministic")
