"""Screening an entrant (入园评审, RULES.md section 6).

Expected values are worked out by hand; the arithmetic is in the comments. Units: 万元, ha
(1 ha = 15 亩 = 10,000 m²), 万元/公顷. National defaults: threshold 5000 万元/公顷, building
coverage >= 30 %, administrative/living land <= 7 %, green ratio <= 20 %, plot-ratio minimum
by two-digit GB/T 4754 code (17 -> 0.8, 25 -> 0.5, 26 -> 0.6, 36 -> 0.7, 13 -> 1.0).
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from pydantic import ValidationError

from landuse.errors import InputError
from landuse.rules_file import RuleSet, load_rules
from landuse.screening import (
    ProposedProject,
    ScreeningVerdict,
    read_projects,
    screen,
    screen_many,
    screen_records,
    screen_table,
)


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules()


@pytest.fixture
def park_rules(tmp_path: Path) -> RuleSet:
    path = tmp_path / "rules.toml"
    path.write_text(
        """
[intensity.parks]
"高新区" = 6000.0

[intensity.industries]
"26" = 4000.0

[intensity.park_industries."高新区"]
"C26" = 8000.0
""",
        encoding="utf-8",
    )
    return load_rules(path)


def check(verdict: ScreeningVerdict, name: str):
    (found,) = [c for c in verdict.checks if c.name == name]
    return found


# --------------------------------------------------------------------------------------------
# Investment intensity


def test_two_hectares_with_12000_wan_passes(rules: RuleSet) -> None:
    v = screen(ProposedProject(investment_wan=12000, area_ha=2), rules)
    assert v.passed is True
    assert v.intensity_wan_per_ha == pytest.approx(6000.0)  # 12000 / 2
    assert v.threshold_wan_per_ha == 5000.0
    assert v.threshold_source == "default"
    assert v.area_ha == pytest.approx(2.0)
    assert v.max_area_ha == pytest.approx(2.4)  # 12000 / 5000
    assert v.min_investment_wan == pytest.approx(10000.0)  # 5000 * 2
    assert v.reasons == []
    intensity = check(v, "investment_intensity")
    assert (intensity.value, intensity.limit, intensity.passed) == (
        pytest.approx(6000.0),
        5000.0,
        True,
    )


@pytest.mark.parametrize("area", [{"area_mu": 30}, {"area_m2": 20000}])
def test_mu_and_square_metres_give_the_same_result(rules: RuleSet, area: dict) -> None:
    # 30 亩 / 15 = 2 ha; 20,000 m² / 10,000 = 2 ha
    v = screen(ProposedProject(investment_wan=12000, **area), rules)
    assert v.area_ha == pytest.approx(2.0)
    assert v.intensity_wan_per_ha == pytest.approx(6000.0)  # 12000 / 2
    assert v.max_area_ha == pytest.approx(2.4)  # 12000 / 5000
    assert v.min_investment_wan == pytest.approx(10000.0)  # 5000 * 2
    assert v.passed is True


def test_low_intensity_fails_with_one_reason(rules: RuleSet) -> None:
    v = screen(ProposedProject(investment_wan=3200, area_ha=1, project_name="丙项目"), rules)
    assert v.passed is False
    assert v.intensity_wan_per_ha == pytest.approx(3200.0)  # 3200 / 1
    assert v.max_area_ha == pytest.approx(0.64)  # 3200 / 5000
    assert v.min_investment_wan == pytest.approx(5000.0)  # 5000 * 1
    assert v.reasons == ["投资强度 3200.00 万元/公顷，低于标准 5000 万元/公顷"]
    assert v.project_name == "丙项目"


def test_on_the_threshold_passes(rules: RuleSet) -> None:
    # 1000 万元 on 3 亩 = 0.2 ha: 1000 / 0.2 = 5000, exactly the threshold
    v = screen(ProposedProject(investment_wan=1000, area_mu=3), rules)
    assert v.intensity_wan_per_ha == pytest.approx(5000.0)
    assert v.passed is True


def test_park_rule_sets_the_threshold(park_rules: RuleSet) -> None:
    v = screen(ProposedProject(investment_wan=12000, area_ha=2, park="高新区"), park_rules)
    assert (v.threshold_wan_per_ha, v.threshold_source) == (6000.0, "park")
    assert v.passed is True  # 12000 / 2 = 6000 >= 6000
    assert v.max_area_ha == pytest.approx(2.0)  # 12000 / 6000
    assert v.min_investment_wan == pytest.approx(12000.0)  # 6000 * 2


def test_park_industry_rule_wins_over_park_and_industry(park_rules: RuleSet) -> None:
    v = screen(
        ProposedProject(investment_wan=12000, area_ha=2, park="高新区", industry_code="C2611"),
        park_rules,
    )
    assert v.industry_code == "26"
    assert (v.threshold_wan_per_ha, v.threshold_source) == (8000.0, "park_industry")
    assert v.passed is False  # 6000 < 8000
    assert v.max_area_ha == pytest.approx(1.5)  # 12000 / 8000
    assert v.min_investment_wan == pytest.approx(16000.0)  # 8000 * 2
    assert v.reasons == ["投资强度 6000.00 万元/公顷，低于标准 8000 万元/公顷"]


def test_industry_rule_outside_the_park(park_rules: RuleSet) -> None:
    # 3200 / 0.8 = 4000 万元/公顷 against the industry rule of 4000 for code 26
    v = screen(
        ProposedProject(investment_wan=3200, area_ha=0.8, park="开发区", industry_code="26"),
        park_rules,
    )
    assert (v.threshold_wan_per_ha, v.threshold_source) == (4000.0, "industry")
    assert v.passed is True
    v = screen(ProposedProject(investment_wan=3200, area_ha=0.8), park_rules)
    assert (v.threshold_wan_per_ha, v.threshold_source) == (5000.0, "default")
    assert v.passed is False  # 4000 < 5000


# --------------------------------------------------------------------------------------------
# Control indicators


def passing(**extra) -> ProposedProject:
    """12000 万元 on 2 ha: intensity 6000, above 5000, so only ``extra`` decides."""
    return ProposedProject(investment_wan=12000, area_ha=2, **extra)


def test_building_coverage(rules: RuleSet) -> None:
    v = screen(passing(building_coverage=0.25), rules)
    assert v.passed is False  # 0.25 < 0.30
    assert v.reasons == ["建筑系数 25%，低于下限 30%"]
    c = check(v, "building_coverage")
    assert (c.value, c.limit, c.passed) == (0.25, 0.30, False)
    assert screen(passing(building_coverage=0.30), rules).passed is True  # on the limit


def test_admin_living_share(rules: RuleSet) -> None:
    v = screen(passing(admin_living_share=0.08), rules)
    assert v.passed is False  # 0.08 > 0.07
    assert v.reasons == ["行政办公及生活服务设施用地比例 8%，高于上限 7%"]
    assert check(v, "admin_living_share").limit == 0.07
    assert screen(passing(admin_living_share=0.07), rules).passed is True


def test_green_ratio(rules: RuleSet) -> None:
    v = screen(passing(green_ratio=0.25), rules)
    assert v.passed is False  # 0.25 > 0.20
    assert v.reasons == ["绿地率 25%，高于上限 20%"]
    assert screen(passing(green_ratio=0.20), rules).passed is True


@pytest.mark.parametrize(
    ("code", "plot_ratio", "limit", "ok"),
    [
        ("17", 0.9, 0.8, True),  # textiles: 0.9 >= 0.8
        ("C1711", 0.7, 0.8, False),  # 0.7 < 0.8
        ("25", 0.5, 0.5, True),  # petroleum: 0.5 >= 0.5 (on the limit)
        ("25", 0.45, 0.5, False),  # 0.45 < 0.5
        ("13", 0.9, 1.0, False),  # food processing: 0.9 < 1.0
        ("26", 0.6, 0.6, True),  # chemicals: 0.6 >= 0.6
    ],
)
def test_plot_ratio_minimum_by_industry(
    rules: RuleSet, code: str, plot_ratio: float, limit: float, ok: bool
) -> None:
    v = screen(passing(industry_code=code, plot_ratio=plot_ratio), rules)
    c = check(v, "plot_ratio")
    assert (c.value, c.limit, c.passed) == (plot_ratio, limit, ok)
    assert v.passed is ok


def test_plot_ratio_reason(rules: RuleSet) -> None:
    v = screen(passing(industry_code="C1711", plot_ratio=0.7), rules)
    assert v.reasons == ["容积率 0.70，低于行业下限 0.8（行业代码 17）"]


def test_plot_ratio_not_checked_without_a_minimum(rules: RuleSet) -> None:
    # 44 (electricity) has no minimum in the table; no code at all: no minimum either
    for project in (passing(industry_code="44", plot_ratio=0.1), passing(plot_ratio=0.1)):
        c = check(screen(project, rules), "plot_ratio")
        assert (c.limit, c.passed) == (None, None)
        assert c.note
        assert screen(project, rules).passed is True


def test_indicators_not_given_are_not_checked(rules: RuleSet) -> None:
    v = screen(passing(), rules)
    assert v.passed is True
    assert [c.name for c in v.checks] == [
        "investment_intensity",
        "building_coverage",
        "admin_living_share",
        "green_ratio",
        "plot_ratio",
    ]
    assert [c.passed for c in v.checks] == [True, None, None, None, None]
    assert all(c.note == "未填写，未评审" for c in v.checks[1:4])


def test_one_reason_per_failed_indicator(rules: RuleSet) -> None:
    v = screen(
        ProposedProject(
            investment_wan=3200,
            area_ha=1,
            industry_code="25",
            plot_ratio=0.4,
            building_coverage=0.25,
            green_ratio=0.25,
            admin_living_share=0.08,
        ),
        rules,
    )
    assert v.passed is False
    assert v.reasons == [
        "投资强度 3200.00 万元/公顷，低于标准 5000 万元/公顷",
        "建筑系数 25%，低于下限 30%",
        "行政办公及生活服务设施用地比例 8%，高于上限 7%",
        "绿地率 25%，高于上限 20%",
        "容积率 0.40，低于行业下限 0.5（行业代码 25）",
    ]


# --------------------------------------------------------------------------------------------
# Validation of the input model


def error_text(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return json.dumps(exc.value.errors(include_url=False), ensure_ascii=False, default=str)


def test_two_areas_are_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        ProposedProject(investment_wan=12000, area_ha=2, area_mu=30)
    assert "exactly one of area_ha" in error_text(exc)
    assert "got area_ha and area_mu" in error_text(exc)


def test_no_area_is_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        ProposedProject(investment_wan=12000)
    assert "got none of them" in error_text(exc)


@pytest.mark.parametrize("investment", [-100, 0])
def test_non_positive_investment_is_refused(investment: float) -> None:
    with pytest.raises(ValidationError) as exc:
        ProposedProject(investment_wan=investment, area_ha=2)
    assert exc.value.errors()[0]["loc"] == ("investment_wan",)


def test_negative_area_is_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        ProposedProject(investment_wan=12000, area_m2=-5)
    assert exc.value.errors()[0]["loc"] == ("area_m2",)


def test_unknown_field_is_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        ProposedProject(investment_wan=12000, area_ha=2, land_price_wan=100)
    assert exc.value.errors()[0]["type"] == "extra_forbidden"


def test_share_written_as_percent_is_refused_with_the_fix() -> None:
    with pytest.raises(ValidationError) as exc:
        ProposedProject(investment_wan=12000, area_ha=2, building_coverage=30)
    assert "write 0.3 for 30 %" in error_text(exc)


def test_industry_code_without_digits_is_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        ProposedProject(investment_wan=12000, area_ha=2, industry_code="制造业")
    assert "two-digit major group" in error_text(exc)


def test_json_schema_is_documented() -> None:
    schema = ProposedProject.model_json_schema()
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["investment_wan"]
    for name, prop in schema["properties"].items():
        assert prop.get("description"), name
    assert "万元" in schema["properties"]["investment_wan"]["description"]


def test_json_round_trip(rules: RuleSet) -> None:
    project = ProposedProject.model_validate_json(
        '{"investment_wan": 12000, "area_mu": 30, "industry_code": "C3670"}'
    )
    verdict = ScreeningVerdict.model_validate_json(screen(project, rules).model_dump_json())
    assert verdict.passed is True
    assert verdict.industry_code == "36"


# --------------------------------------------------------------------------------------------
# Tables


HEADER = (
    "项目名称,固定资产总投资(万元),面积(亩),园区,行业代码,容积率,建筑系数,绿地率,"
    "行政办公及生活服务设施用地比例"
)


def test_csv_with_chinese_headers_and_a_bad_row(tmp_path: Path, rules: RuleSet) -> None:
    path = tmp_path / "入园项目.csv"
    lines = [
        "2024年第一批入园项目评审表",  # line 1: title
        HEADER,  # line 2
        "甲项目,12000,30,高新区,C3670,1.2,0.45,0.15,0.05",  # line 3
        "乙项目,,15,高新区,C2611,,,,",  # line 4: no investment
        "丙项目,3200,15,,C2611,0.5,25%,0.25,0.08",  # line 5
        "丁项目,-100,15,,,,,,",  # line 6: negative investment
        "戊项目,6000万元,,,,,,,",  # line 7: no area
    ]
    path.write_bytes(("\n".join(lines) + "\n").encode("gbk"))

    table = read_projects(path)
    out = screen_table(table, rules)
    assert len(out) == 5
    assert out["source_row"].tolist() == [3, 4, 5, 6, 7]
    assert out["passed"].tolist() == [True, pd.NA, False, pd.NA, pd.NA]

    a, b, c, d, e = (out.iloc[i] for i in range(5))
    # 甲: 30 亩 = 2 ha; 12000 / 2 = 6000 >= 5000; code 36 plot ratio 1.2 >= 0.7; 0.45 >= 0.30;
    # 0.15 <= 0.20; 0.05 <= 0.07
    assert a["area_ha"] == pytest.approx(2.0)
    assert a["intensity_wan_per_ha"] == pytest.approx(6000.0)
    assert a["max_area_ha"] == pytest.approx(2.4)  # 12000 / 5000
    assert a["min_investment_wan"] == pytest.approx(10000.0)  # 5000 * 2
    assert a["industry_code"] == "36"
    assert a["plot_ratio_min"] == 0.7
    assert a["reasons"] == ""
    assert pd.isna(a["error"])

    # 乙: missing investment -> no verdict, an error naming file, row, column and fix
    assert "入园项目.csv row 4" in b["error"]
    assert "乙项目" in b["error"]
    assert "固定资产总投资(万元)" in b["error"]
    assert "is empty" in b["error"]

    # 丙: 15 亩 = 1 ha; 3200 / 1 = 3200 < 5000; 25% < 30%; 0.08 > 0.07; 0.25 > 0.20;
    # code 26 plot ratio 0.5 < 0.6 -> five reasons
    assert pd.isna(c["error"])
    assert c["building_coverage"] == pytest.approx(0.25)
    assert c["max_area_ha"] == pytest.approx(0.64)  # 3200 / 5000
    assert c["min_investment_wan"] == pytest.approx(5000.0)  # 5000 * 1
    assert c["reasons"] == (
        "投资强度 3200.00 万元/公顷，低于标准 5000 万元/公顷；建筑系数 25%，低于下限 30%；"
        "行政办公及生活服务设施用地比例 8%，高于上限 7%；绿地率 25%，高于上限 20%；"
        "容积率 0.50，低于行业下限 0.6（行业代码 26）"
    )

    # 丁: negative investment
    assert "row 6" in d["error"]
    assert "“-100”" in d["error"]
    assert "is not above 0" in d["error"]

    # 戊: no area
    assert "row 7" in e["error"]
    assert "no area given" in e["error"]
    assert e["investment_wan"] == pytest.approx(6000.0)  # "6000万元"


def test_xlsx_with_title_row_and_screening_headers(tmp_path: Path, rules: RuleSet) -> None:
    path = tmp_path / "projects.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["入园项目申请汇总"])  # row 1: title
    ws.append(["编制单位：招商局", None, "2024年6月"])  # row 2: note
    ws.append(["投资总额", "用地面积(平方米)", "容积率"])  # row 3: header
    ws.append([12000, 20000, 1.1])  # row 4: 20,000 m² = 2 ha, 12000 / 2 = 6000
    ws.append([4000, 10000, None])  # row 5: 1 ha, 4000 / 1 = 4000 < 5000
    wb.save(path)

    out = screen_table(read_projects(path), rules)
    assert out["source_row"].tolist() == [4, 5]
    assert out["area_ha"].tolist() == pytest.approx([2.0, 1.0])
    assert out["intensity_wan_per_ha"].tolist() == pytest.approx([6000.0, 4000.0])
    assert out["passed"].tolist() == [True, False]
    assert out["reasons"].iloc[1] == "投资强度 4000.00 万元/公顷，低于标准 5000 万元/公顷"


def test_table_with_english_names_and_units(rules: RuleSet) -> None:
    frame = pd.DataFrame(
        {
            "project_name": ["A", "B", "C", "D"],
            "固定资产总投资(元)": [120_000_000, 32_000_000, 120_000_000, 120_000_000],
            "area_ha": [2.0, None, 2.0, 2.0],
            "面积(亩)": [None, "15", "45", "30"],
            "建筑系数(%)": [45, 25, None, 140],
        }
    )
    out = screen_table(frame, rules)
    assert out["passed"].tolist() == [True, False, pd.NA, pd.NA]
    # A: 120,000,000 元 = 12000 万元 on 2 ha -> 6000; coverage 45 % >= 30 %
    assert out["investment_wan"].iloc[0] == pytest.approx(12000.0)
    assert out["building_coverage"].iloc[0] == pytest.approx(0.45)
    # B: 3200 万元 on 15 亩 = 1 ha -> 3200 < 5000; coverage 25 % < 30 %: two reasons
    assert out["area_ha"].iloc[1] == pytest.approx(1.0)
    assert out["reasons"].iloc[1].count("；") == 1
    # C: 2 ha and 45 亩 (= 3 ha) disagree -> error, no verdict
    assert "row 3" in out["error"].iloc[2]
    assert "disagree" in out["error"].iloc[2]
    # D: 2 ha and 30 亩 agree; coverage 140 % is not a share -> error naming the value
    assert out["area_ha"].iloc[3] == pytest.approx(2.0)
    assert "建筑系数(%)" in out["error"].iloc[3]
    assert "“140”" in out["error"].iloc[3]


def test_table_without_investment_column_is_refused(rules: RuleSet) -> None:
    with pytest.raises(InputError, match="no column for the investment"):
        screen_table(pd.DataFrame({"项目名称": ["A"], "面积(公顷)": [2]}), rules)


def test_table_matches_single_screening(park_rules: RuleSet) -> None:
    projects = [
        ProposedProject(investment_wan=12000, area_ha=2, park="高新区", industry_code="C2611"),
        ProposedProject(investment_wan=3200, area_mu=12, industry_code="26", plot_ratio=0.5),
        ProposedProject(investment_wan=9000, area_m2=15000, park="高新区", green_ratio=0.1),
    ]
    frame = pd.DataFrame([p.model_dump() for p in projects])
    out = screen_table(frame, park_rules)
    for i, p in enumerate(projects):
        v = screen(p, park_rules)
        row = out.iloc[i]
        assert row["passed"] == v.passed
        assert row["threshold_wan_per_ha"] == v.threshold_wan_per_ha
        assert row["threshold_source"] == v.threshold_source
        assert row["intensity_wan_per_ha"] == pytest.approx(v.intensity_wan_per_ha)
        assert row["reasons"] == "；".join(v.reasons)


def test_empty_table(rules: RuleSet) -> None:
    frame = pd.DataFrame({"investment_wan": pd.Series([], dtype=float), "area_ha": []})
    out = screen_table(frame, rules)
    assert len(out) == 0
    assert "passed" in out.columns


def test_screen_many_gives_each_project_its_own_verdict(rules: RuleSet) -> None:
    projects = [
        # 12,000 万元 / 2 ha = 6000 ≥ 5000: passes
        ProposedProject(investment_wan=12000, area_ha=2),
        # 3,200 万元 / 1 ha = 3200 < 5000: fails on intensity only
        ProposedProject(investment_wan=3200, area_ha=1),
        # 6,000 万元 / 1 ha = 6000 passes; plot ratio 0.5 < 0.8 for code 17: fails
        ProposedProject(investment_wan=6000, area_ha=1, industry_code="17", plot_ratio=0.5),
    ]
    verdicts = screen_many(projects, rules)
    assert [v.passed for v in verdicts] == [True, False, False]
    assert [v.intensity_wan_per_ha for v in verdicts] == [6000.0, 3200.0, 6000.0]
    assert [len(v.reasons) for v in verdicts] == [0, 1, 1]
    assert "0.50" in verdicts[2].reasons[0] and "0.8" in verdicts[2].reasons[0]
    assert verdicts == [screen(p, rules) for p in projects]
    assert screen_many([], rules) == []


def test_screen_records_are_the_verdicts_as_json(rules: RuleSet) -> None:
    projects = [
        ProposedProject(investment_wan=12000, area_mu=30, industry_code="C3670", plot_ratio=1.2),
        ProposedProject(investment_wan=3200, area_ha=1, building_coverage=0.25, green_ratio=0.3),
        ProposedProject(investment_wan=6000, area_m2=10_000, plot_ratio=0.5),  # no code
        ProposedProject(investment_wan=6000, area_ha=1, industry_code="99", plot_ratio=0.5),
    ]
    records = screen_records(projects, rules)
    assert records == [v.model_dump(mode="json") for v in screen_many(projects, rules)]
    assert records == [screen(p, rules).model_dump(mode="json") for p in projects]
    notes = {c["name"]: c["note"] for c in records[2]["checks"]}
    assert notes["building_coverage"] == "未填写，未评审"
    assert notes["plot_ratio"] == "未填写行业代码，无法确定容积率下限，未评审"
    assert screen_records([], rules) == []


@pytest.mark.parametrize(
    ("fields", "wrong"),
    [
        ({"investment_wan": 100, "area_ha": True}, "area_ha"),  # not 1.0
        ({"investment_wan": True, "area_ha": 1}, "investment_wan"),
        ({"investment_wan": 100, "area_ha": 0}, "area_ha"),
        ({"investment_wan": 100, "area_ha": 5e-324}, "area_ha"),  # would pass any threshold
        ({"investment_wan": 100, "area_m2": 0.999}, "area_m2"),  # below 1 m²
        ({"investment_wan": 100, "area_mu": 1e-3}, "area_mu"),  # 1e-3 亩 = 0.67 m²
        ({"investment_wan": 5e-324, "area_ha": 1}, "investment_wan"),
        ({"investment_wan": 0.009, "area_ha": 1}, "investment_wan"),
        ({"investment_wan": 1e300, "area_ha": 1}, "investment_wan"),
        ({"investment_wan": "12000", "area_ha": 1}, "investment_wan"),  # numbers as numbers
        ({"investment_wan": 100, "area_ha": 1, "plot_ratio": True}, "plot_ratio"),
        ({"investment_wan": 100, "area_ha": 1, "green_ratio": False}, "green_ratio"),
    ],
)
def test_proposed_project_refuses_implausible_numbers(fields: dict, wrong: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ProposedProject.model_validate(fields)
    assert [e["loc"] for e in caught.value.errors()] == [(wrong,)]


def test_proposed_project_takes_integers_and_the_limits_themselves(rules: RuleSet) -> None:
    smallest = ProposedProject.model_validate({"investment_wan": 0.01, "area_m2": 1})
    assert smallest.requested_area_ha() == pytest.approx(1e-4)
    # 0.01 万元 / 0.0001 ha = 100 万元/公顷 < 5000: a finite intensity that fails
    verdict = screen(smallest, rules)
    assert verdict.intensity_wan_per_ha == pytest.approx(100.0)
    assert verdict.passed is False
    largest = ProposedProject.model_validate({"investment_wan": 10**9, "area_ha": 10**6})
    assert largest.investment_wan == 1e9 and isinstance(largest.investment_wan, float)


def test_screen_table_refuses_implausible_areas_and_investments(rules: RuleSet) -> None:
    frame = pd.DataFrame(
        {
            "project_name": ["甲", "乙", "丙"],
            "investment_wan": [12000, 1e-300, 12000],
            "area_m2": [20_000, 20_000, 1e-300],
        }
    )
    out = screen_table(frame, rules)
    assert out["passed"].tolist() == [True, pd.NA, pd.NA]
    assert "not a plausible investment" in out.loc[1, "error"]
    assert "not a plausible area" in out.loc[2, "error"]
    assert "1 m²" in out.loc[2, "error"]
