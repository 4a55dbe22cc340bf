"""``landuse screen --batch``: a committee's workbook in, the verdicts in Chinese out.

The committee's table has a title row, its own columns (序号, 企业名称, 备注), areas in 亩, a
park the rules file does not know, shares written as 35% and as 35, a cell of text where a
number belongs, and a 合计 row. Expected verdicts are worked out by hand from RULES.md section 6
(1 ha = 15 亩; intensity = investment ÷ area; largest area = investment ÷ threshold; smallest
investment = threshold × area) and the rules file below.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from landuse import cli
from landuse.rules_file import load_rules
from landuse.screening import (
    ProposedProject,
    parse_share,
    read_projects_table,
    screen,
    screen_table,
    split_totals,
)

RULES_TOML = """
[intensity.parks]
"经开区北区" = 6000.0

[intensity.industries]
"26" = 4500.0
"""

HEADER = [
    "序号",
    "企业名称",
    "项目名称",
    "园区",
    "行业代码",
    "固定资产总投资(万元)",
    "用地面积(亩)",
    "建筑系数",
    "绿地率",
    "行政办公及生活服务设施用地比例",
    "容积率",
    "备注",
]
ROWS = [
    # row 3 甲: 30 亩 = 2 ha; 12000 / 2 = 6000 ≥ 5000 (高新区 unknown: default); 35 % ≥ 30 %,
    # 15 % ≤ 20 %, 5 % ≤ 7 %, plot ratio 1.2 ≥ 0.7 (code 36): 通过
    [1, "甲公司", "甲项目", "高新区", "C3670", 12000, 30, "35%", 0.15, 0.05, 1.2, "重点项目"],
    # row 4 乙: 2 ha; 9000 / 2 = 4500 < 6000 (经开区北区): 不通过; "35" is read as 35 %
    [2, "乙公司", "乙项目", "经开区北区", "C3670", 9000, 30, 35, None, None, None, None],
    # row 5 丙: 40 亩 = 2.6667 ha; 15000 / (40 / 15) = 5625 ≥ 4500 (化工园 unknown, code 26);
    # 40 % ≥ 30 %, 0.8 ≥ 0.6; green ratio and admin share not given: 通过（部分指标未评审）
    [3, "丙公司", "丙项目", "化工园", "2611", 15000, 40, 0.4, None, None, 0.8, None],
    # row 6 丁: text in the investment cell: 无法评审
    [4, "丁公司", "丁项目", None, None, "约一亿", 20, None, None, None, None, "待补充"],
    # row 7: the total row, never screened
    ["合计", None, None, None, None, 36000, 120, None, None, None, None, None],
]
OWN_COLUMNS = ["序号", "企业名称", "备注"]


@pytest.fixture
def committee(tmp_path: Path) -> Path:
    (tmp_path / "rules.toml").write_text(RULES_TOML, encoding="utf-8")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "入园项目"
    ws.append(["2024年第二批入园项目评审表"])  # row 1: title
    ws.append(HEADER)  # row 2
    for row in ROWS:
        ws.append(row)
    wb.save(tmp_path / "projects.xlsx")
    return tmp_path


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setattr(cli.console, "width", 1000)
    monkeypatch.setattr(cli.err_console, "width", 1000)
    return CliRunner()


def _run(runner: CliRunner, folder: Path, out: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(folder)
    args = ["screen", "--batch", "projects.xlsx", "--out", out, "--rules", "rules.toml"]
    return runner.invoke(cli.app, args)


def _sheet(path: Path, name: str) -> list[tuple]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return [r for r in wb[name].iter_rows(values_only=True)]
    finally:
        wb.close()


def _records(rows: list[tuple]) -> dict[str, dict[str, object]]:
    """The data rows of the verdict sheet by 项目名称 (rows up to the first empty one)."""
    header = list(rows[0])
    out = {}
    for row in rows[1:]:
        if not row or all(v is None for v in row):
            break
        record = dict(zip(header, row, strict=True))
        out[str(record["项目名称"])] = record
    return out


def test_workbook_verdicts_in_chinese(
    committee: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _run(runner, committee, "verdicts.xlsx", monkeypatch)
    assert result.exit_code == 0, result.output
    rows = _sheet(committee / "verdicts.xlsx", "评审结果")
    header = list(rows[0])
    # the committee's own columns first, unchanged and in their order
    assert header[:3] == OWN_COLUMNS
    assert header[3:9] == [
        "项目名称",
        "园区",
        "行业代码",
        "固定资产总投资(万元)",
        "用地面积(亩)",
        "用地面积(公顷)",
    ]
    for name in (
        "评审结论",
        "投资强度(万元/公顷)",
        "适用标准(万元/公顷)",
        "标准来源",
        "可支持最大面积(公顷)",
        "可支持最大面积(亩)",
        "所需最低投资(万元)",
        "建筑系数评审(≥30%)",
        "绿地率评审(≤20%)",
        "行政办公及生活服务设施用地比例评审(≤7%)",
        "容积率评审",
        "未评审指标",
        "未通过原因",
        "原表行号",
    ):
        assert name in header, name
    assert not any("passed" in str(h) or "_wan" in str(h) for h in header)

    by_name = _records(rows)
    assert list(by_name) == ["甲项目", "乙项目", "丙项目", "丁项目"]  # no 合计 row
    a, b, c, d = (by_name[k] for k in by_name)
    assert (a["序号"], a["企业名称"], a["备注"], a["原表行号"]) == (1, "甲公司", "重点项目", 3)

    # 甲: default threshold for a park the rules file does not know, named in 标准来源
    assert a["评审结论"] == "通过"
    assert a["用地面积(亩)"] == 30 and a["用地面积(公顷)"] == 2
    assert a["投资强度(万元/公顷)"] == 6000 and a["适用标准(万元/公顷)"] == 5000
    assert a["标准来源"] == "默认标准 5000（规则文件无园区“高新区”）"
    assert a["可支持最大面积(公顷)"] == pytest.approx(2.4)  # 12000 / 5000
    assert a["可支持最大面积(亩)"] == pytest.approx(36.0)  # 2.4 × 15
    assert a["所需最低投资(万元)"] == 10000  # 5000 × 2
    assert a["建筑系数(%)"] == 35 and a["建筑系数评审(≥30%)"] == "通过"
    assert a["未评审指标"] is None

    # 乙: the park's own threshold; "35" read as 35 % and said so
    assert b["评审结论"] == "不通过"
    assert b["适用标准(万元/公顷)"] == 6000
    assert b["标准来源"] == "园区标准 6000（园区“经开区北区”）"
    assert b["可支持最大面积(公顷)"] == pytest.approx(1.5)  # 9000 / 6000
    assert b["可支持最大面积(亩)"] == pytest.approx(22.5)
    assert b["所需最低投资(万元)"] == 12000  # 6000 × 2
    assert b["未通过原因"] == "投资强度 4500.00 万元/公顷，低于标准 6000 万元/公顷"
    assert b["建筑系数(%)"] == 35
    assert b["说明"] == "“建筑系数”的值“35”按 35% 计"
    assert b["绿地率评审(≤20%)"] == "未评审"

    # 丙: industry threshold, unknown park; two indicators 未评审; rounding
    assert c["评审结论"] == "通过（部分指标未评审）"
    assert c["用地面积(亩)"] == 40
    assert c["用地面积(公顷)"] == pytest.approx(2.6667, abs=1e-9)  # 40 / 15, 4 decimals
    assert c["投资强度(万元/公顷)"] == 5625  # 15000 × 15 / 40
    assert c["标准来源"] == "行业标准 4500（行业 26；规则文件无园区“化工园”）"
    assert c["可支持最大面积(公顷)"] == pytest.approx(3.3333, abs=1e-9)  # 15000 / 4500
    assert c["可支持最大面积(亩)"] == pytest.approx(50.0)
    assert c["所需最低投资(万元)"] == 12000  # 4500 × 40 / 15
    assert c["未评审指标"] == "行政办公及生活服务设施用地比例、绿地率"
    assert c["容积率评审"] == "通过"

    # 丁: text where a number belongs: reported in its row, not screened
    assert d["评审结论"] == "无法评审"
    assert d["固定资产总投资(万元)"] is None
    assert "“固定资产总投资(万元)”的值“约一亿”不是数字" in d["数据问题"]
    assert d["备注"] == "待补充"

    # the foot of the sheet says which rows were not screened and which parks are unknown
    foot = [r[0] for r in rows[len(by_name) + 1 :] if r and r[0] is not None]
    assert any("第 7 行“合计”" in line and "未评审行" in line for line in foot)
    assert any("规则文件无园区“高新区”" in line for line in foot)

    skipped = _sheet(committee / "verdicts.xlsx", "未评审行")
    assert skipped[0][:3] == ("原表行号", "原因", "序号")
    assert skipped[1][0] == 7
    assert "合计行" in skipped[1][1]
    assert skipped[1][2] == "合计"
    assert len(skipped) == 2


def test_console_reports_counts_totals_unknown_parks_and_bad_rows(
    committee: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _run(runner, committee, "verdicts.xlsx", monkeypatch)
    out = result.stdout
    assert "评审 4 个项目：通过 2（其中部分指标未评审 1），不通过 1，无法评审 1" in out
    assert "跳过 1 行合计/小计行，未作为项目评审：第 7 行“合计”" in out
    assert "警告：规则文件无园区“高新区”，按默认标准 5000 万元/公顷评审（1 个项目）" in out
    assert "警告：规则文件无园区“化工园”，按行业标准 4500 万元/公顷评审（1 个项目）" in out
    assert "第 6 行（丁项目）：“固定资产总投资(万元)”的值“约一亿”不是数字" in out
    assert "第 4 行（乙项目）：“建筑系数”的值“35”按 35% 计" in out
    assert result.stderr == ""


def test_csv_verdicts_keep_the_total_row_at_the_bottom_unscreened(
    committee: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _run(runner, committee, "verdicts.csv", monkeypatch)
    assert result.exit_code == 0, result.output
    with open(committee / "verdicts.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0])[:3] == OWN_COLUMNS
    assert [r["项目名称"] for r in rows[:4]] == ["甲项目", "乙项目", "丙项目", "丁项目"]
    assert [r["评审结论"] for r in rows] == [
        "通过",
        "不通过",
        "通过（部分指标未评审）",
        "无法评审",
        "未评审（合计行）",
    ]
    total = rows[4]
    assert (total["序号"], total["原表行号"], total["投资强度(万元/公顷)"]) == ("合计", "7", "")
    # 丙: 2.6667 公顷 (4 decimals), 40 亩, 未评审 indicators spelled out
    assert float(rows[2]["用地面积(公顷)"]) == pytest.approx(2.6667, abs=1e-9)
    assert rows[2]["绿地率评审(≤20%)"] == "未评审"


def test_verdicts_are_not_overwritten_unasked(
    committee: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    (committee / "verdicts.xlsx").write_bytes(b"an earlier verdict")
    result = _run(runner, committee, "verdicts.xlsx", monkeypatch)
    assert result.exit_code == 2
    assert (committee / "verdicts.xlsx").read_bytes() == b"an earlier verdict"


def test_a_blank_verdict_column_of_the_committee_gives_way(tmp_path: Path) -> None:
    """A template's empty 评审结论 column is filled, not repeated; a filled one is kept."""
    from landuse.screening_output import committee_table

    frame = pd.DataFrame(
        {
            "项目名称": ["甲"],
            "投资(万元)": [12000],
            "面积(亩)": [30],
            "评审结论": [None],
            "未通过原因": ["委员会意见：待定"],
        }
    )
    rules = load_rules()
    laid_out = committee_table(frame, screen_table(frame, rules), rules)
    columns = list(laid_out.table.columns)
    assert columns.count("评审结论") == 1
    assert laid_out.table["评审结论"].tolist() == ["通过（部分指标未评审）"]
    assert laid_out.table["未通过原因"].tolist() == ["委员会意见：待定"]
    assert "未通过原因（本次评审）" in columns


