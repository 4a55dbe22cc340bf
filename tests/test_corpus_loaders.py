"""A corpus of bad inputs, one small file (or option) per case, built in ``tmp_path``.

Each case runs ``load_inputs`` or the ``landuse analyse`` command in-process and checks what a
user gets: either a run that completes, with every row accounted for (rows read = analysed +
rejected) and the bad cell named in the load report (file, row as seen in Excel or a text
editor, column, value, what was done), or one ``InputError`` paragraph (exit code 2 on the
command line) that names the file and, where it applies, the row, column or value, and the
fix; never a traceback. Analysed amounts are never negative or infinite.

Expected values are worked out by hand: a CSV's header is line 1, so its first data row is
line 2; an Excel sheet written with ``ws.append`` has its header in row 1; a layer's first
feature is row 1. Dates are judged against the default [dates] limits, 1949-01-01 ..
2100-12-31 (both inclusive).
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyogrio
import pytest
import shapely
from typer.testing import CliRunner

from landuse.analysis import analyse
from landuse.cli import app
from landuse.errors import InputError
from landuse.load import Loaded, load_inputs
from landuse.rules_file import load_rules
from landuse.schema import AMOUNT_COLUMNS

AS_OF = "2017-06-30"
GK41 = "EPSG:4529"  # CGCS2000 / 3-degree Gauss-Kruger zone 41
X0, Y0 = 41_500_000.0, 4_600_000.0
HEADER = "宗地编号,土地用途,面积(公顷),成交价格(万元),约定开工时间"
GOOD_ROW = "Z1,工业用地,2,1000,2015-06-20"


def box(i: int) -> shapely.Polygon:
    """The i-th 200 m x 100 m (2 ha) parcel of a row along the x axis."""
    return shapely.box(X0 + 300 * i, Y0, X0 + 300 * i + 200, Y0 + 100)


def parcels(ids: list[str], first: int = 0, **columns: list) -> gpd.GeoDataFrame:
    """Industrial parcels with keys ``ids`` and extra attribute ``columns``."""
    data = {"宗地编号": ids, "土地用途": ["工业用地"] * len(ids), **columns}
    geoms = [box(first + i) for i in range(len(ids))]
    return gpd.GeoDataFrame(data, geometry=geoms, crs=GK41)


def write_csv(folder: Path, *lines: str, name: str = "ledger.csv", encoding="utf-8") -> Path:
    path = folder / name
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def write_xlsx(folder: Path, rows: list[list], name: str = "ledger.xlsx", fmt=None) -> Path:
    """A workbook whose sheet holds ``rows`` from row 1; ``fmt`` maps a cell to a number
    format (to mark a number as a date)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "台账"
    for row in rows:
        ws.append(row)
    for cell, number_format in (fmt or {}).items():
        ws[cell].number_format = number_format
    path = folder / name
    wb.save(path)
    return path


def write_zip(folder: Path, layers: dict[str, gpd.GeoDataFrame], name: str) -> Path:
    """Shapefiles (GBK, with .cpg) zipped side by side."""
    shp_dir = folder / f"{name}_shp"
    shp_dir.mkdir()
    for stem, frame in layers.items():
        pyogrio.write_dataframe(frame, shp_dir / f"{stem}.shp", encoding="GBK")
    path = folder / name
    with zipfile.ZipFile(path, "w") as zf:
        for part in sorted(shp_dir.iterdir()):
            zf.write(part, part.name)
    return path


def date32(values: list) -> pd.Series:
    return pd.Series(pa.array(values, type=pa.date32()), dtype=pd.ArrowDtype(pa.date32()))


# ------------------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Cell:
    """A load-report entry the case must produce (``problem`` is a substring)."""

    file: str
    row: int
    column: str
    value: str
    problem: str


@dataclass(frozen=True)
class Case:
    """One bad input.

    ``build`` writes the files into a folder and returns the inputs (``load``) or the command
    line arguments after ``analyse`` (``cli``). A case that must fail names the substrings of
    its message in ``error``; one that must complete gives its ``accounting`` and the report
    entry ``cell`` it must produce, with ``missing`` the canonical column left empty at that
    row.
    """

    id: str
    build: Callable[[Path], list]
    via: str = "load"  # "load": load_inputs; "cli": landuse analyse in-process
    kwargs: dict = field(default_factory=dict)
    error: tuple[str, ...] = ()
    accounting: dict | None = None
    cell: Cell | None = None
    missing: str | None = None
    note: str | None = None


def csv_case(id_: str, row: str, column: str, value: str, problem: str, missing: str) -> Case:
    """A one-row CSV ledger whose ``column`` holds ``value`` on line 2."""
    return Case(
        id_,
        lambda d: [write_csv(d, HEADER_FOR.get(column, HEADER), row)],
        accounting={"ledger": (1, 1, 0)},
        cell=Cell("ledger.csv", 2, column, value, problem),
        missing=missing,
    )


