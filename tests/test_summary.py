"""landuse.summary.summary_table: per area group and status, confirmed and potential money apart.

Expected values are worked out by hand from the six parcels below.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from landuse.analysis import analyse
from landuse.rules_file import load_rules
from landuse.summary import SUMMARY_COLUMNS, SUMMARY_LABELS_ZH, summary_table

NAN = np.nan
PARCELS = pd.DataFrame(
    {
        "parcel_id": ["P1", "P2", "P3", "P4", "P5", "P6"],
        "park": ["东区", "东区", None, None, "东区", "西区"],
        "region_label": [None, None, "湖北省武汉市江夏区", None, None, None],
        "status": ["idle_fee", "unverified", "unverified", "on_track", "unverified",
                   "insufficient_data"],
        "amounts_confirmed": [True, False, False, True, False, True],
        "area_ha": [2.0, 1.0, 3.0, 1.5, 1.0, NAN],
        "idle_fee_wan": [200.0, 200.0, 0.0, 0.0, 0.0, NAN],
        "late_start_wan": [486.0, 500.0, 100.0, 0.0, 50.0, NAN],
        "late_completion_wan": [0.0] * 6,
        "late_payment_wan": [0.0, 0.0, NAN, 0.0, 0.0, 0.0],
        "investment_shortfall_wan": [0.0] * 6,
        "plot_ratio_shortfall_wan": [0.0] * 6,
        "total_penalty_wan": [686.0, 700.0, 100.0, 0.0, 50.0, 0.0],
    }
)  # fmt: skip


def _row(table: pd.DataFrame, group: str, status: str) -> pd.Series:
    hit = table[(table["area_group"] == group) & (table["status"] == status)]
    assert len(hit) == 1, (group, status)
    return hit.iloc[0]


def _same(value, expected) -> bool:
    if expected is None:
        return value is pd.NA or (isinstance(value, float) and math.isnan(value))
    return value == pytest.approx(expected)


def test_rows_order_and_columns():
    table = summary_table(PARCELS)
    assert list(table.columns) == list(SUMMARY_COLUMNS)
    assert set(SUMMARY_LABELS_ZH) == set(SUMMARY_COLUMNS)
    # parks by name, then regions, then （未指定园区）; statuses in precedence, then the subtotal
    assert list(zip(table["area_group"], table["status"], strict=True)) == [
        ("东区", "idle_fee"),
        ("东区", "unverified"),
        ("东区", "all"),
        ("西区", "insufficient_data"),
        ("西区", "all"),
        ("湖北省武汉市江夏区", "unverified"),
        ("湖北省武汉市江夏区", "all"),
        ("（未指定园区）", "on_track"),
        ("（未指定园区）", "all"),
        ("合计", "all"),
    ]
    assert table["area_group_kind"].tolist()[:9] == ["park"] * 5 + ["region"] * 2 + ["none"] * 2
    assert table["status_zh"].tolist()[:3] == ["闲置满一年", "待核查", "小计"]
    assert table["status_zh"].iloc[-1] == "合计"
    # no column adds confirmed and potential money
    assert "total_penalty_wan" not in table.columns


def test_confirmed_and_potential_money_per_group_and_status():
    table = summary_table(PARCELS)
    east_unverified = _row(table, "东区", "unverified")
    # P2 + P5: 2 parcels, 1 + 1 = 2 ha; potential idle fee 200 + 0; late start 500 + 50 = 550
    assert east_unverified["parcels"] == 2
    assert east_unverified["area_ha"] == pytest.approx(2.0)
    assert east_unverified["confirmed_idle_fee_wan"] == 0.0
    assert east_unverified["potential_idle_fee_wan"] == pytest.approx(200.0)
    assert east_unverified["potential_late_start_wan"] == pytest.approx(550.0)
    assert east_unverified["confirmed_penalty_wan"] == 0.0
    assert east_unverified["potential_penalty_wan"] == pytest.approx(750.0)  # 700 + 50

    east = _row(table, "东区", "all")
    # P1 confirmed (686), P2 + P5 potential (750)
    assert east["parcels"] == 3
    assert east["area_ha"] == pytest.approx(4.0)
    assert east["confirmed_idle_fee_wan"] == pytest.approx(200.0)
    assert east["potential_idle_fee_wan"] == pytest.approx(200.0)
    assert east["confirmed_late_start_wan"] == pytest.approx(486.0)
    assert east["potential_late_start_wan"] == pytest.approx(550.0)
    assert east["confirmed_penalty_wan"] == pytest.approx(686.0)
    assert east["potential_penalty_wan"] == pytest.approx(750.0)

    west = _row(table, "西区", "insufficient_data")
    # every value of P6 is null: the sums are null, not 0; nothing is potential
    assert _same(west["area_ha"], None)
    assert _same(west["confirmed_late_start_wan"], None)
    assert west["potential_late_start_wan"] == 0.0

    region = _row(table, "湖北省武汉市江夏区", "unverified")
    assert region["potential_penalty_wan"] == pytest.approx(100.0)
    assert _same(region["potential_late_payment_wan"], None)  # P3's late payment is unknown

    total = table.iloc[-1]
    # 6 parcels; 2 + 1 + 3 + 1.5 + 1 = 8.5 ha; confirmed 686; potential 700 + 100 + 50 = 850
    assert total["parcels"] == 6
    assert total["area_ha"] == pytest.approx(8.5)
    assert total["confirmed_penalty_wan"] == pytest.approx(686.0)
    assert total["potential_penalty_wan"] == pytest.approx(850.0)


def test_groups_of_analysed_parcels_follow_park_then_region():
    frame = pd.DataFrame(
        {
            "parcel_id": pd.array(["A", "B", "C"], dtype="string"),
            "supervision_no": pd.array(
                ["4201152016B00001", "4201152016B00002", None], dtype="string"
            ),
            "park": pd.array([None, "东湖高新区", None], dtype="string"),
            "agreed_start_date": pd.to_datetime(["2024-03-01"] * 3),
            "land_price_wan": [1000.0] * 3,
        }
    )
    out = analyse(frame, "2025-06-30", load_rules())
    table = summary_table(out)
    assert table["area_group"].tolist() == [
        "东湖高新区",
        "东湖高新区",
        "湖北省武汉市江夏区",
        "湖北省武汉市江夏区",
        "（未指定园区）",
        "（未指定园区）",
        "合计",
    ]
    # unverified, one year past due: 0.20 × 1000 + 1000 × 1‰ × 486 = 686 each, all potential
    assert table.iloc[-1]["potential_penalty_wan"] == pytest.approx(3 * 686.0)
    assert table.iloc[-1]["confirmed_penalty_wan"] == 0.0


def test_an_empty_table_has_only_the_total():
    table = summary_table(PARCELS.iloc[0:0])
    assert table["area_group"].tolist() == ["合计"]
    assert table["parcels"].tolist() == [0]


def test_totals_are_the_sums_of_the_amounts_as_written(sample_park, sample_park_gpkg):
    """Every total (the summary layer, the command line's table, the workbook) adds the
    amounts as the outputs list them, each to 0.01 万元, so a reader who adds a column of the
    GeoPackage (or of the map's and the API's figures, made from it) gets the same total."""
    import pyogrio

    written = pyogrio.read_dataframe(sample_park_gpkg, layer="parcels", read_geometry=False)
    total = sample_park.summary.iloc[-1]
    assert total["area_group"] == "合计"
    confirmed = written["amounts_confirmed"].astype(bool).to_numpy()
    for amount in ("idle_fee_wan", "late_start_wan", "late_completion_wan"):
        values = written[amount].fillna(0.0).to_numpy()
        assert total[f"confirmed_{amount}"] == pytest.approx(values[confirmed].sum(), abs=1e-9)
        assert total[f"potential_{amount}"] == pytest.approx(values[~confirmed].sum(), abs=1e-9)
