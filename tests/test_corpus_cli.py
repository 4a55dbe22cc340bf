"""A corpus of command-line mistakes: each ends with exit code 2 (3 when nothing could be
analysed), one paragraph naming the offending file, option or value, no traceback, and no file
written or changed.

The cases run in-process through Typer's CliRunner (fast); a few run again from the console
script to show that the error mechanism behaves the same there. Expected messages are written
by hand from the case, never taken from the code under test.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from test_cli import _env, _landuse
from typer.testing import CliRunner

from landuse import cli

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
ERROR_PREFIX = "错误 (error):"
BUG_LINE = "这是 landuse 的缺陷，请报告 (this is a bug in landuse"

LEDGER_CSV = (
    "宗地编号,土地用途,面积(公顷),成交价格(万元),约定开工时间\n"
    "P1,工业用地,1.5,600,2025-06-30\n"
    "P2,工业用地,2,800,2024-03-01\n"
)
# two rows, neither industrial land: nothing can be analysed
NOT_INDUSTRIAL_CSV = (
    "宗地编号,土地用途,面积(公顷),成交价格(万元),约定开工时间\n"
    "P1,住宅用地,1.5,600,2025-06-30\n"
    "P2,商业用地,1,100,2025-01-01\n"
)
PROJECTS_CSV = "项目名称,固定资产总投资(万元),用地面积(公顷)\n甲,12000,2\n"
# screening tables a committee may send
PROJECTS_NO_INVESTMENT = "序号,项目名称,用地面积(亩),备注\n1,甲,30,\n"
PROJECTS_NO_AREA = "序号,项目名称,投资(万元)\n1,甲,12000\n"
PROJECTS_HEADER_ONLY = "入园项目评审表\n序号,项目名称,投资(万元),面积(亩)\n"
PROJECTS_ONLY_TOTAL = "序号,项目名称,投资(万元),面积(亩)\n合计,,36000,90\n"
# row 3: text in the investment cell; row 2 screens (12000 / 2 = 6000)
PROJECTS_TEXT_IN_NUMBER = "序号,项目名称,投资(万元),面积(亩)\n1,甲,12000,30\n2,乙,一万二,30\n"
PROJECTS_ALL_UNUSABLE = "项目名称,投资(万元),面积(亩)\n甲,待定,30\n乙,12000,\n"


# ------------------------------------------------------------------------------ set-ups


def _file(name: str, content: str | bytes = LEDGER_CSV) -> Callable[[Path], None]:
    def setup(folder: Path) -> None:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")

    return setup


def _all(*setups: Callable[[Path], None]) -> Callable[[Path], None]:
    def setup(folder: Path) -> None:
        for s in setups:
            s(folder)

    return setup


def _symlink(name: str, target: str) -> Callable[[Path], None]:
    return lambda folder: (folder / name).symlink_to(folder / target)


def _hardlink(name: str, target: str) -> Callable[[Path], None]:
    return lambda folder: os.link(folder / target, folder / name)


def _folder(name: str) -> Callable[[Path], None]:
    return lambda folder: (folder / name).mkdir(parents=True)


def _gpkg_without_parcels(folder: Path) -> None:
    roads = gpd.GeoDataFrame(
        {"name": ["一号路"]}, geometry=[shapely.LineString([(0, 0), (1, 1)])], crs=4326
    )
    roads.to_file(folder / "roads.gpkg", layer="roads")


def _parquet_plain(folder: Path) -> None:
    pd.DataFrame({"a": [1], "b": ["x"]}).to_parquet(folder / "table.parquet")


# ------------------------------------------------------------------------------ the corpus


@dataclass(frozen=True)
class Case:
    """One mistake: the arguments (``{ro}``: a folder that cannot be written, ``{busy}``: a
    port in use, ``{results}``: a results GeoPackage of the sample park), the set-up of the
    working folder, the exit code and the fragments the message must hold."""

    args: list[str]
    fragments: list[str]
    setup: Callable[[Path], None] | None = None
    exit_code: int = 2  # 0: the run goes on; the fragments are then in its report (stdout)
    writes: list[str] = field(default_factory=list)  # files the run must leave behind


ANALYSE = ["analyse", "ledger.csv", "--as-of", "2025-12-31"]
LONG_NAME = "很长的文件名" * 50 + ".csv"  # 300 characters, 850 bytes in UTF-8

CASES: dict[str, Case] = {
    # --- analyse: dates
    "as_of_year_1": Case(
        ["analyse", "ledger.csv", "--as-of", "0001-01-01", "--out", "r.csv"],
        ["--as-of 0001-01-01", "1949-01-01", "2100-12-31"],
        _file("ledger.csv"),
    ),
    "as_of_1948": Case(
        ["analyse", "ledger.csv", "--as-of", "1948-12-31", "--out", "r.csv"],
        ["--as-of 1948-12-31", "1949-01-01"],
        _file("ledger.csv"),
    ),
    "as_of_2101": Case(
        ["analyse", "ledger.csv", "--as-of", "2101-01-01", "--out", "r.csv"],
        ["--as-of 2101-01-01", "2100-12-31"],
        _file("ledger.csv"),
    ),
    "as_of_words": Case(
        ["analyse", "ledger.csv", "--as-of", "last year", "--out", "r.csv"],
        ["'last year'", "YYYY-MM-DD"],
        _file("ledger.csv"),
    ),
    # --- analyse: an output that is an input
    "out_is_the_input": Case(
        [*ANALYSE, "--out", "ledger.csv", "--overwrite"],
        ["--out ledger.csv", "input INPUT ledger.csv"],
        _file("ledger.csv"),
    ),
    "out_is_the_ledger_option": Case(
        ["analyse", "layer.gpkg", "--ledger", "book.xlsx", "--out", "book.xlsx", "--overwrite"],
        ["--out book.xlsx", "input --ledger book.xlsx"],
        _all(_file("layer.gpkg", b"not read"), _file("book.xlsx", b"not read")),
    ),
    "out_is_the_parks_option": Case(
        [*ANALYSE, "--parks", "parks.gpkg", "--out", "parks.gpkg", "--overwrite"],
        ["--out parks.gpkg", "input --parks parks.gpkg"],
        _all(_file("ledger.csv"), _file("parks.gpkg", b"not read")),
    ),
    "out_is_a_symlink_to_the_input": Case(
        [*ANALYSE, "--out", "link.csv", "--overwrite"],
        ["--out link.csv", "input INPUT ledger.csv"],
        _all(_file("ledger.csv"), _symlink("link.csv", "ledger.csv")),
    ),
    "out_is_a_hard_link_to_the_input": Case(
        [*ANALYSE, "--out", "hard.csv", "--overwrite"],
        ["--out hard.csv", "input INPUT ledger.csv"],
        _all(_file("ledger.csv"), _hardlink("hard.csv", "ledger.csv")),
    ),
    "out_reaches_the_input_through_dotdot": Case(
        [*ANALYSE, "--out", "sub/../ledger.csv", "--overwrite"],
        ["--out sub/../ledger.csv", "input INPUT ledger.csv"],
        _all(_file("ledger.csv"), _folder("sub")),
    ),
    "rejects_file_would_be_the_input": Case(
        ["analyse", "r_rejects.csv", "--as-of", "2025-12-31", "--out", "r.csv", "--overwrite"],
        ["r_rejects.csv (written beside --out r.csv)", "input INPUT r_rejects.csv"],
        _file("r_rejects.csv"),
    ),
    # --- analyse: existing outputs
    "out_exists": Case(
        [*ANALYSE, "--out", "r.csv"],
        ["--out r.csv is already there", "--overwrite"],
        _all(_file("ledger.csv"), _file("r.csv", "earlier results\n")),
    ),
    "load_report_exists": Case(
        [*ANALYSE, "--out", "r.gpkg"],
        ["r_load_report.csv (written beside --out r.gpkg) is already there", "--overwrite"],
        _all(_file("ledger.csv"), _file("r_load_report.csv", "earlier report\n")),
    ),
    "out_and_rejects_exist": Case(
        [*ANALYSE, "--out", "r.parquet"],
        ["--out r.parquet is already there", "and 1 more file", "--overwrite"],
        _all(_file("ledger.csv"), _file("r.parquet", b"PAR1"), _file("r_rejects.parquet", b"x")),
    ),
    "rejects_name_is_a_folder": Case(
        [*ANALYSE, "--out", "r.csv"],
        ["r_rejects.csv (written beside --out r.csv) is an existing folder"],
        _all(_file("ledger.csv"), _folder("r_rejects.csv")),
    ),
    # --- analyse: where the output cannot go
    "out_in_a_folder_that_cannot_be_written": Case(
        [*ANALYSE, "--out", "{ro}/r.csv"],
        ["cannot write", "--out {ro}/r.csv", "folder {ro}"],
        _file("ledger.csv"),
    ),
    "out_name_too_long": Case(
        [*ANALYSE, "--out", LONG_NAME],
        ["File name too long", "shorter"],
        _file("ledger.csv"),
    ),
    "out_below_a_file": Case(
        [*ANALYSE, "--out", "notes.txt/r.csv"],
        ["notes.txt/r.csv", "Not a directory", "not a folder"],
        _all(_file("ledger.csv"), _file("notes.txt", "a file\n")),
    ),
    # --- analyse: the command line itself
    "unknown_option": Case(
        [*ANALYSE, "--out", "r.csv", "--overwite"],
        ["--overwite", "landuse analyse --help"],
        _file("ledger.csv"),
    ),
    "missing_out": Case(ANALYSE, ["--out", "landuse analyse --help"], _file("ledger.csv")),
    "unknown_command": Case(["analyze", "ledger.csv"], ["analyze", "landuse --help"]),
    # --- analyse: nothing to analyse (exit 3, the rejects and the report are written)
    "every_row_rejected": Case(
        ["analyse", "ledger.csv", "--as-of", "2025-12-31", "--out", "r.csv"],
        [
            "all 2 rows read were rejected",
            "(2 of them): not industrial land",
            "r_rejects.csv",
            "r_load_report.csv",
        ],
        _file("ledger.csv", NOT_INDUSTRIAL_CSV),
        exit_code=3,
        writes=["r.csv", "r_rejects.csv", "r_load_report.csv"],
    ),
    # --- map
    "map_results_missing": Case(
        ["map", "nothing.gpkg", "-o", "m.html"], ["No results file nothing.gpkg"]
    ),
    "map_gpkg_without_parcels": Case(
        ["map", "roads.gpkg", "-o", "m.html"],
        ["roads.gpkg has no `parcels` layer"],
        _gpkg_without_parcels,
    ),
    "map_text_file_named_gpkg": Case(
        ["map", "notes.gpkg", "-o", "m.html"],
        ["notes.gpkg is not a GeoPackage"],
        _file("notes.gpkg", "just some notes\n"),
    ),
    "map_parquet_that_is_not_results": Case(
        ["map", "table.parquet", "-o", "m.html"],
        ["table.parquet is not a results file", "`status`"],
        _parquet_plain,
    ),
    "map_text_file_named_parquet": Case(
        ["map", "notes.parquet", "-o", "m.html"],
        ["notes.parquet is not a Parquet file"],
        _file("notes.parquet", "just some notes\n"),
    ),
    "map_of_a_csv": Case(
        ["map", "r.csv", "-o", "m.html"],
        ["r.csv is not a results file", ".gpkg or .parquet"],
        _file("r.csv"),
    ),
    "map_out_exists": Case(
        ["map", "{results}", "-o", "m.html"],
        ["--out m.html is already there", "--overwrite"],
        _file("m.html", "<html>an earlier map</html>\n"),
    ),
    "map_out_in_a_folder_that_cannot_be_written": Case(
        ["map", "{results}", "-o", "{ro}/m.html"], ["cannot write", "--out {ro}/m.html"]
    ),
    "map_out_not_html": Case(["map", "{results}", "-o", "m.png"], ["--out m.png", ".html"]),
    "map_unknown_park": Case(
        ["map", "{results}", "-o", "m.html", "--park", "没有这个园区"],
        ["'没有这个园区'", "经开区北区", "经开区南区", "化工产业园"],
    ),
    "map_unknown_language": Case(
        ["map", "{results}", "-o", "m.html", "--lang", "fr"], ["--lang 'fr'", "zh", "en"]
    ),
    "map_bad_basemap": Case(
        ["map", "{results}", "-o", "m.html", "--basemap", "tianditu:bad key!"],
        ["--basemap 'tianditu:bad key!'", "letters and digits"],
    ),
    # --- serve
    "serve_port_above_65535": Case(
        ["serve", "{results}", "--port", "99999"], ["--port 99999", "1 to 65535"]
    ),
    "serve_port_0": Case(["serve", "{results}", "--port", "0"], ["--port 0", "1 to 65535"]),
    "serve_port_not_a_number": Case(
        ["serve", "{results}", "--port", "http"], ["'--port'", "landuse serve --help"]
    ),
    "serve_port_in_use": Case(
        ["serve", "missing.gpkg", "--port", "{busy}"], ["--port {busy}", "in use"]
    ),
    "serve_text_file_named_gpkg": Case(
        ["serve", "notes.gpkg", "--port", "{free}"],
        ["notes.gpkg is not a results file", "cannot open it as a GeoPackage"],
        _file("notes.gpkg", "just some notes\n"),
    ),
    "serve_a_csv": Case(
        ["serve", "r.csv", "--port", "{free}"], ["r.csv is not a results file"], _file("r.csv")
    ),
    "serve_bad_rules_file": Case(
        ["serve", "{results}", "--port", "{free}", "--rules", "bad.toml"],
        ["bad.toml is not valid TOML"],
        _file("bad.toml", "[intensity\n"),
    ),
    # --- screen --batch
    "batch_out_exists": Case(
        ["screen", "--batch", "projects.csv", "--out", "v.csv"],
        ["--out v.csv is already there", "--overwrite"],
        _all(_file("projects.csv", PROJECTS_CSV), _file("v.csv", "earlier verdicts\n")),
    ),
    "batch_out_is_the_batch": Case(
        ["screen", "--batch", "projects.csv", "--out", "projects.csv", "--overwrite"],
        ["--out projects.csv", "input --batch projects.csv"],
        _file("projects.csv", PROJECTS_CSV),
    ),
    "batch_out_in_a_folder_that_cannot_be_written": Case(
        ["screen", "--batch", "projects.csv", "--out", "{ro}/v.csv"],
        ["cannot write", "--out {ro}/v.csv"],
        _file("projects.csv", PROJECTS_CSV),
    ),
    "batch_out_not_a_table": Case(
        ["screen", "--batch", "projects.csv", "--out", "v.txt"],
        ["--batch needs --out FILE.csv or FILE.xlsx"],
        _file("projects.csv", PROJECTS_CSV),
    ),
    "batch_missing": Case(
        ["screen", "--batch", "missing.csv", "--out", "v.csv"], ["missing.csv", "not found"]
    ),
    # --- screen --batch: the table itself
    "batch_without_investment_column": Case(
        ["screen", "--batch", "p.csv", "--out", "v.xlsx"],
        ["no column for the investment", "its columns are: 序号, 项目名称, 用地面积(亩), 备注"],
        _file("p.csv", PROJECTS_NO_INVESTMENT),
    ),
    "batch_without_area_column": Case(
        ["screen", "--batch", "p.csv", "--out", "v.xlsx"],
        ["no column for the area", "面积(亩)"],
        _file("p.csv", PROJECTS_NO_AREA),
    ),
    "batch_header_without_rows": Case(
        ["screen", "--batch", "p.csv", "--out", "v.xlsx"],
        ["--batch p.csv holds no project to screen", "(row 2)"],
        _file("p.csv", PROJECTS_HEADER_ONLY),
    ),
    "batch_only_a_total_row": Case(
        ["screen", "--batch", "p.csv", "--out", "v.xlsx"],
        ["holds no project to screen", "1 total row(s) (合计/小计)"],
        _file("p.csv", PROJECTS_ONLY_TOTAL),
    ),
    "batch_empty_file": Case(
        ["screen", "--batch", "p.csv", "--out", "v.xlsx"],
        ["p.csv is empty"],
        _file("p.csv", ""),
    ),
    "batch_not_a_table": Case(
        ["screen", "--batch", "p.docx", "--out", "v.xlsx"],
        ["p.docx"],
        _file("p.docx", b"PK\x03\x04 a document"),
    ),
    "batch_text_in_a_number_cell": Case(
        ["screen", "--batch", "p.csv", "--out", "v.csv"],
        [
            "评审 2 个项目：通过 1（其中部分指标未评审 1），不通过 0，无法评审 1",
            "第 3 行（乙）：“投资(万元)”的值“一万二”不是数字",
        ],
        _file("p.csv", PROJECTS_TEXT_IN_NUMBER),
        exit_code=0,
        writes=["v.csv"],
    ),
    "batch_no_row_usable": Case(
        ["screen", "--batch", "p.csv", "--out", "v.csv"],
        ["nothing screened", "none of the 2 rows of --batch p.csv", "数据问题", "v.csv"],
        _file("p.csv", PROJECTS_ALL_UNUSABLE),
        exit_code=3,
        writes=["v.csv"],
    ),
    "batch_with_options_of_one_project": Case(
        ["screen", "--batch", "p.csv", "--out", "v.csv", "--investment-wan", "5", "--json"],
        ["--batch reads every project from its table", "--investment-wan, --json"],
        _file("p.csv", PROJECTS_CSV),
    ),
    "batch_sheet_missing": Case(
        ["screen", "--batch", "p.xlsx", "--sheet", "第二批", "--out", "v.csv"],
        ["p.xlsx", "第二批"],
        lambda folder: pd.DataFrame(
            {"项目名称": ["甲"], "投资(万元)": [1], "面积(亩)": [1]}
        ).to_excel(folder / "p.xlsx", index=False, sheet_name="第一批"),
    ),
    # --- screen: one project
    "screen_out_without_batch": Case(
        ["screen", "--investment-wan", "12000", "--area-ha", "2", "--out", "v.xlsx"],
        ["--out goes with --batch"],
    ),
    "screen_share_not_a_number": Case(
        ["screen", "--investment-wan", "12000", "--area-ha", "2", "--building-coverage", "三成"],
        ["--building-coverage '三成' is not a number", "35%"],
    ),
    "screen_share_above_100": Case(
        ["screen", "--investment-wan", "12000", "--area-ha", "2", "--green-ratio", "150"],
        ["--green-ratio '150' is not a share between 0 and 100 %"],
    ),
    # --- demo
    "demo_folder_holds_demo_outputs": Case(
        ["demo", "--no-serve", "--out-dir", "demo"],
        ["demo/sample_park.gpkg (in --out-dir demo) is already there", "--overwrite"],
        _file("demo/sample_park.gpkg", b"an earlier demo"),
    ),
    "demo_into_a_folder_that_cannot_be_written": Case(
        ["demo", "--no-serve", "--out-dir", "{ro}"], ["cannot write", "(in --out-dir {ro})"]
    ),
    "demo_below_a_folder_that_cannot_be_written": Case(
        ["demo", "--no-serve", "--out-dir", "{ro}/demo"], ["{ro}/demo", "choose a folder"]
    ),
    "demo_port_in_use": Case(
        ["demo", "--out-dir", "demo", "--port", "{busy}"], ["--port {busy}", "in use"]
    ),
    "demo_port_out_of_range": Case(
        ["demo", "--out-dir", "demo", "--port", "70000"], ["--port 70000", "1 to 65535"]
    ),
}


# ------------------------------------------------------------------------------ fixtures


def _unwritable_folder(base: Path) -> Path:
    """A folder in which this process cannot create files: a read-only folder, or /sys when
    running as root (root may write into any read-only folder on an ordinary disk)."""
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        folder = base / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
        return folder
    probe = Path("/sys/landuse-probe")
    try:
        probe.touch()
    except OSError:
        return Path("/sys")
    probe.unlink()
    pytest.skip("no folder this process cannot write to")


@pytest.fixture(scope="module")
def places(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """What the placeholders of the cases stand for."""
    base = tmp_path_factory.mktemp("corpus")
    results = base / "results.gpkg"
    args = [
        "analyse",
        str(SAMPLE / "parcels.gpkg"),
        "--ledger",
        str(SAMPLE / "ledger.xlsx"),
        "--parks",
        str(SAMPLE / "parks.gpkg"),
        "--as-of",
        "2025-12-31",
        "--out",
        str(results),
    ]
    done = CliRunner().invoke(cli.app, args)
    assert done.exit_code == 0, done.output
    with socket.socket() as busy, socket.socket() as free:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        free.bind(("127.0.0.1", 0))
        free_port = free.getsockname()[1]
        free.close()
        yield {
            "ro": str(_unwritable_folder(base)),
            "results": str(results),
            "busy": str(busy.getsockname()[1]),
            "free": str(free_port),
        }


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CliRunner; the consoles are made wide so a message is one line."""
    monkeypatch.setattr(cli.console, "width", 1000)
    monkeypatch.setattr(cli.err_console, "width", 1000)
    return CliRunner()


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        if p.is_file()
        else "folder"
        for p in sorted(folder.rglob("*"))
    }


