"""The summary of analysed parcels per area group and status, confirmed and potential money apart.

A parcel's amounts are *confirmed* (``amounts_confirmed = true``) or *potential*: what would
apply if an inspection finds an unverified (待核查) parcel not started. The two are never added:
every amount has a ``confirmed_`` and a ``potential_`` column, and so does the total.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from landuse.grouping import column_numbers, column_text
from landuse.schema import AMOUNT_COLUMNS, OUTPUT_LABELS_ZH
from landuse.vocab import NO_AREA_GROUP, STATUS_ORDER, STATUS_ZH, AreaGroupKind

ALL_STATUSES = "all"
SUBTOTAL_ZH = "小计"
GRAND_TOTAL = "合计"

SPLIT_AMOUNTS: tuple[str, ...] = (*AMOUNT_COLUMNS, "penalty_wan")
"""The amounts split in the summary (``penalty_wan`` stands for the parcel's total)."""

SUMMARY_VALUE_COLUMNS: tuple[str, ...] = (
    "parcels",
    "area_ha",
    *(f"{side}_{amount}" for amount in SPLIT_AMOUNTS for side in ("confirmed", "potential")),
)
SUMMARY_COLUMNS: tuple[str, ...] = (
    "area_group",
    "area_group_kind",
    "status",
    "status_zh",
    *SUMMARY_VALUE_COLUMNS,
)
"""Columns of :func:`summary_table`, in order."""


def _amount_label(amount: str, side: str) -> str:
    base = "合计金额" if amount == "penalty_wan" else OUTPUT_LABELS_ZH[amount].split("(")[0]
    return f"{base}（{side}，万元）"


SUMMARY_LABELS_ZH: dict[str, str] = {
    "area_group": "分组（园区或行政区）",
    "area_group_kind": "分组类型",
    "status": "状态代码",
    "status_zh": "状态",
    "parcels": "宗数",
    "area_ha": "面积(公顷)",
    **{
        f"{side}_{amount}": _amount_label(amount, zh)
        for amount in SPLIT_AMOUNTS
        for side, zh in (("confirmed", "已确认"), ("potential", "待核查，核实未开工时适用"))
    },
}
"""Chinese header of every column of :func:`summary_table`."""


def area_groups(parcels: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """``(area_group, area_group_kind)`` per parcel: the ``area_group`` column of the analysis
    when there is one (else the park, else ``region_label``, else （未指定园区）) and whether it
    names a park, a region or neither (:class:`landuse.vocab.AreaGroupKind`)."""
    park, region = column_text(parcels, "park"), column_text(parcels, "region_label")
    group = column_text(parcels, "area_group")
    group = group.fillna(park).fillna(region).fillna(NO_AREA_GROUP)
    kind = np.select(
        [(group == park).fillna(False), (group == region).fillna(False)],
        [AreaGroupKind.PARK.value, AreaGroupKind.REGION.value],
        AreaGroupKind.NONE.value,
    )
    return group.astype("string"), pd.Series(kind, index=parcels.index, dtype="string")


def summary_table(parcels: pd.DataFrame) -> pd.DataFrame:
    """Parcels, area and money per area group and status, with group subtotals and a total.

    Columns: :data:`SUMMARY_COLUMNS` (Chinese headers in :data:`SUMMARY_LABELS_ZH`).
    ``area_group`` is the park where known, else the region of the supervision number, else
    （未指定园区）; parks come first, then regions, then （未指定园区）, each by name. Within a group the
    rows follow the status precedence (:data:`landuse.vocab.STATUS_ORDER`), then one subtotal
    row (``status = "all"``, ``status_zh = "小计"``); the last row is the total
    (``area_group = "合计"``). ``parcels`` is a count; ``area_ha`` (ha) and every amount (万元)
    are sums that skip nulls (a group whose values are all null sums to null). Each amount is
    split: ``confirmed_<amount>`` sums the parcels whose amounts are confirmed,
    ``potential_<amount>`` those of unverified parcels (what would apply if an inspection finds
    them not started); ``confirmed_penalty_wan`` and ``potential_penalty_wan`` split
    ``total_penalty_wan``. No column adds confirmed and potential money.
    """
    group, kind = area_groups(parcels)
    status = column_text(parcels, "status").fillna("unknown")
    if "amounts_confirmed" in parcels.columns:
        confirmed = parcels["amounts_confirmed"].astype("boolean").fillna(True).to_numpy(bool)
    else:
        confirmed = np.ones(len(parcels), dtype=bool)
    values: dict[str, np.ndarray] = {"area_ha": column_numbers(parcels, "area_ha").to_numpy()}
    for amount in SPLIT_AMOUNTS:
        source = "total_penalty_wan" if amount == "penalty_wan" else amount
        # each parcel's amount as written (0.01 万元): a total is the sum of the listed amounts
        money = np.round(column_numbers(parcels, source).to_numpy(), 2)
        values[f"confirmed_{amount}"] = np.where(confirmed, money, 0.0)
        values[f"potential_{amount}"] = np.where(confirmed, 0.0, money)
    value_cols = list(values)
    frame = pd.DataFrame(  # no copy: a province's columns are large
        {"area_group": group, "area_group_kind": kind, "status": status, **values},
        index=parcels.index,
        copy=False,
    )

    def totals(by: list[str]) -> pd.DataFrame:
        grouped = frame.groupby(by, sort=False, observed=True, dropna=False)
        sums = grouped[value_cols].sum(min_count=1)
        sums.insert(0, "parcels", grouped.size())
        return sums.reset_index()

    per_status = totals(["area_group", "area_group_kind", "status"])
    per_group = totals(["area_group", "area_group_kind"]).assign(status=ALL_STATUSES)
    grand = pd.DataFrame(
        {
            "area_group": [GRAND_TOTAL],
            "area_group_kind": [pd.NA],
            "status": [ALL_STATUSES],
            "parcels": [len(frame)],
            **{c: [frame[c].sum(min_count=1)] for c in value_cols},
        }
    )
    table = pd.concat([per_status, per_group], ignore_index=True)
    kind_rank = {k.value: i for i, k in enumerate(AreaGroupKind)}
    status_rank = {s: i for i, s in enumerate(STATUS_ORDER)}
    status_rank[ALL_STATUSES] = len(STATUS_ORDER) + 1
    table["_kind"] = table["area_group_kind"].map(kind_rank)
    table["_status"] = table["status"].map(status_rank).fillna(len(STATUS_ORDER))
    table = table.sort_values(["_kind", "area_group", "_status", "status"], kind="stable")
    table = pd.concat([table, grand], ignore_index=True)
    zh = table["status"].map({**STATUS_ZH, ALL_STATUSES: SUBTOTAL_ZH})
    zh.iloc[-1] = GRAND_TOTAL
    table["status_zh"] = zh.fillna(table["status"])
    out = table[list(SUMMARY_COLUMNS)].reset_index(drop=True)
    text = ("area_group", "area_group_kind", "status", "status_zh")
    return out.astype(
        {
            **dict.fromkeys(text, "string"),
            "parcels": "int64",
            **dict.fromkeys(value_cols, "float64"),
        }
    )
