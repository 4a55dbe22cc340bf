"""The one grouping rule (park, else region, else （未指定园区）) and the money split (confirmed
apart from would-apply), on tables written out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd

from landuse.grouping import (
    CONFIRMED,
    NO_GROUP,
    POTENTIAL,
    amounts_confirmed,
    group_kinds,
    group_names,
    group_order,
    penalty_split,
    split_amounts,
)
from landuse.workbook import NO_PARK


def test_group_is_the_park_else_the_region_else_no_group():
    frame = pd.DataFrame(
        {
            "park": ["北区", "  ", None, None, " 南区 ", ""],
            "region_label": [
                "湖北省武汉市江夏区",
                "湖北省武汉市江夏区",
                "北京市朝阳区",
                None,
                None,
                " ",
            ],
        }
    )
    assert group_names(frame).tolist() == [
        "北区",
        "湖北省武汉市江夏区",
        "北京市朝阳区",
        "（未指定园区）",
        "南区",
        "（未指定园区）",
    ]
    assert group_kinds(frame).tolist() == ["park", "region", "region", "none", "park", "none"]
    assert NO_GROUP == NO_PARK == "（未指定园区）"


def test_without_a_region_column_the_group_is_the_park_or_no_group():
    frame = pd.DataFrame({"park": ["北区", None, ""]}, index=[10, 11, 12])
    names = group_names(frame)
    assert names.tolist() == ["北区", "（未指定园区）", "（未指定园区）"]
    assert names.index.tolist() == [10, 11, 12]
    nothing = pd.DataFrame({"status": ["on_track"]})
    assert group_names(nothing).tolist() == ["（未指定园区）"]


def test_groups_are_listed_parks_then_regions_then_no_group():
    groups = pd.DataFrame(
        {
            "group": ["（未指定园区）", "浙江省宁波市", "北区", "安徽省", "A区"],
            "group_kind": ["none", "region", "park", "region", "park"],
        }
    )
    assert group_order(groups)["group"].tolist() == [
        "A区",
        "北区",
        "安徽省",
        "浙江省宁波市",
        "（未指定园区）",
    ]


def test_money_is_split_from_the_total_by_amounts_confirmed():
    frame = pd.DataFrame(
        {
            "status": ["recovery", "unverified", "unverified", "late_start", "on_track"],
            "total_penalty_wan": [100.0, 50.0, 30.0, np.nan, 0.0],
            "amounts_confirmed": pd.array([True, False, None, True, True], dtype="boolean"),
        }
    )
    split = penalty_split(frame)
    assert list(split.columns) == [CONFIRMED, POTENTIAL]
    # a missing amounts_confirmed falls back on the status (unverified: would apply)
    assert split[CONFIRMED].tolist()[:3] == [100.0, 0.0, 0.0]
    assert split[POTENTIAL].tolist()[:3] == [0.0, 50.0, 30.0]
    assert np.isnan(split[CONFIRMED].iloc[3]) and split[POTENTIAL].iloc[3] == 0.0
    assert split[CONFIRMED].sum() == 100.0 and split[POTENTIAL].sum() == 80.0


def test_money_split_from_the_status_when_amounts_confirmed_is_absent_or_text():
    frame = pd.DataFrame({"status": ["unverified", "idle_fee"], "total_penalty_wan": [7.0, 9.0]})
    assert amounts_confirmed(frame).tolist() == [False, True]
    assert penalty_split(frame)[POTENTIAL].tolist() == [7.0, 0.0]
    as_text = frame.assign(amounts_confirmed=["false", "true"])  # e.g. a CSV read back
    assert amounts_confirmed(as_text).tolist() == [False, True]
    assert amounts_confirmed(pd.DataFrame({"x": [1]})).tolist() == [True]


def test_money_columns_of_the_results_are_read_as_they_are():
    # Results that carry both columns: no re-derivation from the total.
    frame = pd.DataFrame(
        {
            "total_penalty_wan": [10.0, 20.0],
            "amounts_confirmed": [True, False],
            CONFIRMED: [1.0, 0.0],
            POTENTIAL: [0.0, 2.0],
        }
    )
    split = penalty_split(frame)
    assert split[CONFIRMED].tolist() == [1.0, 0.0]
    assert split[POTENTIAL].tolist() == [0.0, 2.0]


def test_amounts_by_kind_are_split_the_same_way():
    frame = pd.DataFrame(
        {
            "idle_fee_wan": [20.0, 6.0],
            "late_start_wan": [80.0, 24.0],
            "amounts_confirmed": [True, False],
        }
    )
    split = split_amounts(frame, ["idle_fee_wan", "late_start_wan"])
    assert split["idle_fee_wan"].tolist() == [20.0, 0.0]
    assert split["potential_idle_fee_wan"].tolist() == [0.0, 6.0]
    assert split["late_start_wan"].sum() == 80.0
    assert split["potential_late_start_wan"].sum() == 24.0
