"""Workbooks in every format an office saves: .xlsx, .xls (Excel 97-2003), .xlsb and .ods.

The .xls, .xlsb and .ods files in tests/data were written once by
tests/data/make_workbook_fixtures.py (which says how); each holds the same three sheets:
说明 (a note, no table), 台账 (a title in row 1, row 2 blank, the header in row 3, data in rows
4, 5 and 7) and 核查 (inspections). The .xlsx twin is written here with openpyxl.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from landuse.errors import InputError
from landuse.load import load_inputs
from landuse.pipeline import run_analysis
from landuse.readers import read_table
from landuse.rules_file import load_rules

DATA = Path(__file__).resolve().parent / "data"
B1, B2, B3 = "3205062013B00001", "3205062013B00002-1", "3205062013B00003"


def _xlsx(folder: Path) -> Path:
    """The fixtures' content as .xlsx (dates as Excel date cells)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("fixtures", DATA / "make_workbook_fixtures.py")
    fixtures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fixtures)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in fixtures.SHEETS.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    ws.cell(row=r, column=c, value=value)
    path = folder / "ledger.xlsx"
    wb.save(path)
    return path


@pytest.fixture(params=["xlsx", "xls", "xlsb", "ods"])
def book(request, tmp_path) -> Path:
    if request.param == "xlsx":
        return _xlsx(tmp_path)
    return DATA / f"ledger.{request.param}"


def test_every_format_reads_the_same_table(book):
    table = read_table(book)

    assert table.sheet == "台账"  # the first sheet with known headers
    assert table.header_row == 3
    assert table.frame["source_row"].tolist() == [4, 5, 7]
    assert table.frame["电子监管号"].tolist() == [B1, B2, B3]
    assert table.frame["面积(公顷)"].tolist() == [12.5, 3, 7.75]
    assert table.frame["约定开工时间"].iloc[0] == dt.date(2013, 6, 20)  # a typed date cell
    assert table.frame["约定开工时间"].iloc[1] == "2014年01月02日"  # text stays text
    assert table.frame["成交价格(万元)"].iloc[2] == "1200万元"
    assert table.empty_rows == 1
    assert any("read sheet '台账' of 3" in n and "--sheet" in n for n in table.notes)


def test_every_format_loads_with_nothing_lost(book):
    loaded = load_inputs([book])

    assert loaded.accounting == {"ledger": (3, 3, 0)}
    got = loaded.parcels.set_index("supervision_no")
    assert got.loc[B1, "agreed_start_date"] == pd.Timestamp("2013-06-20")
    assert got.loc[B2, "agreed_start_date"] == pd.Timestamp("2014-01-02")
    assert got.loc[B3, "land_price_wan"] == 1200
    assert got.loc[B2, "land_price_wan"] == 900
    # a split parcel's number (...-1) is valid
    assert not (loaded.report.entries()["code"] == "supervision_no_format").any()


def test_the_sheet_option_and_an_unknown_sheet(book):
    table = read_table(book, sheet="核查")
    assert table.sheet == "核查" and table.header_row == 1
    assert table.frame["核查结论"].tolist() == ["未开工", "已开工"]
    with pytest.raises(InputError) as err:
        read_table(book, sheet="汇总")
    message = str(err.value)
    assert f"{book.name} has no sheet named '汇总'" in message
    assert "Its sheets are: 说明, 台账, 核查" in message
    assert "--sheet" in message


def test_a_workbook_is_both_ledger_and_inspections(book):
    """The ledger is read from 台账 (the first sheet with known headers), the inspections from
    核查 (the sheet with the most inspection columns). As of 2016-06-30:

    B00001: start due 2013-06-20, found 未开工 on 2016-05-10: two years past due → recovery;
    idle fee 0.20 × 3000 = 600; 1106 days late (2013-06-20 → 2016-06-20 is 1096 with 29
    February 2016, + 10), the fee counted to the day it is liable to recovery (the default
    ``late_fee_cap``), 2015-06-20: 730 days, 3000 × 1‰ × 730 = 2190.
    B00003: start due 2015-03-01, found 已开工 on 2016-04-01 with no start date: taken on that
    date, 397 days late (2015-03-01 → 2016-03-01 is 366, + 31): 1200 × 1‰ × 397 = 476.4; the
    investment found, 800 万元, replaces the ledger's (none).
    """
    results = run_analysis([book], rules=load_rules(), as_of="2016-06-30", inspections=[book])

    got = results.parcels.set_index("supervision_no")
    one = got.loc[B1]
    assert one["status"] == "recovery"
    assert one["idle_fee_wan"] == pytest.approx(600)
    assert one["late_start_days"] == 1106
    assert one["late_start_wan"] == pytest.approx(2190)
    assert bool(one["late_fee_capped"])
    assert one["inspector"] == "张三"
    three = got.loc[B3]
    assert three["start_evidence"] == "inspection"
    assert three["late_start_days"] == 397
    assert three["late_start_wan"] == pytest.approx(476.4)
    assert three["invested_ex_land_wan"] == 800
    assert bool(three["start_date_assumed"])
    assert got.loc[B2, "status"] == "unverified"
    assert results.loaded.inspections.applied == 2


def test_formulas_errors_and_serials_past_9999_in_xlsx_are_reported(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["电子监管号", "面积(公顷)", "约定开工时间", "成交价格(万元)"])  # row 1
    ws.append([B1, 2, dt.datetime(2015, 6, 20), "=B2*500"])  # row 2: no computed value
    ws.append([B3, 3, 2958466, 100])  # row 3: a date serial past 9999-12-31
    ws.append([B2, 9, dt.datetime(2015, 6, 20), 100])  # row 4: an error value in B4
    ws["C3"].number_format = "yyyy-mm-dd"
    path = tmp_path / "cells.xlsx"
    wb.save(path)
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    assert b'<c r="B4" t="n"><v>9</v></c>' in parts[sheet]
    parts[sheet] = parts[sheet].replace(
        b'<c r="B4" t="n"><v>9</v></c>', b'<c r="B4" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
    )
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)

    table = read_table(path)

    problems = table.cell_problems.sort_values("row")
    assert problems["row"].tolist() == [2, 3, 4]
    assert problems["column"].tolist() == ["成交价格(万元)", "约定开工时间", "面积(公顷)"]
    assert problems["value"].tolist() == ["=B2*500", "2958466", "#DIV/0!"]
    assert (
        problems["problem"]
        .str.startswith(("公式没有计算结果", "日期序号超出范围", "单元格为错误值"))
        .all()
    )
    assert table.frame[["成交价格(万元)", "约定开工时间", "面积(公顷)"]].isna().sum().tolist() == [
        1,
        1,
        1,
    ]
