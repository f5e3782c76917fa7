"""pyproject.toml: every package listed, the pins of requirements.txt, and an installed copy finds its assets."""

import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from mips import paths

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def pins(lines) -> dict[str, str]:
    out = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            name, version = re.split(r"==", line)
            out[name.strip().lower()] = version.strip()
    return out


def test_every_package_of_mips_is_listed():
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "mips").rglob("__init__.py")}
    listed = set(PROJECT["tool"]["setuptools"]["packages"])
    assert found <= listed, f"add {sorted(found - listed)} to [tool.setuptools] packages in pyproject.toml"
    assert listed - found == {"mips.assets"}


def test_dependencies_are_the_pins_of_requirements_txt():
    required = pins((ROOT / "requirements.txt").read_text().splitlines())
    project = PROJECT["project"]
    declared = pins(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        declared.update(pins(extra))
    assert declared == required
    assert PROJECT["project"]["scripts"]["mips"] == "mips.cli.main:main"


def test_checkout_assets():
    assert paths.CHECKOUT and paths.ASSETS == ROOT / "assets"
    assert (paths.ASSETS / "zoo" / "manifest.json").is_file() and list((paths.ASSETS / "tasks").glob("*.py"))


def test_installed_copy_carries_and_finds_its_assets(tmp_path):
    pytest.importorskip("setuptools")
    source = tmp_path / "source"                 # a copy: building in the checkout would leave build/ there
    for name in ("mips", "assets"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "bench"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                            "--wheel-dir", str(tmp_path / "wheel"), str(source)],
                           cwd=tmp_path, capture_output=True, text=True, check=False, timeout=240)
    assert build.returncode == 0, build.stderr[-2000:]
    [wheel] = (tmp_path / "wheel").glob("mips_workbench-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
        [entry_points] = [n for n in zf.namelist() if n.endswith(".dist-info/entry_points.txt")]
        assert "mips = mips.cli.main:main" in zf.read(entry_points).decode()
    shipped = {p.relative_to(ROOT / "assets") for p in (ROOT / "assets" / "zoo").iterdir()} | \
              {p.relative_to(ROOT / "assets") for p in (ROOT / "assets" / "tasks").glob("*.py")}
    assert {p.relative_to(site / "mips" / "assets") for p in (site / "mips" / "assets").rglob("*")
            if p.is_file()} == {p for p in shipped if not p.name.startswith(".")}
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(site)                # the installed copy, not the checkout
    code = ("import mips.paths as p, mips.network.zoo as z; "
            "print(p.CHECKOUT, p.ASSETS, len(z.manifest()), z.load_zoo_model('Parity_All').task)")
    probe = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                           check=False, timeout=120)
    assert probe.returncode == 0, probe.stderr[-2000:]
    assert probe.stdout.split() == ["False", str(site / "mips" / "assets"), "62", "Parity_All"]
