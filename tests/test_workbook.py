"""The meeting workbook and the summary table, read back with openpyxl.

The analysed table is built by hand (no call to the analysis); every expected number is worked
out in the test.
"""

from __future__ import annotations

import datetime as dt
import zipfile

import numpy as np
import pandas as pd
import pytest
import shapely
from openpyxl import load_workbook

from landuse import workbook as W
from landuse.schema import AMOUNT_COLUMNS, OUTPUT_LABELS_ZH, STATUS_ZH

AS_OF = "2025-12-31"
HYPERLINK = '=HYPERLINK("http://evil.example/x","点我")'
SCRIPT = "<script>alert(1)</script>"
SHEETS = [
    "汇总",
    "拟收回",
    "闲置满一年",
    "逾期未开工",
    "待核查",
    "逾期未竣工",
    "投资强度不达标",
    "价款逾期",
    "政府原因闲置",
    "全部宗地",
    "未分析记录",
    "加载问题",
]
NAN = np.nan


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
    # P4 and P5 tie on money (56.4); P5 has more land, so it is inspected first
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
    return pd.DataFrame(
        {
            "file": ["ledger.xlsx"],
            "row": pd.array([5], dtype="Int64"),
            "column": ["contract_date"],
            "value": ["1900年01月01日"],
            "problem": ["占位日期"],
            "action": ["按缺失处理"],
            "severity": ["warning"],
        }
    )


@pytest.fixture
def book(tmp_path):
    path = tmp_path / "meeting.xlsx"
    W.write_workbook(path, _parcels(), _rejects(), as_of=AS_OF, report=_report())
    return path, load_workbook(path)


def _table(ws, header_row: int) -> list[dict[str, object]]:
    """The rows below ``header_row`` as dicts keyed by header."""
    rows = list(ws.iter_rows(min_row=header_row, values_only=True))
    header = rows[0]
    return [dict(zip(header, r, strict=True)) for r in rows[1:]]


def _cells(ws, header_row: int, header: str) -> list:
    """The cells of one column below the header row."""
    names = [c.value for c in ws[header_row]]
    col = names.index(header) + 1
    return [ws.cell(row=r, column=col) for r in range(header_row + 1, ws.max_row + 1)]


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
    assert idle["late_start_wan"] == pytest.approx(137.25 + 80.126)
    assert idle["late_completion_wan"] == pytest.approx(0.0)  # NaN skipped
    assert np.isnan(idle["investment_shortfall_wan"])  # nothing known: null, not 0
    assert idle["total_penalty_wan"] == pytest.approx(50 + 137.25 + 80 + 80.126)
    assert row.loc[("甲园区", "all"), "status_zh"] == "小计"
    assert row.loc[("甲园区", "all"), "parcels"] == 3
    assert row.loc[("甲园区", "all"), "area_ha"] == pytest.approx(7.0)
    assert row.loc[("乙园区", "unverified"), "status_zh"] == "待核查"
    assert row.loc[("乙园区", "unverified"), "area_ha"] == pytest.approx(8.0)
    assert row.loc[("（未指定园区）", "all"), "parcels"] == 2
    grand = row.loc[("合计", "all")]
    assert grand["parcels"] == 9
    assert grand["area_ha"] == pytest.approx(1.5 + 2.5 + 3 + 1 + 5 + 2 + 4 + 0.5 + 1.23456)
    assert grand["plot_ratio_shortfall_wan"] == pytest.approx(1.005)
    assert grand["status_zh"] == "合计"
    assert table["parcels"].dtype == "int64"


def test_summary_table_of_no_parcels_is_one_total_row():
    table = W.summary_table(_parcels().iloc[0:0])
    assert len(table) == 1
    assert table.loc[0, "park"] == "合计"
    assert table.loc[0, "parcels"] == 0


# --------------------------------------------------------------------------- workbook


def test_sheet_names_in_order(book):
    _, wb = book
    assert wb.sheetnames == SHEETS


def test_without_report_there_is_no_load_sheet(tmp_path):
    path = tmp_path / "b.xlsx"
    W.write_workbook(path, _parcels(), _rejects(), as_of=dt.date(2025, 12, 31))
    assert load_workbook(path).sheetnames == SHEETS[:-1]


