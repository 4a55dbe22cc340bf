"""Region codes and names from supervision numbers (landuse.regions)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from landuse import regions
from landuse.readers import detect_text_encoding
from landuse.regions import REGION_COLUMNS, region_codes, region_table, regions_for

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
MONTH_2016 = REAL / "landchina_forfudan" / "landchina" / "2016" / "06"


def _one(value: str) -> dict:
    return regions_for(pd.Series([value])).iloc[0].to_dict()


def _names(value: str) -> tuple:
    row = _one(value)
    return tuple(None if pd.isna(row[c]) else row[c] for c in REGION_COLUMNS)


def test_county_from_a_supervision_number():
    assert _names("3714812013B00179") == (
        "371481",
        "山东省",
        "德州市",
        "乐陵市",
        "山东省德州市乐陵市",
        "current",
    )


def test_district_of_a_municipality_has_the_municipality_as_city():
    assert _names("1101052016B00001") == (
        "110105",
        "北京市",
        "北京市",
        "朝阳区",
        "北京市朝阳区",
        "current",
    )


def test_county_level_city_under_a_province_has_no_city():
    # 仙桃市 is directly under 湖北省 (省直辖县级行政区划): no prefecture.
    assert _names("4290042016A00010") == (
        "429004",
        "湖北省",
        None,
        "仙桃市",
        "湖北省仙桃市",
        "current",
    )


@pytest.mark.parametrize(
    ("number", "names"),
    [
        # 随州市曾都区 carried 421302 until it was re-coded 421303 in 2009.
        ("4213022008A00003", ("湖北省", "随州市", "曾都区", "湖北省随州市曾都区")),
        # 萧山市 became 杭州市萧山区 (330109) in 2001; 2013 records still use 330181.
        ("3301812013B00044", ("浙江省", "杭州市", "萧山市", "浙江省杭州市萧山市")),
        # 密云县 became 密云区 (110118) in 2015.
        ("1102282013A00001", ("北京市", "北京市", "密云县", "北京市密云县")),
    ],
)
def test_retired_code_keeps_its_code_and_last_names(number, names):
    row = _names(number)
    assert row[0] == number[:6]
    assert row[1:5] == names
    assert row[5] == "retired"


def test_renamed_county_takes_its_last_name():
    # 371324 苍山县 was renamed 兰陵县 in 2014 under the same code.
    row = _one("3713242013B00010")
    assert (row["county"], row["region_match"]) == ("兰陵县", "current")


def test_land_market_codes_outside_gbt2260():
    assert _names("6602042016B00001")[1:] == (
        "新疆生产建设兵团",
        "第二师",
        "24团",
        "新疆生产建设兵团第二师24团",
        "land_market",
    )
    assert _names("2391042016B00005")[1:5] == (
        "黑龙江省",
        "农垦总局",
        "建三江分局",
        "黑龙江省农垦总局建三江分局",
    )


def test_unknown_code_falls_back_to_its_prefixes():
    assert _names("420199")[1:] == ("湖北省", "武汉市", None, "湖北省武汉市", "prefix")
    assert _names("6602992016B00001")[1:] == (
        "新疆生产建设兵团",
        "第二师",
        None,
        "新疆生产建设兵团第二师",
        "prefix",
    )
    assert _names("1101992016B00001")[1:4] == ("北京市", "北京市", None)


@pytest.mark.parametrize(
    "bad",
    ["abc", "12345678", "9912342016B00001", "37148", "3714812", " ", "", "电子监管号", None],
)
def test_bad_numbers_give_no_region(bad):
    row = _one(bad)
    assert all(pd.isna(row[c]) for c in REGION_COLUMNS)


def test_loose_forms_are_accepted():
    codes = region_codes(
        pd.Series(
            [
                " 3714812013B00179",
                "３７１４８１２０１３Ｂ００１７９",
                "371481",
                "4407052016B00412-1",
            ]
        )
    )
    assert codes.tolist() == ["371481", "371481", "371481", "440705"]


def test_frame_shape_dtypes_and_index():
    values = pd.Series(["3714812013B00179", None, "110105"], index=[10, 20, 30])
    out = regions_for(values)
    assert list(out.columns) == list(REGION_COLUMNS)
    assert out.index.tolist() == [10, 20, 30]
    assert all(str(t) == "string" for t in out.dtypes)
    empty = regions_for(pd.Series([], dtype="string"))
    assert list(empty.columns) == list(REGION_COLUMNS) and len(empty) == 0


def test_each_distinct_code_is_looked_up_once(monkeypatch):
    calls: list[str] = []
    real = regions._lookup

    def counting(code):
        calls.append(code)
        return real(code)

    monkeypatch.setattr(regions, "_lookup", counting)
    values = pd.Series(["3714812013B00179", "3714812014B00001", "110105"] * 1000)
    out = regions_for(values)
    assert sorted(calls) == ["110105", "371481"]
    assert (out["county"] == "乐陵市").sum() == 2000


def test_table_is_well_formed():
    table = region_table()
    assert table["code"].is_unique
    assert table["code"].str.fullmatch(r"\d{6}").all()
    assert (table["province"] != "").all()
    # Every province-level unit of the latest list, 兵团 (66) as the land-market system has it.
    provinces = table.loc[table["code"].str.endswith("0000"), "code"].str[:2]
    assert {"11", "31", "42", "46", "50", "54", "65", "66", "71", "81", "82"} <= set(provinces)
    current = table[(table["last_seen"] == "") & (table["source"] == "GB/T 2260")]
    assert len(current) > 3000
    assert len(table[table["last_seen"] != ""]) > 3000


def _column(files: list[Path], column: str) -> pd.Series:
    parts = []
    for path in files:
        encoding = detect_text_encoding(path.read_bytes()[:65536]).encoding
        parts.append(pd.read_csv(path, usecols=[column], dtype=str, encoding=encoding)[column])
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def numbers_2016() -> pd.Series:
    files = sorted(MONTH_2016.glob("*.csv"))
    if not files:
        pytest.skip(f"real data {MONTH_2016} not found")
    return _column(files, "电子监管号")


def test_coverage_on_the_real_2016_06_month(numbers_2016):
    numbers = numbers_2016.dropna()
    assert len(numbers) == 12127
    out = regions_for(numbers)
    assert out["region_code"].notna().all()
    named = out["region_label"].notna().mean()
    assert named >= 0.99
    # GB/T 2260 alone (current and retired codes) finds 98.95 %; the rest are land-market
    # codes of the 兵团 (66), the 黑龙江 农垦/森工 bureaus (2391/2392/2393/2394) and two zones.
    standard = out["region_match"].isin(["current", "retired"])
    assert standard.mean() >= 0.989
    others = set(out.loc[~standard, "region_code"])
    assert all(c.startswith(("66", "239")) or c in {"330504", "331099"} for c in others)
