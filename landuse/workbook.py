"""The Excel workbook for the bureau's meeting, and the per-park summary table.

:func:`summary_table` counts parcels and sums areas and amounts per park and status (English
column names: the lead writes the same table as ``summary`` into the GeoPackage).
:func:`write_workbook` writes the summary, one action list per sheet, every analysed parcel, the
rejected rows and the load report, with Chinese headers and meeting formatting.

Every column is converted once, as a whole (dates, 是/否, rounding, code labels, text cleaning);
the only per-row step is handing the prepared rows to openpyxl's streaming writer. Text coming
from outside (project and holder names) is always stored as text: a value starting with ``=``,
``+``, ``-`` or ``@`` is written as a string cell with Excel's quote prefix, never as a formula.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from os import PathLike

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from landuse.schema import (
    AMOUNT_COLUMNS,
    INPUT_NAMES,
    OUTPUT_LABELS_ZH,
    SOURCE_FILE,
    SOURCE_ROW,
    STATUS_ORDER,
    STATUS_ZH,
    Status,
)

NO_PARK = "（未指定园区）"
GRAND_TOTAL = "合计"
ALL_STATUSES = "all"
SUBTOTAL_ZH = "小计"

SUMMARY_COLUMNS: tuple[str, ...] = (
    "park",
    "status",
    "status_zh",
    "parcels",
    "area_ha",
    *AMOUNT_COLUMNS,
    "total_penalty_wan",
)

# Excel's hard limit of rows per sheet.
EXCEL_MAX_ROWS = 1_048_576
# Above this many parcels the 全部宗地 sheet is left out (the GIS layer holds them all).
ALL_PARCELS_MAX_ROWS = 200_000
# Column widths are measured on at most this many rows of each table.
_WIDTH_SAMPLE_ROWS = 10_000
_MAX_TEXT_CHARS = 32_767  # Excel's limit for one cell

# Columns computed here for the action lists (not part of the analysed table).
INVESTMENT_GAP = "investment_gap_wan"
UNPAID_PRICE = "unpaid_price_wan"

# Chinese labels missing from schema.OUTPUT_LABELS_ZH, for columns only the workbook shows.
EXTRA_LABELS_ZH: dict[str, str] = {
    "parcels": "宗数",
    "geometry_area_ha": "图形面积(公顷)",
    "input_kind": "输入类型",
    INVESTMENT_GAP: "达标尚需投资(万元)",
    UNPAID_PRICE: "欠缴价款(万元)",
}

# Load report columns (landuse.report.REPORT_COLUMNS) and their labels.
REPORT_LABELS_ZH: dict[str, str] = {
    "file": "文件",
    "row": "行号",
    "column": "列",
    "value": "值",
    "problem": "问题",
    "action": "处理",
    "severity": "级别",
}

_IDLE_STAGE_ZH = {
    "none": "未闲置",
    "late_start": "逾期未开工",
    "idle_fee": "闲置满一年",
    "recovery": "闲置满两年",
}
# Code values shown in Chinese in the workbook (the ``status`` column keeps its codes).
VALUE_LABELS_ZH: dict[str, dict[str, str]] = {
    "area_source": {"geometry": "图形", "declared": "申报", "none": "无"},
    "intensity_basis": {"actual": "实际投资", "agreed": "约定投资", "none": "无"},
    "threshold_source": {
        "park_industry": "园区+行业标准",
        "park": "园区标准",
        "industry": "行业标准",
        "default": "默认标准",
    },
    "start_evidence": {"actual_start": "实际开工日期", "inspection": "核查结论", "none": "无"},
    "start_status": {"started": "已开工", "not_started": "未开工", "unknown": "未知"},
    "idle_stage": _IDLE_STAGE_ZH,
    "idle_stage_if_not_started": _IDLE_STAGE_ZH,
    "idle_basis": {"not_started": "未动工开发", "partial": "部分开发（裁量认定）"},
    "input_kind": {"ledger": "台账", "layer": "图层"},
    "severity": {"info": "提示", "warning": "警告", "error": "错误"},
}

_BOOL_ZH = {True: "是", False: "否"}
#: Text that Excel would take as a formula (or a DDE command): it starts with one of these.
FORMULA_START = re.compile(r"[=+\-@\t\r]")
# East Asian wide and full-width characters: they take two columns in Excel.
_WIDE = (
    r"[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
    r"\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]"
)
_WIDE_RE = re.compile(_WIDE)

_TITLE_FONT = Font(bold=True, size=12)
_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)


# --------------------------------------------------------------------------- summary


def _park_names(parcels: pd.DataFrame) -> pd.Series:
    """Park names with missing or blank ones shown as :data:`NO_PARK`."""
    if "park" not in parcels.columns:
        return pd.Series(NO_PARK, index=parcels.index, dtype="string")
    park = parcels["park"].astype("string").str.strip()
    return park.mask(park.isna() | (park == ""), NO_PARK)


def _numeric(frame: pd.DataFrame, name: str) -> pd.Series:
    """Column ``name`` as float64 (NaN where missing or absent)."""
    if name not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    return pd.to_numeric(frame[name], errors="coerce").astype("float64")


def summary_table(parcels: pd.DataFrame) -> pd.DataFrame:
    """Parcels, area and amounts per park and status, with park subtotals and a grand total.

    Columns: :data:`SUMMARY_COLUMNS`. ``parcels`` is a count, ``area_ha`` and the amounts
    (万元) are sums that skip nulls (a group whose values are all null sums to null). A missing
    park is shown as ``（未指定园区）`` and sorts after the named parks. Within a park the rows
    follow the status precedence of :data:`landuse.schema.STATUS_ORDER`, then one subtotal row
    (``status = "all"``, ``status_zh = "小计"``); the last row is the grand total
    (``park = "合计"``, ``status = "all"``, ``status_zh = "合计"``).
    """
    value_cols = ["area_ha", *AMOUNT_COLUMNS, "total_penalty_wan"]
    status = (
        parcels["status"].astype("string")
        if "status" in parcels.columns
        else pd.Series(pd.NA, index=parcels.index, dtype="string")
    )
    frame = pd.DataFrame(
        {
            "park": _park_names(parcels),
            "status": status.fillna("unknown"),
            **{c: _numeric(parcels, c) for c in value_cols},
        }
    )

    def totals(by: list[str]) -> pd.DataFrame:
        grouped = frame.groupby(by, sort=False, observed=True)
        sums = grouped[value_cols].sum(min_count=1)
        sums.insert(0, "parcels", grouped.size())
        return sums.reset_index()

    per_status = totals(["park", "status"])
    per_park = totals(["park"]).assign(status=ALL_STATUSES)
    grand = pd.DataFrame(
        {
            "park": [GRAND_TOTAL],
            "status": [ALL_STATUSES],
            "parcels": [len(frame)],
            **{c: [frame[c].sum(min_count=1)] for c in value_cols},
        }
    )
    table = pd.concat([per_status, per_park], ignore_index=True)
    status_rank = {s: i for i, s in enumerate(STATUS_ORDER)}
    status_rank[ALL_STATUSES] = len(STATUS_ORDER) + 1
    table["_park_rank"] = (table["park"] == NO_PARK).astype(int)
    table["_status_rank"] = table["status"].map(status_rank).fillna(len(STATUS_ORDER))
    table = table.sort_values(["_park_rank", "park", "_status_rank", "status"], kind="stable")
    table = pd.concat([table, grand], ignore_index=True)
    zh = table["status"].map({**STATUS_ZH, ALL_STATUSES: SUBTOTAL_ZH})
    zh.iloc[-1] = GRAND_TOTAL
    table["status_zh"] = zh.fillna(table["status"])
    out = table[list(SUMMARY_COLUMNS)].reset_index(drop=True)
    out = out.astype({"park": "string", "status": "string", "status_zh": "string"})
    return out.astype({"parcels": "int64", **dict.fromkeys(value_cols, "float64")})


# --------------------------------------------------------------------------- columns


@dataclass
class _Column:
    """One table column prepared for writing: values are Python objects, None when empty."""

    header: str
    values: np.ndarray
    number_format: str | None = None
    formula_like: np.ndarray | None = None  # text cells to force to text
    width: float = 8.0


def _label(name: str, labels: Mapping[str, str] | None = None) -> str:
    """The Chinese header of a column: from ``labels``, then the schema's and this module's
    labels, else the column's own name."""
    for table in (labels or {}, OUTPUT_LABELS_ZH, EXTRA_LABELS_ZH):
        if name in table:
            return table[name]
    return name


