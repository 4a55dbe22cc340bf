"""The ``landuse`` command line, run as a user runs it: in a subprocess, in a fresh folder.

Every command of one group runs concurrently in a module-scoped fixture (a few at a time), and
the tests read the finished runs, so the whole file stays well under a minute. The runs use the
console script installed next to ``sys.executable`` (``python -m landuse.cli`` is checked
separately). ``COLUMNS`` is set wide so that rich does not wrap the lines the tests read.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from openpyxl import load_workbook

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
PARCELS = SAMPLE / "parcels.gpkg"
LEDGER = SAMPLE / "ledger.xlsx"
PARKS = SAMPLE / "parks.gpkg"
RULES = SAMPLE / "rules.toml"
AS_OF = "2025-12-31"
SAMPLE_ARGS = [
    str(PARCELS),
    "--ledger",
    str(LEDGER),
    "--parks",
    str(PARKS),
    "--rules",
    str(RULES),
    "--as-of",
    AS_OF,
]

# sample_data/README.md: intended status mix as of 2025-12-31, and the accounting
INTENDED = {
    "recovery": 6,
    "idle_fee": 7,
    "gov_delay": 4,
    "late_start": 6,
    "unverified": 8,
    "late_completion": 40,
    "below_threshold": 18,
    "on_track": 87,
    "compliant": 118,
}
STATUS_ZH = {
    "recovery": "拟收回",
    "idle_fee": "闲置满一年",
    "gov_delay": "政府原因闲置",
    "late_start": "逾期未开工",
    "unverified": "待核查",
    "late_completion": "逾期未竣工",
    "below_threshold": "投资强度不达标",
    "on_track": "按期推进",
    "compliant": "已竣工达标",
}
ANALYSED = 294  # 293 parcels with a polygon + 1 ledger row without one
REJECTED = 12  # 6 ledger rows + 6 parcel features
WORKBOOK_SHEETS = [
    "汇总",
    "拟收回",
    "闲置满一年",
    "逾期未开工",
    "待核查",
    "逾期未竣工",
    "投资强度不达标",
    "价款逾期",
]
REJECTS_SHEET = "未分析记录"

ACCOUNTING = re.compile(
    r"^(?P<label>[\w ]+): rows read (?P<read>[\d,]+) = (?:analysed|matched) "
    r"(?P<kept>[\d,]+) \+ rejected (?P<rejected>[\d,]+)",
    re.MULTILINE,
)
TABLE_ROW = re.compile(
    r"^[│|]\s*(?P<zh>\S+) (?P<status>[a-z_]+)\s*[│|]\s*(?P<n>[\d,]+)\s*[│|]", re.M
)
ERROR_PREFIX = "错误 (error):"


# ------------------------------------------------------------------------------ running


def _landuse() -> list[str]:
    """The console script a user types (``landuse``), from the environment of this Python."""
    script = Path(sys.executable).with_name("landuse")
    if script.exists():
        return [str(script)]
    # what the console script does, without the ``__main__`` block of landuse/cli.py
    return [sys.executable, "-c", "from landuse.cli import main; main()"]


def _env() -> dict[str, str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "PYTHONUTF8": "1"}
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "PYTHONWARNINGS"):
        env.pop(name, None)
    return env


def _int(text: str) -> int:
    return int(text.replace(",", ""))


@dataclass
class Run:
    args: list[str]
    cwd: Path
    returncode: int
    stdout: str
    stderr: str
    files_before: frozenset[str]
    files_after: frozenset[str]

    @property
    def message(self) -> str:
        """stderr with its line breaks (rich wraps long lines) folded into spaces."""
        return " ".join(self.stderr.split())


def _files(folder: Path) -> frozenset[str]:
    return frozenset(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _run(command: list[str], cwd: Path) -> Run:
    before = _files(cwd)
    done = subprocess.run(
        command,
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=180,
        check=False,
    )
    return Run(command, cwd, done.returncode, done.stdout, done.stderr, before, _files(cwd))


def _run_all(jobs: dict[str, tuple[list[str], Path]], workers: int = 4) -> dict[str, Run]:
    """Run every ``name: (command, cwd)`` concurrently; the results by name."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {name: pool.submit(_run, cmd, cwd) for name, (cmd, cwd) in jobs.items()}
        return {name: f.result() for name, f in futures.items()}


