"""Where the project's files are: the checkout (or installed tree) and its shipped assets.

In a checkout (``pip install -e .`` included) the assets are ``<checkout>/assets``. An installed
package (``pip install .``, a wheel) carries the assets it needs at run time (the model zoo and the
example task files) inside the package, as ``mips/assets`` (``pyproject.toml`` maps the checkout's
``assets/`` folder there).
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent          # the folder holding the ``mips`` package (a checkout or site-packages)
_INSTALLED_ASSETS = PACKAGE_DIR / "assets"
# a checkout has no mips/assets; an installed tree has no ../assets of its own (site-packages may
# hold someone else's top-level "assets" folder, so the package's own copy wins when it exists)
CHECKOUT = not _INSTALLED_ASSETS.is_dir() and (PROJECT_ROOT / "pyproject.toml").is_file()
ASSETS = PROJECT_ROOT / "assets" if CHECKOUT else _INSTALLED_ASSETS