# headers for cases on other columns (the ledger's key, use and price are always there)
HEADER_FOR = {
    "已缴价款": "宗地编号,土地用途,成交价格(万元),已缴价款",
    "固定资产总投资": "宗地编号,土地用途,面积(公顷),固定资产总投资",
    "开工违约金比例(‰)": "宗地编号,土地用途,成交价格(万元),开工违约金比例(‰)",
    "约定容积率下限": "宗地编号,土地用途,约定容积率下限",
    "实际建筑系数": "宗地编号,土地用途,实际建筑系数",
}

IMPLAUSIBLE_DATE = "implausible date"

CASES: list[Case] = [
    # ---- dates written as text
    csv_case(
        "csv-date-9999-12-31",
        "Z1,工业用地,2,1000,9999-12-31",
        "约定开工时间",
        "9999-12-31",
        IMPLAUSIBLE_DATE,
        "agreed_start_date",
    ),
    csv_case(
        "csv-date-3014-chinese",
        "Z1,工业用地,2,1000,3014年06月20日",
        "约定开工时间",
        "3014年06月20日",
        IMPLAUSIBLE_DATE,
        "agreed_start_date",
    ),
    csv_case(
        "csv-date-compact-2500",
        "Z1,工业用地,2,1000,25000620",
        "约定开工时间",
        "25000620",
        IMPLAUSIBLE_DATE,
        "agreed_start_date",
    ),
    csv_case(
        # Excel serial 2958465 is 9999-12-31
        "csv-date-serial-9999",
        "Z1,工业用地,2,1000,2958465",
        "约定开工时间",
        "2958465",
        IMPLAUSIBLE_DATE,
        "agreed_start_date",
    ),
    csv_case(
        "csv-date-1948-12-31",
        "Z1,工业用地,2,1000,1948/12/31",
        "约定开工时间",
        "1948/12/31",
        IMPLAUSIBLE_DATE,
        "agreed_start_date",
    ),
    csv_case(
        "csv-date-2101-01-01",
        "Z1,工业用地,2,1000,2101.01.01",
        "约定开工时间",
        "2101.01.01",
        IMPLAUSIBLE_DATE,
        "agreed_start_date",
    ),
    csv_case(
        "csv-date-not-a-date",
        "Z1,工业用地,2,1000,明年六月",
        "约定开工时间",
        "明年六月",
        "not a date",
        "agreed_start_date",
    ),
    # ---- dates in Excel cells
    Case(
        "xlsx-datetime-2500",
        lambda d: [
            write_xlsx(
                d, [HEADER.split(","), ["X1", "工业用地", 2.0, 1000, dt.datetime(2500, 6, 20)]]
            )
        ],
        accounting={"ledger": (1, 1, 0)},
        cell=Cell("ledger.xlsx", 2, "约定开工时间", "2500-06-20", IMPLAUSIBLE_DATE),
        missing="agreed_start_date",
    ),
    Case(
        "xlsx-datetime-4013",
        lambda d: [
            write_xlsx(
                d, [HEADER.split(","), ["X1", "工业用地", 2.0, 1000, dt.datetime(4013, 6, 20)]]
            )
        ],
        accounting={"ledger": (1, 1, 0)},
        cell=Cell("ledger.xlsx", 2, "约定开工时间", "4013-06-20", IMPLAUSIBLE_DATE),
        missing="agreed_start_date",
    ),
    Case(
        "xlsx-date-serial-past-9999",
        lambda d: [
            write_xlsx(
                d,
                [HEADER.split(","), ["X1", "工业用地", 2.0, 1000, 2958466]],
                fmt={"E2": "yyyy-mm-dd"},
            )
        ],
        accounting={"ledger": (1, 1, 0)},
        cell=Cell("ledger.xlsx", 2, "约定开工时间", "2958466", "past 9999-12-31"),
        missing="agreed_start_date",
    ),
    Case(
        "xlsx-formula-without-value",
        lambda d: [
            write_xlsx(
                d,
                [
                    HEADER.split(","),
                    ["X1", "工业用地", 2.0, 1000, dt.datetime(2015, 6, 20)],
                    ["X2", "工业用地", 2.0, "=D2*2", dt.datetime(2015, 6, 20)],
                ],
            )
        ],
        accounting={"ledger": (2, 2, 0)},
        cell=Cell("ledger.xlsx", 3, "成交价格(万元)", "=D2*2", "formula without a computed value"),
        missing="land_price_wan",
    ),
    Case(
        "xlsx-area-negative",
        lambda d: [write_xlsx(d, [HEADER.split(","), ["X1", "工业用地", -3, 1000, "2015-06-20"]])],
        accounting={"ledger": (1, 1, 0)},
        cell=Cell("ledger.xlsx", 2, "面积(公顷)", "-3", "zero or negative"),
        missing="area_ha",
    ),
    # ---- typed dates and numbers in layers
    Case(
        "gpkg-date-field-2500",
        lambda d: [
            _gpkg(d, parcels(["G1", "G2"], 约定开工时间=date32([dt.date(2500, 6, 20), None])))
        ],
        accounting={"layer": (2, 2, 0)},
        cell=Cell("parcels.gpkg", 1, "约定开工时间", "2500-06-20", IMPLAUSIBLE_DATE),
        missing="agreed_start_date",
    ),
    Case(
        "parquet-date32-4013",
        lambda d: [_parquet(d, parcels(["Q1"], 约定开工时间=date32([dt.date(4013, 6, 20)])))],
        accounting={"layer": (1, 1, 0)},
        cell=Cell("parcels.parquet", 1, "约定开工时间", "4013-06-20", IMPLAUSIBLE_DATE),
        missing="agreed_start_date",
    ),
    Case(
        "parquet-timestamp-2500",
        lambda d: [
            _parquet(
                d,
                parcels(
                    ["Q1"], 约定开工时间=np.array(["2500-06-20T08:00"], dtype="datetime64[us]")
                ),
            )
        ],
        accounting={"layer": (1, 1, 0)},
        cell=Cell("parcels.parquet", 1, "约定开工时间", "2500-06-20 08:00:00", IMPLAUSIBLE_DATE),
        missing="agreed_start_date",
    ),
    Case(
        "shp-date-field-4013",
        # a DBF field name holds 10 bytes: 签订日期 (contract_date) is 8 in GBK
        lambda d: [_shp(d, parcels(["S1"], 签订日期=date32([dt.date(4013, 6, 20)])))],
        accounting={"layer": (1, 1, 0)},
        cell=Cell("parcels.shp", 1, "签订日期", "4013-06-20", IMPLAUSIBLE_DATE),
        missing="contract_date",
    ),
    Case(
        "gpkg-area-infinite",
        lambda d: [_gpkg(d, parcels(["G1"], 面积=[np.inf]))],
        accounting={"layer": (1, 1, 0)},
        cell=Cell("parcels.gpkg", 1, "面积", "inf", "not a finite number"),
        missing="area_ha",
    ),
    # ---- impossible numbers in text
    csv_case(
        "csv-area-negative",
        "Z1,工业用地,-3,1000,2015-06-20",
        "面积(公顷)",
        "-3",
        "zero or negative",
        "area_ha",
    ),
    csv_case(
        "csv-area-zero", "Z1,工业用地,0,1000,2015-06-20", "面积(公顷)", "0", "zero", "area_ha"
    ),
    csv_case(
        "csv-area-1e308",
        "Z1,工业用地,1e308,1000,2015-06-20",
        "面积(公顷)",
        "1e308",
        "too large",
        "area_ha",
    ),
    csv_case(
        "csv-price-inf",
        "Z1,工业用地,2,inf,2015-06-20",
        "成交价格(万元)",
        "inf",
        "not a finite number",
        "land_price_wan",
    ),
    csv_case(
        "csv-price-overflow",
        "Z1,工业用地,2,1e400,2015-06-20",
        "成交价格(万元)",
        "1e400",
        "not a finite number",
        "land_price_wan",
    ),
    csv_case(
        "csv-price-negative",
        "Z1,工业用地,2,-3,2015-06-20",
        "成交价格(万元)",
        "-3",
        "negative",
        "land_price_wan",
    ),
    csv_case(
        "csv-price-nan-text",
        "Z1,工业用地,2,NaN,2015-06-20",
        "成交价格(万元)",
        "NaN",
        "not a number",
        "land_price_wan",
    ),
    csv_case(
        "csv-paid-negative",
        "Z1,工业用地,1000,-100",
        "已缴价款",
        "-100",
        "negative",
        "price_paid_wan",
    ),
    csv_case(
        "csv-investment-1e308",
        "Z1,工业用地,2,1e308",
        "固定资产总投资",
        "1e308",
        "too large",
        "agreed_investment_wan",
    ),
    csv_case(
        "csv-rate-negative",
        "Z1,工业用地,1000,-1",
        "开工违约金比例(‰)",
        "-1",
        "negative",
        "late_start_rate_permille",
    ),
    csv_case(
        "csv-plot-ratio-negative",
        "Z1,工业用地,-0.5",
        "约定容积率下限",
        "-0.5",
        "negative",
        "far_min",
    ),
    csv_case(
        "csv-coverage-percent",
        "Z1,工业用地,45",
        "实际建筑系数",
        "45",
        "too large",
        "coverage_actual",
    ),
    # ---- files that are not tables
    Case(
        "csv-random-bytes",
        lambda d: [_bytes(d, "ledger.csv", np.random.default_rng(1).bytes(3000))],
        error=("ledger.csv is not a table", "binary data"),
    ),
    Case(
        "txt-random-bytes-without-nul",
        lambda d: [_bytes(d, "ledger.txt", _no_nul(np.random.default_rng(2).bytes(3000)))],
        error=("ledger.txt is not a table",),
    ),
    Case(
        "csv-that-is-an-xlsx",
        lambda d: [_renamed(write_xlsx(d, [HEADER.split(",")]), "ledger.csv")],
        error=("ledger.csv is not a table", "zip archive", ".xlsx"),
    ),
    Case(
        "csv-utf16-without-bom",
        lambda d: [_bytes(d, "ledger.csv", f"{HEADER}\n{GOOD_ROW}\n".encode("utf-16-le"))],
        error=("ledger.csv is not a table", "--encoding utf-16-le"),
    ),
    Case(
        "txt-prose",
        lambda d: [
            _bytes(d, "notes.txt", "会议纪要\n请各单位于月底前报送供地台账。\n谢谢。\n".encode())
        ],
        error=("notes.txt does not look like a table", "电子监管号"),
    ),
    Case(
        "csv-empty-file", lambda d: [_bytes(d, "ledger.csv", b"")], error=("ledger.csv is empty",)
    ),
    Case(
        "xlsx-that-is-text",
        lambda d: [_bytes(d, "ledger.xlsx", f"{HEADER}\n{GOOD_ROW}\n".encode())],
        error=("ledger.xlsx could not be read as an Excel workbook",),
    ),
    # ---- header only, and a .txt ledger
    Case(
        "csv-header-only",
        lambda d: [write_csv(d, HEADER)],
        accounting={"ledger": (0, 0, 0)},
        note="ledger.csv: header only, 0 data rows read",
    ),
    Case(
        "xlsx-header-only",
        lambda d: [write_xlsx(d, [HEADER.split(",")])],
        accounting={"ledger": (0, 0, 0)},
        note="ledger.xlsx: header only, 0 data rows read",
    ),
    Case(
        "txt-tab-ledger-with-a-bad-cell",
        lambda d: [
            write_csv(
                d, HEADER.replace(",", "\t"), "T1\t工业用地\t-2\t500\t2015-06-20", name="台账.txt"
            )
        ],
        accounting={"ledger": (1, 1, 0)},
        cell=Cell("台账.txt", 2, "面积(公顷)", "-2", "zero or negative"),
        missing="area_ha",
    ),
    # ---- several layers in one file
    Case(
        "zip-two-shapefiles-same-columns",
        lambda d: [
            write_zip(
                d,
                {
                    "a": parcels(["A1", "A2", "A3", "A4"]),
                    "b": parcels(["B1", "B2", "B3", "B4"], 10),
                },
                "two.zip",
            )
        ],
        accounting={"layer": (8, 8, 0)},
    ),
    Case(
        "zip-two-shapefiles-different-columns",
        lambda d: [
            write_zip(d, {"a": parcels(["A1"]), "b": parcels(["B1"], 10, 面积=[1.0])}, "two.zip")
        ],
        error=("two.zip holds 2 parcel layers with different columns", "--layer", "a:", "b:"),
    ),
    Case(
        "gpkg-two-parcel-layers-and-a-park-layer",
        lambda d: [_gpkg_layers(d)],
        accounting={"layer": (5, 5, 0)},
        note="parcels.gpkg: 2 parcel layers read (features: d1 2, d2 3)",
    ),
    Case(
        "gpkg-unknown-layer",
        lambda d: [_gpkg_layers(d)],
        kwargs={"layer": "宗地"},
        error=("parcels.gpkg has no layer '宗地'", "d1 (Polygon)", "d2 (Polygon)", "--layer"),
    ),
    Case(
        "gpkg-layers-without-a-key",
        lambda d: [_gpkg_layers(d, key="编号")],
        error=("parcels.gpkg holds 3 layers and none has a parcel key column", "--layer"),
    ),
    Case(
        "zip-without-a-layer",
        lambda d: [_zip_text(d)],
        error=("docs.zip holds no .shp",),
    ),
    Case(
        "gpkg-without-features",
        lambda d: [_gpkg(d, parcels([]))],
        accounting={"layer": (0, 0, 0)},
    ),
    Case(
        "shp-without-its-dbf",
        lambda d: [_shp_without_dbf(d)],
        error=("parcels.shp: the .dbf file beside it is missing",),
    ),
    # ---- the command line: rules files, --encoding, --layer
    Case(
        "cli-rules-file-in-gbk",
        lambda d: [
            write_csv(d, HEADER, GOOD_ROW),
            "--rules",
            _bytes(d, "rules.toml", "[rates]\nlate_start_permille = 2.0  # 违约金\n".encode("gbk")),
        ],
        via="cli",
        error=("rules.toml is not UTF-8 text", "line 2", "Save it as UTF-8"),
    ),
    Case(
        "cli-rules-file-binary",
        lambda d: [
            write_csv(d, HEADER, GOOD_ROW),
            "--rules",
            _bytes(d, "rules.toml", np.random.default_rng(3).bytes(500)),
        ],
        via="cli",
        error=("rules.toml is not a text file",),
    ),
    Case(
        "cli-rules-file-is-a-folder",
        lambda d: [write_csv(d, HEADER, GOOD_ROW), "--rules", _folder(d, "rules")],
        via="cli",
        error=("is a folder, not a file",),
    ),
    Case(
        "cli-rules-dates-reversed",
        lambda d: [
            write_csv(d, HEADER, GOOD_ROW),
            "--rules",
            _text(d, "rules.toml", "[dates]\nearliest = 2100-01-01\nlatest = 1949-01-01\n"),
        ],
        via="cli",
        error=("rules.toml", "earliest (2100-01-01) must come before latest (1949-01-01)"),
    ),
    Case(
        "cli-rules-dates-past-2200",
        lambda d: [
            write_csv(d, HEADER, GOOD_ROW),
            "--rules",
            _text(d, "rules.toml", "[dates]\nlatest = 2300-01-01\n"),
        ],
        via="cli",
        error=("rules.toml", "dates.latest", "2200-12-31"),
    ),
    Case(
        "cli-unknown-encoding",
        lambda d: [write_csv(d, HEADER, GOOD_ROW), "--encoding", "gbkk"],
        via="cli",
        error=("Unknown encoding 'gbkk'", "gb18030"),
    ),
    Case(
        "cli-wrong-encoding",
        lambda d: [write_csv(d, HEADER, GOOD_ROW, encoding="gbk"), "--encoding", "utf-8"],
        via="cli",
        error=("ledger.csv cannot be decoded as utf-8", "line 1"),
    ),
    Case(
        "cli-encoding-given",
        lambda d: [
            write_csv(d, HEADER, "Z1,工业用地,2,1000,3014年06月20日", encoding="gbk"),
            "--encoding",
            "gbk",
        ],
        via="cli",
        accounting={"ledger": (1, 1, 0)},
        cell=Cell("ledger.csv", 2, "约定开工时间", "3014年06月20日", IMPLAUSIBLE_DATE),
    ),
    Case(
        "cli-layer-picks-one-of-different-layers",
        lambda d: [
            write_zip(d, {"a": parcels(["A1"]), "b": parcels(["B1"], 10, 面积=[-1.0])}, "two.zip"),
            "--layer",
            "b",
        ],
        via="cli",
        accounting={"layer": (1, 1, 0)},
        cell=Cell("two.zip", 1, "面积", "-1", "zero or negative"),
    ),
    Case(
        "cli-unknown-layer",
        lambda d: [
            write_zip(d, {"a": parcels(["A1"]), "b": parcels(["B1"], 10)}, "two.zip"),
            "--layer",
            "c",
        ],
        via="cli",
        error=("two.zip has no layer 'c'", "a (a.shp: Polygon)", "b (b.shp: Polygon)"),
    ),
    Case(
        "cli-xlsx-datetime-2500",
        lambda d: [
            write_xlsx(
                d, [HEADER.split(","), ["X1", "工业用地", 2.0, 1000, dt.datetime(2500, 6, 20)]]
            )
        ],
        via="cli",
        accounting={"ledger": (1, 1, 0)},
        cell=Cell("ledger.xlsx", 2, "约定开工时间", "2500-06-20", IMPLAUSIBLE_DATE),
    ),
]


