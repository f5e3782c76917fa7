"""Where the project's files are: the checkout (or installed tree) and its shipped assets."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent
ASSETS = PROJECT_ROOT / "assets"