def _assert_ok(run: Run) -> None:
    assert run.returncode == 0, f"{run.args}\nstdout:\n{run.stdout}\nstderr:\n{run.stderr}"
    assert "Traceback" not in run.stderr


def _assert_user_error(run: Run) -> None:
    """Exit code != 0, one paragraph on stderr starting with the error prefix, no traceback."""
    assert run.returncode != 0, run.stdout
    assert "Traceback" not in run.stderr, run.stderr
    text = run.stderr.strip()
    assert text.startswith(ERROR_PREFIX), run.stderr
    assert text.count(ERROR_PREFIX) == 1, run.stderr
    assert "\n\n" not in text, "the message is more than one paragraph"


# ------------------------------------------------------------------------------ demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Run:
    cwd = tmp_path_factory.mktemp("demo")
    return _run([*_landuse(), "demo", "--no-serve", "--out-dir", "out"], cwd)


def test_demo_exits_0_and_writes_every_format(demo: Run) -> None:
    _assert_ok(demo)
    out = demo.cwd / "out"
    for name in (
        "sample_park.gpkg",
        "sample_park.parquet",
        "sample_park_rejects.parquet",
        "sample_park.csv",
        "sample_park_rejects.csv",
        "sample_park.xlsx",
    ):
        assert (out / name).is_file(), name
        assert (out / name).stat().st_size > 0, name
        assert name in demo.stdout


def test_demo_workbook_has_the_action_lists_and_the_rejects(demo: Run) -> None:
    wb = load_workbook(demo.cwd / "out" / "sample_park.xlsx", read_only=True)
    try:
        names = wb.sheetnames
        for sheet in [*WORKBOOK_SHEETS, REJECTS_SHEET]:
            assert sheet in names
        assert names[: len(WORKBOOK_SHEETS)] == WORKBOOK_SHEETS
        # the rejects sheet: a title row, a header row, one row per reject
        rows = [r for r in wb[REJECTS_SHEET].iter_rows(values_only=True) if any(r)]
        assert len(rows) == 2 + REJECTED
    finally:
        wb.close()


def test_demo_prints_the_accounting(demo: Run) -> None:
    lines = {m["label"]: m for m in ACCOUNTING.finditer(demo.stdout)}
    assert set(lines) == {"ledger rows", "parcel features"}, demo.stdout
    for m in lines.values():
        assert _int(m["read"]) == _int(m["kept"]) + _int(m["rejected"])
    ledger = lines["ledger rows"]
    assert (_int(ledger["read"]), _int(ledger["kept"]), _int(ledger["rejected"])) == (300, 294, 6)
    layer = lines["parcel features"]
    assert (_int(layer["read"]), _int(layer["kept"]), _int(layer["rejected"])) == (299, 293, 6)


def test_demo_prints_a_table_by_status(demo: Run) -> None:
    rows = {m["status"]: m for m in TABLE_ROW.finditer(demo.stdout) if m["status"] != "total"}
    assert set(rows) == set(INTENDED), demo.stdout
    for status, count in INTENDED.items():
        assert rows[status]["zh"] == STATUS_ZH[status]
        assert _int(rows[status]["n"]) == count, status
    total = re.search(r"合计 total\s*[│|]\s*([\d,]+)\s*[│|]", demo.stdout)
    assert total is not None
    assert _int(total.group(1)) == ANALYSED