# ------------------------------------------------------------------------------ file helpers


def _bytes(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def _text(folder: Path, name: str, text: str) -> Path:
    return _bytes(folder, name, text.encode("utf-8"))


def _no_nul(data: bytes) -> bytes:
    return data.replace(b"\0", b"\1")


def _renamed(path: Path, name: str) -> Path:
    return path.rename(path.with_name(name))


def _folder(folder: Path, name: str) -> Path:
    (folder / name).mkdir()
    return folder / name


def _gpkg(folder: Path, frame: gpd.GeoDataFrame) -> Path:
    path = folder / "parcels.gpkg"
    pyogrio.write_dataframe(frame, path, use_arrow=True)
    return path


def _parquet(folder: Path, frame: gpd.GeoDataFrame) -> Path:
    path = folder / "parcels.parquet"
    frame.to_parquet(path)
    return path


def _shp(folder: Path, frame: gpd.GeoDataFrame) -> Path:
    """A GBK shapefile; its last field is a typed Date field."""
    path = folder / "parcels.shp"
    pyogrio.write_dataframe(frame, path, encoding="GBK", use_arrow=True)
    assert pyogrio.read_info(path, encoding="GBK")["dtypes"][-1] == "datetime64[D]"
    return path


def _shp_without_dbf(folder: Path) -> Path:
    path = folder / "parcels.shp"
    pyogrio.write_dataframe(parcels(["S1"]), path, encoding="GBK")
    path.with_suffix(".dbf").unlink()
    return path


def _gpkg_layers(folder: Path, key: str = "宗地编号") -> Path:
    """Parcel layers d1 (2 features) and d2 (3 features) with the same columns, and a park
    boundary layer without a key column."""
    path = folder / "parcels.gpkg"
    for name, frame in (("d1", parcels(["A1", "A2"])), ("d2", parcels(["B1", "B2", "B3"], 10))):
        pyogrio.write_dataframe(frame.rename(columns={"宗地编号": key}), path, layer=name)
    park = gpd.GeoDataFrame(
        {"name": ["甲园区"]}, geometry=[shapely.box(X0, Y0, X0 + 9000, Y0 + 900)], crs=GK41
    )
    pyogrio.write_dataframe(park, path, layer="parks")
    return path


def _zip_text(folder: Path) -> Path:
    path = folder / "docs.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "宗地图见附件")
    return path


# ----------------------------------------------------------------------------------- checks


def assert_nothing_lost(loaded: Loaded) -> None:
    for kind, (read, analysed, rejected) in loaded.accounting.items():
        assert read == analysed + rejected, kind
        assert rejected == int((loaded.rejects["input_kind"] == kind).sum()), kind
    for source, (read, analysed, rejected) in loaded.per_source.items():
        assert read == analysed + rejected, source
    assert sum(r for r, _, _ in loaded.per_source.values()) == sum(
        r for r, _, _ in loaded.accounting.values()
    )


def assert_amounts_sane(loaded: Loaded) -> None:
    """No analysed amount is negative or infinite (missing is allowed: RULES.md section 5)."""
    result = analyse(loaded.parcels, AS_OF, load_rules())
    for name in (*AMOUNT_COLUMNS, "total_penalty_wan"):
        values = result[name].to_numpy(dtype=float)
        present = values[~np.isnan(values)]
        assert np.isfinite(present).all(), name
        assert (present >= 0).all(), name


def assert_cell_reported(table: pd.DataFrame, cell: Cell) -> pd.Series:
    # CSV outputs quote formula-like text (`-1.0` is written `'-1.0`): compare what Excel shows
    shown = table["value"].astype(object).fillna("").astype(str).str.removeprefix("'")
    hits = table[
        (table["file"] == cell.file)
        & (table["row"] == cell.row)
        & (table["column"] == cell.column)
        & (shown == cell.value)
    ]
    assert len(hits) == 1, table[["file", "row", "column", "value", "problem"]].to_string()
    entry = hits.iloc[0]
    assert cell.problem in entry["problem"]
    assert entry["action"].startswith("treated as missing")
    return entry


def one_paragraph(message: str) -> str:
    assert "\n" not in message.strip(), message
    assert "Traceback" not in message
    return message


@pytest.mark.parametrize("case", [c for c in CASES if c.via == "load"], ids=lambda c: c.id)
def test_load_inputs(case: Case, tmp_path: Path) -> None:
    inputs = case.build(tmp_path)
    if case.error:
        with pytest.raises(InputError) as err:
            load_inputs(inputs, **case.kwargs)
        message = one_paragraph(str(err.value))
        for part in case.error:
            assert part in message
        return
    loaded = load_inputs(inputs, **case.kwargs)
    assert loaded.accounting == case.accounting
    assert_nothing_lost(loaded)
    assert_amounts_sane(loaded)
    if case.note is not None:
        assert any(case.note in n for n in loaded.report.notes), loaded.report.notes
    if case.cell is not None:
        assert_cell_reported(loaded.report.entries(), case.cell)
        row = loaded.parcels[loaded.parcels["source_row"] == case.cell.row]
        assert len(row) == 1
        assert pd.isna(row[case.missing].iloc[0])


def _accounting_from_outputs(out: Path) -> tuple[int, int]:
    """(analysed rows, rejected rows) as written to ``out.csv`` and ``out_rejects.csv``."""
    parcels_written = pd.read_csv(out, encoding="utf-8-sig")
    rejects = out.with_name(f"{out.stem}_rejects.csv")
    n_rejects = len(pd.read_csv(rejects, encoding="utf-8-sig")) if rejects.exists() else 0
    return len(parcels_written), n_rejects


@pytest.mark.parametrize("case", [c for c in CASES if c.via == "cli"], ids=lambda c: c.id)
def test_command_line(case: Case, tmp_path: Path) -> None:
    args = [str(a) for a in case.build(tmp_path)]
    out = tmp_path / "out.csv"
    runner = CliRunner()
    result = runner.invoke(app, ["analyse", *args, "--as-of", AS_OF, "--out", str(out)])
    output = result.output
    assert "Traceback" not in output
    folded = " ".join(output.split())
    if case.error:
        assert result.exit_code == 2, output
        assert "错误 (error):" in folded
        for part in case.error:
            assert part in folded, folded
        return
    assert result.exit_code == 0, (output, result.exception)
    ((read, analysed, rejected),) = case.accounting.values()
    assert _accounting_from_outputs(out) == (analysed, rejected)
    assert read == analysed + rejected
    report = pd.read_csv(
        tmp_path / "out_load_report.csv", encoding="utf-8-sig", dtype={"value": str}
    )
    report["row"] = report["row"].astype("Int64")
    assert_cell_reported(report, case.cell)


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 35
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("empty", ["layer", "ledger"])
def test_an_empty_side_of_a_join_leaves_the_other_unmatched(tmp_path: Path, empty: str) -> None:
    layer_path = _gpkg(tmp_path, parcels([] if empty == "layer" else ["P1", "P2"]))
    rows = [] if empty == "ledger" else ["P1,工业用地,2,1000,2015-06-20"]
    ledger_path = write_csv(tmp_path, HEADER, *rows)

    loaded = load_inputs([layer_path], ledger=[ledger_path])

    assert_nothing_lost(loaded)
    if empty == "layer":
        # the ledger row is analysed with its declared area, and said to have no parcel
        assert loaded.accounting == {"layer": (0, 0, 0), "ledger": (1, 1, 0)}
        said = loaded.report.table()
        assert said[said["row"] == 2]["action"].tolist() == ["analysed with the declared area"]
    else:
        assert loaded.accounting == {"layer": (2, 0, 2), "ledger": (0, 0, 0)}
        assert loaded.rejects["reason"].str.contains("no ledger row").all()


# ------------------------------------------------------------------------- inspection files

INSPECTED_LEDGER = (
    "电子监管号,宗地编号,土地用途,面积(公顷),成交价格(万元),约定开工时间",
    "3714812013B00001,Z1,工业用地,2,1000,2015-06-20",
    "3714812013B00002-1,Z2,工业用地,2,1000,2015-06-20",
    "3714812013B00003,Z3,商业用地,2,1000,2015-06-20",
)


@dataclass(frozen=True)
class InspectionCase:
    """A ledger of two industrial parcels (and one skipped commercial row) with a bad
    inspection file, written by ``build`` into a folder (returning its path). A case that must
    fail names the substrings of its message in ``error``; one that must complete names the
    load-report entry (``code``, inspection file row, column, value) it must produce, and
    ``applied``, the inspections used."""

    id: str
    build: Callable[[Path], Path]
    error: tuple[str, ...] = ()
    code: str = ""
    row: int | None = None
    column: str = ""
    value: str | None = None
    applied: int = 0


def _inspections(folder: Path, *lines: str, name: str = "核查.csv") -> Path:
    return write_csv(folder, *lines, name=name)


INSPECTION_CASES = [
    InspectionCase(
        "no-key-column",
        lambda d: _inspections(d, "项目名称,核查日期,核查结论", "某项目,2017-05-01,未开工"),
        error=("Inspection file 核查.csv has no 电子监管号 or 宗地编号 column", "项目名称"),
    ),
    InspectionCase(
        "no-date-column",
        lambda d: _inspections(d, "电子监管号,核查结论", "3714812013B00001,未开工"),
        error=("Inspection file 核查.csv has no 核查日期 column", "电子监管号, 核查结论"),
    ),
    InspectionCase(
        "no-finding-column",
        lambda d: _inspections(d, "电子监管号,核查日期,核查人", "3714812013B00001,2017-05-01,张三"),
        error=("Inspection file 核查.csv has no 核查结论 column", "已开工 / 未开工 / 已竣工"),
    ),
    InspectionCase(
        "unknown-parcel",
        lambda d: _inspections(
            d, "电子监管号,核查日期,核查结论", "3714812013B09999,2017-05-01,未开工"
        ),
        code="inspection_unknown_parcel",
        row=2,
        column="电子监管号",
        value="3714812013B09999",
    ),
    InspectionCase(
        "parcel-whose-ledger-row-was-skipped",
        lambda d: _inspections(d, "宗地编号,核查日期,核查结论", "Z3,2017-05-01,未开工"),
        code="inspection_rejected_parcel",
        row=2,
        column="宗地编号",
        value="Z3",
    ),
    InspectionCase(
        "finding-not-understood",
        lambda d: _inspections(
            d,
            "电子监管号,核查日期,核查结论",
            "3714812013B00001,2017-05-01,说不清",
            "3714812013B00002-1,2017-05-01,已开工",
        ),
        code="inspection_finding_invalid",
        row=2,
        column="核查结论",
        applied=1,
    ),
    InspectionCase(
        "date-not-a-date",
        lambda d: _inspections(
            d, "电子监管号,核查日期,核查结论", "3714812013B00001,2017年13月45日,未开工"
        ),
        code="date_invalid",
        row=2,
        column="核查日期",
        value="2017年13月45日",
    ),
    InspectionCase(
        "dated-after-the-as-of-date",
        lambda d: _inspections(
            d, "电子监管号,核查日期,核查结论", "3714812013B00001,2017-07-01,未开工"
        ),
        code="inspection_after_as_of",
        row=2,
        column="核查日期",
        value="2017-07-01",
    ),
    InspectionCase(
        "not-started-with-a-start-date",
        lambda d: _inspections(
            d,
            "电子监管号,核查日期,核查结论,实际开工时间",
            "3714812013B00001,2017-05-01,未开工,2016-03-01",
        ),
        code="inspection_contradiction",
        row=2,
        column="实际开工时间",
        value="2016-03-01",
        applied=1,
    ),
    InspectionCase(
        "both-keys-name-different-parcels",
        lambda d: _inspections(
            d, "电子监管号,宗地编号,核查日期,核查结论", "3714812013B00001,Z2,2017-05-01,未开工"
        ),
        code="inspection_key_mismatch",
        row=2,
        column="电子监管号",
        value="3714812013B00001 / Z2",
    ),
    InspectionCase(
        "xlsx-date-formula-without-a-value",
        lambda d: write_xlsx(
            d,
            [
                ["核查记录表"],
                ["电子监管号", "核查日期", "核查结论"],
                ["3714812013B00001", "=TODAY()", "未开工"],
            ],
            name="核查.xlsx",
        ),
        code="formula_without_value",
        row=3,
        column="核查日期",
        value="=TODAY()",
    ),
    InspectionCase(
        "binary-file-named-csv",
        lambda d: _bytes(d, "核查.csv", bytes(range(256)) * 64),
        error=("核查.csv is not a table",),
    ),
]


@pytest.mark.parametrize("case", INSPECTION_CASES, ids=lambda c: c.id)
def test_inspection_files(case: InspectionCase, tmp_path: Path) -> None:
    ledger = write_csv(tmp_path, *INSPECTED_LEDGER)
    inspections = case.build(tmp_path)
    if case.error:
        with pytest.raises(InputError) as err:
            load_inputs([ledger], inspections=[inspections], as_of=AS_OF)
        message = one_paragraph(str(err.value))
        for part in case.error:
            assert part in message
        return
    loaded = load_inputs([ledger], inspections=[inspections], as_of=AS_OF)
    # the parcels and their accounting do not change for a bad inspection file
    assert loaded.accounting == {"ledger": (3, 2, 1)}
    assert_nothing_lost(loaded)
    assert_amounts_sane(loaded)
    entries = loaded.report.entries()
    hits = entries[(entries["code"] == case.code) & (entries["row"] == case.row)]
    assert len(hits) == 1, entries[["file", "row", "column", "value", "code"]].to_string()
    hit = hits.iloc[0]
    assert hit["file"] == inspections.name
    assert hit["column"] == case.column
    if case.value is not None:
        assert hit["value"] == case.value
    assert CJK_TEXT.search(hit["message"])
    assert loaded.inspections.applied == case.applied
    assert int(loaded.parcels["inspection_date"].notna().sum()) == case.applied


CJK_TEXT = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--inspections", "missing.csv"], ("missing.csv: file not found",)),
        (["--sheet", "汇总"], ("ledger.xlsx has no sheet named '汇总'", "台账", "--sheet")),
    ],
    ids=["missing-inspection-file", "unknown-sheet"],
)
def test_command_line_inspection_and_sheet_mistakes(tmp_path: Path, extra, expected) -> None:
    ledger = write_xlsx(tmp_path, [HEADER.split(","), GOOD_ROW.split(",")])
    args = [str(ledger), *[str(tmp_path / a) if a.endswith(".csv") else a for a in extra]]
    result = CliRunner().invoke(
        app, ["analyse", *args, "--as-of", AS_OF, "--out", str(tmp_path / "out.csv")]
    )
    folded = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for part in expected:
        assert part in folded, folded


def test_the_inspection_corpus_is_large_enough() -> None:
    assert len(INSPECTION_CASES) >= 6
