"""Summaries per park (or region) of the analysed parcels, computed once per results file.

Parcels are grouped by :func:`landuse.grouping.group_names`: the park where the parcel names
one, else the region of its supervision number (``region_label``), else （未指定园区）. Money in
万元, areas in hectares, intensity in 万元/公顷. Amounts that apply (``amounts_confirmed =
true``) and the amounts that would apply to unverified (待核查) parcels if an inspection finds
them not started are kept apart (:func:`landuse.grouping.penalty_split`), never added
together. Amounts are sums of the written (0.01-rounded) values, rounded again to 0.01.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from landuse.grouping import (
    CONFIRMED,
    GROUPING_COLUMNS,
    MONEY_COLUMNS,
    POTENTIAL,
    amounts_confirmed,
    column_numbers,
    group_frame,
    group_order,
    penalty_split,
)
from landuse.schema import AMOUNT_COLUMNS, STATUS_ORDER, STATUS_ZH
from landuse.vocab import PROGRESS_ORDER, PROGRESS_ZH

#: Amounts per kind that apply, then the same kinds as they would apply to unverified parcels.
POTENTIAL_AMOUNT_FIELDS: tuple[str, ...] = tuple(f"potential_{name}" for name in AMOUNT_COLUMNS)

#: Flat, typed columns of the ``parks`` collection (after ``park``), in order.
PARK_FIELDS: tuple[tuple[str, str], ...] = (
    ("group_kind", "string"),
    ("as_of_date", "date"),
    ("parcels", "integer"),
    ("parcels_without_geometry", "integer"),
    ("area_ha", "number"),
    *((f"parcels_{s}", "integer") for s in STATUS_ORDER),
    *((f"area_ha_{s}", "number") for s in STATUS_ORDER),
    (CONFIRMED, "number"),
    (POTENTIAL, "number"),
    *((name, "number") for name in AMOUNT_COLUMNS),
    *((name, "number") for name in POTENTIAL_AMOUNT_FIELDS),
    ("mean_intensity_wan_per_ha", "number"),
    ("area_weighted_intensity_wan_per_ha", "number"),
    ("below_threshold_parcels", "integer"),
    ("recovery_candidate_parcels", "integer"),
    *((f"parcels_progress_{p}", "integer") for p in PROGRESS_ORDER),
)

#: Columns of the parcels :func:`park_table` reads (those present).
SUMMARY_INPUTS: tuple[str, ...] = tuple(
    dict.fromkeys(
        [
            *GROUPING_COLUMNS,
            *MONEY_COLUMNS,
            "area_ha",
            *AMOUNT_COLUMNS,
            "intensity_wan_per_ha",
            "investment_wan",
            "below_threshold",
            "recovery_candidate",
            "progress",
        ]
    )
)


def _flags(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return frame[name].astype("boolean").fillna(False).to_numpy(dtype=bool)


def park_table(
    table: pa.Table, as_of: str | None, has_geometry: np.ndarray | None = None
) -> pd.DataFrame:
    """One row per summary group (parks by name, then regions by name, then （未指定园区）)
    with the column ``park`` (the group's name) and those of :data:`PARK_FIELDS`.

    ``table`` holds the parcels' properties (the columns of :data:`SUMMARY_INPUTS` that are
    present); ``has_geometry`` says which parcels have a geometry (default: all).
    ``mean_intensity_wan_per_ha`` is the plain mean over parcels with an intensity;
    ``area_weighted_intensity_wan_per_ha`` is total investment ÷ total area over parcels that
    have both. Amounts per kind (``idle_fee_wan`` ...) and ``confirmed_penalty_wan`` count
    confirmed amounts only; ``potential_*`` the amounts of unverified parcels. Sums skip
    missing values. Every sum is one ``bincount`` over the group codes.
    """
    columns = [c for c in SUMMARY_INPUTS if c in table.column_names]
    parcels = table.select(columns).to_pandas()
    if "park" not in parcels.columns or len(parcels) == 0:
        return pd.DataFrame(columns=["park", *(name for name, _ in PARK_FIELDS)])
    groups = group_frame(parcels)
    codes, names = pd.factorize(groups["group"])
    k = len(names)
    kind_of = np.empty(k, dtype=object)
    kind_of[codes[::-1]] = groups["group_kind"].to_numpy(dtype=object)[::-1]  # first per group

    def total(values: np.ndarray, where: np.ndarray | None = None) -> np.ndarray:
        weights = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
        if where is not None:
            weights = np.where(where, weights, 0.0)
        return np.bincount(codes, weights=weights, minlength=k)

    def count(where: np.ndarray) -> np.ndarray:
        return np.bincount(codes[where], minlength=k).astype(np.int64)

    out = pd.DataFrame({"park": names.astype(str), "group_kind": kind_of})
    out["parcels"] = np.bincount(codes, minlength=k).astype(np.int64)
    drawn = np.ones(len(parcels), bool) if has_geometry is None else np.asarray(has_geometry)
    out["parcels_without_geometry"] = count(~drawn)
    area = column_numbers(parcels, "area_ha").to_numpy()
    out["area_ha"] = total(area)
    status = (
        pd.Index(list(STATUS_ORDER)).get_indexer(parcels["status"])  # -1: unknown
        if "status" in parcels.columns
        else np.full(len(parcels), -1)
    )
    known = status >= 0
    cells = codes[known] * len(STATUS_ORDER) + status[known]
    size = k * len(STATUS_ORDER)
    n_by = np.bincount(cells, minlength=size).reshape(k, -1)
    weights = np.nan_to_num(area[known], nan=0.0)
    ha_by = np.bincount(cells, weights=weights, minlength=size).reshape(k, -1)
    for i, s in enumerate(STATUS_ORDER):
        out[f"parcels_{s}"] = n_by[:, i].astype(np.int64)
        out[f"area_ha_{s}"] = ha_by[:, i]
    money = penalty_split(parcels)
    out[CONFIRMED] = total(money[CONFIRMED].to_numpy()).round(2)
    out[POTENTIAL] = total(money[POTENTIAL].to_numpy()).round(2)
    confirmed = amounts_confirmed(parcels).to_numpy(dtype=bool)
    for name in AMOUNT_COLUMNS:
        values = column_numbers(parcels, name).to_numpy()
        out[name] = total(values, confirmed).round(2)
    for name in AMOUNT_COLUMNS:
        out[f"potential_{name}"] = total(
            column_numbers(parcels, name).to_numpy(), ~confirmed
        ).round(2)
    intensity = column_numbers(parcels, "intensity_wan_per_ha").to_numpy()
    finite = np.isfinite(intensity)
    n_intensity = count(finite)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["mean_intensity_wan_per_ha"] = np.where(
            n_intensity > 0, total(intensity, finite) / n_intensity, np.nan
        )
        investment = column_numbers(parcels, "investment_wan").to_numpy()
        both = ~np.isnan(area) & ~np.isnan(investment)
        area_both = total(area, both)
        out["area_weighted_intensity_wan_per_ha"] = np.where(
            area_both > 0, total(investment, both) / area_both, np.nan
        )
    out["below_threshold_parcels"] = count(_flags(parcels, "below_threshold"))
    out["recovery_candidate_parcels"] = count(_flags(parcels, "recovery_candidate"))
    progress = (
        parcels["progress"].astype("string")
        if "progress" in parcels.columns
        else pd.Series(pd.NA, index=parcels.index, dtype="string")
    )
    for p in PROGRESS_ORDER:  # results written before progress classes count 0 everywhere
        out[f"parcels_progress_{p}"] = count((progress == p).fillna(False).to_numpy(dtype=bool))
    out["as_of_date"] = as_of
    ordered = group_order(out.rename(columns={"park": "group"})).rename(columns={"group": "park"})
    ordered = ordered.astype({"park": "string", "group_kind": "string"})
    return ordered[["park", *(name for name, _ in PARK_FIELDS)]].reset_index(drop=True)


def _opt(value: Any) -> Any:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def summary_document(row: pd.Series) -> dict[str, Any]:
    """The JSON summary of one group (a row of :func:`park_table`)."""
    by_status = [
        {
            "status": s,
            "status_zh": STATUS_ZH[s],
            "parcels": int(row[f"parcels_{s}"]),
            "area_ha": round(float(row[f"area_ha_{s}"]), 4),
        }
        for s in STATUS_ORDER
    ]
    return {
        "park": str(row["park"]),
        "group_kind": str(row["group_kind"]),
        "as_of_date": _opt(row["as_of_date"]),
        "parcels": int(row["parcels"]),
        "parcels_without_geometry": int(row["parcels_without_geometry"]),
        "area_ha": round(float(row["area_ha"]), 4),
        "by_status": by_status,
        CONFIRMED: _opt(float(row[CONFIRMED])),
        POTENTIAL: _opt(float(row[POTENTIAL])),
        "amounts_wan": {name: _opt(float(row[name])) for name in AMOUNT_COLUMNS},
        "potential_amounts_wan": {
            name: _opt(float(row[f"potential_{name}"])) for name in AMOUNT_COLUMNS
        },
        "amounts_note": (
            "amounts_wan 与 confirmed_penalty_wan 为已确认金额；potential_amounts_wan 与 "
            "potential_penalty_wan 为待核查宗地经核实未开工时适用的金额，两者不相加。 "
            "amounts_wan and confirmed_penalty_wan are confirmed amounts; "
            "potential_amounts_wan and potential_penalty_wan would apply to unverified parcels "
            "if an inspection finds them not started; the two are never added together."
        ),
        "mean_intensity_wan_per_ha": _opt(float(row["mean_intensity_wan_per_ha"])),
        "area_weighted_intensity_wan_per_ha": _opt(
            float(row["area_weighted_intensity_wan_per_ha"])
        ),
        "below_threshold_parcels": int(row["below_threshold_parcels"]),
        "recovery_candidate_parcels": int(row["recovery_candidate_parcels"]),
        "by_progress": [
            {
                "progress": p,
                "progress_zh": PROGRESS_ZH[p],
                "parcels": int(row[f"parcels_progress_{p}"]),
            }
            for p in PROGRESS_ORDER
        ],
    }
