"""Inspection findings fed back (``--inspections``): reading, validation, the latest per
parcel, and the statuses and amounts after applying them.

Amounts are worked by hand from RULES.md: late start = P × 1‰ × days from the start due date
to the start (or to the as-of date when not started); idle fee = 0.20 × P from one calendar
year after the start due date; late completion = P × 1‰ × days from the completion due date to
the completion. Day counts (2020 is a leap year):
2020-01-01 → 2021-06-30 = 366 + 180 = 546; 2020-01-01 → 2021-06-01 = 366 + 151 = 517;
2020-01-01 → 2020-03-01 = 31 + 29 = 60; 2021-01-01 → 2021-05-01 = 120;
2021-01-01 → 2021-06-01 = 151.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.worksheet.datavalidation import DataValidation
from typer.testing import CliRunner

from landuse.cli import app
from landuse.errors import InputError
from landuse.inspections import looks_like_inspections, parse_finding
from landuse.load import load_inputs
from landuse.pipeline import run_analysis
from landuse.rules_file import load_rules

AS_OF = "2021-06-30"
LEDGER_HEADER = "电子监管号,宗地编号,土地用途,面积(公顷),成交价格(万元),约定开工时间,约定竣工时间"
INSPECTION_HEADER = "电子监管号,宗地编号,核查日期,核查结论,实际开工时间,实际竣工时间,核查人,备注"


def sup(i: int) -> str:
    return f"3714812019B{i:05d}"


def ledger_row(
    i: int, pid: str = "", *, land_use: str = "工业用地", done: str = "2022-01-01"
) -> str:
    """Parcel i: 2 ha, 100 万元, start due 2020-01-01, completion due ``done``."""
    return f"{sup(i)},{pid},{land_use},2,100,2020-01-01,{done}"


def write(folder: Path, name: str, header: str, *rows: str) -> Path:
    path = folder / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def run(tmp_path: Path, ledger: list[str], inspections: list[str], **kwargs):
    ledger_path = write(tmp_path, "ledger.csv", kwargs.pop("header", LEDGER_HEADER), *ledger)
    insp_path = write(tmp_path, "inspections.csv", INSPECTION_HEADER, *inspections)
    return run_analysis(
        [ledger_path], rules=load_rules(), as_of=AS_OF, inspections=[insp_path], **kwargs
    )


def by_key(results) -> pd.DataFrame:
    return results.parcels.set_index("supervision_no")


def said(results, code: str) -> pd.DataFrame:
    entries = results.loaded.report.entries()
    return entries[entries["code"] == code]


# ----------------------------------------------------------------------------- hand-worked


def test_findings_give_the_statuses_and_amounts_worked_by_hand(tmp_path):
    results = run(
        tmp_path,
        [ledger_row(1), ledger_row(2), ledger_row(3, done="2021-01-01"), ledger_row(4)],
        [
            f"{sup(1)},,2021-06-01,未开工,,,张三,现场为空地",
            f"{sup(2)},,2021-06-01,已开工,,,李四,",
            f"{sup(3)},,2021-06-01,已竣工,2020-03-01,2021-05-01,王五,",
        ],
    )
    got = by_key(results)

    # 1: not started, inspected; as of 2021-06-30 past one year (2021-01-01), not two
    one = got.loc[sup(1)]
    assert one["start_evidence"] == "inspection"
    assert one["status"] == "idle_fee"
    assert one["idle_fee_wan"] == pytest.approx(20.0)  # 0.20 × 100
    assert one["late_start_days"] == 546
    assert one["late_start_wan"] == pytest.approx(54.6)  # 100 × 1‰ × 546
    assert one["total_penalty_wan"] == pytest.approx(74.6)
    assert bool(one["amounts_confirmed"])
    assert one["inspector"] == "张三" and one["inspection_note"] == "现场为空地"
    assert one["inspection_date"] == pd.Timestamp("2021-06-01")

    # 2: started, no start date: taken on the inspection date (the latest it can be), flagged
    two = got.loc[sup(2)]
    assert two["start_evidence"] == "inspection"
    assert bool(two["started"]) and not bool(two["completed"])
    assert two["actual_start_date"] == pd.Timestamp("2021-06-01")
    assert bool(two["start_date_assumed"])
    assert two["late_start_days"] == 517
    assert two["late_start_wan"] == pytest.approx(51.7)  # 100 × 1‰ × 517
    assert two["idle_fee_wan"] == 0
    assert two["status"] == "on_track"  # started, completion not yet due (2022-01-01)

    # 3: completed with both dates: late start 60 days, late completion 120 days
    three = got.loc[sup(3)]
    assert three["start_evidence"] == "inspection"
    assert bool(three["completed"])
    assert three["late_start_wan"] == pytest.approx(6.0)  # 100 × 1‰ × 60
    assert three["late_completion_days"] == 120
    assert three["late_completion_wan"] == pytest.approx(12.0)  # 100 × 1‰ × 120
    assert not bool(three["start_date_assumed"]) and not bool(three["completion_date_assumed"])

    # 4: not inspected: still unverified, with the amounts of "if found not started"
    four = got.loc[sup(4)]
    assert four["status"] == "unverified"
    assert four["start_evidence"] == "none"
    assert not bool(four["amounts_confirmed"])
    assert four["total_penalty_wan"] == pytest.approx(74.6)
    assert pd.isna(four["inspection_date"])

    summary = results.loaded.inspections
    assert (summary.read, summary.applied, summary.not_used) == (3, 3, 0)


def test_completed_without_dates_bounds_the_completion_and_leaves_the_start_unknown(tmp_path):
    results = run(
        tmp_path, [ledger_row(3, done="2021-01-01")], [f"{sup(3)},,2021-06-01,已竣工,,,王五,"]
    )
    row = by_key(results).loc[sup(3)]
    assert bool(row["completed"]) and bool(row["completion_date_assumed"])
    assert row["actual_completion_date"] == pd.Timestamp("2021-06-01")
    assert row["late_completion_days"] == 151  # to the inspection date: an upper bound
    assert row["late_completion_wan"] == pytest.approx(15.1)
    assert pd.isna(row["actual_start_date"]) and not bool(row["start_date_assumed"])
    assert pd.isna(row["late_start_wan"])  # started on an unknown day after its due date
    assert len(said(results, "inspection_completion_date_assumed")) == 1


# ----------------------------------------------------------------------- the latest per parcel


def test_the_latest_inspection_on_or_before_the_as_of_date_is_used(tmp_path):
    results = run(
        tmp_path,
        [ledger_row(1), ledger_row(2, "P2")],
        [
            f"{sup(1)},,2021-07-01,已开工,,,甲,after the as-of date",  # line 2
            f"{sup(1)},,2021-05-01,未开工,,,乙,the latest before it",  # line 3
            f"{sup(1)},,2020-12-01,已开工,2020-11-01,,丙,older",  # line 4
            ",P2,2021-03-01,未开工,,,丁,keyed by 宗地编号",  # line 5
            ",P2,2021-08-01,已开工,,,丁,after",  # line 6
        ],
    )
    got = by_key(results)
    one = got.loc[sup(1)]
    assert one["inspector"] == "乙"
    assert one["start_status"] == "not_started"
    assert pd.isna(one["actual_start_date"])  # the older inspection's date is not used
    assert one["status"] == "idle_fee"
    assert one["late_start_days"] == 546
    two = got.loc[sup(2)]
    assert two["inspector"] == "丁" and two["inspection_date"] == pd.Timestamp("2021-03-01")
    assert two["status"] == "idle_fee"

    after = said(results, "inspection_after_as_of")
    assert after["row"].tolist() == [2, 6]
    lines = results.loaded.report.table()
    line = lines[lines["code"] == "inspection_after_as_of"]
    assert line["count"].tolist() == [2]  # said once, with the count
    assert line["rows"].tolist() == ["2, 6"]
    assert any("2 dated after the as-of date 2021-06-30" in n for n in results.loaded.report.notes)
    summary = results.loaded.inspections
    assert (summary.read, summary.applied, summary.older, summary.after_as_of) == (5, 2, 1, 2)


def test_two_findings_on_one_day_use_the_later_row(tmp_path):
    results = run(
        tmp_path,
        [ledger_row(1)],
        [f"{sup(1)},,2021-06-01,已开工,,,甲,", f"{sup(1)},,2021-06-01,未开工,,,乙,"],
    )
    assert by_key(results).loc[sup(1), "start_status"] == "not_started"
    assert said(results, "inspection_same_day")["row"].tolist() == [2]


# ------------------------------------------------------------------------------ not used


def test_rows_that_cannot_be_used_are_reported_with_the_reason(tmp_path):
    results = run(
        tmp_path,
        [ledger_row(1), ledger_row(5, land_use="商业用地")],
        [
            f"{sup(9)},,2021-06-01,未开工,,,,",  # line 2: unknown parcel
            f"{sup(5)},,2021-06-01,未开工,,,,",  # line 3: its ledger row was skipped
            ",,2021-06-01,未开工,,,,",  # line 4: no key
            f"{sup(1)},,,未开工,,,,",  # line 5: no date
            f"{sup(1)},,2021-06-01,,,,甲,",  # line 6: no finding
            f"{sup(1)},,2021-06-01,开了一半,,,,",  # line 7: a finding not understood
            f"{sup(1)},,2021-13-45,未开工,,,,",  # line 8: not a date
        ],
    )
    codes = {
        "inspection_unknown_parcel": [2],
        "inspection_rejected_parcel": [3],
        "inspection_no_key": [4],
        "inspection_no_date": [5, 8],
        "inspection_no_finding": [6],
        "inspection_finding_invalid": [7],
        "date_invalid": [8],
    }
    for code, rows in codes.items():
        entries = said(results, code)
        assert entries["row"].tolist() == rows, code
        assert (entries["file"] == "inspections.csv").all()
    unknown = said(results, "inspection_unknown_parcel").iloc[0]
    assert unknown["value"] == sup(9)
    assert "inspection of an unknown parcel" in unknown["message"]
    # nothing applied: the parcel stays unverified, nothing is lost
    row = by_key(results).loc[sup(1)]
    assert row["status"] == "unverified" and pd.isna(row["inspection_date"])
    assert results.loaded.accounting == {"ledger": (2, 1, 1)}
    assert results.loaded.inspections.not_used == 7


def test_blank_rows_of_a_form_are_skipped_in_one_line(tmp_path):
    results = run(
        tmp_path,
        [ledger_row(1), ledger_row(2), ledger_row(3)],
        [f"{sup(1)},,2021-06-01,未开工,,,,", f"{sup(2)},,,,,,,", f"{sup(3)},,,,,,,"],
    )
    lines = results.loaded.report.table()
    blank = lines[lines["code"] == "inspection_blank_rows"]
    assert blank["value"].tolist() == ["2"]
    assert blank["count"].tolist() == [2]
    assert results.loaded.inspections.blank == 2
    assert results.loaded.inspections.applied == 1


# ------------------------------------------------------------------------- versus the ledger

LEDGER_WITH_FACTS = f"{LEDGER_HEADER},实际开工时间,开工状态,已投资额"


def test_the_inspection_wins_over_the_ledger_and_the_ledger_value_is_reported(tmp_path):
    results = run(
        tmp_path,
        [f"{ledger_row(1)},2019-12-01,已开工,100", f"{ledger_row(2)},,,100"],
        [f"{sup(1)},,2021-06-01,未开工,,,,", f"{sup(2)},,2021-06-01,已开工,2020-02-01,,,"],
        header=LEDGER_WITH_FACTS,
    )
    got = by_key(results)
    assert pd.isna(got.loc[sup(1), "actual_start_date"])
    assert got.loc[sup(1), "status"] == "idle_fee"
    assert got.loc[sup(2), "actual_start_date"] == pd.Timestamp("2020-02-01")
    assert got.loc[sup(2), "late_start_wan"] == pytest.approx(3.1)  # 100 × 1‰ × 31
    overrides = said(results, "inspection_overrides_ledger")
    assert sorted(zip(overrides["row"], overrides["column"], overrides["value"], strict=True)) == [
        (2, "实际开工时间", "台账 2019-12-01 → 核查 空"),
        (2, "开工状态", "台账 已开工 → 核查 未开工"),
    ]
    lines = results.loaded.report.table()
    assert (lines["code"] == "inspection_overrides_ledger").sum() == 2  # one line each


def test_amounts_the_inspection_gives_replace_the_ledger_s(tmp_path):
    ledger = write(tmp_path, "ledger.csv", f"{LEDGER_HEADER},已投资额", f"{ledger_row(1)},100")
    insp = write(
        tmp_path,
        "inspections.csv",
        "电子监管号,核查日期,核查结论,已投资额(万元),已开发面积(平方米),停工日期",
        f"{sup(1)},2021-06-01,已开工,250万元,5000,2021-02-01",
    )
    results = run_analysis([ledger], rules=load_rules(), as_of=AS_OF, inspections=[insp])
    row = by_key(results).loc[sup(1)]
    assert row["invested_ex_land_wan"] == 250
    assert row["developed_area_ha"] == pytest.approx(0.5)  # 5000 m²
    assert row["suspended_since"] == pd.Timestamp("2021-02-01")
    overrides = said(results, "inspection_overrides_ledger")
    assert overrides["value"].tolist() == ["台账 100 → 核查 250"]


def test_a_ledger_start_after_a_not_started_inspection_stands(tmp_path):
    results = run(
        tmp_path,
        [f"{ledger_row(1)},2021-06-10,,"],
        [f"{sup(1)},,2021-06-01,未开工,,,,"],
        header=LEDGER_WITH_FACTS,
    )
    row = by_key(results).loc[sup(1)]
    assert row["start_evidence"] == "actual_start"
    assert row["late_start_days"] == 526  # 2020-01-01 → 2021-06-10
    assert pd.isna(row["inspection_date"])
    assert said(results, "inspection_superseded_by_ledger")["row"].tolist() == [2]


def test_contradictory_dates_are_not_used(tmp_path):
    results = run(
        tmp_path,
        [ledger_row(1), ledger_row(2)],
        [
            f"{sup(1)},,2021-06-01,未开工,2020-05-01,,,",
            f"{sup(2)},,2021-06-01,已开工,2021-07-01,,,",
        ],
    )
    got = by_key(results)
    assert pd.isna(got.loc[sup(1), "actual_start_date"])
    assert got.loc[sup(2), "actual_start_date"] == pd.Timestamp("2021-06-01")
    assert bool(got.loc[sup(2), "start_date_assumed"])
    assert said(results, "inspection_contradiction")["row"].tolist() == [2, 3]


# ------------------------------------------------------------------------------- vocabulary


def test_the_finding_vocabulary():
    raw = pd.Series(
        ["已开工", " 未开工 ", "已竣工", "竣工", "停工", "在建", "未知"]
        + ["已开工（主体施工中）", "未开工，现为空地", "", None, "x", "开了一半"]
    )
    values, bad = parse_finding(raw)
    assert values.tolist()[:9] == [
        "started",
        "not_started",
        "completed",
        "completed",
        "started",
        "started",
        "unknown",
        "started",
        "not_started",
    ]
    assert values.iloc[9:].isna().all()
    assert bad.tolist() == [False] * 11 + [True, True]


def test_the_inspection_s_finding_wins_over_a_status_column_of_the_form(tmp_path):
    ledger = write(tmp_path, "ledger.csv", LEDGER_HEADER, ledger_row(1))
    insp = write(
        tmp_path,
        "form.csv",
        "电子监管号,开工状态,核查日期,核查结论",
        f"{sup(1)},未知,2021-06-01,未开工",
    )
    results = run_analysis([ledger], rules=load_rules(), as_of=AS_OF, inspections=[insp])
    assert by_key(results).loc[sup(1), "status"] == "idle_fee"
    same = said(results, "column_same_field")
    assert same["column"].tolist() == ["开工状态"]


def test_inspection_files_are_told_from_ledgers():
    assert looks_like_inspections(["电子监管号", "核查日期", "核查结论"])
    assert looks_like_inspections(["宗地编号", "核查结论"])
    # the filled-in form carries the parcel's facts too
    assert looks_like_inspections(["电子监管号", "面积(公顷)", "核查日期", "核查结论", "核查人"])
    # a ledger with its own status column is a ledger
    assert not looks_like_inspections(["电子监管号", "面积(公顷)", "成交价格(万元)", "核查结论"])
    assert not looks_like_inspections(["电子监管号", "项目名称", "面积(公顷)"])


def test_an_inspection_file_given_as_a_ledger_is_refused_with_the_fix(tmp_path):
    ledger = write(tmp_path, "ledger.csv", LEDGER_HEADER, ledger_row(1))
    insp = write(
        tmp_path, "核查.csv", "电子监管号,核查日期,核查结论", f"{sup(1)},2021-06-01,未开工"
    )
    with pytest.raises(InputError) as err:
        load_inputs([ledger, insp])
    message = str(err.value)
    assert "核查.csv looks like an inspection file" in message
    assert "--inspections 核查.csv" in message
    assert "conflicting duplicates" in message


def test_the_command_line_takes_inspections(tmp_path):
    ledger = write(tmp_path, "ledger.csv", LEDGER_HEADER, ledger_row(1), ledger_row(2))
    insp = write(
        tmp_path,
        "核查.csv",
        "电子监管号,核查日期,核查结论,核查人",
        f"{sup(1)},2021-06-01,未开工,张三",
    )
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(
        app,
        ["analyse", str(ledger), "--inspections", str(insp), "--as-of", AS_OF, "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out, encoding="utf-8-sig", dtype={"supervision_no": str})
    statuses = dict(zip(written["supervision_no"], written["status"], strict=True))
    assert statuses == {sup(1): "idle_fee", sup(2): "unverified"}
    # the inspection's columns are written with the results
    assert written["inspection_date"].tolist()[0] == "2021-06-01"
    assert written["inspector"].fillna("").tolist() == ["张三", ""]
    assert written["start_date_assumed"].tolist() == [False, False]
    assert "inspections: 1 rows read = 1 applied" in " ".join(result.output.split())


# ------------------------------------------------------------------- the form, round trip

FORM_HEADER = [
    "电子监管号",
    "宗地编号",
    "项目名称",
    "土地使用权人",
    "面积(公顷)",
    "应开工日期",
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


def _form(path: Path) -> None:
    """The results workbook's 待核查 sheet, filled in by an inspector: a title row above the
    header, Chinese headers with units in brackets, 核查结论 from a drop-down, dates as Excel
    date cells or text, rows not filled in, empty formatted rows after the data; other sheets
    (with parcel keys, no inspection columns) before it."""
    wb = openpyxl.Workbook()
    summary = wb.active
    summary.title = "汇总"
    summary.append(["园区", "状态", "宗数", "面积(公顷)"])
    summary.append(["经开区", "待核查", 4, 8])
    recovery = wb.create_sheet("拟收回")
    recovery.append(["电子监管号", "宗地编号", "项目名称", "面积(公顷)"])
    recovery.append([sup(9), "", "某项目", 2])
    ws = wb.create_sheet("待核查")
    ws.append(["待核查宗地现场核查表（评价基准日 2021-06-30）"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(FORM_HEADER))
    ws.append(FORM_HEADER)
    rows = [
        [sup(1), "", "甲项目", "甲公司", 2, dt.datetime(2020, 1, 1)]
        + [dt.datetime(2021, 6, 1), "未开工", None, None, None, None, None, "张三", "空地"],
        [sup(2), "", "乙项目", "乙公司", 2, dt.datetime(2020, 1, 1)]
        + ["2021年06月02日", "已开工", "2021/5/20", None, 0.5, "300万元", None, "李四", None],
        [sup(3), "", "丙项目", "丙公司", 2, dt.datetime(2020, 1, 1)] + [None] * 9,
        [sup(4), "", "丁项目", "丁公司", 2, dt.datetime(2020, 1, 1)]
        + [dt.datetime(2021, 6, 3), "已竣工", None, dt.datetime(2021, 4, 30), 2, None]
        + [None, "王五", None],
    ]
    for row in rows:
        ws.append(row)
    for r in range(3, 7):
        for c in (6, 7, 9, 10, 13):
            ws.cell(row=r, column=c).number_format = "yyyy-mm-dd"
    choice = DataValidation(type="list", formula1='"已开工,未开工,已竣工"', allow_blank=True)
    ws.add_data_validation(choice)
    choice.add("H3:H200")
    for r in range(7, 40):  # formatted, empty
        ws.cell(row=r, column=8).number_format = "@"
    wb.save(path)


def test_the_filled_in_form_is_read_back(tmp_path):
    book = tmp_path / "results.xlsx"
    _form(book)
    ledger = write(
        tmp_path,
        "ledger.csv",
        LEDGER_HEADER,
        ledger_row(1),
        ledger_row(2),
        ledger_row(3),
        ledger_row(4, done="2021-01-01"),
    )
    results = run_analysis([ledger], rules=load_rules(), as_of=AS_OF, inspections=[book])

    got = by_key(results)
    assert got.loc[sup(1), "status"] == "idle_fee"
    assert got.loc[sup(1), "inspection_date"] == pd.Timestamp("2021-06-01")  # a date cell
    two = got.loc[sup(2)]
    assert two["inspection_date"] == pd.Timestamp("2021-06-02")  # date as text
    assert two["actual_start_date"] == pd.Timestamp("2021-05-20")
    assert two["developed_area_ha"] == 0.5 and two["invested_ex_land_wan"] == 300
    assert two["late_start_days"] == 505  # 2020-01-01 → 2021-05-20: 366 + 139
    assert got.loc[sup(3), "status"] == "unverified"  # its row was not filled in
    four = got.loc[sup(4)]
    assert bool(four["completed"])
    assert four["late_completion_days"] == 119  # 2021-01-01 → 2021-04-30
    summary = results.loaded.inspections
    assert (summary.read, summary.applied, summary.blank) == (4, 3, 1)
    notes = results.loaded.report.entries()
    chosen = notes[notes["code"] == "sheet_chosen"]
    assert chosen["value"].tolist() == ["待核查"]  # the sheet with the inspection columns
    # the form's reference columns are named once, not reported per row
    unused = notes[notes["code"] == "column_unknown"]
    assert unused["value"].tolist() == ["项目名称, 土地使用权人, 面积(公顷), 应开工日期"]


def test_the_sheet_option_reads_the_named_sheet(tmp_path):
    book = tmp_path / "results.xlsx"
    _form(book)
    ledger = write(tmp_path, "ledger.csv", LEDGER_HEADER, ledger_row(1), ledger_row(9))
    results = run_analysis(
        [ledger], rules=load_rules(), as_of=AS_OF, inspections=[book], sheet="待核查"
    )
    assert results.loaded.inspections.applied == 1
    with pytest.raises(InputError) as err:
        run_analysis([ledger], rules=load_rules(), as_of=AS_OF, inspections=[book], sheet="核查")
    assert "results.xlsx has no sheet named '核查'" in str(err.value)
    assert "汇总, 拟收回, 待核查" in str(err.value)


def test_round_trip_through_the_inspection_form_of_the_results_workbook(tmp_path):
    """The 待核查 sheet of the workbook ``landuse analyse`` writes, filled in with openpyxl as
    an inspector would in Excel, then given back with --inspections."""
    ledger = write(tmp_path, "ledger.csv", LEDGER_HEADER, *(ledger_row(i) for i in (1, 2, 3, 4)))
    out = tmp_path / "结果.xlsx"
    runner = CliRunner()
    first = runner.invoke(app, ["analyse", str(ledger), "--as-of", AS_OF, "--out", str(out)])
    assert first.exit_code == 0, first.output

    wb = openpyxl.load_workbook(out)
    ws = wb["待核查"]
    header_row = next(r for r in range(1, 10) if ws.cell(row=r, column=1).value == "电子监管号")
    column = {c.value: c.column for c in ws[header_row] if c.value}
    row_of = {ws.cell(row=r, column=1).value: r for r in range(header_row + 1, ws.max_row + 1)}
    assert set(row_of) == {sup(i) for i in (1, 2, 3, 4)}  # every unverified parcel listed
    for key, finding in ((sup(1), "未开工"), (sup(2), "已开工")):
        ws.cell(row=row_of[key], column=column["核查日期"]).value = dt.date(2021, 6, 1)
        ws.cell(row=row_of[key], column=column["核查结论"]).value = finding
        ws.cell(row=row_of[key], column=column["核查人"]).value = "张三"
    two = row_of[sup(2)]
    ws.cell(row=two, column=column["实际开工时间"]).value = dt.date(2021, 5, 20)
    ws.cell(row=two, column=column["已开发面积(公顷)"]).value = 0.5
    ws.cell(row=two, column=column["已投资额(万元)"]).value = 300
    filled = tmp_path / "核查表.xlsx"
    wb.save(filled)

    again = tmp_path / "结果2.gpkg"
    second = runner.invoke(
        app,
        ["analyse", str(ledger), "--as-of", AS_OF, "--inspections", str(filled)]
        + ["--sheet", "待核查", "--out", str(again)],
    )
    assert second.exit_code == 0, second.output
    assert "2 applied" in " ".join(second.output.split())
    got = pyogrio_read(again).set_index("supervision_no")
    one = got.loc[sup(1)]
    assert one["status"] == "idle_fee" and bool(one["amounts_confirmed"])
    assert one["idle_fee_wan"] == pytest.approx(20.0)  # 0.20 × 100
    assert one["late_start_wan"] == pytest.approx(54.6)  # 100 × 1‰ × 546
    assert one["inspector"] == "张三"
    two = got.loc[sup(2)]
    assert two["status"] == "on_track" and two["start_evidence"] == "inspection"
    assert two["late_start_days"] == 505  # 2020-01-01 → 2021-05-20: 366 + 139
    assert two["late_start_wan"] == pytest.approx(50.5)
    assert two["developed_area_ha"] == 0.5 and two["invested_ex_land_wan"] == 300
    assert (got.loc[[sup(3), sup(4)], "status"] == "unverified").all()


def pyogrio_read(path: Path) -> pd.DataFrame:
    import pyogrio

    return pyogrio.read_dataframe(path, layer="parcels", read_geometry=False)


# ------------------------------------------------------------------------------ real data

REAL_MONTH = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "real"
    / "landchina_forfudan"
    / "landchina"
    / "2016"
    / "06"
)


@pytest.mark.skipif(not REAL_MONTH.is_dir(), reason="real data not present")
def test_inspections_of_50_parcels_of_a_real_month(tmp_path):
    files = sorted(REAL_MONTH.glob("*.csv"))
    rules = load_rules()
    before = run_analysis(files, rules=rules, as_of="2017-06-30")
    parcels = before.parcels
    unverified = parcels[parcels["status"] == "unverified"]
    # 25 found not started, 25 found started on their agreed start date; picked by their
    # supervision numbers, read from the real CSV export
    picked = unverified.sort_values("supervision_no").iloc[::20].head(50)
    assert len(picked) == 50
    not_started, started = picked.iloc[:25], picked.iloc[25:]
    rows = [f"{s},2017-06-01,未开工," for s in not_started["supervision_no"]] + [
        f"{s},2017-06-01,已开工,{d:%Y-%m-%d}"
        for s, d in zip(started["supervision_no"], started["start_due_date"], strict=True)
    ]
    insp = write(tmp_path, "核查.csv", "电子监管号,核查日期,核查结论,实际开工时间", *rows)

    after = run_analysis(files, rules=rules, as_of="2017-06-30", inspections=[insp])

    # nothing lost, nothing gained
    assert after.loaded.accounting == before.loaded.accounting
    assert len(after.parcels) == len(before.parcels)
    assert after.loaded.inspections.applied == 50
    got = after.parcels.set_index("supervision_no")
    was = before.parcels.set_index("supervision_no")
    ns = not_started["supervision_no"]
    # found not started: the status and amounts that were "if found not started", confirmed
    assert (got.loc[ns, "status"].astype(str) == was.loc[ns, "idle_stage_if_not_started"]).all()
    for column in ("idle_fee_wan", "late_start_wan", "total_penalty_wan"):
        np.testing.assert_allclose(got.loc[ns, column], was.loc[ns, column])
    assert got.loc[ns, "amounts_confirmed"].all()
    st = started["supervision_no"]
    assert (got.loc[st, "status"] != "unverified").all()
    assert (got.loc[st, "late_start_wan"] == 0).all()  # started on the day it was due
    assert (got.loc[pd.concat([ns, st]), "start_evidence"] == "inspection").all()
    # every other parcel is as it was
    others = ~after.parcels["supervision_no"].isin(picked["supervision_no"])
    assert (
        after.parcels.loc[others, "status"].astype(str).tolist()
        == before.parcels.loc[others.to_numpy(), "status"].astype(str).tolist()
    )
    assert (after.parcels["status"] == "unverified").sum() == len(unverified) - 50