# ------------------------------------------------------------------------------ the pieces


def test_split_totals_finds_total_rows_by_their_first_cell_and_name_cells() -> None:
    frame = pd.DataFrame(
        {
            "序号": ["1", "合 计", None, "2", "3"],
            "项目名称": ["甲", None, "北区小计", "合计器件厂扩建项目", "总计（2项）"],
            "投资(万元)": [1, 2, 3, 4, 5],
        }
    )
    projects, totals = split_totals(frame)
    assert projects["项目名称"].tolist() == ["甲", "合计器件厂扩建项目"]
    assert totals["total_label"].tolist() == ["合计", "北区小计", "总计（2项）"]


@pytest.mark.parametrize(
    ("text", "value", "noted"),
    [
        ("35%", 0.35, False),
        ("35％", 0.35, False),
        ("0.35", 0.35, False),
        ("35", 0.35, True),
        ("1", 1.0, False),
        ("0", 0.0, False),
    ],
)
def test_parse_share(text: str, value: float, noted: bool) -> None:
    share, note = parse_share(text, "--building-coverage")
    assert share == pytest.approx(value)
    assert (note is not None) is noted


@pytest.mark.parametrize("text", ["abc", "150", "-5", "101%", "35‰"])
def test_parse_share_refuses(text: str) -> None:
    from landuse.errors import InputError

    with pytest.raises(InputError, match="--building-coverage"):
        parse_share(text, "--building-coverage")


