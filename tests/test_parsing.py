"""Hand-worked tests of ``landuse.parsing`` against RULES.md sections 1-2 (units, dates, data
quality of real supply records)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from landuse.parsing import (
    AREA_UNITS_TO_HA,
    MONEY_UNITS_TO_WAN,
    null_markers,
    parse_date,
    parse_gov_cause,
    parse_number,
    parse_start_status,
)

JUNE_20 = pd.Timestamp("2013-06-20")


def cells(*values) -> pd.Series:
    """A raw column as read from a file: mixed Python objects."""
    return pd.Series(list(values), dtype=object)


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(
    "raw",
    [
        "2013年06月20日",
        "2013年6月20日",
        " 2013年06月20日 ",  # surrounding spaces
        "2013-06-20",
        "2013/6/20",
        "2013/06/20",
        "2013.06.20",
        "20130620",
        "2013-06-20 15:30:00",  # time of day dropped
        "41445",  # Excel serial as text: 2013-01-01 is 41275, + 151 + 19 days = 41445
        41445,  # Excel serial as a number
        41445.0,
        dt.datetime(2013, 6, 20, 15, 30),  # datetime cell: midnight of that day
        dt.date(2013, 6, 20),
        pd.Timestamp("2013-06-20 08:00"),
    ],
)
def test_every_written_form_of_a_date(raw):
    values, bad, placeholder, _ = parse_date(cells(raw))
    assert values.iloc[0] == JUNE_20
    assert not bad[0]
    assert not placeholder[0]


def test_date_column_dtypes_other_than_object():
    # numbers read as float: Excel serials 41445 → 2013-06-20, 41446 → 2013-06-21
    values, bad, _, _ = parse_date(pd.Series([41445.0, 41446.0, np.nan]))
    assert values.tolist()[:2] == [JUNE_20, pd.Timestamp("2013-06-21")]
    assert pd.isna(values.iloc[2])
    assert not bad.any()
    assert values.dtype == "datetime64[ns]"
    # a datetime column keeps the day, drops the time and the time zone
    stamps = pd.Series(pd.to_datetime(["2013-06-20 23:10", None])).dt.tz_localize("Asia/Shanghai")
    values, bad, _, _ = parse_date(stamps)
    assert values.iloc[0] == JUNE_20
    assert pd.isna(values.iloc[1])
    assert not bad.any()
    # pandas string dtype
    values, bad, _, _ = parse_date(pd.Series(["2013/6/20", None], dtype="string"))
    assert values.iloc[0] == JUNE_20
    assert not bad.any()


def test_date_and_datetime_cells_in_one_column():
    values, bad, _, _ = parse_date(cells(dt.datetime(2013, 6, 20, 15, 30), dt.date(2014, 1, 2)))
    assert values.tolist() == [JUNE_20, pd.Timestamp("2014-01-02")]
    assert not bad.any()


@pytest.mark.parametrize(
    "raw",
    ["1900年01月01日", "1900-01-01", "1901-01-02", "19000101", dt.datetime(1900, 1, 1)],
)
def test_placeholder_dates_are_missing_not_bad(raw):
    values, bad, placeholder, _ = parse_date(cells(raw))
    assert pd.isna(values.iloc[0])
    assert placeholder[0]
    assert not bad[0]


@pytest.mark.parametrize("raw", ["2013-02-30", "2023-02-29", "2013-13-01", "明年", "2013年06月"])
def test_impossible_or_unreadable_dates_are_bad(raw):
    # 30 February never exists; 2023 is not a leap year; there is no month 13
    values, bad, placeholder, _ = parse_date(cells(raw))
    assert pd.isna(values.iloc[0])
    assert bad[0]
    assert not placeholder[0]


def test_leap_day_is_a_real_date_and_blanks_are_missing_not_bad():
    values, bad, placeholder, _ = parse_date(cells("2024-02-29", "", "  ", None, np.nan))
    assert values.iloc[0] == pd.Timestamp("2024-02-29")
    assert values.iloc[1:].isna().all()
    assert not bad.any()
    assert not placeholder.any()


# ---------------------------------------------------------------- numbers and units


def test_money_with_units_converts_to_wan():
    values, bad = parse_number(
        cells("12000万元", "190元", "1.5亿元", "12,000", "1,234.5 万元", "3000万", 800),
        MONEY_UNITS_TO_WAN,
    )
    assert values.tolist() == pytest.approx(
        [
            12000.0,  # 12000 万元
            0.019,  # 190 元 = 190 / 10000 万元
            15000.0,  # 1.5 亿元 = 1.5 × 10000 万元
            12000.0,  # thousands separator
            1234.5,
            3000.0,  # 万 = 万元
            800.0,  # a number cell is taken as 万元
        ]
    )
    assert not bad.any()


def test_area_with_units_converts_to_hectares():
    values, bad = parse_number(
        cells("10000平方米", "15亩", "2.5公顷", "2.5", "1,500 平方米", "30亩"), AREA_UNITS_TO_HA
    )
    assert values.tolist() == pytest.approx(
        [
            1.0,  # 10000 m² / 10000 = 1 ha
            1.0,  # 15 亩 / 15 = 1 ha
            2.5,
            2.5,  # bare number: already hectares
            0.15,  # 1500 m² / 10000 = 0.15 ha
            2.0,  # 30 亩 / 15 = 2 ha
        ]
    )
    assert not bad.any()


def test_bad_number_text_is_flagged_and_blank_is_not():
    values, bad = parse_number(
        cells("约五千", "12000美元", "x亩", "", None, "  "), MONEY_UNITS_TO_WAN
    )
    assert values.isna().all()
    # text that is not a number, or a unit that is not money, is bad; blanks are just missing
    assert bad.tolist() == [True, True, True, False, False, False]


def test_bare_number_column_refuses_unit_text():
    # no unit table: a plain number (with separators) is fine, a unit is not understood
    values, bad = parse_number(cells("1.2", "1,000", "1.2万元", "-0.5"))
    assert values.iloc[0] == pytest.approx(1.2)
    assert values.iloc[1] == pytest.approx(1000.0)
    assert pd.isna(values.iloc[2])
    assert values.iloc[3] == pytest.approx(-0.5)
    assert bad.tolist() == [False, False, True, False]


def test_numeric_column_passes_through():
    values, bad = parse_number(pd.Series([1.5, np.nan, 3.0]), MONEY_UNITS_TO_WAN)
    assert values.iloc[0] == 1.5
    assert pd.isna(values.iloc[1])
    assert values.iloc[2] == 3.0
    assert not bad.any()


# ---------------------------------------------------------------- start status


def test_start_status_words():
    values, bad = parse_start_status(
        cells("已开工", "未开工", "未知", "started", "not_started", "unknown", " 在建 ", "Started",
              None, "", "看不懂")
    )  # fmt: skip
    assert values.tolist() == [
        "started",
        "not_started",
        "unknown",
        "started",
        "not_started",
        "unknown",
        "started",  # under construction has started
        "started",  # case does not matter
        "unknown",  # missing → unknown
        "unknown",
        "unknown",  # not understood → unknown and flagged
    ]
    assert str(values.dtype) == "string"
    assert bad.tolist() == [False] * 10 + [True]


# ---------------------------------------------------------------- government cause


def test_gov_cause_text_and_booleans():
    values = parse_gov_cause(
        cells("征地拆迁未完成", "否", "是", "无", "", None, np.nan, True, False, "false", "0")
    )
    assert values.tolist() == [
        True,  # any non-empty text names the cause
        False,  # 否 = no
        True,  # 是 = yes
        False,  # 无 = none
        False,  # empty
        False,
        False,
        True,
        False,
        False,
        False,
    ]
    assert values.dtype == bool


def test_gov_cause_null_markers_mean_no_cause():
    values = parse_gov_cause(cells("/", "／", "—", "-", "--", "暂无", "N/A", "不适用", "有", "1"))
    # how Chinese tables write "none" is no government cause; 有 and 1 mean one
    assert values.tolist() == [False] * 8 + [True, True]


# ---------------------------------------------------------------- null markers


@pytest.mark.parametrize(
    "raw",
    ["/", "／", "//", "—", "－", "-", "--", "——", " — ", "\u3000/\u3000", "无", "否", "暂无",
     "暂 无", "N/A", "n/a", "N / A", "Ｎ／Ａ", "NA", "ＮＡ", "不适用", "空"],
)  # fmt: skip
def test_null_markers(raw):
    assert null_markers(cells(raw)).tolist() == [True]


@pytest.mark.parametrize(
    "raw",
    ["-3", "-0.5", "3", "无锡", "否决", "空港", "NAN1", "2016-06-30", "", None, np.nan,
     dt.date(2016, 6, 30), 0, -1.0],
)  # fmt: skip
def test_values_and_blanks_are_not_null_markers(raw):
    assert null_markers(cells(raw)).tolist() == [False]


def test_null_markers_of_typed_columns_are_none():
    assert not null_markers(pd.Series([-1.0, np.nan])).any()
    assert null_markers(pd.Series(["/", "x"], dtype="string")).tolist() == [True, False]


# ---------------------------------------------------------------- dates out of range


@pytest.mark.parametrize(
    "raw",
    [
        dt.datetime(2500, 6, 20),  # an Excel cell: as nanoseconds it would wrap to 1915-12-01
        dt.date(4013, 6, 20),  # would wrap to 2259-10-22
        pd.Timestamp("2261-12-31"),  # held by datetime64[ns], but after 2100-12-31
        "9999-12-31",
        "3014年06月20日",
        "25000620",
        "2500/6/20",
        "2958465",  # Excel serial of 9999-12-31
        2958465,
        25000620,  # a yyyymmdd number
    ],
)
def test_dates_past_the_limits_are_implausible_never_wrapped(raw):
    values, bad, placeholder, implausible = parse_date(cells(raw))
    assert pd.isna(values.iloc[0])
    assert implausible[0]
    assert not bad[0]
    assert not placeholder[0]


@pytest.mark.parametrize(
    "unit", ["datetime64[s]", "datetime64[ms]", "datetime64[us]", "datetime64[D]"]
)
def test_typed_dates_of_any_unit_are_never_wrapped(unit):
    # GDAL Date fields arrive as datetime64[ms]; GeoParquet timestamps as [us]
    raw = pd.Series(np.array(["2500-06-20", "4013-06-20", "2013-06-20", "NaT"], dtype=unit))
    values, bad, placeholder, implausible = parse_date(raw)
    assert values.dtype == "datetime64[ns]"
    assert pd.isna(values.iloc[0]) and pd.isna(values.iloc[1])
    assert values.iloc[2] == JUNE_20
    assert pd.isna(values.iloc[3])
    assert implausible.tolist() == [True, True, False, False]
    assert not bad.any() and not placeholder.any()


def test_arrow_dates_and_zoned_timestamps_keep_their_day():
    import pyarrow as pa

    date32 = pd.Series(
        pa.array([dt.date(2500, 6, 20), None, dt.date(2013, 6, 20)], type=pa.date32()),
        dtype=pd.ArrowDtype(pa.date32()),
    )
    values, bad, _, implausible = parse_date(date32)
    assert pd.isna(values.iloc[0]) and pd.isna(values.iloc[1])
    assert values.iloc[2] == JUNE_20
    assert implausible.tolist() == [True, False, False]
    assert not bad.any()
    # 2013-06-20 00:30 in Beijing is 2013-06-19 16:30 UTC: the day written is the 20th
    zoned = pd.Series(pd.to_datetime(["2013-06-20 00:30"]).tz_localize("Asia/Shanghai"))
    assert parse_date(zoned).values.iloc[0] == JUNE_20
    aware_cell = dt.datetime(2013, 6, 20, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert parse_date(cells(aware_cell, "x")).values.iloc[0] == JUNE_20


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1949-01-01", pd.Timestamp("1949-01-01")),  # the first plausible day, inclusive
        ("2100-12-31", pd.Timestamp("2100-12-31")),  # the last plausible day, inclusive
        ("1948-12-31", None),  # one day before
        ("2101-01-01", None),  # one day after
        ("1902-01-01", None),  # after the placeholders, before 1949: implausible
    ],
)
def test_default_limits_are_inclusive(raw, expected):
    values, bad, placeholder, implausible = parse_date(cells(raw))
    assert not bad[0] and not placeholder[0]
    if expected is None:
        assert pd.isna(values.iloc[0])
        assert implausible[0]
    else:
        assert values.iloc[0] == expected
        assert not implausible[0]


def test_limits_are_a_parameter():
    raw = cells("1930-05-01", "2150-01-01", "2013-06-20")
    values, _, _, implausible = parse_date(
        raw, earliest=dt.date(1920, 1, 1), latest=dt.date(2200, 12, 31)
    )
    assert values.tolist() == [pd.Timestamp("1930-05-01"), pd.Timestamp("2150-01-01"), JUNE_20]
    assert not implausible.any()
    # limits beyond what datetime64[ns] holds are clipped to it: 2300 is still implausible
    values, _, _, implausible = parse_date(
        cells("2300-01-01", "2262-04-11"), earliest=dt.date(1, 1, 1), latest=dt.date(9999, 1, 1)
    )
    assert pd.isna(values.iloc[0]) and implausible[0]
    assert values.iloc[1] == pd.Timestamp("2262-04-11")


def test_placeholders_stay_placeholders_not_implausible():
    values, bad, placeholder, implausible = parse_date(
        cells("1900-01-01", "0001-01-01", dt.datetime(1899, 12, 30), "1901-12-31")
    )
    assert values.isna().all()
    assert placeholder.all()
    assert not implausible.any() and not bad.any()


def test_excel_serials_keep_the_day_of_an_afternoon_time():
    # 41445.6458 is 2013-06-20 15:30: the day is the 20th, not the 21st
    values, bad, _, _ = parse_date(cells(41445.6458, "41445.9"))
    assert values.tolist() == [JUNE_20, JUNE_20]
    assert not bad.any()


def test_small_numbers_are_not_dates():
    # 731 would be 1901-12-31 as a serial: too small to be taken for a date
    values, bad, placeholder, implausible = parse_date(cells(5, "731", 0, -3))
    assert values.isna().all()
    assert bad.all()
    assert not placeholder.any() and not implausible.any()
