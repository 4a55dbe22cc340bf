"""行业分类 names to GB/T 4754-2002 major-group codes (landuse.industries)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd
import pytest

from landuse import industries
from landuse.industries import (
    INDUSTRY_COLUMNS,
    fill_industry_codes,
    industries_from_names,
    industry_codes_from_names,
    major_groups,
    name_key,
    name_variants,
)
from landuse.readers import detect_text_encoding
from landuse.rules_file import DEFAULT_RULES_PATH

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
MONTH_2016 = REAL / "landchina_forfudan" / "landchina" / "2016" / "06"


def _code(name: str | None) -> str | None:
    codes, _ = industry_codes_from_names(pd.Series([name]))
    return None if pd.isna(codes.iloc[0]) else codes.iloc[0]


@pytest.mark.parametrize(
    ("name", "code"),
    [
        # 2002 major groups as the land-market system lists them
        ("通用设备制造业", "35"),
        ("化学原料及化学制品制造业", "26"),
        ("交通运输设备制造业", "37"),
        ("电气机械及器材制造业", "39"),
        ("房地产业", "72"),
        ("批发业", "63"),
        ("国家机构", "94"),
        ("卫生", "85"),
        # the land-market system's spellings
        ("通讯设备、计算机及其他电子设备制造业", "40"),
        ("皮革、毛皮、羽毛（绒）及其制造业", "19"),
        ("造纸及纸质品业", "22"),
        ("印刷业和记录媒体的复制", "23"),
        ("房屋和土木工程业", "47"),
        ("其他金融服务", "71"),
        ("教育业", "84"),
        # 2002 medium/small groups
        ("汽车制造", "37"),
        ("船舶及浮动装置制造", "37"),
        ("水力发电", "44"),
        ("铜冶炼", "33"),
        ("钢压延加工", "32"),
        ("砖瓦、石材及其他建筑材料制造", "31"),
        ("工程准备", "50"),
        # 2011/2017 names give the 2002 group they fall in
        ("汽车制造业", "37"),
        ("铁路、船舶、航空航天和其他运输设备制造业", "37"),
        ("电气机械和器材制造业", "39"),
        ("计算机、通信和其他电子设备制造业", "40"),
        ("酒、饮料和精制茶制造业", "15"),
        ("黑色金属冶炼和压延加工业", "32"),
        ("非金属矿物制品业", "31"),
        ("废弃资源综合利用业", "43"),
        ("研究和试验发展", "75"),
        ("货币金融服务", "68"),
        ("多式联运和运输代理业", "57"),
        ("基层群众自治组织及其他组织", "97"),
        ("国际组织", "98"),
        # written forms
        ("C制造业-汽车制造业", "37"),
        ("36 汽车制造业", "37"),
        ("Ｃ３６ 汽车制造业", "37"),
        ("  汽车 制造 业 ", "37"),
        ("家具制造", "21"),
        ("纺织", "17"),
        ("铁路、船舶、航空航天和其它运输设备制造业", "37"),
        ("A农业", "01"),
        # GB/T 4754-1994 names
        ("普通机械制造业", "35"),
        ("电子及通信设备制造业", "40"),
    ],
)
def test_names_give_2002_codes(name, code):
    assert _code(name) == code


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("其它", "placeholder"),
        ("其他", "placeholder"),
        ("制造业", "section"),
        ("批发和零售业", "section"),
        ("C 制造业", "section"),
        ("橡胶和塑料制品业", "split"),  # 2002 29 橡胶制品业 + 30 塑料制品业
        ("金属制品、机械和设备修理业", "split"),
        ("软件和信息技术服务业", "split"),
        ("3610", "code"),
        ("商务金融用地", "unknown"),  # a land use, not an industry
        ("工业用地", "unknown"),
    ],
)
def test_names_without_a_code(name, reason):
    out = industries_from_names(pd.Series([name]))
    assert pd.isna(out["industry_code"].iloc[0])
    assert out["industry_match"].iloc[0] == reason


def test_detail_columns():
    out = industries_from_names(
        pd.Series(["汽车制造业", "制造业", "橡胶和塑料制品业", None], index=list("abcd"))
    )
    assert list(out.columns) == list(INDUSTRY_COLUMNS)
    assert out.index.tolist() == list("abcd")
    assert all(str(t) == "string" for t in out.dtypes)
    car = out.loc["a"]
    assert (car["industry_code"], car["industry_name"], car["industry_section"]) == (
        "37",
        "交通运输设备制造业",
        "C",
    )
    assert (car["industry_match"], car["industry_source_code"]) == ("2011", "36")
    assert (out.loc["b", "industry_section"], out.loc["b", "industry_match"]) == ("C", "section")
    assert out.loc["c", "industry_source_code"] == "29"
    assert out.loc["d"].isna().all()


def test_unmatched_names_reported_once_with_counts():
    names = pd.Series(
        ["其它", "通用设备制造业", "其它", "制造业", None, "", "商务金融用地", "其它", "制造业"]
    )
    codes, unmatched = industry_codes_from_names(names)
    assert codes.fillna("-").tolist() == ["-", "35", "-", "-", "-", "-", "-", "-", "-"]
    assert list(unmatched.columns) == ["name", "count", "reason", "note"]
    assert unmatched[["name", "count", "reason"]].values.tolist() == [
        ["其它", 3, "placeholder"],
        ["制造业", 2, "section"],
        ["商务金融用地", 1, "unknown"],
    ]
    assert unmatched["note"].notna().all()
    _, none = industry_codes_from_names(pd.Series(["通用设备制造业", None]))
    assert none.empty and list(none.columns) == ["name", "count", "reason", "note"]


def test_each_distinct_name_is_matched_once(monkeypatch):
    calls: list[str] = []
    real = industries._match

    def counting(name):
        calls.append(name)
        return real(name)

    monkeypatch.setattr(industries, "_match", counting)
    codes, _ = industry_codes_from_names(pd.Series(["通用设备制造业", "房地产业"] * 2000))
    assert sorted(calls) == ["房地产业", "通用设备制造业"]
    assert codes.value_counts().to_dict() == {"35": 2000, "72": 2000}


def test_given_codes_win_over_names():
    codes = pd.Series(["C3411", None, None, "26"])
    names = pd.Series(["房地产业", "汽车制造业", "其它", None])
    filled, unmatched = fill_industry_codes(codes, names)
    assert filled.fillna("-").tolist() == ["34", "37", "-", "26"]
    assert unmatched["name"].tolist() == ["其它"]
    only_names, _ = fill_industry_codes(None, names)
    assert only_names.iloc[:2].tolist() == ["72", "37"]


def test_tables_hold_each_edition_whole():
    g = major_groups()
    for edition, majors in (("2002", 95), ("2011", 96), ("2017", 97)):
        rows = g[g["edition"] == edition]
        sections = rows[rows["code"].str.isalpha()]
        groups = rows[rows["code"].str.isdigit()]
        assert len(sections) == 20 and sections["code"].tolist() == list("ABCDEFGHIJKLMNOPQRST")
        assert len(groups) == majors and groups["code"].is_unique
        assert groups["code"].str.fullmatch(r"\d{2}").all()
        assert groups["code"].astype(int).is_monotonic_increasing
        # each major group belongs to the section listed just before it
        assert (rows["section"] == rows["section"].where(rows["code"].str.isalpha()).ffill()).all()
    codes_2002 = set(g.loc[(g["edition"] == "2002") & g["code"].str.isdigit(), "code"])
    assert {"12", "38", "64"}.isdisjoint(codes_2002)
    later = g[(g["edition"] != "2002") & g["code"].str.isdigit() & (g["code_2002"] != "")]
    assert set(later["code_2002"]) <= codes_2002
    assert set(name_variants()["code_2002"]) <= codes_2002


def test_no_name_key_points_at_two_codes():
    g = major_groups()
    rows = pd.concat(
        [
            g.loc[g["code"].str.isdigit() & (g["code_2002"] != ""), ["name", "code_2002"]],
            name_variants()[["name", "code_2002"]],
        ]
    )
    per_key = rows.assign(key=rows["name"].map(name_key)).groupby("key")["code_2002"].nunique()
    assert (per_key == 1).all(), per_key[per_key > 1]


def test_plot_ratio_table_uses_codes_of_the_output_edition():
    with DEFAULT_RULES_PATH.open("rb") as fh:
        table = tomllib.load(fh)["plot_ratio_min"]
    g = major_groups()
    codes_2002 = set(g.loc[(g["edition"] == "2002") & g["code"].str.isdigit(), "code"])
    assert set(table) <= codes_2002


@pytest.fixture(scope="module")
def names_2016() -> pd.Series:
    files = sorted(MONTH_2016.glob("*.csv"))
    if not files:
        pytest.skip(f"real data {MONTH_2016} not found")
    parts = []
    for path in files:
        encoding = detect_text_encoding(path.read_bytes()[:65536]).encoding
        parts.append(pd.read_csv(path, usecols=["行业分类"], dtype=str, encoding=encoding))
    return pd.concat(parts, ignore_index=True)["行业分类"]


def test_coverage_on_the_real_2016_06_month(names_2016):
    named = names_2016[names_2016.notna() & (names_2016.str.strip() != "")]
    assert len(named) == 12127
    detail = industries_from_names(named)
    codes, unmatched = industry_codes_from_names(named)
    informative = detail["industry_match"] != "placeholder"
    # 603 rows say only 其它 (the system's "other", offered under many groups): no industry.
    assert (~informative).sum() == 603
    assert codes[informative].notna().mean() >= 0.95  # 98.07 %
    assert codes.notna().mean() >= 0.93  # 93.19 % with 其它 counted
    # Every name without a code is 其它 or a section name; each is listed once.
    assert set(unmatched["reason"]) == {"placeholder", "section"}
    assert unmatched["name"].is_unique
    assert unmatched["count"].sum() == codes.isna().sum()
    assert unmatched.iloc[0][["name", "count"]].tolist() == ["其它", 603]