def _text_width(text: str) -> float:
    """The width of one string in Excel columns (wide CJK characters count double)."""
    return float(len(text) + len(_WIDE_RE.findall(text)))


def _display_width(text: pd.Series) -> float:
    """The widest of these strings in Excel columns (wide CJK characters count double)."""
    sample = text.iloc[:_WIDTH_SAMPLE_ROWS].dropna()
    if sample.empty:
        return 0.0
    widths = sample.str.len() + sample.str.count(_WIDE)
    return float(widths.max())


def _number_format(name: str) -> str | None:
    """The Excel number format of a numeric column, from its name and unit."""
    if name.endswith("_wan") or name.endswith("_wan_per_ha"):
        return "0.00"
    if name.endswith("_ha"):
        return "0.0000"
    if name.endswith("_days") or name in (SOURCE_ROW, "row", "parcels"):
        return "0"
    if name.startswith("far_") or name.endswith("_permille") or name == "coverage_actual":
        return "0.00"
    return None


def _objects(values: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """An object array of ``values`` with None where ``missing``."""
    out = np.asarray(values, dtype=object).copy()
    out[missing] = None
    return out


def _text_column(name: str, header: str, text: pd.Series) -> _Column:
    """Cleaned text: control characters removed, cut at Excel's cell limit, blanks empty."""
    text = text.astype("string")
    text = text.str.replace(ILLEGAL_CHARACTERS_RE.pattern, "", regex=True).str.slice(
        0, _MAX_TEXT_CHARS
    )
    text = text.mask(text == "")
    missing = text.isna().to_numpy()
    risky = formula_like(text)
    width = max(_display_width(text), _text_width(header))
    return _Column(
        header,
        _objects(text.to_numpy(dtype=object, na_value=None), missing),
        formula_like=risky,
        width=width,
    )


def formula_like(values: pd.Series) -> np.ndarray:
    """Which cells of ``values`` are text that Excel would read as a formula: text starting
    with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (:data:`FORMULA_START`).

    Only text cells count: numbers (-3.5), dates, booleans and missing values are never
    formula-like. The workbook stores such text as a string cell with Excel's quote prefix;
    :func:`landuse.outputs.csv_safe` prefixes it with ``'`` in CSV files.
    """
    if not (
        isinstance(values.dtype, pd.StringDtype | pd.CategoricalDtype)
        or pd.api.types.is_object_dtype(values.dtype)
    ):
        return np.zeros(len(values), dtype=bool)
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "mixed", "mixed-integer"):
        return np.zeros(len(values), dtype=bool)
    matched = values.str.match(FORMULA_START.pattern)
    return matched.fillna(False).to_numpy(dtype=bool)