def test_table_shares_as_bare_percent_are_read_and_noted() -> None:
    frame = pd.DataFrame(
        {"investment_wan": [6000, 6000, 6000], "area_ha": [1, 1, 1], "绿地率": ["15", 0.15, 150]}
    )
    out = screen_table(frame, load_rules())
    assert out["green_ratio"].tolist()[:2] == pytest.approx([0.15, 0.15])
    assert out["notes_zh"].iloc[0] == "“绿地率”的值“15”按 15% 计"
    assert pd.isna(out["notes_zh"].iloc[1])
    assert out["conclusion_zh"].iloc[2] == "无法评审"  # 150 is neither a share nor a percentage


def test_ledger_headers_are_screening_inputs(tmp_path: Path) -> None:
    """Headers of the ledgers' vocabulary (出让面积(亩), 约定投资总额(万元), 所属园区) are read."""
    path = tmp_path / "projects.csv"
    path.write_text(
        "入园项目汇总表\n所属园区,项目名称,约定投资总额(万元),出让面积(亩)\n北区,甲,12000,30\n",
        encoding="utf-8",
    )
    table = read_projects_table(path)
    assert table.header_row == 2
    out = screen_table(table.frame, load_rules())
    assert out["area_ha"].tolist() == pytest.approx([2.0])  # 30 亩
    assert out["intensity_wan_per_ha"].tolist() == pytest.approx([6000.0])
    assert out["park"].tolist() == ["北区"]


