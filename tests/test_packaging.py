"""The wheel, installed the ordinary way (not editable), runs ``landuse demo`` from any folder.

Builds the wheel with pip (build dependencies from the package index), installs it with
``--no-deps`` into a new virtual environment whose dependencies come from this test's
environment (a ``.pth`` file; the editable install of this checkout is not imported), and runs
the console script of the new environment in an empty folder.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from test_cli import _env

import landuse

REPO = Path(__file__).resolve().parents[1]
SAMPLE = ("ledger.xlsx", "parcels.gpkg", "parks.gpkg", "rules.toml")

pytestmark = pytest.mark.slow


def _run(args: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    done = subprocess.run(
        args,
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"{args}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The new environment's folder, with the wheel of this checkout installed."""
    base = tmp_path_factory.mktemp("wheel")
    # a copy of the sources, so that the build leaves nothing (build/, *.egg-info) in the checkout
    source = base / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "out")
    for name in ("landuse", "api", "maps", "sample_data"):
        shutil.copytree(REPO / name, source / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    wheels = base / "wheels"
    _run(
        [sys.executable, "-m", "pip", "wheel", str(source), "-w", str(wheels), "--no-deps", "-q"],
        base,
    )
    (wheel,) = wheels.glob("landuse-*.whl")
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], base)
    python = venv / "bin" / "python"
    purelib = _run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], base
    ).stdout.strip()
    here = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (Path(purelib) / "dependencies.pth").write_text("\n".join(sorted(here)) + "\n")
    _run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)], base)
    return venv


def test_the_wheel_holds_the_sample_park_and_the_package_data(installed: Path) -> None:
    (wheel,) = (installed.parent / "wheels").glob("landuse-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    data = f"landuse-{landuse.__version__}.data/data/share/landuse/sample_data"
    assert {f"{data}/{name}" for name in SAMPLE} <= names
    assert {"landuse/default_rules.toml", "landuse/data/gb2260_regions.csv"} <= names
    assert not [n for n in names if n.startswith("sample_data/")]  # no top-level package


def test_demo_runs_from_an_installed_wheel(installed: Path, tmp_path: Path) -> None:
    python = installed / "bin" / "python"
    where = _run(
        [
            str(python),
            "-c",
            "import landuse, landuse.cli as c; print(landuse.__file__); print(c.sample_dir())",
        ],
        tmp_path,
    ).stdout.split()
    # the installed package, and its sample park below the new environment's data folder
    assert Path(where[0]).is_relative_to(installed), where
    assert Path(where[1]) == (installed / "share" / "landuse" / "sample_data").resolve()
    for name in SAMPLE:
        assert (Path(where[1]) / name).is_file()

    script = installed / "bin" / "landuse"
    version = _run([str(script), "--version"], tmp_path).stdout
    assert version == f"landuse {landuse.__version__}\n"

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = _run([str(script), "demo", "--no-serve", "--out-dir", "demo"], elsewhere)
    assert "ledger rows: rows read 300 = analysed 294 + rejected 6" in done.stdout
    for name in ("sample_park.gpkg", "sample_park.xlsx", "sample_park_map.html"):
        assert (elsewhere / "demo" / name).stat().st_size > 0, name