def test_demo_outputs_read_back(demo: Run) -> None:
    out = demo.cwd / "out"
    csv = pd.read_csv(out / "sample_park.csv", encoding="utf-8-sig")
    assert len(csv) == ANALYSED
    assert csv["status"].value_counts().to_dict() == INTENDED
    assert len(pd.read_csv(out / "sample_park_rejects.csv", encoding="utf-8-sig")) == REJECTED
    parquet = gpd.read_parquet(out / "sample_park.parquet")
    assert len(parquet) == ANALYSED
    assert parquet.crs.to_epsg() == 4529


# ------------------------------------------------------------------------------ analyse


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """``landuse analyse`` on the sample to each output format (each in its own folder)."""
    jobs = {}
    for ext in ("gpkg", "parquet", "csv", "xlsx"):
        cwd = tmp_path_factory.mktemp(f"analyse_{ext}")
        jobs[ext] = ([*_landuse(), "analyse", *SAMPLE_ARGS, "--out", f"result.{ext}"], cwd)
    return _run_all(jobs)


def test_the_table_keeps_confirmed_and_would_apply_money_apart(tmp_path: Path) -> None:
    """As of 2025-06-30. C1, inspected 未开工, due 2024-03-01: one year idle, idle fee
    0.20 × 1000 = 200 and 486 days late (2024-03-01 → 2025-03-01 = 365, + 121):
    1000 × 1‰ × 486 = 486, 686 confirmed. U1, no evidence, due 2025-01-01: 180 days,
    500 × 1‰ × 180 = 90 that would apply. The total row says 686.00 and 90.00, never 776."""
    (tmp_path / "ledger.csv").write_text(
        "宗地编号,土地用途,面积(公顷),成交价格(万元),合同签订日期,约定开工时间,开工状态\n"
        "C1,工业用地,1,1000,2023-09-01,2024-03-01,未开工\n"
        "U1,工业用地,1,500,2024-06-01,2025-01-01,\n",
        encoding="utf-8",
    )
    run = _run(
        [*_landuse(), "analyse", "ledger.csv", "--as-of", "2025-06-30", "--out", "r.csv"],
        tmp_path,
    )
    _assert_ok(run)
    cells = {
        m[1]: [c.strip() for c in m[2].split("│")]
        for m in re.finditer(r"^│ (\S+ \S+)\s*│(.*)│$", run.stdout, re.M)
    }
    assert cells["闲置满一年 idle_fee"] == ["1", "1.00", "686.00", ""]
    assert cells["待核查 unverified"] == ["1", "1.00", "0.00", "90.00"]
    assert cells["合计 total"] == ["2", "2.00", "686.00", "90.00"]
    assert "776" not in run.stdout


@pytest.mark.parametrize("ext", ["gpkg", "parquet", "csv", "xlsx"])
def test_analyse_sample_exits_0_with_accounting(analysed: dict[str, Run], ext: str) -> None:
    run = analysed[ext]
    _assert_ok(run)
    assert f"wrote result.{ext}" in run.stdout
    lines = {m["label"]: m for m in ACCOUNTING.finditer(run.stdout)}
    ledger = lines["ledger rows"]
    assert (_int(ledger["read"]), _int(ledger["kept"]), _int(ledger["rejected"])) == (300, 294, 6)
    assert (run.cwd / "result_load_report.csv").is_file()


def test_analyse_to_gpkg(analysed: dict[str, Run]) -> None:
    path = analysed["gpkg"].cwd / "result.gpkg"
    layers = dict(pyogrio.list_layers(path))
    assert {"parcels", "rejects", "summary", "parks"} <= set(layers)
    parcels = pyogrio.read_dataframe(path, layer="parcels")
    assert len(parcels) == ANALYSED
    assert parcels.crs.to_epsg() == 4529
    counts = parcels["status"].value_counts()  # every status is a category, some with 0 parcels
    assert counts[counts > 0].to_dict() == INTENDED
    assert len(pyogrio.read_dataframe(path, layer="rejects")) == REJECTED
    assert len(pyogrio.read_dataframe(path, layer="parks")) == 3