def _number_column(name: str, header: str, numbers: pd.Series) -> _Column:
    """Numbers as floats; money rounded to 0.01 万元 here, at writing time only."""
    values = pd.to_numeric(numbers, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    fmt = _number_format(name)
    if name.endswith("_wan") or name.endswith("_wan_per_ha"):
        values = np.round(values, 2)
    missing = ~np.isfinite(values)
    finite = values[~missing][:_WIDTH_SAMPLE_ROWS]
    decimals = len(fmt.split(".")[1]) if fmt and "." in fmt else 2
    widest = len(f"{np.abs(finite).max():.{decimals}f}") + 1 if finite.size else 0
    header_width = _text_width(header)
    return _Column(header, _objects(values, missing), fmt, width=max(widest, header_width))


def _date_column(name: str, header: str, dates: pd.Series) -> _Column:
    """Dates as :class:`datetime.date` with format ``yyyy-mm-dd``."""
    dates = pd.to_datetime(dates, errors="coerce")
    if isinstance(dates.dtype, pd.DatetimeTZDtype):
        dates = dates.dt.tz_localize(None)
    missing = dates.isna().to_numpy()
    values = _objects(dates.dt.date.to_numpy(dtype=object), missing)
    header_width = _text_width(header)
    return _Column(header, values, "yyyy-mm-dd", width=max(10.0, header_width))


def _prepare(name: str, header: str, series: pd.Series) -> _Column:
    """Convert one column for writing, by its type: dates, booleans (是/否), numbers or text."""
    series = series.reset_index(drop=True)
    if name in VALUE_LABELS_ZH:
        mapped = series.map(VALUE_LABELS_ZH[name])
        series = pd.Series(
            np.where(mapped.isna(), series.to_numpy(dtype=object), mapped.to_numpy(dtype=object)),
            dtype=object,
        )
    if pd.api.types.is_bool_dtype(series.dtype):
        return _text_column(name, header, series.map(_BOOL_ZH))
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return _date_column(name, header, series)
    if pd.api.types.is_numeric_dtype(series.dtype):
        return _number_column(name, header, series)
    kind = pd.api.types.infer_dtype(series, skipna=True)
    if kind == "boolean":
        return _text_column(name, header, series.map(_BOOL_ZH))
    if kind in ("date", "datetime", "datetime64"):
        return _date_column(name, header, series)
    if kind in ("integer", "floating", "mixed-integer-float", "decimal"):
        return _number_column(name, header, series)
    return _text_column(name, header, series.astype(object).where(series.notna(), None))


def _prepare_frame(frame: pd.DataFrame, labels: Mapping[str, str] | None) -> list[_Column]:
    """Every column of ``frame``, prepared for writing under its Chinese header."""
    return [_prepare(str(n), _label(str(n), labels), frame[n]) for n in frame.columns]


# --------------------------------------------------------------------------- sheets


def _column_cells(ws, column: _Column, bold: np.ndarray | None) -> Iterator[object]:
    """The values of one column as openpyxl expects them, one per row.

    Styled values go through one reusable cell per style: openpyxl's streaming writer copies a
    row out as soon as it is appended, so the same cell object can carry the next row's value.
    """
    templates: dict[tuple[bool, bool], Cell] = {}

    def template(is_bold: bool, as_text: bool) -> Cell:
        cell = templates.get((is_bold, as_text))
        if cell is None:
            cell = WriteOnlyCell(ws)
            if column.number_format:
                cell.number_format = column.number_format
            if is_bold:
                cell.font = _BOLD
            if as_text:
                cell.quotePrefix = True
            templates[(is_bold, as_text)] = cell
        return cell

    styled = column.number_format is not None
    bolds = repeat(False) if bold is None else bold
    texts = repeat(False) if column.formula_like is None else column.formula_like
    for value, is_bold, as_text in zip(column.values, bolds, texts, strict=False):
        if value is None:
            yield None
        elif styled or is_bold or as_text:
            cell = template(bool(is_bold), bool(as_text))
            cell.value = value
            if as_text:
                cell.data_type = "s"  # never a formula
            yield cell
        else:
            yield value


def _title_cell(ws, text: str, font: Font = _TITLE_FONT) -> Cell:
    cell = WriteOnlyCell(ws, value=text)
    cell.font = font
    cell.data_type = "s"
    return cell


def _write_table(
    ws,
    title_lines: Sequence[str],
    frame: pd.DataFrame,
    *,
    bold_rows: np.ndarray | None = None,
    labels: Mapping[str, str] | None = None,
) -> None:
    """Write title lines, a bold frozen header row with autofilter, and the rows of ``frame``.

    The column names of ``frame`` are canonical names (labelled in Chinese here). Rows beyond
    Excel's limit are cut and the first title line says so. An empty table gets the line 无.
    """
    header_row = len(title_lines) + 1
    room = EXCEL_MAX_ROWS - header_row
    lines = list(title_lines)
    if len(frame) > room and not lines:  # the note below needs a line of its own
        lines, header_row, room = [""], header_row + 1, room - 1
    if len(frame) > room:
        lines[0] += f"（超出 Excel 行数上限，仅列出前 {room:,} 行，共 {len(frame):,} 行）"
        frame = frame.iloc[:room]
        bold_rows = None if bold_rows is None else bold_rows[:room]
    columns = _prepare_frame(frame, labels)
    for i, column in enumerate(columns, start=1):
        width = min(max(column.width + 2.0, 6.0), 60.0)
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = f"A{header_row + 1}"
    for k, line in enumerate(lines):
        ws.append([_title_cell(ws, line, _TITLE_FONT if k == 0 else Font(italic=True))])
    header = []
    for column in columns:
        cell = _title_cell(ws, column.header, _BOLD)
        cell.fill = _HEADER_FILL
        cell.alignment = _HEADER_ALIGN
        header.append(cell)
    ws.append(header)
    last = get_column_letter(max(len(columns), 1))
    if frame.empty:
        ws.append(["无"])
        ws.auto_filter.ref = f"A{header_row}:{last}{header_row}"
        return
    for row in zip(*(_column_cells(ws, c, bold_rows) for c in columns), strict=True):
        ws.append(row)
    ws.auto_filter.ref = f"A{header_row}:{last}{header_row + len(frame)}"


def _pick(frame: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """The columns of ``names`` that ``frame`` has, in that order."""
    return frame[[n for n in dict.fromkeys(names) if n in frame.columns]]


def _by_money(frame: pd.DataFrame, *extra: str) -> pd.DataFrame:
    """Rows by money at stake: total_penalty_wan, then area_ha (then ``extra``), descending."""
    keys = [k for k in ("total_penalty_wan", "area_ha", *extra) if k in frame.columns]
    if not keys:
        return frame
    ordered = pd.DataFrame({k: _numeric(frame, k).to_numpy() for k in keys})
    order = ordered.sort_values(keys, ascending=False, na_position="last", kind="stable").index
    return frame.iloc[order.to_numpy()]


_IDS = (
    "parcel_id",
    "supervision_no",
    "park",
    "project_name",
    "holder",
    "area_ha",
    "land_price_wan",
)
_INTENSITY = ("intensity_wan_per_ha", "intensity_min_wan_per_ha")
_TAIL = (
    "total_penalty_wan",
    "amounts_confirmed",
    "legal_basis",
    "proposed_action",
    SOURCE_FILE,
    SOURCE_ROW,
)
_IDLE_COLUMNS = (
    *_IDS,
    "contract_date",
    "agreed_start_date",
    "extended_start_date",
    "start_due_date",
    "start_evidence",
    "idle_basis",
    "suspended_since",
    "idle_days",
    "late_start_days",
    *_INTENSITY,
    "idle_fee_wan",
    "late_start_wan",
    *_TAIL,
)


@dataclass(frozen=True)
class _ActionList:
    """One action-list sheet: which parcels, which columns, what the title says."""

    sheet: str
    title: str
    columns: tuple[str, ...]
    status: str | None = None  # parcels of this status; None: selected by ``_select``
    note: str = ""


ACTION_LISTS: tuple[_ActionList, ...] = (
    _ActionList("拟收回", "拟收回宗地（闲置满两年）", _IDLE_COLUMNS, Status.RECOVERY),
    _ActionList("闲置满一年", "闲置满一年宗地（征缴土地闲置费）", _IDLE_COLUMNS, Status.IDLE_FEE),
    _ActionList(
        "逾期未开工",
        "逾期未开工宗地（不满一年）",
        (
            *_IDS,
            "contract_date",
            "agreed_start_date",
            "extended_start_date",
            "start_due_date",
            "start_evidence",
            "late_start_days",
            *_INTENSITY,
            "late_start_wan",
            *_TAIL,
        ),
        Status.LATE_START,
    ),
    _ActionList(
        "待核查",
        "待核查宗地（已过应开工日期、无开工证据）",
        (
            *_IDS,
            "contract_date",
            "agreed_start_date",
            "extended_start_date",
            "start_due_date",
            "idle_stage_if_not_started",
            "late_start_days",
            "idle_days",
            *_INTENSITY,
            "idle_fee_wan",
            "late_start_wan",
            *_TAIL,
        ),
        Status.UNVERIFIED,
        note="金额为核查发现未开工时适用的金额，尚未确认；按金额、面积排列以确定核查先后",
    ),
    _ActionList(
        "逾期未竣工",
        "逾期未竣工宗地",
        (
            *_IDS,
            "actual_start_date",
            "agreed_completion_date",
            "completion_due_date",
            "late_completion_days",
            *_INTENSITY,
            "late_completion_wan",
            *_TAIL,
        ),
        Status.LATE_COMPLETION,
    ),
    _ActionList(
        "投资强度不达标",
        "投资强度不达标宗地（不论状态）",
        (
            *_IDS,
            "status_zh",
            "industry",
            "industry_code",
            "agreed_investment_wan",
            "actual_investment_wan",
            "investment_wan",
            "intensity_basis",
            *_INTENSITY,
            "threshold_source",
            INVESTMENT_GAP,
            "completed",
            "investment_shortfall_wan",
            *_TAIL,
        ),
    ),
    _ActionList(
        "价款逾期",
        "土地价款逾期宗地",
        (
            *_IDS,
            "status_zh",
            "contract_date",
            "price_due_date",
            "price_paid_wan",
            UNPAID_PRICE,
            "late_payment_days",
            "termination_risk",
            *_INTENSITY,
            "late_payment_wan",
            *_TAIL,
        ),
    ),
    _ActionList(
        "政府原因闲置",
        "政府原因闲置宗地（不征闲置费、不收回）",
        (
            *_IDS,
            "gov_cause",
            "agreed_start_date",
            "extended_start_date",
            "start_due_date",
            "idle_stage",
            "idle_basis",
            "idle_days",
            *_INTENSITY,
            *_TAIL,
        ),
        Status.GOV_DELAY,
    ),
)


def _select(parcels: pd.DataFrame, action: _ActionList) -> pd.DataFrame:
    """The parcels of one action list, with its computed columns, by money at stake."""
    if action.status is not None:
        status = parcels.get("status", pd.Series(pd.NA, index=parcels.index))
        picked = parcels.loc[
            status.astype("string").eq(action.status).fillna(False).to_numpy(dtype=bool)
        ]
        return _by_money(picked)
    if action.sheet == "投资强度不达标":
        below = parcels.get("below_threshold", pd.Series(pd.NA, index=parcels.index))
        picked = parcels.loc[below.astype("boolean").fillna(False).to_numpy(dtype=bool)].copy()
        needed = _numeric(picked, "intensity_min_wan_per_ha") * _numeric(picked, "area_ha")
        picked[INVESTMENT_GAP] = (needed - _numeric(picked, "investment_wan")).clip(lower=0)
        return _by_money(picked, INVESTMENT_GAP)
    overdue = (_numeric(parcels, "late_payment_wan") > 0) | (
        _numeric(parcels, "late_payment_days") > 0
    )
    picked = parcels.loc[overdue.to_numpy(dtype=bool)].copy()
    unpaid = _numeric(picked, "land_price_wan") - _numeric(picked, "price_paid_wan").fillna(0)
    picked[UNPAID_PRICE] = unpaid.clip(lower=0)
    return _by_money(picked)


def _all_parcels_columns(parcels: pd.DataFrame) -> list[str]:
    """Every column, with the source file and row moved to the end."""
    names = [c for c in parcels.columns if c not in (SOURCE_FILE, SOURCE_ROW)]
    return names + [c for c in (SOURCE_FILE, SOURCE_ROW) if c in parcels.columns]


def _without_geometry(frame: pd.DataFrame) -> pd.DataFrame:
    """A plain DataFrame without the ``geometry`` column or any other geometry-typed column."""
    drop = [c for c in frame.columns if c == "geometry" or str(frame[c].dtype) == "geometry"]
    return pd.DataFrame(frame.drop(columns=drop))


def _rejects_table(rejects: pd.DataFrame) -> pd.DataFrame:
    """The reason, the source file and row, and the canonical columns that hold a value."""
    rejects = _without_geometry(rejects)
    first = ["reason", SOURCE_FILE, SOURCE_ROW, "input_kind"]
    canonical = [c for c in INPUT_NAMES if c in rejects.columns and rejects[c].notna().any()]
    return _pick(rejects, [*first, *canonical])


def _report_table(report: pd.DataFrame) -> pd.DataFrame:
    """The load report, the columns of ``landuse.report.REPORT_COLUMNS`` first."""
    names = [c for c in REPORT_LABELS_ZH if c in report.columns]
    return report[names + [c for c in report.columns if c not in REPORT_LABELS_ZH]]


def write_table_workbook(
    path: str | PathLike[str], frame: pd.DataFrame, *, sheet: str, titles: Sequence[str] = ()
) -> None:
    """One table as a one-sheet workbook under its own column names: typed numbers and dates,
    text from the data always stored as text (formula-like text with Excel's quote prefix)."""
    labels = {str(name): str(name) for name in frame.columns}
    with _streaming_workbook() as wb:
        _write_table(wb.create_sheet(sheet), list(titles), frame, labels=labels)
        wb.save(path)


@contextlib.contextmanager
def _streaming_workbook() -> Iterator[Workbook]:
    """A write-only workbook whose sheets are closed when writing it fails or is interrupted:
    otherwise their row writers complain on the terminal when Python collects them."""
    wb = Workbook(write_only=True)
    try:
        yield wb
    except BaseException:
        for ws in wb.worksheets:
            with contextlib.suppress(Exception):
                ws.close()
        raise


def write_workbook(
    path: str | PathLike[str],
    parcels: pd.DataFrame,
    rejects: pd.DataFrame,
    *,
    as_of: dt.date | pd.Timestamp | str,
    report: pd.DataFrame | None = None,
) -> None:
    """Write the meeting workbook to ``path`` (.xlsx).

    ``parcels`` is the analysed table (input and derived columns; a ``geometry`` column is
    dropped), ``rejects`` the rows not analysed (with ``reason``), ``report`` the load report.
    Sheets, in order: 汇总, 拟收回, 闲置满一年, 逾期未开工, 待核查, 逾期未竣工, 投资强度不达标,
    价款逾期, 政府原因闲置, 全部宗地 (left out above :data:`ALL_PARCELS_MAX_ROWS` parcels, which
    汇总 then says), 未分析记录 and, when ``report`` is given, 加载问题.
    """
    day = pd.Timestamp(as_of).strftime("%Y-%m-%d")
    parcels = _without_geometry(parcels)
    rejects = pd.DataFrame(rejects) if rejects is not None else pd.DataFrame()
    with _streaming_workbook() as wb:
        _write_sheets(wb, parcels, rejects, day, report)
        wb.save(path)


def _write_sheets(
    wb: Workbook,
    parcels: pd.DataFrame,
    rejects: pd.DataFrame,
    day: str,
    report: pd.DataFrame | None,
) -> None:
    """Every sheet of :func:`write_workbook`, in order."""

    summary = summary_table(parcels)
    notes = [
        f"分析宗地 {len(parcels):,} 宗；未分析记录 {len(rejects):,} 条（见“未分析记录”）。"
        "待核查宗地的金额为核查发现未开工时适用的金额，尚未确认。"
    ]
    skip_all = len(parcels) > ALL_PARCELS_MAX_ROWS
    if skip_all:
        notes.append(
            f"宗地数超过 {ALL_PARCELS_MAX_ROWS:,} 宗，未列出“全部宗地”明细，"
            "请使用同次分析的 GeoPackage 或 CSV 成果。"
        )
    _write_table(
        wb.create_sheet("汇总"),
        [f"工业用地利用情况汇总（评价基准日 {day}）", *notes],
        summary.drop(columns="status"),
        bold_rows=summary["status"].eq(ALL_STATUSES).to_numpy(),
    )

    for action in ACTION_LISTS:
        picked = _select(parcels, action)
        title = f"{action.title}（评价基准日 {day}，共 {len(picked):,} 宗，按合计金额从高到低排列）"
        if action.note:
            title += f"；{action.note}"
        _write_table(wb.create_sheet(action.sheet), [title], _pick(picked, action.columns))

    if not skip_all:
        _write_table(
            wb.create_sheet("全部宗地"),
            [f"全部分析宗地（评价基准日 {day}，共 {len(parcels):,} 宗）"],
            parcels[_all_parcels_columns(parcels)],
        )

    _write_table(
        wb.create_sheet("未分析记录"),
        [f"未分析记录（共 {len(rejects):,} 条，每条注明原因）"],
        _rejects_table(rejects),
    )

    if report is not None:
        _write_table(
            wb.create_sheet("加载问题"),
            [f"加载问题（共 {len(report):,} 条）"],
            _report_table(report),
            labels=REPORT_LABELS_ZH,
        )
