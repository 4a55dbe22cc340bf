"""What the command line imports: a command loads only what it uses.

``landuse --help``, ``landuse analyse --help`` and ``landuse --version`` need neither the data
stack (numpy, pandas, pyarrow, geopandas, shapely, pyogrio, pyproj) nor the service (fastapi,
uvicorn); one single-project ``landuse screen`` needs none of them either. Each case runs in a
fresh interpreter, which reports the modules it holds after the command. A test of what is
imported, not of time (benchmarks/bench_startup.py times the start-up).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_cli import _env

RULES = Path(__file__).resolve().parents[1] / "sample_data" / "rules.toml"
HEAVY = (
    "numpy",
    "pandas",
    "pyarrow",
    "geopandas",
    "shapely",
    "pyogrio",
    "pyproj",
    "fastapi",
    "starlette",
    "uvicorn",
    "openpyxl",
    "xlsxwriter",
)
# Runs the CLI as the console script does, then names the modules of HEAVY it holds.
CODE = """
import json, sys
args, heavy = json.loads(sys.argv[1]), json.loads(sys.argv[2])
sys.argv = ["landuse", *args]
from landuse.cli import app
try:
    app()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
loaded = sorted({name.split(".")[0] for name in sys.modules} & set(heavy))
sys.stderr.write("EXIT " + json.dumps(code) + "\\nLOADED " + json.dumps(loaded) + "\\n")
"""


def _run(args: list[str], cwd: Path | None = None) -> tuple[int, list[str], str]:
    done = subprocess.run(
        [sys.executable, "-c", CODE, json.dumps(args), json.dumps(HEAVY)],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(" ", 1) for line in done.stderr.splitlines() if " " in line)
    return json.loads(lines["EXIT"]) or 0, json.loads(lines["LOADED"]), done.stdout


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["--help"], "Land-use efficiency analyser"),
        (["analyse", "--help"], "Analyse parcels and ledgers"),
        (["screen", "--help"], "Screen a proposed project"),
        (["--version"], "landuse "),
    ],
    ids=["help", "analyse-help", "screen-help", "version"],
)
def test_help_and_version_import_no_heavy_module(args: list[str], shown: str) -> None:
    code, loaded, out = _run(args)
    assert code == 0
    assert shown in out
    assert loaded == []


def test_one_project_is_screened_without_the_data_stack() -> None:
    args = ["screen", "--investment-wan", "12000", "--area-mu", "30", "--park", "经开区北区"]
    code, loaded, out = _run([*args, "--building-coverage", "35%", "--rules", str(RULES)])
    assert code == 0
    assert "评审结论：通过" in out and "标准来源：园区标准 6000（园区“经开区北区”）" in out
    assert loaded == []


def test_the_commands_that_need_pandas_still_find_it(tmp_path: Path) -> None:
    """A failing analysis loads the analysis modules and reports the user's mistake as before
    (the lazy imports do not turn it into a bug)."""
    code, loaded, _ = _run(["analyse", "missing.csv", "--out", "out.csv"], cwd=tmp_path)
    assert code == 2
    assert "pandas" in loaded
    assert sorted(p.name for p in tmp_path.iterdir()) == []
