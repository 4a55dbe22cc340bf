"""What the command line imports: a command loads only what it uses.

``landuse --help``, ``landuse analyse --help`` and ``landuse --version`` need neither the data
stack (numpy, pandas, pyarrow, geopandas, shapely, pyogrio, pyproj) nor the service (fastapi,
uvicorn); one single-project ``landuse screen`` needs none of them either. Each case runs in a
fresh interpreter (all at once, in a module-scoped fixture), which reports the modules it holds
after the command. A test of what is imported, not of time (benchmarks/bench_startup.py times
the start-up).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from test_cli import Run, _run_all

RULES = Path(__file__).resolve().parents[1] / "sample_data" / "rules.toml"
DATA_STACK = ("numpy", "pandas", "pyarrow", "geopandas", "shapely", "pyogrio", "pyproj")
HEAVY = (*DATA_STACK, "fastapi", "starlette", "uvicorn")
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
SCREEN = "screen --investment-wan 12000 --area-mu 30 --park 经开区北区 --building-coverage 35%"
CASES: dict[str, list[str]] = {
    "help": ["--help"],
    "analyse-help": ["analyse", "--help"],
    "screen-help": ["screen", "--help"],
    "version": ["--version"],
    "screen": [*SCREEN.split(), "--rules", str(RULES)],
    "analyse": ["analyse", "missing.csv", "--out", "out.csv"],
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    jobs = {}
    for name, args in CASES.items():
        command = [sys.executable, "-c", CODE, json.dumps(args), json.dumps(HEAVY)]
        jobs[name] = (command, tmp_path_factory.mktemp(name))
    return _run_all(jobs)


def _outcome(run: Run) -> tuple[int, list[str]]:
    """The command's exit code and the heavy modules it imported."""
    assert run.returncode == 0, run.stderr
    lines = dict(line.split(" ", 1) for line in run.stderr.splitlines() if " " in line)
    return json.loads(lines["EXIT"]) or 0, json.loads(lines["LOADED"])


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("help", "Land-use efficiency analyser"),
        ("analyse-help", "Analyse parcels and ledgers"),
        ("screen-help", "Screen a proposed project"),
        ("version", "landuse "),
    ],
)
def test_help_and_version_import_no_heavy_module(
    runs: dict[str, Run], name: str, shown: str
) -> None:
    assert _outcome(runs[name]) == (0, [])
    assert shown in runs[name].stdout


def test_one_project_is_screened_without_the_data_stack(runs: dict[str, Run]) -> None:
    assert _outcome(runs["screen"]) == (0, [])
    out = runs["screen"].stdout
    assert "评审结论：通过" in out and "标准来源：园区标准 6000（园区“经开区北区”）" in out


def test_the_commands_that_need_pandas_still_find_it(runs: dict[str, Run]) -> None:
    """A failing analysis loads the analysis modules and reports the user's mistake as before
    (the lazy imports do not turn it into a bug)."""
    code, loaded = _outcome(runs["analyse"])
    assert code == 2 and "pandas" in loaded
    assert "missing.csv" in runs["analyse"].stderr and "Traceback" not in runs["analyse"].stderr
    assert runs["analyse"].files_after == runs["analyse"].files_before