def test_analyse_to_parquet(analysed: dict[str, Run]) -> None:
    cwd = analysed["parquet"].cwd
    parcels = gpd.read_parquet(cwd / "result.parquet")
    assert len(parcels) == ANALYSED
    assert parcels.crs.to_epsg() == 4529
    counts = parcels["status"].value_counts()  # every status is a category, some with 0 parcels
    assert counts[counts > 0].to_dict() == INTENDED
    assert len(pd.read_parquet(cwd / "result_rejects.parquet")) == REJECTED


def test_analyse_to_csv(analysed: dict[str, Run]) -> None:
    cwd = analysed["csv"].cwd
    parcels = pd.read_csv(cwd / "result.csv", encoding="utf-8-sig")
    assert len(parcels) == ANALYSED
    assert "geometry" not in parcels.columns
    assert parcels["status"].value_counts().to_dict() == INTENDED
    rejects = pd.read_csv(cwd / "result_rejects.csv", encoding="utf-8-sig")
    assert len(rejects) == REJECTED
    assert rejects.columns[0] == "reason"
    assert rejects["reason"].notna().all()


def test_analyse_to_xlsx(analysed: dict[str, Run]) -> None:
    wb = load_workbook(analysed["xlsx"].cwd / "result.xlsx", read_only=True)
    try:
        for sheet in [*WORKBOOK_SHEETS, REJECTS_SHEET]:
            assert sheet in wb.sheetnames
    finally:
        wb.close()


# ------------------------------------------------------------------------------ screen

PROJECTS_CSV = """project_name,investment_wan,area_ha,area_mu,park
达标项目,12000,2,,
不达标项目,3200,1,,
北区项目,12000,2,,经开区北区
按亩计项目,12000,,30,
缺投资项目,,2,,
"""


