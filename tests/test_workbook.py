"""The meeting workbook and the summary table, read back with openpyxl.

The analysed table is built by hand (no call to the analysis), except in the last test (the
inspection form's ranking of analysed ledger rows); every expected number is worked out in the
test.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile

import numpy as np
import pandas as pd
import pytest
import shapely
from openpyxl import load_workbook

from landuse import workbook as W
from landuse.pipeline import run_analysis, write_results
from landuse.rules_file import load_rules
from landuse.schema import AMOUNT_COLUMNS, STATUS_ZH

AS_OF = "2025-12-31"
HYPERLINK = '=HYPERLINK("http://evil.example/x","点我")'
SCRIPT = "<script>alert(1)</script>"
LISTS = [
    "拟收回",
    "闲置满一年",
    "逾期未开工",
    "待核查",
    "逾期未竣工",
    "投资强度不达标",
    "价款逾期",
    "政府原因闲置",
    "资料不全",
]
SHEETS = ["汇总", *LISTS, "分园区汇总", "全部宗地", "未分析记录", "加载问题"]
POTENTIAL_ZH = "待核查金额(万元，核实未开工时适用)"  # the schema's label of potential_penalty_wan
NAN = np.nan
FORM_IDS = [
    "电子监管号",
    "宗地编号",
    "项目名称",
    "土地使用权人",
    "园区/地区",
    "面积(公顷)",
    "约定开工时间",
    "开工期限",
    "待核查金额(万元)",
]
FORM_FILL = [
    "核查日期",
    "核查结论",
    "实际开工时间",
    "实际竣工时间",
    "已开发面积(公顷)",
    "已投资额(万元)",
    "停工日期",
    "核查人",
    "备注",
]


def _parcels() -> pd.DataFrame:
    """Nine analysed-like parcels in three parks (one without a park)."""
    status = [
        "idle_fee",
        "idle_fee",
        "recovery",
        "unverified",
        "unverified",
        "unverified",
        "late_completion",
        "on_track",
        "compliant",
    ]
    frame = pd.DataFrame(
        {
            "parcel_id": [f"P{i}" for i in range(1, 10)],
            "supervision_no": [f"3714812013B0017{i}" for i in range(1, 10)],
            "park": pd.array(
                ["甲园区", "甲园区", "甲园区", "乙园区", "乙园区", "乙园区", None, None, "乙园区"],
                dtype="string",
            ),
            "project_name": ["项目一", "项目二", "项目三", "项目四", "项目五", "项目六"]
            + [HYPERLINK, SCRIPT, "-2+3"],
            "holder": ["甲公司"] * 8 + ["+cmd|' /C calc'!A0"],
            "area_ha": [1.5, 2.5, 3.0, 1.0, 5.0, 2.0, 4.0, 0.5, 1.23456],
            "land_price_wan": [250.0, 400.0, 300.0, 100.0, 100.0, 400.0, 500.0, 50.0, 80.0],
            "agreed_start_date": pd.to_datetime(
                ["2024-06-30", "2024-03-01", "2023-01-15"] + ["2025-01-01"] * 3 + [None] * 3
            ),
            "start_due_date": pd.to_datetime(
                ["2024-06-30", "2024-03-01", "2023-01-15"] + ["2025-01-01"] * 3 + [None] * 3
            ),
            "gov_cause": [False] * 9,
            "start_evidence": pd.Categorical(
                ["inspection"] * 3 + ["none"] * 3 + ["actual_start", "completion", "completion"]
            ),
            "late_start_days": [549.0, 670.0, 1081.0, 364.0, 364.0, 364.0, NAN, NAN, NAN],
            "below_threshold": pd.array(
                [False, False, None, False, False, False, True, True, False], dtype="boolean"
            ),
            "intensity_wan_per_ha": [6000.0] * 6 + [3000.0, 4000.0, 5500.0],
            "intensity_min_wan_per_ha": [5000.0] * 9,
            "investment_wan": [9000.0, 15000.0, 18000.0, 6000.0, 30000.0, 12000.0]
            + [12000.0, 2000.0, 6790.08],
            "idle_fee_wan": [50.0, 80.0, 60.0, 20.0, 20.0, 80.0, 0.0, 0.0, 0.0],
            "late_start_wan": [137.25, 268.0, 324.3, 36.4, 36.4, 145.6, 0.0, 0.0, 0.0],
            "late_completion_wan": [0.0, NAN, 0.0, 0.0, 0.0, 0.0, 12.5, 0.0, 0.0],
            "late_payment_wan": [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.333, 0.0],
            "investment_shortfall_wan": [NAN] * 9,
            "plot_ratio_shortfall_wan": [NAN] * 8 + [1.005],
            "late_payment_days": [0.0] * 7 + [10.0, 0.0],
            "amounts_confirmed": [True, True, True, False, False, False, True, True, True],
            "as_of_date": pd.to_datetime([AS_OF] * 9),
            "status": status,
            "status_zh": [STATUS_ZH[s] for s in status],
            "legal_basis": ["《闲置土地处置办法》第十四条第（一）项"] * 9,
            "proposed_action": ["处置"] * 9,
            "source_file": ["ledger.xlsx"] * 9,
            "source_row": np.arange(2, 11),
            "geometry": [shapely.Point(0, 0)] * 9,
        }
    )
    # P2: 80.126 rounds to 80.13 only when written
    frame.loc[1, "late_start_wan"] = 80.126
    amounts = frame[list(AMOUNT_COLUMNS)]
    frame["total_penalty_wan"] = np.nansum(amounts.to_numpy(), axis=1)
    # totals: P1 187.25, P2 160.126, P3 384.3, P4 56.4, P5 56.4, P6 225.6, P7 12.5,
    # P8 3.333, P9 1.005. P4 and P5 tie on money (56.4); P5 has more land, so it comes first
    return frame


def _rejects() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "parcel_id": ["R1", None],
            "supervision_no": [None, "3714812013B00999"],
            "land_use": ["住宅用地", "工业用地"],
            "park": [None, None],
            "source_file": ["ledger.xlsx", "parcels.gpkg"],
            "source_row": [12, 3],
            "reason": ["非工业用地，未分析 (land_use 住宅用地)", "几何无效 (invalid geometry)"],
            "input_kind": ["ledger", "layer"],
        }
    )


def _report() -> pd.DataFrame:
    """Two lines of the written load report (landuse.report.TABLE_COLUMNS)."""
    return pd.DataFrame(
        {
            "file": ["ledger.xlsx", "ledger.xlsx"],
            "column": ["contract_date", "area_ha"],
            "code": ["date_placeholder", "unit_in_header"],
            "message": ["占位日期（如 1900年01月01日），按缺失处理", "表头注明了单位，数值已换算"],
            "count": pd.array([1, 3], dtype="Int64"),
            "row": pd.array([5, 2], dtype="Int64"),
            "rows": ["5", "2, 3, 4"],
            "value": ["1900年01月01日", "3亩"],
            "values": ["1900年01月01日", "3亩, 4亩"],
            "action": ["treated as missing", "converted to area_ha (×0.0666667)"],
            "problem": ["占位日期 (placeholder)", "单位为亩 (unit: mu)"],
            "severity": ["warning", "info"],
        }
    )


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    path = tmp_path_factory.mktemp("book") / "meeting.xlsx"
    W.write_workbook(path, _parcels(), _rejects(), as_of=AS_OF, report=_report())
    return path, load_workbook(path)


def _header_row(ws) -> int:
    """The row of the column headers: the first row whose first cell is a header text."""
    for row in range(1, 6):
        if ws.cell(row=row, column=1).value in (
            "电子监管号",
            "宗地编号",
            "原因",
            "文件",
            "园区/地区",
        ):
            return row
    raise AssertionError(f"no header row on {ws.title}")


def _table(ws, header_row: int | None = None) -> list[dict[str, object]]:
    """The rows below the header row as dicts keyed by header."""
    header_row = header_row or _header_row(ws)
    rows = list(ws.iter_rows(min_row=header_row, values_only=True))
    header = rows[0]
    return [dict(zip(header, r, strict=True)) for r in rows[1:]]


def _cells(ws, header: str, header_row: int | None = None) -> list:
    """The cells of one column below the header row."""
    header_row = header_row or _header_row(ws)
    names = [c.value for c in ws[header_row]]
    col = names.index(header) + 1
    return [ws.cell(row=r, column=col) for r in range(header_row + 1, ws.max_row + 1)]


def _fit(value) -> int:
    """A page-fit count as read back: absent means the default, 1."""
    return 1 if value is None else int(value)


def _block(ws, first_header: str) -> list[dict[str, object]]:
    """A table of 汇总 whose header row starts with ``first_header``, down to its 合计 row."""
    start = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == first_header)
    header = [c.value for c in ws[start] if c.value is not None]
    rows = []
    for r in range(start + 1, ws.max_row + 1):
        values = [ws.cell(r, c).value for c in range(1, len(header) + 1)]
        rows.append(dict(zip(header, values, strict=True)))
        if values[0] == "合计":
            return rows
    raise AssertionError(f"no 合计 row below {first_header}")


# --------------------------------------------------------------------------- summary_table


def test_summary_table_rows_order_and_sums():
    table = W.summary_table(_parcels())
    assert list(table.columns) == list(W.SUMMARY_COLUMNS)
    keys = list(zip(table["park"], table["status"], strict=True))
    assert keys == [
        ("乙园区", "unverified"),
        ("乙园区", "compliant"),
        ("乙园区", "all"),
        ("甲园区", "recovery"),
        ("甲园区", "idle_fee"),
        ("甲园区", "all"),
        ("（未指定园区）", "late_completion"),
        ("（未指定园区）", "on_track"),
        ("（未指定园区）", "all"),
        ("合计", "all"),
    ]
    row = table.set_index(["park", "status"])
    idle = row.loc[("甲园区", "idle_fee")]
    assert idle["parcels"] == 2
    assert idle["area_ha"] == pytest.approx(4.0)
    assert idle["idle_fee_wan"] == pytest.approx(50.0 + 80.0)
    # totals add the amounts as written, each to 0.01 万元: 80.126 is listed as 80.13
    assert idle["late_start_wan"] == pytest.approx(137.25 + 80.13)
    assert idle["late_completion_wan"] == pytest.approx(0.0)  # NaN skipped
    assert np.isnan(idle["investment_shortfall_wan"])  # nothing known: null, not 0
    assert idle["total_penalty_wan"] == pytest.approx(50 + 137.25 + 80 + 80.13)
    assert row.loc[("甲园区", "all"), "status_zh"] == "小计"
    assert row.loc[("甲园区", "all"), "parcels"] == 3
    grand = row.loc[("合计", "all")]
    assert grand["parcels"] == 9
    # 1.005 is stored as 1.00499999…, written (and so summed) as 1.00
    assert grand["plot_ratio_shortfall_wan"] == pytest.approx(1.00)
    assert table["parcels"].dtype == "int64"


def test_summary_table_of_no_parcels_is_one_total_row():
    table = W.summary_table(_parcels().iloc[0:0])
    assert len(table) == 1
    assert table.loc[0, "park"] == "合计"
    assert table.loc[0, "parcels"] == 0


# --------------------------------------------------------------------------- helpers


# --------------------------------------------------------------------------- sheets and print


def test_sheet_names_in_order(book):
    _, wb = book
    assert wb.sheetnames == SHEETS


def test_without_report_there_is_no_load_sheet(tmp_path):
    path = tmp_path / "b.xlsx"
    W.write_workbook(path, _parcels(), _rejects(), as_of=dt.date(2025, 12, 31))
    assert load_workbook(path).sheetnames == SHEETS[:-1]


def test_every_sheet_prints_landscape_one_page_wide_with_header_and_footer(book):
    _, wb = book
    for ws in wb.worksheets:
        setup = ws.page_setup
        assert setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        # 1 is the file format's default for both, which XlsxWriter leaves out
        assert _fit(setup.fitToWidth) == 1, ws.title
        assert _fit(setup.fitToHeight) == (1 if ws.title == "汇总" else 0), ws.title
        assert setup.paperSize in (8, 9), ws.title  # A3 or A4
        assert ws.oddFooter.center.text == "第 &P 页 / 共 &N 页", ws.title
        assert ws.oddHeader.right.text == "评价基准日 2025-12-31", ws.title
        assert ws.oddHeader.left.text, ws.title
    assert wb["汇总"].oddHeader.left.text == "工业用地利用情况汇总"
    assert wb["拟收回"].oddHeader.left.text == "拟收回宗地（闲置满两年）"


def test_lists_repeat_freeze_and_filter_their_header_row(book):
    _, wb = book
    for name, header_row, rows in (
        ("闲置满一年", 2, 2),
        ("待核查", 3, 3),
        ("全部宗地", 2, 9),
        ("未分析记录", 2, 2),
        ("加载问题", 2, 2),
    ):
        ws = wb[name]
        assert ws.print_title_rows == f"${header_row}:${header_row}", name
        assert ws.freeze_panes == f"B{header_row + 1}", name
        assert ws.auto_filter.ref.startswith(f"A{header_row}:"), name
        assert ws.auto_filter.ref.endswith(str(header_row + rows)), name
        assert ws.cell(row=header_row, column=1).font.b, name


def test_empty_list_is_one_line(book):
    _, wb = book
    ws = wb["逾期未开工"]
    assert ws.max_row == 1 and ws.max_column == 1
    assert ws["A1"].value == "本期无逾期未开工宗地（评价基准日 2025-12-31）"
    assert wb["政府原因闲置"]["A1"].value == "本期无政府原因闲置宗地（评价基准日 2025-12-31）"


# --------------------------------------------------------------------------- 汇总


def test_summary_sheet_keeps_confirmed_and_would_apply_money_apart(book):
    _, wb = book
    ws = wb["汇总"]
    assert ws["A1"].value == "工业用地利用情况汇总（评价基准日 2025-12-31）"
    rows = {r["状态"]: r for r in _block(ws, "状态")}
    assert list(rows) == [
        "拟收回",
        "闲置满一年",
        "政府原因闲置",
        "逾期未开工",
        "待核查",
        "逾期未竣工",
        "投资强度不达标",
        "资料不全",
        "按期推进",
        "已竣工达标",
        "合计",
    ]
    # 闲置满一年: P1 (50 + 137.25) + P2 (80 + 80.126) = 347.376, written 347.38
    idle = rows["闲置满一年"]
    assert (idle["宗数"], idle["面积(公顷)"]) == (2, 4.0)
    assert idle["已确认金额(万元)"] == pytest.approx(347.376)
    assert idle["待核查金额(万元)"] == 0
    # 待核查: P4 56.4 + P5 56.4 + P6 225.6 = 338.4 would apply, nothing confirmed
    unverified = rows["待核查"]
    assert (unverified["宗数"], unverified["面积(公顷)"]) == (3, 8.0)
    assert unverified["已确认金额(万元)"] == 0
    assert unverified["待核查金额(万元)"] == pytest.approx(338.4)
    assert rows["逾期未开工"]["宗数"] == 0 and rows["逾期未开工"]["面积(公顷)"] == 0
    # confirmed: 187.25 + 160.126 + 384.3 + 12.5 + 3.333 + 1.005 = 748.514; never added to
    # the 338.4 that would apply
    total = rows["合计"]
    assert total["宗数"] == 9
    assert total["已确认金额(万元)"] == pytest.approx(748.514)
    assert total["待核查金额(万元)"] == pytest.approx(338.4)
    assert ws.cell(row=_row_of(ws, "合计"), column=1).font.b


def _row_of(ws, text: str) -> int:
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == text)


def test_summary_sheet_per_park_with_idle_and_overdue_hectares(book):
    _, wb = book
    rows = _block(wb["汇总"], "园区/地区")
    names = [r["园区/地区"] for r in rows]
    # by idle + overdue hectares: 甲园区 7 (1.5 + 2.5 + 3), （未指定园区） 4 (P7), 乙园区 0
    assert names == ["甲园区", "（未指定园区）", "乙园区", "合计"]
    park = {r["园区/地区"]: r for r in rows}
    assert park["甲园区"]["闲置面积(公顷)"] == pytest.approx(7.0)
    assert park["甲园区"]["逾期面积(公顷)"] == 0
    assert park["（未指定园区）"]["逾期面积(公顷)"] == pytest.approx(4.0)
    assert park["乙园区"]["待核查面积(公顷)"] == pytest.approx(8.0)
    assert park["乙园区"]["已确认金额(万元)"] == pytest.approx(1.005)
    assert park["乙园区"]["待核查金额(万元)"] == pytest.approx(338.4)
    assert park["合计"]["宗数"] == 9
    assert park["合计"]["待核查金额(万元)"] == pytest.approx(338.4)


def test_summary_sheet_has_a_bar_chart_of_the_parks(book):
    path, wb = book
    ws = wb["汇总"]
    (chart,) = ws._charts
    assert chart.tagname == "barChart" and chart.barDir == "bar"
    assert chart.anchor._from.col == 5  # column F, beside the status table, inside the print area
    refs = [(s.tx.v, s.cat.strRef.f, s.val.numRef.f) for s in chart.series]
    assert [r[0] for r in refs] == ["闲置", "逾期", "待核查（尚未核实）"]
    first = _row_of(ws, "园区/地区") + 1
    last = first + 2  # three parks, not the total row
    assert [r[1] for r in refs] == [f"汇总!$A${first}:$A${last}"] * 3
    assert [r[2] for r in refs] == [f"汇总!${c}${first}:${c}${last}" for c in "FGH"]
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/charts/chart1.xml").decode("utf-8")
    for name in ("闲置", "逾期", "待核查（尚未核实）"):
        assert f"<c:v>{name}</c:v>" in xml
    assert "闲置与逾期用地（公顷）" in xml


def test_summary_sheet_with_many_parks_sums_the_others(tmp_path):
    parcels = pd.concat([_parcels()] * 20, ignore_index=True)
    parcels["park"] = pd.array([f"园区{i // 9 + 1:02d}" for i in range(180)], dtype="string")
    parcels["area_ha"] = [float(i // 9 + 1) for i in range(180)]  # park k: 9 parcels of k ha
    path = tmp_path / "many.xlsx"
    W.write_workbook(path, parcels, _rejects(), as_of=AS_OF)
    ws = load_workbook(path)["汇总"]
    rows = _block(ws, "园区/地区")
    names = [r["园区/地区"] for r in rows]
    # idle (P1-P3) and overdue (P7) hectares: 4 parcels of k ha, so park 20 first
    assert names[:3] == ["园区20", "园区19", "园区18"]
    assert names[-2:] == ["其他 6 个园区/地区", "合计"]
    assert len(names) == W.SUMMARY_GROUPS + 1
    # parks 1-6 summed: 9 parcels each, (1 + ... + 6) x 9 ha
    assert rows[-2]["宗数"] == 54 and rows[-2]["面积(公顷)"] == pytest.approx(189.0)
    assert rows[-1]["宗数"] == 180
    (chart,) = ws._charts  # the parks by name, not the others summed
    first = _row_of(ws, "园区/地区") + 1
    assert chart.series[0].cat.strRef.f == f"汇总!$A${first}:$A${first + 13}"
    assert any("园区/地区共 20 个" in (ws.cell(r, 1).value or "") for r in range(1, 6))


def test_summary_sheet_without_idle_or_overdue_land_lists_the_most_unverified(tmp_path):
    # a month of ledgers alone: nothing idle or overdue, every past-due parcel 待核查
    parcels = pd.concat([_parcels().iloc[[3]]] * 20, ignore_index=True)  # P4: unverified
    parcels["park"] = pd.array([f"园区{i + 1:02d}" for i in range(20)], dtype="string")
    parcels["area_ha"] = [float(i + 1) for i in range(20)]  # park k: k ha unverified
    path = tmp_path / "unverified.xlsx"
    W.write_workbook(path, parcels, _rejects(), as_of=AS_OF)
    ws = load_workbook(path)["汇总"]
    rows = _block(ws, "园区/地区")
    assert [r["园区/地区"] for r in rows][:3] == ["园区20", "园区19", "园区18"]
    assert [r["待核查面积(公顷)"] for r in rows][:3] == [20.0, 19.0, 18.0]
    # parks 1-6 summed: 1 + ... + 6 = 21 ha
    assert rows[-2]["园区/地区"] == "其他 6 个园区/地区"
    assert rows[-2]["待核查面积(公顷)"] == pytest.approx(21.0)
    notes = " ".join(str(ws.cell(r, 1).value or "") for r in range(1, 6))
    assert "面积相同时按待核查面积" in notes


def test_summary_sheet_is_one_page(book):
    _, wb = book
    ws = wb["汇总"]
    assert _fit(ws.page_setup.fitToHeight) == 1 and _fit(ws.page_setup.fitToWidth) == 1
    # the print area holds the tables (columns A-H) and the chart beside them
    last = max(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "合计")
    assert ws.print_area == f"'汇总'!$A$1:$I${last}"


def test_group_detail_sheet_counts_confirmed_amounts_by_kind(book):
    _, wb = book
    rows = _table(wb["分园区汇总"], 3)
    keyed = {(r["园区/地区"], r["状态"]): r for r in rows}
    idle = keyed[("甲园区", "闲置满一年")]
    assert idle["宗数"] == 2
    assert idle["土地闲置费(万元)"] == pytest.approx(130.0)
    assert idle["逾期开工违约金(万元)"] == pytest.approx(217.376)
    # 待核查 rows carry no confirmed amount by kind: theirs is in 待核查金额
    unverified = keyed[("乙园区", "待核查")]
    assert unverified["土地闲置费(万元)"] == 0
    assert unverified["已确认金额(万元)"] == 0
    assert unverified["待核查金额(万元)"] == pytest.approx(338.4)
    subtotal = keyed[("乙园区", "小计")]
    assert subtotal["已确认金额(万元)"] == pytest.approx(1.005)
    assert subtotal["待核查金额(万元)"] == pytest.approx(338.4)
    assert keyed[("合计", "合计")]["宗数"] == 9
    assert list(keyed)[-1] == ("合计", "合计")


# --------------------------------------------------------------------------- lists


def test_action_lists_hold_their_status_by_money(book):
    _, wb = book
    assert [r["宗地编号"] for r in _table(wb["拟收回"])] == ["P3"]
    # P1 (187.25) before P2 (160.126)
    assert [r["宗地编号"] for r in _table(wb["闲置满一年"])] == ["P1", "P2"]
    assert [r["宗地编号"] for r in _table(wb["逾期未竣工"])] == ["P7"]
    late_pay = _table(wb["价款逾期"])
    assert [r["宗地编号"] for r in late_pay] == ["P8"]
    assert late_pay[0]["价款滞纳违约金(万元)"] == pytest.approx(3.33)
    assert late_pay[0]["状态"] == "按期推进"
    assert late_pay[0]["欠缴价款(万元)"] == pytest.approx(50.0)  # nothing paid of 50


def test_below_threshold_sheet_takes_every_status(book):
    _, wb = book
    rows = _table(wb["投资强度不达标"])
    # P7 (late_completion, 12.5 confirmed) before P8 (on_track, 3.333); P3's flag is null
    assert [r["宗地编号"] for r in rows] == ["P7", "P8"]
    assert [r["状态"] for r in rows] == ["逾期未竣工", "按期推进"]
    # investment needed to reach the threshold: 5000 * 4.0 - 12000 = 8000
    assert rows[0]["达标尚需投资(万元)"] == pytest.approx(8000.0)
    assert rows[0]["已确认金额(万元)"] == pytest.approx(12.5)
    assert rows[0][POTENTIAL_ZH] == 0


def test_inspection_form_ranks_by_money_at_stake(book):
    _, wb = book
    ws = wb["待核查"]
    title = ws["A1"].value
    assert "2025-12-31" in title and "共 3 宗" in title and "按待核查金额从高到低排列" in title
    note = ws["A2"].value
    assert "--inspections 本文件.xlsx --sheet 待核查" in note and "尚未确认" in note
    header = [c.value for c in ws[3]]
    assert header[: len(FORM_IDS) + len(FORM_FILL)] == FORM_IDS + FORM_FILL
    rows = _table(ws, 3)
    # P6: 80 + 145.6 = 225.6; P4 and P5: 56.4 each, P5 (5 ha) before P4 (1 ha)
    assert [r["宗地编号"] for r in rows] == ["P6", "P5", "P4"]
    assert [r["待核查金额(万元)"] for r in rows] == [pytest.approx(225.6), 56.4, 56.4]
    assert [r["电子监管号"] for r in rows] == [f"3714812013B0017{i}" for i in (6, 5, 4)]
    assert {r["园区/地区"] for r in rows} == {"乙园区"}
    assert rows[0]["开工期限"] == dt.datetime(2025, 1, 1)
    assert all(r[h] is None for r in rows for h in FORM_FILL)


def test_inspection_form_columns_to_fill(book):
    _, wb = book
    ws = wb["待核查"]
    header = [c.value for c in ws[3]]
    letter = {h: ws.cell(row=3, column=header.index(h) + 1).column_letter for h in FORM_FILL}
    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    result = rules[f"{letter['核查结论']}4:{letter['核查结论']}6"]
    assert result.type == "list" and result.formula1 == '"已开工,未开工,已竣工"'
    for name in ("核查日期", "实际开工时间", "实际竣工时间", "停工日期"):
        rule = rules[f"{letter[name]}4:{letter[name]}6"]
        assert rule.type == "date", name
    assert rules[f"{letter['已开发面积(公顷)']}4:{letter['已开发面积(公顷)']}6"].type == "decimal"
    # the sheet is protected; the columns to fill are unlocked, in their own colour
    assert ws.protection.sheet
    dims = list(ws.column_dimensions.values())
    for name in FORM_FILL:
        index = header.index(name) + 1
        (dim,) = [d for d in dims if d.min <= index <= d.max]
        style = dim._style
        assert wb._protections[style.protectionId].locked is False, name
        assert wb._fills[style.fillId].fgColor.rgb.endswith("FFF2CC"), name
    assert ws.cell(row=3, column=header.index("核查日期") + 1).fill.fgColor.rgb.endswith("FFD966")
    # printed: the identifying columns and the columns to fill, in taller rows
    assert ws.print_area == f"'待核查'!$A$1:${letter['备注']}$6"
    assert ws.sheet_format.defaultRowHeight == pytest.approx(22, abs=0.5)


def test_dates_amounts_areas_and_booleans_formatted(book):
    _, wb = book
    ws = wb["闲置满一年"]
    due = _cells(ws, "应开工日期")
    assert isinstance(due[0].value, dt.datetime)
    assert due[0].value.date() == dt.date(2024, 6, 30)
    assert due[0].number_format == "yyyy-mm-dd"
    late = _cells(ws, "逾期开工违约金(万元)")
    assert [c.value for c in late] == [137.25, 80.13]
    assert late[1].number_format == "#,##0.00"
    area = _cells(ws, "面积(公顷)")
    assert area[0].number_format == "#,##0.00"
    assert area[0].value == pytest.approx(1.5)
    days = _cells(ws, "逾期开工天数")
    assert [c.value for c in days] == [549, 670]
    assert days[0].number_format == "#,##0"
    all_rows = wb["全部宗地"]
    assert {c.value for c in _cells(all_rows, "金额已确认")} == {"是", "否"}
    assert [c.value for c in _cells(all_rows, "投资强度不达标")][:3] == ["否", "否", None]
    assert _cells(all_rows, "来源行号")[0].number_format == "0"


def test_all_parcels_sheet_drops_geometry_codes_and_the_as_of_date(book):
    _, wb = book
    ws = wb["全部宗地"]
    assert "评价基准日 2025-12-31" in ws["A1"].value
    header = [c.value for c in ws[2]]
    for gone in ("geometry", "状态代码", "评价基准日", "投资不达标违约金(万元)"):
        assert gone not in header  # the last one: empty in every row
    assert header[-2:] == ["来源文件", "来源行号"]
    assert "状态" in header
    at = header.index("合计金额(万元)")
    assert header[at + 1 : at + 3] == ["已确认金额(万元)", POTENTIAL_ZH]
    assert len(_table(ws)) == 9


def test_all_parcels_sheet_shows_progress_by_its_label_only(tmp_path):
    parcels = _parcels()
    codes = ["no_progress"] * 3 + ["unverified"] * 3 + ["behind", "normal", "ahead"]
    parcels["progress"] = pd.Categorical(codes)
    parcels["progress_zh"] = ["无进展"] * 3 + ["待核查"] * 3 + ["滞后", "正常", "推进超过"]
    path = tmp_path / "progress.xlsx"
    W.write_workbook(path, parcels, _rejects(), as_of=AS_OF)
    ws = load_workbook(path)["全部宗地"]
    header = [c.value for c in ws[2]]
    assert "推进情况" in header
    assert "推进情况代码" not in header  # the code column beside its label is left out
    rows = _table(ws)
    assert [r["推进情况"] for r in rows] == parcels["progress_zh"].tolist()
    for row in rows:
        assert not {v for v in row.values() if isinstance(v, str)} & set(codes)
    # without the label column, the code column is shown in Chinese
    path = tmp_path / "progress_codes.xlsx"
    W.write_workbook(path, parcels.drop(columns="progress_zh"), _rejects(), as_of=AS_OF)
    rows = _table(load_workbook(path)["全部宗地"])
    assert [r["推进情况代码"] for r in rows] == parcels["progress_zh"].tolist()


def test_rejects_sheet_lists_reason_and_source(book):
    _, wb = book
    ws = wb["未分析记录"]
    rows = _table(ws)
    assert [c.value for c in ws[2]][:4] == ["原因", "来源文件", "来源行号", "输入类型"]
    assert rows[0]["原因"] == "非工业用地，未分析 (land_use 住宅用地)"
    assert rows[0]["来源行号"] == 12
    assert rows[0]["土地用途"] == "住宅用地"
    assert rows[1]["输入类型"] == "图层"
    assert "园区" not in rows[0]  # a canonical column with no value is left out


def test_load_report_sheet_in_chinese(book):
    _, wb = book
    ws = wb["加载问题"]
    rows = _table(ws)
    assert rows[0] == {
        "文件": "ledger.xlsx",
        "列": "合同签订日期",
        "问题说明": "占位日期（如 1900年01月01日），按缺失处理",
        "条数": 1,
        "首行行号": 5,
        "行号(前10个)": "5",
        "首个值": "1900年01月01日",
        "值(前5种)": "1900年01月01日",
        "处理 (action)": "按缺失处理",
        "详细 (detail)": "占位日期 (placeholder)",
        "级别": "警告",
    }  # the code (date_placeholder) is shown by its message
    assert (rows[1]["列"], rows[1]["处理 (action)"], rows[1]["级别"]) == (
        "面积(公顷)",
        "已换算为面积(公顷)（×0.0666667）",
        "提示",
    )
    assert _cells(ws, "条数")[1].number_format == "#,##0"


def test_column_widths_from_the_values(book):
    _, wb = book
    ws = wb["闲置满一年"]
    header = [c.value for c in ws[2]]
    col = ws.cell(row=2, column=header.index("法律依据") + 1).column_letter
    # 《闲置土地处置办法》第十四条第（一）项: 19 wide characters, two columns each
    assert ws.column_dimensions[col].width >= 38
    narrow = ws.cell(row=2, column=header.index("逾期开工天数") + 1).column_letter
    assert ws.column_dimensions[narrow].width < 12


# --------------------------------------------------------------------------- safety


def test_untrusted_text_is_written_as_text_never_as_formula(book):
    path, wb = book
    ws = wb["全部宗地"]
    names = {c.value: c for c in _cells(ws, "项目名称")}
    for text in (HYPERLINK, SCRIPT, "-2+3"):
        assert names[text].data_type == "s"
    assert names[HYPERLINK].quotePrefix and names["-2+3"].quotePrefix
    assert not names[SCRIPT].quotePrefix
    holder = [c for c in _cells(ws, "土地使用权人") if c.value.startswith("+")]
    assert holder[0].value == "+cmd|' /C calc'!A0"
    assert holder[0].data_type == "s" and holder[0].quotePrefix
    with zipfile.ZipFile(path) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert len(sheets) == len(SHEETS)
        for name in sheets:
            xml = z.read(name).decode("utf-8")
            assert "<f>" not in xml and "<f " not in xml, name
            assert "<script>" not in xml  # escaped as &lt;script&gt;


def test_shared_text_that_looks_like_a_formula_keeps_its_quote(tmp_path):
    parcels = _parcels()
    parcels["park"] = pd.array(["=1+1"] * 9, dtype="string")  # few values: shared strings
    path = tmp_path / "shared.xlsx"
    W.write_workbook(path, parcels, _rejects(), as_of=AS_OF)
    ws = load_workbook(path)["全部宗地"]
    cells = _cells(ws, "园区")
    assert {c.value for c in cells} == {"=1+1"}
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)
    with zipfile.ZipFile(path) as z:  # the shared string table holds it once
        assert z.read("xl/sharedStrings.xml").decode("utf-8").count("<t>=1+1</t>") == 1


def test_characters_xml_cannot_hold_are_removed(tmp_path):
    parcels = _parcels()
    parcels.loc[0, "project_name"] = "项目\x07一\x00"
    parcels.loc[1, "holder"] = "甲\x1b公司_x0041_"
    path = tmp_path / "ctl.xlsx"
    W.write_workbook(path, parcels, _rejects().iloc[0:0], as_of=AS_OF)
    wb = load_workbook(path)
    rows = _table(wb["闲置满一年"])
    assert rows[0]["项目名称"] == "项目一"
    # Excel reads _xHHHH_ as an escaped character: the text's own underscore is escaped
    assert rows[1]["土地使用权人"] == "甲公司_x005F_x0041_"
    assert wb["未分析记录"]["A1"].value == "本期无未分析记录（评价基准日 2025-12-31）"


# --------------------------------------------------------------------------- labels


def _every_code() -> pd.DataFrame:
    """Parcels whose code columns take every value of the vocabulary, booleans both values,
    data issues every known code, and the status insufficient_data too."""
    vocab = {k: v for k, v in W.VALUE_LABELS_ZH.items() if k not in ("input_kind", "severity")}
    n = max(len(v) for v in vocab.values())
    frame = _parcels().iloc[[i % 9 for i in range(n)]].reset_index(drop=True)
    for name, labels in vocab.items():
        codes = list(labels)
        frame[name] = [codes[i % len(codes)] for i in range(n)]
    frame["status"] = pd.Categorical(frame["status"], categories=list(W.VALUE_LABELS_ZH["status"]))
    frame = frame.drop(columns="status_zh")
    issues = list(W.DATA_ISSUE_LABELS_ZH)
    frame["data_issues"] = [
        ";".join(issues[i % len(issues) : i % len(issues) + 2]) for i in range(n)
    ]
    for flag in ("started", "completed", "recovery_candidate", "area_mismatch"):
        frame[flag] = [i % 2 == 0 for i in range(n)]
    return frame


def test_every_code_is_shown_by_its_chinese_label(tmp_path):
    frame = _every_code()
    rejects = _rejects()
    path = tmp_path / "codes.xlsx"
    W.write_workbook(path, frame, rejects, as_of=AS_OF, report=_report())
    codes = {c for labels in W.VALUE_LABELS_ZH.values() for c in labels}
    codes |= set(W.DATA_ISSUE_LABELS_ZH) | {"True", "False", "completion"}
    wb = load_workbook(path)
    assert "资料不全" in wb.sheetnames
    seen = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            for value in row:
                assert not isinstance(value, bool), ws.title
                if isinstance(value, str):
                    seen.add(value)
                    parts = {p.strip() for p in re.split(r"[；;,|]", value)}
                    assert not (parts & codes), (ws.title, value)
    for label in ("实际竣工日期", "资料不全", "现行代码", "实际交地时间加一年", "无法确定"):
        assert label in seen
    # the first two data issue codes, joined: start_due_unknown;extended_start_before_contract
    assert (
        "无法确定应开工日期（无延期开工、约定开工、交地日期）；延期开工日期早于合同签订日期（未采用）"
        in seen
    )


def test_unknown_issue_codes_naming_a_column_are_described():
    assert W._issues_label("no_land_price_wan|bad_contract_date") == (
        "缺成交价格(万元)；合同签订日期异常"
    )
    assert W._issues_label(["no_area"]) == "面积缺失或为零"
    assert W._issues_label("something_new") == "something_new"
    assert W._issues_label(None) is None


def test_data_issues_given_as_lists(tmp_path):
    parcels = _parcels()
    parcels["data_issues"] = [["no_area", "no_price"], None] + [[]] * 7
    path = tmp_path / "lists.xlsx"
    W.write_workbook(path, parcels, _rejects(), as_of=AS_OF)
    issues = [c.value for c in _cells(load_workbook(path)["全部宗地"], "数据问题")]
    assert issues == ["面积缺失或为零；成交价格缺失或为零", None] + [None] * 7


def test_insufficient_data_list(tmp_path, book):
    _, wb = book
    ws = wb["资料不全"]
    assert ws.max_row == 1 and ws["A1"].value == "本期无资料不全宗地（评价基准日 2025-12-31）"
    parcels = _parcels()
    parcels.loc[[7, 8], "status"] = "insufficient_data"
    parcels["data_issues"] = [None] * 7 + ["start_due_unknown", "no_area;no_price"]
    path = tmp_path / "insufficient.xlsx"
    W.write_workbook(path, parcels, _rejects(), as_of=AS_OF)
    rows = _table(load_workbook(path)["资料不全"])
    assert [r["宗地编号"] for r in rows] == ["P9", "P8"]  # by area: 1.23456 ha, 0.5 ha
    assert rows[0]["数据问题"] == "面积缺失或为零；成交价格缺失或为零"


def test_summary_groups_by_region_when_the_park_is_unknown(tmp_path):
    parcels = _parcels()
    parcels["region_label"] = pd.array(["湖北省武汉市江夏区"] * 9, dtype="string")
    path = tmp_path / "regions.xlsx"
    W.write_workbook(path, parcels, _rejects(), as_of=AS_OF)
    wb = load_workbook(path)
    names = [r["园区/地区"] for r in _block(wb["汇总"], "园区/地区")]
    # P7 and P8 have no park: their region instead of （未指定园区）
    assert names == ["甲园区", "湖北省武汉市江夏区", "乙园区", "合计"]
    form = _table(wb["待核查"], 3)
    assert {r["园区/地区"] for r in form} == {"乙园区"}
    detail = [r["园区/地区"] for r in _table(wb["分园区汇总"], 3) if r["状态"] == "小计"]
    assert detail == ["乙园区", "甲园区", "湖北省武汉市江夏区"]  # parks, then regions


# --------------------------------------------------------------------------- limits, paths


def test_row_limit_splits_the_sheet_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(W, "EXCEL_MAX_ROWS", 6)  # a title, a header and 4 rows per sheet
    path = tmp_path / "split.xlsx"
    W.write_workbook(path, _parcels(), _rejects(), as_of=AS_OF)
    wb = load_workbook(path)
    parts = ["全部宗地", "全部宗地(2)", "全部宗地(3)"]
    assert [n for n in wb.sheetnames if n.startswith("全部宗地")] == parts
    ids = [r["宗地编号"] for name in parts for r in _table(wb[name])]
    assert ids == [f"P{i}" for i in range(1, 10)]
    assert "分 3 表列出" in wb["全部宗地(2)"]["A1"].value
    assert "第 5–8 行" in wb["全部宗地(2)"]["A1"].value
    notes = [wb["汇总"].cell(row=r, column=1).value or "" for r in range(1, 7)]
    assert any("全部宗地、全部宗地(2)、全部宗地(3)" in n for n in notes)


def test_a_sheet_stays_under_the_zip_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(W, "_SIZE_CHECK_ROWS", 0)
    monkeypatch.setattr(W, "SHEET_XML_BYTES", 2_500)  # a few rows of 全部宗地 (~600 bytes each)
    path = tmp_path / "size.xlsx"
    W.write_workbook(path, _parcels(), _rejects(), as_of=AS_OF)
    wb = load_workbook(path)
    parts = [n for n in wb.sheetnames if n.startswith("全部宗地")]
    assert len(parts) > 1
    assert [r["宗地编号"] for name in parts for r in _table(wb[name])] == [
        f"P{i}" for i in range(1, 10)
    ]
    notes = [wb["汇总"].cell(row=r, column=1).value or "" for r in range(1, 7)]
    assert any("、".join(parts) in n for n in notes)


def test_rows_in_blocks_converted_by_threads_are_the_same(tmp_path, monkeypatch, book):
    path, whole = book
    monkeypatch.setattr(W, "BLOCK_ROWS", 2)  # 9 parcels: 5 blocks, 4 of them on threads
    blocks_path = tmp_path / "blocks.xlsx"
    W.write_workbook(blocks_path, _parcels(), _rejects(), as_of=AS_OF, report=_report())
    blocks = load_workbook(blocks_path)
    for name in SHEETS:
        assert list(whole[name].iter_rows(values_only=True)) == list(
            blocks[name].iter_rows(values_only=True)
        ), name
    assert [c.number_format for c in _cells(blocks["全部宗地"], "面积(公顷)")] == ["#,##0.00"] * 9


def test_rows_without_the_row_stream_are_the_same(tmp_path, monkeypatch, book):
    path, fast = book
    monkeypatch.setattr(W, "RAW_ROWS", False)
    slow_path = tmp_path / "slow.xlsx"
    W.write_workbook(slow_path, _parcels(), _rejects(), as_of=AS_OF, report=_report())
    slow = load_workbook(slow_path)
    for name in SHEETS:
        a = list(fast[name].iter_rows(values_only=True))
        b = list(slow[name].iter_rows(values_only=True))
        assert a == b, name
    (cell,) = [c for c in _cells(slow["全部宗地"], "项目名称") if c.value == "-2+3"]
    assert cell.quotePrefix


def test_geodataframe_with_repeated_index(tmp_path):
    gpd = pytest.importorskip("geopandas")
    parcels = gpd.GeoDataFrame(_parcels(), geometry="geometry", crs="EPSG:4527")
    parcels.index = [0, 0, 1, 1, 2, 2, 3, 3, 4]
    path = tmp_path / "geo.xlsx"
    W.write_workbook(path, parcels, _rejects(), as_of=pd.Timestamp(AS_OF))
    wb = load_workbook(path)
    assert [r["宗地编号"] for r in _table(wb["待核查"], 3)] == ["P6", "P5", "P4"]
    assert len(_table(wb["全部宗地"])) == 9
    assert W.summary_table(parcels)["parcels"].iloc[-1] == 9


def test_no_parcels_still_makes_a_workbook(tmp_path):
    path = tmp_path / "empty.xlsx"
    W.write_workbook(path, _parcels().iloc[0:0], _rejects(), as_of=AS_OF)
    wb = load_workbook(path)
    assert wb["全部宗地"]["A1"].value == "本期无分析宗地（评价基准日 2025-12-31）"
    assert _block(wb["汇总"], "状态")[-1]["宗数"] == 0


def test_a_failed_write_leaves_no_file_and_no_temporary_rows(tmp_path, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(W, "_write_group_detail", broken)
    path = tmp_path / "broken.xlsx"
    with pytest.raises(RuntimeError, match="boom"):
        W.write_workbook(path, _parcels(), _rejects(), as_of=AS_OF)
    assert not path.exists()


def test_a_failed_zip_leaves_no_file(tmp_path, monkeypatch):
    def full_disk(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(W.xlsxwriter.workbook.Workbook, "_store_workbook", full_disk)
    path = tmp_path / "full.xlsx"
    with pytest.raises(OSError, match="No space left"):
        W.write_workbook(path, _parcels(), _rejects(), as_of=AS_OF)
    assert not path.exists()


def test_table_workbook_prints_and_keeps_column_names(tmp_path):
    frame = pd.DataFrame({"area_ha": [1.5, 2.25], "x": ["=1", "a"], "passed": [True, False]})
    W.write_table_workbook(tmp_path / "t.xlsx", frame, sheet="s")
    ws = load_workbook(tmp_path / "t.xlsx")["s"]
    assert [c.value for c in ws[1]] == ["area_ha", "x", "passed"]
    assert ws["A2"].value == 1.5 and ws["A2"].number_format == "#,##0.00"
    assert ws["B2"].value == "=1" and ws["B2"].quotePrefix
    assert [ws["C2"].value, ws["C3"].value] == ["是", "否"]
    assert ws.page_setup.orientation == "landscape"
    assert ws.print_title_rows == "$1:$1"


# --------------------------------------------------------------------------- from the analysis


@pytest.mark.parametrize(
    ("cap", "order", "at_stake"),
    [
        # default cap (the recovery date): A's late start stops two years after its due date,
        # 2018-01-01 → 2020-01-01 = 730 days: 1000 × 1‰ × 730 = 730, + idle fee 0.20 × 1000
        # = 930; B (due 2024-03-01, 486 days to 2025-06-30, under the cap): 2000 × 1‰ × 486
        # = 972, + idle fee 0.20 × 2000 = 400: 1372. B is inspected first.
        ("", ["B", "A"], [1372.0, 930.0]),
        # no cap: A runs on to 2025-06-30, 2737 days (2018-01-01 → 2025-01-01 = 7 × 365 + 2
        # leap days = 2557, + 180): 2737 + 200 = 2937, ahead of B
        ('[rates]\nlate_fee_cap = "none"\n', ["A", "B"], [2937.0, 1372.0]),
    ],
)
def test_inspection_form_ranks_by_the_capped_amount(tmp_path, cap, order, at_stake):
    ledger = tmp_path / "ledger.csv"
    ledger.write_text(
        "宗地编号,土地用途,面积(公顷),成交价格(万元),合同签订日期,约定开工时间\n"
        "A,工业用地,1,1000,2017-06-01,2018-01-01\n"
        "B,工业用地,1,2000,2023-09-01,2024-03-01\n",
        encoding="utf-8",
    )
    rules = tmp_path / "rules.toml"
    rules.write_text(cap, encoding="utf-8")
    results = run_analysis([ledger], rules=load_rules(rules), as_of="2025-06-30")
    out = tmp_path / "results.xlsx"
    write_results(results, out)
    rows = _table(load_workbook(out)["待核查"], 3)
    assert [r["宗地编号"] for r in rows] == order
    assert [r["待核查金额(万元)"] for r in rows] == pytest.approx(at_stake)
