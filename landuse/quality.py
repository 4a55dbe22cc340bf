"""Per-row data-quality flags: the ``data_issues`` column and its lines in the load report.

Every flag is a property of the record itself (its dates, area, price, names), not of the
evaluation date, so the loader reports the same rows the analysis flags. The codes and their
Chinese labels are :class:`landuse.vocab.DataIssue`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from landuse import rules as R
from landuse.report import LoadReport
from landuse.schema import SOURCE_FILE, SOURCE_ROW
from landuse.vocab import LABELS_ZH, DataIssue, StartDueBasis, has_code, join_codes

# Codes the loader finds while reading (carried to the analysis in the ``data_issues`` column).
LOAD_ISSUES: tuple[DataIssue, ...] = (DataIssue.DATE_IMPLAUSIBLE, DataIssue.INDUSTRY_UNMATCHED)

ISSUE_COLUMNS: dict[DataIssue, str] = {
    DataIssue.START_DUE_UNKNOWN: (
        "extended_start_date, agreed_start_date, actual_delivery_date, agreed_delivery_date"
    ),
    DataIssue.EXTENDED_START_BEFORE_CONTRACT: "extended_start_date, contract_date",
    DataIssue.AGREED_START_BEFORE_CONTRACT: "agreed_start_date, contract_date",
    DataIssue.DELIVERY_YEAR_BEFORE_CONTRACT: (
        "actual_delivery_date, agreed_delivery_date, contract_date"
    ),
    DataIssue.COMPLETION_BEFORE_START: "agreed_completion_date, start_due_date",
    DataIssue.DATE_IMPLAUSIBLE: "(date columns)",
    DataIssue.NO_AREA: "area_ha",
    DataIssue.NO_PRICE: "land_price_wan",
    DataIssue.INDUSTRY_UNMATCHED: "industry",
    DataIssue.REGION_UNKNOWN: "supervision_no",
}
"""The columns each issue is about (for the load report)."""

ISSUE_ACTIONS: dict[DataIssue, str] = {
    DataIssue.START_DUE_UNKNOWN: (
        "status insufficient_data (资料不全) unless started; no late-start or idle amounts"
    ),
    DataIssue.EXTENDED_START_BEFORE_CONTRACT: (
        "not used; start due from the agreed start or delivery + 1 year"
    ),
    DataIssue.AGREED_START_BEFORE_CONTRACT: (
        "not used; start due from delivery + 1 year when known, else insufficient_data"
    ),
    DataIssue.DELIVERY_YEAR_BEFORE_CONTRACT: "delivery + 1 year not used as the start due",
    DataIssue.COMPLETION_BEFORE_START: "kept as written; check the dates",
    DataIssue.DATE_IMPLAUSIBLE: "treated as missing",
    DataIssue.NO_AREA: "intensity and per-hectare rules not computed",
    DataIssue.NO_PRICE: "amounts based on the land price are null (or 0 for a price of 0)",
    DataIssue.INDUSTRY_UNMATCHED: "industry_code left empty: no industry threshold applies",
    DataIssue.REGION_UNKNOWN: "region columns left empty",
}
"""What is done about each issue (for the load report)."""

_FIRST_ROWS = 5


def _get(frame: Mapping[str, pd.Series] | pd.DataFrame, name: str, index: pd.Index) -> pd.Series:
    if name in frame:
        return frame[name]
    if name.endswith("_date"):
        return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    if name.endswith(("_wan", "_ha")):
        return pd.Series(np.nan, index=index, dtype="float64")
    return pd.Series(pd.NA, index=index, dtype="string")


def issue_masks(
    frame: Mapping[str, pd.Series] | pd.DataFrame,
    index: pd.Index,
    *,
    due: R.DueDates | None = None,
    area_ha: np.ndarray | None = None,
) -> dict[DataIssue, np.ndarray]:
    """One bool per row for every :class:`~landuse.vocab.DataIssue`, in the enum's order.

    ``frame`` holds canonical columns (absent ones count as empty); ``due`` and ``area_ha`` (the
    area used, ha) are computed from it when not given. The load-time codes
    (:data:`LOAD_ISSUES`) are read from a ``data_issues`` column when there is one;
    ``region_unknown`` needs ``region_label`` (a supervision number that gives no region).
    """
    if due is None:
        due = R.due_dates(
            _get(frame, "extended_start_date", index),
            _get(frame, "agreed_start_date", index),
            _get(frame, "actual_delivery_date", index),
            _get(frame, "agreed_delivery_date", index),
            _get(frame, "agreed_completion_date", index),
            _get(frame, "contract_date", index),
        )
    if area_ha is None:
        declared = _get(frame, "area_ha", index).to_numpy(dtype=float, na_value=np.nan)
        geometry = _get(frame, "geometry_area_ha", index).to_numpy(dtype=float, na_value=np.nan)
        area_ha = np.where(np.isnan(geometry), declared, geometry)
    price = _get(frame, "land_price_wan", index).to_numpy(dtype=float, na_value=np.nan)
    loaded = _get(frame, "data_issues", index)
    before = due.before_contract
    masks = {
        DataIssue.START_DUE_UNKNOWN: due.start_due.isna().to_numpy(dtype=bool),
        DataIssue.EXTENDED_START_BEFORE_CONTRACT: before[StartDueBasis.EXTENDED],
        DataIssue.AGREED_START_BEFORE_CONTRACT: before[StartDueBasis.AGREED_START],
        DataIssue.DELIVERY_YEAR_BEFORE_CONTRACT: (
            before[StartDueBasis.ACTUAL_DELIVERY] | before[StartDueBasis.AGREED_DELIVERY]
        ),
        DataIssue.COMPLETION_BEFORE_START: (due.completion_due < due.start_due).to_numpy(
            dtype=bool
        ),
        DataIssue.NO_AREA: np.isnan(area_ha) | (area_ha <= 0),
        DataIssue.NO_PRICE: np.isnan(price) | (price == 0),
    }
    for code in LOAD_ISSUES:
        masks[code] = has_code(loaded, code)
    supervision = _get(frame, "supervision_no", index)
    if "region_label" in frame:
        masks[DataIssue.REGION_UNKNOWN] = (
            supervision.notna() & frame["region_label"].isna()
        ).to_numpy(dtype=bool)
    else:
        masks[DataIssue.REGION_UNKNOWN] = has_code(loaded, DataIssue.REGION_UNKNOWN)
    return {code: np.asarray(masks[code], dtype=bool) for code in DataIssue}


def issue_codes(masks: Mapping[DataIssue, np.ndarray], n: int) -> pd.Categorical:
    """The ``data_issues`` column: the codes of each row joined by ``;`` (missing when none)."""
    return join_codes(((code.value, mask) for code, mask in masks.items()), n)


def load_issue_codes(masks: Mapping[DataIssue, np.ndarray], index: pd.Index) -> pd.Series:
    """The load-time part of ``data_issues`` as a string column (missing when none)."""
    codes = issue_codes(masks, len(index))
    return pd.Series(np.asarray(codes, dtype=object), index=index, dtype="string")


def merge_issue_codes(*columns: pd.Series) -> pd.Series:
    """Several ``data_issues`` columns on one index as one (codes in the enum's order)."""
    index = columns[0].index
    masks = {code: np.logical_or.reduce([has_code(c, code) for c in columns]) for code in DataIssue}
    return load_issue_codes(masks, index)


def files_label(frame: pd.DataFrame) -> str:
    """The input a whole-table report line is about: the one source file, or ``N files``."""
    if SOURCE_FILE not in frame.columns:
        return ""
    files = frame[SOURCE_FILE].dropna().unique()
    return str(files[0]) if len(files) == 1 else f"{len(files)} files"


def first_rows(frame: pd.DataFrame, mask: np.ndarray, limit: int = _FIRST_ROWS) -> str:
    """``file:row`` of the first ``limit`` rows of ``mask`` (``…`` when there are more)."""
    picked = frame.loc[mask]
    if SOURCE_FILE not in picked.columns or SOURCE_ROW not in picked.columns:
        return ""
    head = picked.head(limit)
    where = ", ".join(f"{f}:{r}" for f, r in zip(head[SOURCE_FILE], head[SOURCE_ROW], strict=True))
    return where + (", …" if len(picked) > limit else "")


def report_issues(
    frame: pd.DataFrame, masks: Mapping[DataIssue, np.ndarray], report: LoadReport
) -> None:
    """One load-report line per issue kind found: its label, row count and first rows."""
    labels = LABELS_ZH[DataIssue]
    file = files_label(frame)
    for code, mask in masks.items():
        count = int(mask.sum())
        if not count:
            continue
        report.add(
            file=file,
            column=ISSUE_COLUMNS[code],
            value=first_rows(frame, mask),
            problem=f"{labels[code]} ({code.value}): {count} 行 (rows)",
            action=ISSUE_ACTIONS[code],
            severity="warning",
            code=f"data_issue_{code.value}",
            count=count,
        )