@pytest.fixture(scope="module")
def screened(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    cwd = tmp_path_factory.mktemp("screen")
    (cwd / "projects.csv").write_text(PROJECTS_CSV, encoding="utf-8")
    cli = [*_landuse(), "screen"]
    jobs = {
        "ha": [*cli, "--investment-wan", "12000", "--area-ha", "2", "--json"],
        # `python -m landuse.cli` (the module has a __main__ guard) for one of the runs
        "mu": [
            sys.executable,
            "-m",
            "landuse.cli",
            "screen",
            "--investment-wan",
            "12000",
            "--area-mu",
            "30",
            "--json",
        ],
        "fail": [*cli, "--investment-wan", "3200", "--area-ha", "1", "--json"],
        "park": [
            *cli,
            "--investment-wan",
            "12000",
            "--area-ha",
            "2",
            "--park",
            "经开区北区",
            "--rules",
            str(RULES),
            "--json",
        ],
        "batch": [*cli, "--batch", "projects.csv", "--out", "verdicts.csv", "--rules", str(RULES)],
        "version": [*_landuse(), "--version"],
    }
    return _run_all({name: (cmd, cwd) for name, cmd in jobs.items()})


def _verdict(run: Run) -> dict:
    _assert_ok(run)
    return json.loads(run.stdout)


@pytest.mark.parametrize("unit", ["ha", "mu"])
def test_screen_passes_12000_wan_on_2_ha(screened: dict[str, Run], unit: str) -> None:
    # 30 亩 = 30 / 15 = 2 ha; 12000 / 2 = 6000 万元/公顷 >= 5000; 12000 / 5000 = 2.4 ha;
    # 5000 * 2 = 10000 万元
    verdict = _verdict(screened[unit])
    assert verdict["passed"] is True
    assert verdict["area_ha"] == pytest.approx(2.0)
    assert verdict["intensity_wan_per_ha"] == pytest.approx(6000.0)
    assert verdict["threshold_wan_per_ha"] == pytest.approx(5000.0)
    assert verdict["max_area_ha"] == pytest.approx(2.4)
    assert verdict["min_investment_wan"] == pytest.approx(10000.0)
    assert verdict["reasons"] == []


def test_screen_fails_3200_wan_on_1_ha(screened: dict[str, Run]) -> None:
    verdict = _verdict(screened["fail"])
    assert verdict["passed"] is False
    assert verdict["intensity_wan_per_ha"] == pytest.approx(3200.0)
    assert len(verdict["reasons"]) == 1
    assert "3200" in verdict["reasons"][0]
    assert "5000" in verdict["reasons"][0]


def test_screen_uses_the_park_threshold_of_the_rules_file(screened: dict[str, Run]) -> None:
    # rules.toml: 经开区北区 = 6000; 12000 / 2 = 6000 passes (on the limit); 12000 / 6000 = 2 ha
    verdict = _verdict(screened["park"])
    assert verdict["threshold_wan_per_ha"] == pytest.approx(6000.0)
    assert verdict["threshold_source"] == "park"
    assert verdict["passed"] is True
    assert verdict["max_area_ha"] == pytest.approx(2.0)
    assert verdict["min_investment_wan"] == pytest.approx(12000.0)


def test_screen_batch_writes_one_verdict_per_row(screened: dict[str, Run]) -> None:
    run = screened["batch"]
    _assert_ok(run)
    verdicts = pd.read_csv(run.cwd / "verdicts.csv", encoding="utf-8-sig")
    projects = pd.read_csv(run.cwd / "projects.csv", encoding="utf-8")
    assert len(verdicts) == len(projects)
    assert verdicts["项目名称"].tolist() == projects["project_name"].tolist()
    by_name = verdicts.set_index("项目名称")
    # 12000 / 2 = 6000 >= 5000; 3200 / 1 = 3200 < 5000; 经开区北区 = 6000 (rules.toml);
    # 30 亩 = 2 ha
    assert by_name.loc["达标项目", "评审结论"] == "通过（部分指标未评审）"
    assert by_name.loc["不达标项目", "评审结论"] == "不通过"
    assert by_name.loc["北区项目", "适用标准(万元/公顷)"] == pytest.approx(6000.0)
    assert by_name.loc["北区项目", "标准来源"] == "园区标准 6000（园区“经开区北区”）"
    assert by_name.loc["按亩计项目", "用地面积(公顷)"] == pytest.approx(2.0)
    assert by_name.loc["按亩计项目", "用地面积(亩)"] == pytest.approx(30.0)
    assert by_name.loc["达标项目", "用地面积(亩)"] == pytest.approx(30.0)  # 2 ha × 15
    assert by_name.loc["缺投资项目", "评审结论"] == "无法评审"
    assert "为空" in by_name.loc["缺投资项目", "数据问题"]
    assert "评审 5 个项目：通过 3（其中部分指标未评审 3），不通过 1，无法评审 1" in run.stdout


def test_version(screened: dict[str, Run]) -> None:
    from importlib.metadata import version

    import landuse

    run = screened["version"]
    _assert_ok(run)
    assert run.stdout == f"landuse {landuse.__version__}\n"
    assert version("landuse") == landuse.__version__  # pyproject takes the package's version


COMMANDS = ["analyse", "runs", "diff", "ranking", "report", "screen", "map", "serve", "demo"]


@pytest.fixture(scope="module")
def helps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    cwd = tmp_path_factory.mktemp("help")
    jobs = {name: ([*_landuse(), name, "--help"], cwd) for name in COMMANDS}
    jobs["landuse"] = ([*_landuse(), "--help"], cwd)
    return _run_all(jobs)


@pytest.mark.parametrize("name", [*COMMANDS, "landuse"])
def test_every_help_ends_with_a_chinese_example(helps: dict[str, Run], name: str) -> None:
    run = helps[name]
    _assert_ok(run)
    lines = [line.strip() for line in run.stdout.splitlines() if line.strip()]
    command = "landuse" if name == "landuse" else f"landuse {name}"
    # the last lines: 示例：<what it does>, then the command line
    assert lines[-2].startswith("示例："), lines[-3:]
    assert lines[-1].startswith(command), lines[-3:]


def test_every_command_has_an_example() -> None:
    from landuse.cli import app

    names = {c.name or c.callback.__name__ for c in app.registered_commands}
    assert names == set(COMMANDS)
    assert all(c.epilog and "示例：" in c.epilog for c in app.registered_commands)


def test_python_m_landuse_cli_works(screened: dict[str, Run]) -> None:
    """``python -m landuse.cli`` runs the same CLI (30 亩 = 2 ha gives the 2 ha verdict)."""
    assert screened["mu"].args[1:3] == ["-m", "landuse.cli"]
    assert _verdict(screened["mu"]) == _verdict(screened["ha"])


def test_python_m_landuse_cli_keeps_stderr_clean(screened: dict[str, Run]) -> None:
    assert screened["mu"].stderr == ""


# ------------------------------------------------------------------------------ mistakes


def _no_crs_shapefile(folder: Path) -> None:
    """A shapefile without its .prj (EPSG:4529 coordinates, field ZDDM = parcel id)."""
    sample = gpd.read_file(PARCELS, max_features=3)
    layer = gpd.GeoDataFrame({"ZDDM": sample["宗地编号"]}, geometry=sample.geometry, crs=sample.crs)
    layer.to_file(folder / "nocrs.shp")
    (folder / "nocrs.prj").unlink()


def _write(name: str, content: str | bytes) -> Callable[[Path], None]:
    def setup(folder: Path) -> None:
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")

    return setup


def _folder_and_small_ledger(folder: Path) -> None:
    """A one-row ledger CSV (quick to analyse) and a folder named like an output file."""
    (folder / "ledger.csv").write_text(
        "宗地编号,土地用途,面积(公顷),成交价格(万元),约定开工时间\nP1,工业用地,1.5,600,2025-06-30\n",
        encoding="utf-8",
    )
    (folder / "folder.csv").mkdir()


ANALYSE = ["analyse", str(PARCELS), "--ledger", str(LEDGER)]
SCREEN = ["screen", "--investment-wan", "12000"]

# name: (arguments, setup of the folder, fragments the message must hold)
MISTAKES: dict[str, tuple[list[str], Callable[[Path], None] | None, list[str]]] = {
    "missing_input": (
        ["analyse", "missing.gpkg", "--out", "r.csv"],
        None,
        ["missing.gpkg", "not found"],
    ),
    "unknown_extension": (
        ["analyse", "notes.docx", "--out", "r.csv"],
        _write("notes.docx", b"PK\x03\x04 not really a document"),
        ["notes.docx", "extension", ".gpkg", ".xlsx"],
    ),
    "no_crs": (
        ["analyse", "nocrs.shp", "--out", "r.csv"],
        _no_crs_shapefile,
        ["nocrs.shp", "coordinate reference system", "--crs"],
    ),
    "bad_as_of": (
        [*ANALYSE, "--as-of", "2025-13-45", "--out", "r.csv"],
        None,
        ["--as-of", "2025-13-45", "YYYY-MM-DD"],
    ),
    "out_txt": (
        [*ANALYSE, "--out", "result.txt"],
        None,
        ["result.txt", ".gpkg", ".csv", ".xlsx"],
    ),
    "rules_bad_toml": (
        [*ANALYSE, "--rules", "bad.toml", "--out", "r.csv"],
        _write("bad.toml", '[intensity\ndefault_min_wan_per_ha = "5000\n'),
        ["bad.toml", "TOML", "line 1"],
    ),
    "rules_negative": (
        [*ANALYSE, "--rules", "negative.toml", "--out", "r.csv"],
        _write("negative.toml", "[intensity]\ndefault_min_wan_per_ha = -5000.0\n"),
        ["negative.toml", "intensity.default_min_wan_per_ha"],
    ),
    "screen_two_areas": (
        [*SCREEN, "--area-ha", "2", "--area-mu", "30"],
        None,
        ["exactly one", "area_ha and area_mu"],
    ),
    "screen_no_area": (
        SCREEN,
        None,
        ["exactly one", "--area-ha", "--area-mu", "--area-m2"],
    ),
    "screen_negative_investment": (
        ["screen", "--investment-wan", "-5", "--area-ha", "2"],
        None,
        ["investment_wan:", "positive"],
    ),
    "screen_area_below_1_m2": (
        ["screen", "--investment-wan", "100", "--area-m2", "0.5"],
        None,
        ["area_m2:", "0.5", "1 m²"],
    ),
    "corrupt_xlsx": (
        ["analyse", "corrupt.xlsx", "--out", "r.csv"],
        _write("corrupt.xlsx", "宗地编号,面积\nA,1\n"),
        ["corrupt.xlsx", "Excel"],
    ),
    "out_folder_missing": (
        [*ANALYSE, "--out", "nowhere/r.csv"],
        None,
        ["nowhere", "does not exist"],
    ),
    # the cases of formerly known bugs
    "demo_out_dir_is_a_file": (
        ["demo", "--no-serve", "--out-dir", "taken"],
        _write("taken", "a file, not a folder\n"),
        ["taken"],
    ),
    "out_is_a_folder": (
        ["analyse", "ledger.csv", "--as-of", AS_OF, "--out", "folder.csv"],
        _folder_and_small_ledger,
        ["folder.csv"],
    ),
}
BUG_CASES = {"demo_out_dir_is_a_file", "out_is_a_folder"}


@pytest.fixture(scope="module")
def mistakes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """Every mistake of MISTAKES, plus the no-CRS layer again with the --crs the message
    suggests (``no_crs_fixed``)."""
    jobs = {}
    for name, (args, setup, _) in MISTAKES.items():
        cwd = tmp_path_factory.mktemp(name)
        if setup is not None:
            setup(cwd)
        jobs[name] = ([*_landuse(), *args], cwd)
    cwd = tmp_path_factory.mktemp("no_crs_fixed")
    _no_crs_shapefile(cwd)
    fixed = ["analyse", "nocrs.shp", "--crs", "EPSG:4529", "--as-of", AS_OF, "--out", "r.csv"]
    jobs["no_crs_fixed"] = ([*_landuse(), *fixed], cwd)
    return _run_all(jobs)


@pytest.mark.parametrize("name", [n for n in MISTAKES if n not in BUG_CASES])
def test_user_mistake_ends_with_one_message_and_no_traceback(
    mistakes: dict[str, Run], name: str
) -> None:
    run = mistakes[name]
    _assert_user_error(run)
    for fragment in MISTAKES[name][2]:
        assert fragment in run.message, f"{fragment!r} not in: {run.message}"
    assert run.files_after == run.files_before, "a refused run wrote files"


def test_no_crs_message_is_right_about_the_fix(mistakes: dict[str, Run]) -> None:
    """The --crs the message suggests makes the same layer load."""
    run = mistakes["no_crs_fixed"]
    _assert_ok(run)
    assert "rows read 3 = analysed 3 + rejected 0" in run.stdout
    assert len(pd.read_csv(run.cwd / "r.csv", encoding="utf-8-sig")) == 3


def test_error_message_keeps_the_toml_hint_in_brackets(mistakes: dict[str, Run]) -> None:
    assert "section headers in [brackets]" in mistakes["rules_bad_toml"].message


def test_demo_out_dir_that_is_a_file_is_a_user_error(mistakes: dict[str, Run]) -> None:
    run = mistakes["demo_out_dir_is_a_file"]
    _assert_user_error(run)
    assert "taken" in run.message


def test_out_that_is_a_folder_is_a_user_error(mistakes: dict[str, Run]) -> None:
    run = mistakes["out_is_a_folder"]
    _assert_user_error(run)
    assert "folder.csv" in run.message
