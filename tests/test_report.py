"""The load report: a stable code and a Chinese message for every kind of problem, and one
written line per file, problem code and column, with the count and the first rows and values.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from typer.testing import CliRunner

from landuse.cli import app
from landuse.load import load_inputs
from landuse.report import PROBLEMS, TABLE_COLUMNS, LoadReport, Note, problem_code

CJK = re.compile(r"[\u4e00-\u9fff]")


def frame(file: str, rows: list[int], **columns) -> pd.DataFrame:
    return pd.DataFrame({"source_file": file, "source_row": rows, **columns})


def test_repeats_are_one_line_per_file_code_and_column():
    report = LoadReport()
    a = frame("a.csv", list(range(2, 27)), x=[-1.0] * 20 + [-2.0, -3.0, -4.0, -5.0, -6.5])
    report.add_rows(
        a,
        np.ones(25, dtype=bool),
        column="面积(公顷)",
        values=a["x"],
        problem="数值过小 (implausible: zero or negative; area_ha must be > 0)",
        action="treated as missing",
    )
    report.add_rows(
        a.head(3),
        np.ones(3, dtype=bool),
        column="成交价格(万元)",
        values=a["x"].head(3),
        problem="数值过小 (implausible: negative; land_price_wan must be ≥ 0)",
        action="treated as missing",
    )
    b = frame("b.csv", [7], x=[-1.0])
    report.add_rows(
        b,
        np.ones(1, dtype=bool),
        column="面积(公顷)",
        values=b["x"],
        problem="数值过小 (implausible: zero or negative; area_ha must be > 0)",
        action="treated as missing",
    )

    assert len(report.entries()) == 29  # every cell is kept ...
    table = report.table()  # ... and written as three lines
    assert list(table.columns) == list(TABLE_COLUMNS)
    assert table[["file", "column", "code", "count"]].values.tolist() == [
        ["a.csv", "面积(公顷)", "number_not_positive", 25],
        ["a.csv", "成交价格(万元)", "number_negative", 3],
        ["b.csv", "面积(公顷)", "number_not_positive", 1],
    ]
    first = table.iloc[0]
    assert first["rows"] == "2, 3, 4, 5, 6, 7, 8, 9, 10, 11"  # the first 10
    assert first["row"] == 2
    assert first["values"] == "-1 | -2 | -3 | -4 | -5"  # the first 5 distinct, as in the cell
    assert first["value"] == "-1"
    assert first["message"] == "数值为零或负数，不合理，按缺失处理"
    assert table.iloc[2]["rows"] == "7"


def test_an_entry_said_once_for_many_rows_counts_them():
    report = LoadReport()
    report.add(
        file="a.csv", column="面积(公顷)", problem="空值标记: 7 个单元格", action="x", count=7
    )
    report.add(
        file="a.csv", column="面积(公顷)", problem="空值标记: 2 个单元格", action="x", count=2
    )
    report.add(file="a.csv", problem=Note("a.csv: 3 empty rows", "empty_rows_skipped", 3, count=3),
               action="noted")  # fmt: skip
    report.add(file="a.csv", problem=Note("a.csv: read as gbk", "encoding_detected", "gbk"),
               action="noted")  # fmt: skip
    entries = report.entries()
    assert entries["count"].tolist() == [7, 2, 3, 1]
    table = report.table()
    assert table[["code", "count"]].values.tolist() == [
        ["null_marker", 9],  # one line, the two entries' cells summed
        ["empty_rows_skipped", 3],
        ["encoding_detected", 1],
    ]


def test_file_level_entries_and_notes_carry_their_code():
    report = LoadReport()
    report.add(
        file="x.csv",
        problem=Note("x.csv: read as gb18030 (GBK/GB18030: 99% ...).", "encoding_detected", "gbk"),
        action="noted",
    )
    report.add(file="x.csv", problem=Note("x.csv: read as utf-8.", "encoding_utf8"), action="noted")
    report.add(file="x.csv", problem="未识别的列 (column not in the data model)", action="ignored")
    report.add(file="x.csv", problem="something said by newer code", action="noted")
    entries = report.entries()
    assert entries["code"].tolist() == [
        "encoding_detected",
        "encoding_utf8",
        "column_unknown",
        "other",
    ]
    assert entries["value"].iloc[0] == "gbk"
    table = report.table()
    # a UTF-8 file read as UTF-8 is no problem: kept in the entries, not written
    assert table["code"].tolist() == ["encoding_detected", "column_unknown", "other"]
    assert table["message"].iloc[2] == "something said by newer code"  # its own text
    with pytest.raises(ValueError, match="unknown problem code"):
        Note("text", "no_such_code")


def test_every_problem_has_a_chinese_message_and_a_unique_code():
    codes = [p.code for p in PROBLEMS]
    assert len(codes) == len(set(codes))
    for p in PROBLEMS:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", p.code), p.code
        assert p.code == "other" or CJK.search(p.message), p.code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (
            "日期不合理 (implausible date: before 1949-01-01 or after 2100-12-31)",
            "date_implausible",
        ),
        ("数值过小 (implausible: negative; price_paid_wan must be ≥ 0)", "number_negative"),
        ("数值过小 (implausible: too small; x must be ≥ 1)", "number_too_small"),
        ("数值过大 (implausible: too large; far_max must be ≥ 0 and ≤ 100)", "number_too_large"),
        ("数值无穷大 (not a finite number)", "number_not_finite"),
        ("占位日期 (placeholder date)", "date_placeholder"),
        ("无法识别的日期 (not a date; use 2024-06-30)", "date_invalid"),
        ("几何无效 (invalid geometry): Self-intersection[1 1]", "geometry_repaired"),
        ("与列“面积”同为 area_ha", "column_same_field"),
        ("单位为亩", "unit_in_header"),
        ("公式没有计算结果 (formula without a computed value ...)", "formula_without_value"),
    ],
)
def test_problem_texts_give_their_code(text, code):
    assert problem_code(text) == code


def _messy_inputs(folder: Path) -> tuple[Path, Path, Path]:
    """A GBK ledger with one of each cell problem, a layer with an invalid polygon, parks."""
    header = (
        "电子监管号,宗地编号,土地用途,面积(亩),出让面积,成交价格(万元),约定开工时间,"
        "约定竣工时间,合同签订日期,开工状态,约定容积率上限,备用"
    )
    rows = [
        "3714812013B00179-1,P1,工业用地,30,,1200万元,2015-06-20,2017-06-20,2015-01-01,已开工,2,x",
        "3714812013B00180,P2,工业用地,-30,,abc,1900年01月01日,2500-01-01,2015-13-45,开了,inf,x",
        "37148B,P3,,15,,100,2015-06-20,2017-06-20,,,1e9,x",
        "3714812013B00181,P4,工业用地,15,,100,2015-06-20,2017-06-20,,,,x",
        ",,,,,,,,,,,",
    ]
    ledger = folder / "台账.csv"
    ledger.write_bytes(("\n".join([header, *rows]) + "\n").encode("gb18030"))
    bowtie = shapely.Polygon([(0, 0), (100, 100), (100, 0), (0, 100)])
    x0, y0 = 41_500_000.0, 4_600_000.0
    layer = gpd.GeoDataFrame(
        {"宗地编号": ["P1", "P2", "P3"]},
        geometry=[
            shapely.affinity.translate(bowtie, x0, y0),
            shapely.box(x0 + 300, y0, x0 + 400, y0 + 100),
            shapely.box(x0 + 9000, y0, x0 + 9100, y0 + 100),
        ],
        crs="EPSG:4529",
    )
    layer_path = folder / "parcels.gpkg"
    layer.to_file(layer_path)
    parks = gpd.GeoDataFrame(
        {"name": ["北区"]},
        geometry=[shapely.box(x0 - 10, y0 - 10, x0 + 500, y0 + 200)],
        crs=layer.crs,
    )
    parks_path = folder / "parks.gpkg"
    parks.to_file(parks_path)
    return layer_path, ledger, parks_path


def test_every_kind_of_problem_of_a_messy_run_has_a_code_and_a_chinese_message(tmp_path):
    layer, ledger, parks = _messy_inputs(tmp_path)

    loaded = load_inputs([layer], ledger=[ledger], parks=parks)

    entries = loaded.report.entries()
    assert not (entries["code"] == "other").any(), entries[entries["code"] == "other"]
    assert entries["message"].map(lambda m: bool(CJK.search(m))).all()
    expected = {
        "encoding_detected",
        "empty_rows_skipped",
        "column_unknown",
        "column_same_field",
        "unit_in_header",
        "number_with_unit",
        "number_invalid",
        "number_not_positive",
        "number_not_finite",
        "number_too_large",
        "date_placeholder",
        "date_implausible",
        "date_invalid",
        "start_status_invalid",
        "land_use_empty",
        "supervision_no_format",
        "geometry_repaired",
        "no_parcel_geometry",
        "outside_parks",
    }
    assert expected <= set(entries["code"]), expected - set(entries["code"])
    # a split parcel's number is valid, a cut-off one is not
    odd = entries[entries["code"] == "supervision_no_format"]
    assert odd["value"].tolist() == ["37148B"]


def test_the_written_report_speaks_chinese_and_groups(tmp_path):
    rows = [f"3714812013B{i:05d}-{i % 3 + 1},工业用地,-1,100,2015-06-20" for i in range(40)]
    ledger = tmp_path / "ledger.csv"
    ledger.write_text(
        "\n".join(["电子监管号,土地用途,面积(公顷),成交价格(万元),约定开工时间", *rows]) + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(
        app, ["analyse", str(ledger), "--as-of", "2017-06-30", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    written = pd.read_csv(tmp_path / "out_load_report.csv", encoding="utf-8-sig", dtype=str)
    # 40 zero-or-negative areas: one line, and one for the 40 parcels left without an area
    # (data_issues no_area); no line for the split numbers, none for UTF-8
    assert written["code"].tolist() == ["number_not_positive", "data_issue_no_area"]
    assert written.iloc[1]["message"] == "数据问题：面积缺失或为零"
    line = written.iloc[0]
    assert line["count"] == "40"
    assert line["message"] == "数值为零或负数，不合理，按缺失处理"
    assert line["rows"] == "2, 3, 4, 5, 6, 7, 8, 9, 10, 11"
    assert line["column"] == "面积(公顷)"