def test_summary_sheet_totals(book):
    _, wb = book
    ws = wb["汇总"]
    assert ws["A1"].value == "工业用地利用情况汇总（评价基准日 2025-12-31）"
    header = [c.value for c in ws[3]]
    assert header == [
        "园区",
        "状态",
        "宗数",
        "面积(公顷)",
        *(OUTPUT_LABELS_ZH[c] for c in AMOUNT_COLUMNS),
        "合计金额(万元)",
    ]
    rows = {(r["园区"], r["状态"]): r for r in _table(ws, 3)}
    idle = rows[("甲园区", "闲置满一年")]
    assert idle["宗数"] == 2
    assert idle["面积(公顷)"] == pytest.approx(4.0)
    assert idle["土地闲置费(万元)"] == pytest.approx(130.0)
    assert idle["逾期开工违约金(万元)"] == pytest.approx(217.38)  # 137.25 + 80.126, rounded
    assert idle["投资不达标违约金(万元)"] is None
    assert idle["合计金额(万元)"] == pytest.approx(347.38)
    assert rows[("甲园区", "小计")]["宗数"] == 3
    assert rows[("乙园区", "待核查")]["宗数"] == 3
    assert rows[("乙园区", "待核查")]["面积(公顷)"] == pytest.approx(8.0)
    assert rows[("（未指定园区）", "小计")]["面积(公顷)"] == pytest.approx(4.5)
    assert rows[("合计", "合计")]["宗数"] == 9
    assert list(rows)[-1] == ("合计", "合计")
    # subtotal rows are bold
    park_cells = _cells(ws, 3, "园区")
    subtotal = next(c for c in park_cells if ws.cell(row=c.row, column=2).value == "小计")
    assert subtotal.font.b


def test_unverified_sheet_ranked_by_money_then_area(book):
    _, wb = book
    ws = wb["待核查"]
    title = ws["A1"].value
    assert "2025-12-31" in title
    assert "共 3 宗" in title
    assert "未开工" in title
    assert "尚未确认" in title
    rows = _table(ws, 2)
    # P6: 80 + 145.6 = 225.6; P4 and P5: 56.4 each, P5 (5 ha) before P4 (1 ha)
    assert [r["宗地编号"] for r in rows] == ["P6", "P5", "P4"]
    assert [r["合计金额(万元)"] for r in rows] == [pytest.approx(225.6), 56.4, 56.4]
    assert {r["金额已确认"] for r in rows} == {"否"}


def test_action_lists_hold_their_status(book):
    _, wb = book
    assert [r["宗地编号"] for r in _table(wb["拟收回"], 2)] == ["P3"]
    # P1 (50 + 137.25 = 187.25) before P2 (80 + 80.126 = 160.126)
    assert [r["宗地编号"] for r in _table(wb["闲置满一年"], 2)] == ["P1", "P2"]
    assert [r["宗地编号"] for r in _table(wb["逾期未竣工"], 2)] == ["P7"]
    assert [r["宗地编号"] for r in _table(wb["价款逾期"], 2)] == ["P8"]
    late_pay = _table(wb["价款逾期"], 2)[0]
    assert late_pay["价款滞纳违约金(万元)"] == pytest.approx(3.33)
    assert late_pay["状态"] == "按期推进"


def test_below_threshold_sheet_takes_every_status(book):
    _, wb = book
    ws = wb["投资强度不达标"]
    rows = _table(ws, 2)
    # P7 is late_completion, P8 on_track: both are below the threshold; P3's flag is null
    assert [r["宗地编号"] for r in rows] == ["P7", "P8"]
    assert [r["状态"] for r in rows] == ["逾期未竣工", "按期推进"]
    # investment needed to reach the threshold: 5000 * 4.0 - 12000 = 8000
    assert rows[0]["达标尚需投资(万元)"] == pytest.approx(8000.0)
    assert rows[0]["投资强度(万元/公顷)"] == pytest.approx(3000.0)
    assert rows[0]["投资强度标准(万元/公顷)"] == pytest.approx(5000.0)


def test_empty_list_has_header_and_none_line(book):
    _, wb = book
    ws = wb["逾期未开工"]
    assert "共 0 宗" in ws["A1"].value
    assert ws["A2"].value == "宗地编号"
    assert ws["A3"].value == "无"
    assert ws.max_row == 3


def test_dates_amounts_areas_and_booleans_formatted(book):
    _, wb = book
    ws = wb["闲置满一年"]
    due = _cells(ws, 2, "应开工日期")
    assert isinstance(due[0].value, dt.datetime)
    assert due[0].value.date() == dt.date(2024, 6, 30)
    assert due[0].number_format == "yyyy-mm-dd"
    late = _cells(ws, 2, "逾期开工违约金(万元)")
    assert [c.value for c in late] == [137.25, 80.13]
    assert late[1].number_format == "0.00"
    area = _cells(ws, 2, "面积(公顷)")
    assert area[0].number_format == "0.0000"
    assert area[0].value == pytest.approx(1.5)
    confirmed = _cells(ws, 2, "金额已确认")
    assert [c.value for c in confirmed] == ["是", "是"]
    days = _cells(ws, 2, "逾期开工天数")
    assert [c.value for c in days] == [549, 670]


