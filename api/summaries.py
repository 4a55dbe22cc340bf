"""Per-park summaries of the analysed parcels, computed once per results file (vectorised).

Money in 万元, areas in hectares, intensity in 万元/公顷. Amounts are sums of the written
(0.01-rounded) values, rounded again to 0.01 for output.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from landuse.schema import AMOUNT_COLUMNS, STATUS_ORDER, STATUS_ZH

AMOUNT_FIELDS: tuple[str, ...] = (*AMOUNT_COLUMNS, "total_penalty_wan")

#: Flat, typed columns of the ``parks`` collection (after ``park``), in order.
PARK_FIELDS: tuple[tuple[str, str], ...] = (
    ("as_of_date", "date"),
    ("parcels", "integer"),
    ("area_ha", "number"),
    *((f"parcels_{s}", "integer") for s in STATUS_ORDER),
    *((f"area_ha_{s}", "number") for s in STATUS_ORDER),
    *((name, "number") for name in AMOUNT_FIELDS),
    ("mean_intensity_wan_per_ha", "number"),
    ("area_weighted_intensity_wan_per_ha", "number"),
    ("below_threshold_parcels", "integer"),
    ("recovery_candidate_parcels", "integer"),
)


def _numbers(table: pa.Table, name: str) -> np.ndarray:
    if name not in table.column_names:
        return np.full(table.num_rows, np.nan)
    col = table.column(name).cast(pa.float64())
    return col.to_numpy().astype(float)


def _flags(table: pa.Table, name: str) -> np.ndarray:
    if name not in table.column_names:
        return np.zeros(table.num_rows, dtype=bool)
    return np.asarray(table.column(name).fill_null(False).to_numpy(), dtype=bool)


def park_table(table: pa.Table, as_of: str | None) -> pd.DataFrame:
    """One row per named park (sorted by name) with the columns of :data:`PARK_FIELDS`.

    ``table`` holds the parcels' properties (``park``, ``status``, ``area_ha``, the amount
    columns, ``intensity_wan_per_ha``, ``investment_wan``, ``below_threshold``,
    ``recovery_candidate``). Parcels without a park are left out. ``mean_intensity_wan_per_ha``
    is the plain mean over parcels with an intensity; ``area_weighted_intensity_wan_per_ha`` is
    total investment ÷ total area over parcels that have both.
    """
    park = table.column("park").to_pandas() if "park" in table.column_names else None
    if park is None:
        return pd.DataFrame(columns=["park", *(name for name, _ in PARK_FIELDS)])
    status = (
        table.column("status").to_pandas()
        if "status" in table.column_names
        else pd.Series(pd.NA, index=park.index)
    )
    area = _numbers(table, "area_ha")
    investment = _numbers(table, "investment_wan")
    both = ~np.isnan(area) & ~np.isnan(investment)
    frame = pd.DataFrame(
        {
            "park": park.astype("string"),
            "status": status.astype("string"),
            "area_ha": area,
            **{name: _numbers(table, name) for name in AMOUNT_FIELDS},
            "intensity": _numbers(table, "intensity_wan_per_ha"),
            "inv_both": np.where(both, investment, 0.0),
            "area_both": np.where(both, area, 0.0),
            "below": _flags(table, "below_threshold"),
            "recovery": _flags(table, "recovery_candidate"),
        }
    )
    frame = frame[frame["park"].notna()]
    frame = frame.replace({"intensity": {np.inf: np.nan, -np.inf: np.nan}})
    grouped = frame.groupby("park", sort=True)
    out = pd.DataFrame({"parcels": grouped.size()})
    out["area_ha"] = grouped["area_ha"].sum()
    by_status = frame.groupby(["park", "status"]).agg(
        n=("area_ha", "size"), area=("area_ha", "sum")
    )
    counts = by_status["n"].unstack(fill_value=0)
    areas = by_status["area"].unstack(fill_value=0.0)
    for s in STATUS_ORDER:
        out[f"parcels_{s}"] = counts[s] if s in counts.columns else 0
        out[f"area_ha_{s}"] = areas[s] if s in areas.columns else 0.0
    for name in AMOUNT_FIELDS:
        out[name] = grouped[name].sum().round(2)
    out["mean_intensity_wan_per_ha"] = grouped["intensity"].mean()
    area_both = grouped["area_both"].sum()
    out["area_weighted_intensity_wan_per_ha"] = (
        grouped["inv_both"].sum() / area_both.where(area_both > 0)
    ).astype(float)
    out["below_threshold_parcels"] = grouped["below"].sum()
    out["recovery_candidate_parcels"] = grouped["recovery"].sum()
    out = out.fillna({f"parcels_{s}": 0 for s in STATUS_ORDER})
    for name, kind in PARK_FIELDS:
        if kind == "integer" and name in out.columns:
            out[name] = out[name].astype("int64")
    out["as_of_date"] = as_of
    out = out.reset_index()
    return out[["park", *(name for name, _ in PARK_FIELDS)]]


def _opt(value: Any) -> Any:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def summary_document(row: pd.Series) -> dict[str, Any]:
    """The JSON summary of one park (a row of :func:`park_table`)."""
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
        "as_of_date": _opt(row["as_of_date"]),
        "parcels": int(row["parcels"]),
        "area_ha": round(float(row["area_ha"]), 4),
        "by_status": by_status,
        "amounts_wan": {name: _opt(float(row[name])) for name in AMOUNT_FIELDS},
        "mean_intensity_wan_per_ha": _opt(float(row["mean_intensity_wan_per_ha"])),
        "area_weighted_intensity_wan_per_ha": _opt(
            float(row["area_weighted_intensity_wan_per_ha"])
        ),
        "below_threshold_parcels": int(row["below_threshold_parcels"]),
        "recovery_candidate_parcels": int(row["recovery_candidate_parcels"]),
    }