def test_investment_header_with_unit_in_brackets(tmp_path: Path) -> None:
    frame = pd.DataFrame({"投资（万元）": [12000], "面积（亩）": [30], "企业名称": ["甲公司"]})
    out = screen_table(frame, load_rules())
    assert out["intensity_wan_per_ha"].tolist() == pytest.approx([6000.0])


# ------------------------------------------------------------------------------ one project


def test_single_project_console_in_chinese(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    args = [
        "screen",
        "--investment-wan",
        "12000",
        "--area-mu",
        "30",
        "--park",
        "高新区",
        "--building-coverage",
        "35",
    ]
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 0, result.output
    out = result.stdout
    lines = out.splitlines()
    assert lines[0] == "评审结论：通过（部分指标未评审）"
    assert "警告：规则文件无园区“高新区”，按默认标准 5000 万元/公顷评审" in out
    assert "说明：--building-coverage 35 按 35% 计" in out
    assert "用地面积 2.0000 公顷（30.00 亩）" in out
    assert "投资强度 6,000.00 万元/公顷；适用标准 5,000.00 万元/公顷" in out
    assert "标准来源：默认标准 5000（规则文件无园区“高新区”）" in out
    assert "可支持最大面积 2.4000 公顷（36.00 亩）；所需最低投资 10,000.00 万元" in out
    assert "  建筑系数：35%（标准 ≥ 30%）  通过" in out
    assert "  绿地率：未填写（标准 ≤ 20%）  未评审（未填写）" in out
    assert "未评审指标：行政办公及生活服务设施用地比例、绿地率、容积率" in out
    assert "passed" not in out.lower() and "PASS" not in out


def test_single_project_json_keeps_machine_values_and_adds_the_chinese(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["screen", "--investment-wan", "12000", "--area-ha", "2", "--park", "高新区"]
    args += ["--building-coverage", "35%", "--json"]
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 0, result.output
    verdict = json.loads(result.stdout)
    assert verdict["passed"] is True
    assert verdict["threshold_source"] == "default"
    assert verdict["conclusion_zh"] == "通过（部分指标未评审）"
    assert verdict["threshold_source_zh"] == "默认标准 5000（规则文件无园区“高新区”）"
    assert verdict["park_in_rules"] is False
    assert verdict["unchecked"] == ["admin_living_share", "green_ratio", "plot_ratio"]
    assert verdict["warnings"] == ["规则文件无园区“高新区”，按默认标准 5000 万元/公顷评审"]
    results = {c["name"]: c["result_zh"] for c in verdict["checks"]}
    assert results == {
        "investment_intensity": "通过",
        "building_coverage": "通过",
        "admin_living_share": "未评审",
        "green_ratio": "未评审",
        "plot_ratio": "未评审",
    }
    coverage = next(c for c in verdict["checks"] if c["name"] == "building_coverage")
    assert coverage["value"] == pytest.approx(0.35)  # 35% as a share
    assert "规则文件无园区“高新区”" in result.stderr  # the warning, beside the JSON


def test_every_indicator_checked_and_passing_reads_plain_pass() -> None:
    rules = load_rules()
    v = screen(
        ProposedProject(
            investment_wan=12000,
            area_ha=2,
            industry_code="36",
            plot_ratio=1.0,
            building_coverage=0.4,
            green_ratio=0.1,
            admin_living_share=0.05,
        ),
        rules,
    )
    assert (v.conclusion_zh, v.unchecked) == ("通过", [])
    # a plot ratio for a code without a minimum (44) is 不适用, not 未评审
    v = screen(
        ProposedProject(
            investment_wan=12000,
            area_ha=2,
            industry_code="44",
            plot_ratio=0.3,
            building_coverage=0.4,
            green_ratio=0.1,
            admin_living_share=0.05,
        ),
        rules,
    )
    assert v.conclusion_zh == "通过"
    assert [c.result_zh for c in v.checks][-1] == "不适用"
    assert v.park_in_rules is None and v.warnings == []
    assert v.threshold_source_zh == "默认标准 5000（未填写园区）"