def test_layout_bold_frozen_filtered_and_wide_enough(book):
    _, wb = book
    for name in SHEETS[1:]:
        ws = wb[name]
        assert ws.freeze_panes == "A3", name
        assert ws["A2"].font.b, name
        assert ws.auto_filter.ref.startswith("A2:"), name
    ws = wb["待核查"]
    assert ws.auto_filter.ref.endswith("5")  # header row 2 + 3 rows
    assert wb["汇总"].freeze_panes == "A4"
    # 法律依据 holds long CJK text: counted double, capped at 60
    names = [c.value for c in ws[2]]
    col = names.index("法律依据") + 1
    basis = "《闲置土地处置办法》第十四条第（一）项"
    width = ws.column_dimensions[ws.cell(row=2, column=col).column_letter].width
    assert width >= 2 * len(basis) - 2


def test_all_parcels_sheet_drops_geometry_and_keeps_every_row(book):
    _, wb = book
    ws = wb["全部宗地"]
    header = [c.value for c in ws[2]]
    assert "geometry" not in header
    assert header[-2:] == ["来源文件", "来源行号"]
    assert "状态代码" in header
    assert len(_table(ws, 2)) == 9


def test_rejects_sheet_lists_reason_and_source(book):
    _, wb = book
    ws = wb["未分析记录"]
    rows = _table(ws, 2)
    assert [c.value for c in ws[2]][:4] == ["原因", "来源文件", "来源行号", "输入类型"]
    assert rows[0]["原因"] == "非工业用地，未分析 (land_use 住宅用地)"
    assert rows[0]["来源行号"] == 12
    assert rows[0]["土地用途"] == "住宅用地"
    assert rows[1]["输入类型"] == "图层"
    assert "园区" not in rows[0]  # a canonical column with no value is left out


def test_load_report_sheet(book):
    _, wb = book
    rows = _table(wb["加载问题"], 2)
    assert rows == [
        {
            "文件": "ledger.xlsx",
            "行号": 5,
            "列": "contract_date",
            "值": "1900年01月01日",
            "问题": "占位日期",
            "处理": "按缺失处理",
            "级别": "警告",
        }
    ]


def test_untrusted_text_is_written_as_text_never_as_formula(book):
    path, wb = book
    ws = wb["全部宗地"]
    names = {c.value: c for c in _cells(ws, 2, "项目名称")}
    for text in (HYPERLINK, SCRIPT, "-2+3"):
        assert names[text].data_type == "s"
    holder = [c for c in _cells(ws, 2, "土地使用权人") if c.value.startswith("+")]
    assert holder[0].value == "+cmd|' /C calc'!A0"
    assert holder[0].data_type == "s"
    assert holder[0].quotePrefix
    with zipfile.ZipFile(path) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets
        for name in sheets:
            xml = z.read(name).decode("utf-8")
            assert "<f>" not in xml and "<f " not in xml, name
            assert "<script>" not in xml  # escaped as &lt;script&gt;


def test_row_limit_cuts_the_sheet_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(W, "EXCEL_MAX_ROWS", 6)
    path = tmp_path / "cut.xlsx"
    W.write_workbook(path, _parcels(), _rejects(), as_of=AS_OF)
    ws = load_workbook(path)["全部宗地"]
    assert "仅列出前 4 行" in ws["A1"].value
    assert ws.max_row == 6


def test_large_run_leaves_out_all_parcels_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(W, "ALL_PARCELS_MAX_ROWS", 5)
    path = tmp_path / "big.xlsx"
    W.write_workbook(path, _parcels(), _rejects(), as_of=AS_OF)
    wb = load_workbook(path)
    assert "全部宗地" not in wb.sheetnames
    notes = [wb["汇总"].cell(row=r, column=1).value for r in (1, 2, 3)]
    assert any("未列出“全部宗地”明细" in (n or "") for n in notes)


def test_control_characters_are_removed(tmp_path):
    parcels = _parcels()
    parcels.loc[0, "project_name"] = "项目\x07一\x00"
    path = tmp_path / "ctl.xlsx"
    W.write_workbook(path, parcels, _rejects().iloc[0:0], as_of=AS_OF)
    wb = load_workbook(path)
    assert [r["项目名称"] for r in _table(wb["闲置满一年"], 2)][0] == "项目一"
    assert wb["未分析记录"]["A3"].value == "无"


def test_geodataframe_with_repeated_index(tmp_path):
    gpd = pytest.importorskip("geopandas")
    parcels = gpd.GeoDataFrame(_parcels(), geometry="geometry", crs="EPSG:4527")
    parcels.index = [0, 0, 1, 1, 2, 2, 3, 3, 4]
    path = tmp_path / "geo.xlsx"
    W.write_workbook(path, parcels, _rejects(), as_of=pd.Timestamp(AS_OF))
    wb = load_workbook(path)
    assert [r["宗地编号"] for r in _table(wb["待核查"], 2)] == ["P6", "P5", "P4"]
    assert len(_table(wb["全部宗地"], 2)) == 9
    assert W.summary_table(parcels)["parcels"].iloc[-1] == 9