def _fill(text: str, places: dict[str, str]) -> str:
    for key, value in places.items():
        text = text.replace("{" + key + "}", value)
    return text


def _one_paragraph(stderr: str) -> str:
    text = stderr.strip()
    assert text.startswith(ERROR_PREFIX), stderr
    assert text.count(ERROR_PREFIX) == 1, stderr
    assert "\n\n" not in text, stderr
    return " ".join(text.split())


# ------------------------------------------------------------------------------ tests


@pytest.mark.parametrize("name", list(CASES))
def test_mistake(
    name: str,
    places: dict[str, str],
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case = CASES[name]
    monkeypatch.chdir(tmp_path)
    if case.setup is not None:
        case.setup(tmp_path)
    before = _snapshot(tmp_path)
    result = runner.invoke(cli.app, [_fill(a, places) for a in case.args])
    assert result.exit_code == case.exit_code, result.output
    assert "Traceback" not in result.output
    if case.args[0] == "serve":  # where it serves is said only once it does
        assert "serving" not in result.stdout
    if case.exit_code == 0:  # reported in the run's report, not an error
        assert result.stderr == ""
        message = " ".join(result.stdout.split())
    else:
        message = _one_paragraph(result.stderr)
    for fragment in case.fragments:
        fragment = " ".join(_fill(fragment, places).split())
        assert fragment in message, f"{fragment!r} not in: {message}"
    after = _snapshot(tmp_path)
    if case.writes:
        assert set(after) - set(before) == set(case.writes)
    else:
        assert after == before, "a refused run changed the folder"
    assert not [p for p in after if p.startswith(".")], "temporary files left behind"


def test_the_corpus_is_big_enough() -> None:
    assert len(CASES) >= 25
    commands = {case.args[0] for case in CASES.values()}
    assert {"analyse", "map", "serve", "screen", "demo"} <= commands


def test_overwrite_replaces_an_existing_output(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ledger.csv").write_text(LEDGER_CSV, encoding="utf-8")
    (tmp_path / "r.csv").write_text("earlier results\n", encoding="utf-8")
    (tmp_path / "r_rejects.csv").write_text("earlier rejects\n", encoding="utf-8")
    result = runner.invoke(cli.app, [*ANALYSE, "--out", "r.csv", "--overwrite"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "ledger.csv",
        "r.csv",
        "r_load_report.csv",
        "r_rejects.csv",
    ]
    rows = pd.read_csv(tmp_path / "r.csv", encoding="utf-8-sig")
    assert rows["parcel_id"].tolist() == ["P1", "P2"]
    assert (tmp_path / "r_rejects.csv").read_text(encoding="utf-8-sig").startswith("reason")


@pytest.mark.parametrize(
    "dates",
    [
        SimpleNamespace(earliest="2010-01-01", latest="2030-12-31"),
        {"earliest": dt.date(2010, 1, 1), "latest": dt.date(2030, 12, 31)},
    ],
    ids=["attributes", "mapping"],
)
def test_as_of_within_the_limits_of_the_rules_file(
    dates: object, runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the rules file sets ``[dates]`` earliest/latest (read defensively), they apply:
    2005-06-30 is plausible in general but before 2010-01-01."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ledger.csv").write_text(LEDGER_CSV, encoding="utf-8")
    monkeypatch.setattr(cli, "load_rules", lambda path: SimpleNamespace(dates=dates))
    args = ["analyse", "ledger.csv", "--as-of", "2005-06-30", "--out", "r.csv"]
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 2, result.output
    message = _one_paragraph(result.stderr)
    assert "--as-of 2005-06-30" in message and "2010-01-01" in message and "2030-12-31" in message
    assert "[dates]" in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.csv"]


def test_a_bug_shows_its_traceback_and_asks_for_a_report(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ledger.csv").write_text(LEDGER_CSV, encoding="utf-8")

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("a column the code forgot")

    monkeypatch.setattr(cli, "run_analysis", broken)
    result = runner.invoke(cli.app, [*ANALYSE, "--out", "r.csv"])
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "KeyError: 'a column the code forgot'" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1].startswith(BUG_LINE)
    assert ERROR_PREFIX not in result.stderr  # not dressed up as the user's mistake
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.csv"]


# ------------------------------------------------------------------------------ console script

SUBPROCESS_CASES = ["as_of_year_1", "out_is_the_input", "map_parquet_that_is_not_results"]


@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_the_console_script_says_the_same(
    name: str,
    places: dict[str, str],
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case = CASES[name]
    args = [_fill(a, places) for a in case.args]
    for where in ("in_process", "script"):
        (tmp_path / where).mkdir()
        if case.setup is not None:
            case.setup(tmp_path / where)
    monkeypatch.chdir(tmp_path / "in_process")
    inside = runner.invoke(cli.app, args)
    done = subprocess.run(
        [*_landuse(), *args],
        cwd=tmp_path / "script",
        env=_env(),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert done.returncode == inside.exit_code == case.exit_code
    assert "Traceback" not in done.stderr
    assert _one_paragraph(done.stderr) == _one_paragraph(inside.stderr)
    assert _snapshot(tmp_path / "script") == _snapshot(tmp_path / "in_process")


def test_the_console_script_reports_a_bug(tmp_path: Path) -> None:
    """A bug in a process started like the console script: traceback, report line, exit 1."""
    (tmp_path / "ledger.csv").write_text(LEDGER_CSV, encoding="utf-8")
    code = (
        "import sys\n"
        "import landuse.cli as cli\n"
        "def broken(*a, **k):\n"
        "    raise ZeroDivisionError('rate of 0')\n"
        "cli.run_analysis = broken\n"
        "sys.argv = ['landuse', 'analyse', 'ledger.csv', '--out', 'r.csv']\n"
        "cli.main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "Traceback (most recent call last)" in done.stderr
    assert "ZeroDivisionError: rate of 0" in done.stderr
    assert BUG_LINE in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.csv"]
