"""Vectorised parsing of raw cell values into typed columns.

Every parser takes a raw column (strings, numbers, datetimes or NA, as read from a file) and
returns ``(values, bad)`` where ``bad`` is a boolean mask of cells that held something that could
not be understood (they become missing values; the caller reports them). Empty cells are
missing, not bad.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from landuse.date_limits import (
    DEFAULT_EARLIEST,
    DEFAULT_LATEST,
    NS_FIRST_DAY,
    NS_LAST_DAY,
)
from landuse.vocab import StartStatus

# Dates on or before this day are placeholders of the land-market system (1900-01-01,
# 1901-01-02 ...), not real dates.
PLACEHOLDER_LAST_DAY = pd.Timestamp("1901-12-31")
_PLACEHOLDER_LAST = np.datetime64("1901-12-31", "D")
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
# Numbers read as Excel serial dates: 732 = 1902-01-01 (the first day after the placeholders;
# smaller numbers are not dates) .. 2958465 = 9999-12-31 (the last day Excel holds).
_SERIAL_MIN, _SERIAL_MAX = 732, 2_958_465
_NAT_DAY = np.datetime64("NaT", "D")

_NUMBER_RE = r"^\s*([+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+)\s*(.*?)\s*$"

# Unit text written after a number -> factor to the canonical unit of that family.
AREA_UNITS_TO_HA: dict[str, float] = {
    "": 1.0,
    "公顷": 1.0,
    "ha": 1.0,
    "平方米": 1e-4,
    "平米": 1e-4,
    "㎡": 1e-4,
    "m2": 1e-4,
    "m²": 1e-4,
    "亩": 1 / 15,
    "平方公里": 100.0,
    "km2": 100.0,
}
MONEY_UNITS_TO_WAN: dict[str, float] = {
    "": 1.0,
    "万元": 1.0,
    "万": 1.0,
    "元": 1e-4,
    "亿元": 1e4,
    "亿": 1e4,
}
# Header unit symbols (schema.Column.unit_headers) -> factor to the canonical unit.
HEADER_UNIT_FACTORS: dict[str, float] = {"m2": 1e-4, "mu": 1 / 15, "ha": 1.0, "yuan": 1e-4}


# How Chinese tables write "nothing here", as one whole-cell pattern (Arrow's RE2 engine, or
# Python's for mixed Excel columns): runs of dashes or slashes (- -- — —— / //), 无 否 暂无 N/A
# NA 不适用 空 NULL, in half- or full-width forms (／ － ＮＡ), with spaces around or inside
# (暂 无, N / A). A dash followed by digits (-3) is a number, not a marker.
_SP = "[\\s\u3000]*"
NULL_MARKER_PATTERN = (
    f"^{_SP}(?:[-\u2010-\u2015\u2212\u2500\uff0d]+|[/\\\\\uff0f\uff3c]+|无|否|暂{_SP}无"
    f"|[Nn\uff2e\uff4e]{_SP}[/\uff0f]?{_SP}[Aa\uff21\uff41]|不适用|空|[Nn][Uu][Ll][Ll]){_SP}$"
)
NULL_MARKER_EXAMPLES = "/ ／ — － - -- —— 无 否 暂无 N/A NA 不适用 空"


def null_markers(raw: pd.Series) -> np.ndarray:
    """Cells that hold a null marker (``/``, ``—``, ``-``, ``无``, ``否``, ``暂无``, ``N/A``, ``NA``,
    ``不适用``, ``空`` and their full-width and spaced variants, runs such as ``--``): one bool
    per cell. Numbers, dates and empty cells are never markers."""
    dtype = raw.dtype
    if isinstance(dtype, pd.StringDtype) or (
        isinstance(dtype, pd.ArrowDtype) and pa.types.is_string(dtype.pyarrow_dtype)
    ):
        text = pa.array(raw, type=pa.string(), from_pandas=True)
        found = pc.match_substring_regex(text, NULL_MARKER_PATTERN)
        return found.fill_null(False).to_numpy(zero_copy_only=False)
    if not pd.api.types.is_object_dtype(dtype):
        return np.zeros(len(raw), dtype=bool)
    if pd.api.types.infer_dtype(raw, skipna=True) == "string":
        return null_markers(raw.astype("string"))
    # a mixed Excel column: numbers and dates are values, not markers
    is_text = raw.map(type).isin([str]).to_numpy(dtype=bool)
    found = raw.where(is_text).astype("string").str.fullmatch(NULL_MARKER_PATTERN)
    return found.fillna(False).to_numpy(dtype=bool)


def _is_blank(raw: pd.Series) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(raw.dtype) or pd.api.types.is_datetime64_any_dtype(raw.dtype):
        return raw.isna().to_numpy(dtype=bool)
    as_text = raw.astype("string").str.strip()
    return (as_text.isna() | (as_text == "")).to_numpy(dtype=bool)


def parse_number(
    raw: pd.Series, units: dict[str, float] | None = None
) -> tuple[pd.Series, np.ndarray]:
    """Parse numbers, optionally followed by a unit (``"12000万元"``, ``"10000平方米"``).

    ``units`` maps unit text to the factor into the canonical unit; ``None`` accepts a bare
    number only. Thousands separators are accepted. Returns float64 values (NaN when missing or
    not understood) and the mask of cells that were not understood.
    """
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        values = raw.astype("float64")
        return values, np.zeros(len(raw), dtype=bool)
    blank = _is_blank(raw)
    values = pd.to_numeric(raw, errors="coerce").astype("float64")
    todo = ~blank & np.isnan(values.to_numpy())
    if todo.any():
        text = raw[todo].astype("string").str.strip()
        parts = text.str.extract(_NUMBER_RE)
        number = pd.to_numeric(parts[0].str.replace(",", "", regex=False), errors="coerce")
        unit_text = parts[1].fillna("").str.replace(" ", "", regex=False).str.lower()
        factor = unit_text.map(units if units is not None else {"": 1.0}).astype("float64")
        values[todo] = (number.astype("float64") * factor).to_numpy()
    bad = ~blank & np.isnan(values.to_numpy())
    return values, bad


_YMD_RE = (
    r"^(\d{4})\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})\s*日?"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)


class ParsedDates(NamedTuple):
    """The outcome of :func:`parse_date`; every mask is one bool per cell.

    ``values``: ``datetime64[ns]`` at midnight, NaT where the cell is empty, not a date, a
    placeholder or implausible. ``bad``: the cell held something that is not a date.
    ``placeholder``: a placeholder date (on or before 1901-12-31). ``implausible``: a real date
    before ``earliest`` or after ``latest`` (including dates that ``datetime64[ns]`` cannot hold,
    such as 2500-06-20 or 9999-12-31: they are never wrapped into other dates).
    """

    values: pd.Series
    bad: np.ndarray
    placeholder: np.ndarray
    implausible: np.ndarray


def ymd_to_days(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Build ``datetime64[D]`` from float arrays of year, month and day; NaT where any part is
    missing, the year is outside 1..9999 or the date does not exist (2013-02-30).

    Days are used rather than nanoseconds so that every year 1..9999 is held exactly.
    """
    ok = ~(np.isnan(year) | np.isnan(month) | np.isnan(day))
    ok &= (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31) & (year >= 1) & (year <= 9999)
    y = np.where(ok, year, 1970).astype("int64")
    m = np.where(ok, month, 1).astype("int64")
    d = np.where(ok, day, 1).astype("int64")
    months = ((y - 1970) * 12 + (m - 1)).astype("datetime64[M]")
    dates = months.astype("datetime64[D]") + (d - 1).astype("timedelta64[D]")
    ok &= dates.astype("datetime64[M]") == months  # day past the month's end
    return np.where(ok, dates, _NAT_DAY)


def _numeric_days(values: np.ndarray) -> np.ndarray:
    """Days from numbers (float64): whole numbers 10000101..99991231 as ``yyyymmdd``, numbers
    in 732..2958465 as Excel serials (the time of day dropped); NaT otherwise."""
    finite = np.isfinite(values)
    v = np.where(finite, values, 0.0)
    compact = finite & (v % 1 == 0) & (v >= 1000_01_01) & (v <= 9999_12_31)
    c = np.where(compact, v, 1970_01_01)
    days = ymd_to_days(np.where(compact, c // 10_000, np.nan), (c // 100) % 100, c % 100)
    serial = finite & ~compact & (v >= _SERIAL_MIN) & (v < _SERIAL_MAX + 1)
    offsets = np.where(serial, np.floor(v), 0).astype("int64").astype("timedelta64[D]")
    return np.where(serial, _EXCEL_EPOCH + offsets, days)


def _text_days(text: pd.Series) -> np.ndarray:
    """Days from trimmed text in any accepted written form or as Excel serials."""
    out = np.full(len(text), _NAT_DAY)
    todo = np.ones(len(text), dtype=bool)
    # fast path: the two forms nearly every file uses, parsed in C. A date the parser cannot
    # hold (9999-12-31 before pandas 3) comes out NaT and is taken up by the free-form parser.
    for fmt in ("%Y年%m月%d日", "%Y-%m-%d"):
        parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        out[todo] = parsed.to_numpy().astype("datetime64[D]")
        todo = np.isnat(out)
        if not todo.any():
            return out
    out[todo] = _free_form_days(text[todo])
    return out


def _free_form_days(text: pd.Series) -> np.ndarray:
    """Days from the less common forms: ``2013/6/20``, ``2013.06.20``, ``20130620``, serials."""
    ymd = text.str.extract(_YMD_RE)
    compact = text.str.extract(r"^(\d{4})(\d{2})(\d{2})$")
    ymd = ymd.fillna(compact)
    parts = [
        pd.to_numeric(ymd[i], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        for i in range(3)
    ]
    days = ymd_to_days(*parts)
    number = pd.to_numeric(text.where(ymd[0].isna()), errors="coerce")
    serial = _numeric_days(number.to_numpy(dtype=float, na_value=np.nan))
    return np.where(np.isnat(days), serial, days)


def _datetime_cells_days(cells: np.ndarray) -> np.ndarray:
    """Days of Python ``date``/``datetime`` objects (openpyxl cells), at the cell's wall-clock
    date: converted through microseconds, which hold years 1..9999 (nanoseconds would wrap
    2500-06-20 into 1915-12-01)."""
    aware = np.fromiter(
        (getattr(c, "tzinfo", None) is not None for c in cells), dtype=bool, count=len(cells)
    )
    if aware.any():
        cells = cells.copy()
        cells[aware] = [c.replace(tzinfo=None) for c in cells[aware]]
    return cells.astype("datetime64[us]").astype("datetime64[D]")


def _days(raw: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``(datetime64[D] values, blank mask)`` of a raw column of any dtype; NaT where the cell
    is blank or not understood. Typed dates keep their wall-clock day, whatever their unit."""
    dtype = raw.dtype
    if isinstance(dtype, pd.ArrowDtype) and pa.types.is_temporal(dtype.pyarrow_dtype):
        arr = pa.array(raw.array)
        if pa.types.is_timestamp(arr.type) and arr.type.tz is not None:
            arr = pc.local_timestamp(arr)
        if pa.types.is_timestamp(arr.type) or pa.types.is_date(arr.type):
            days = pc.cast(arr, pa.date32()).to_numpy(zero_copy_only=False)
            return days.astype("datetime64[D]"), raw.isna().to_numpy(dtype=bool)
        raw = raw.astype(object)  # times of day, durations: not dates
    elif pd.api.types.is_datetime64_any_dtype(dtype):
        naive = raw.dt.tz_localize(None) if raw.dt.tz is not None else raw
        days = naive.to_numpy().astype("datetime64[D]")
        return days, raw.isna().to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        values = raw.to_numpy(dtype=float, na_value=np.nan)
        return _numeric_days(values), np.isnan(values)

    blank = _is_blank(raw)
    days = np.full(len(raw), _NAT_DAY)
    rest = ~blank
    if raw.dtype == object:
        # Excel cells arrive as datetime/date objects and numbers among strings
        kinds = raw.map(type)
        types = kinds.unique()
        date_types = [t for t in types if hasattr(t, "year") and hasattr(t, "month")]
        number_types = [
            t
            for t in types
            if issubclass(t, (int, float, np.integer, np.floating)) and not issubclass(t, bool)
        ]
        is_dt = kinds.isin(date_types).to_numpy(dtype=bool) & rest
        is_num = kinds.isin(number_types).to_numpy(dtype=bool) & rest
        if is_dt.any():
            days[is_dt] = _datetime_cells_days(raw.to_numpy()[is_dt])
        if is_num.any():
            days[is_num] = _numeric_days(raw[is_num].to_numpy(dtype=float))
        rest &= ~is_dt & ~is_num
    if rest.any():
        days[rest] = _text_days(raw[rest].astype("string").str.strip())
    return days, blank


def parse_date(
    raw: pd.Series,
    *,
    earliest: dt.date = DEFAULT_EARLIEST,
    latest: dt.date = DEFAULT_LATEST,
) -> ParsedDates:
    """Parse dates written as ``2013年06月20日``, ``2013-06-20``, ``2013/6/20``, ``20130620``,
    Excel serial numbers, datetime cells or typed date columns (any unit, with or without a
    time zone: the wall-clock day is kept).

    Every value is first read as a day (``datetime64[D]``, which holds any year), then sorted:
    on or before 1901-12-31 is a placeholder; before ``earliest`` or after ``latest`` (both
    inclusive limits, clipped to what ``datetime64[ns]`` holds) is implausible; only the rest
    become ``datetime64[ns]`` values. See :class:`ParsedDates`.
    """
    days, blank = _days(raw)
    found = ~np.isnat(days)
    placeholder = found & (days <= _PLACEHOLDER_LAST)
    first = np.datetime64(max(earliest, NS_FIRST_DAY), "D")
    last = np.datetime64(min(latest, NS_LAST_DAY), "D")
    implausible = found & ~placeholder & ((days < first) | (days > last))
    keep = found & ~placeholder & ~implausible
    values = pd.Series(np.where(keep, days, _NAT_DAY).astype("datetime64[ns]"), index=raw.index)
    return ParsedDates(values, ~blank & ~found, placeholder, implausible)


_TRUE_TEXT = {"是", "有", "true", "yes", "y", "1", "√", "✓", "t"}
_FALSE_TEXT = {"否", "无", "没有", "false", "no", "n", "0", "f", "×", "-"}


def parse_gov_cause(raw: pd.Series) -> pd.Series:
    """``gov_cause``: a true value (``是``, ``有``, ``true``, ``1`` ...) or a written cause
    (``规划调整``) means a government cause.

    Explicit negatives (``否``, ``无``, ``false``, ``0`` ...), null markers (``/``, ``—``,
    ``暂无``, ``N/A``: see :func:`null_markers`) and empty cells mean none. Returns a bool
    Series.
    """
    if pd.api.types.is_bool_dtype(raw.dtype):
        return raw.fillna(False).astype(bool)
    blank = _is_blank(raw)
    text = raw.astype("string").str.strip().str.lower()
    negative = text.isin(_FALSE_TEXT).to_numpy(dtype=bool) | null_markers(raw)
    return pd.Series(~blank & ~negative, index=raw.index)


_STARTED = {
    "started",
    "已开工",
    "开工",
    "已动工",
    "动工",
    "在建",
    "已建成",
    "已竣工",
    "竣工",
    "部分开工",
}
_NOT_STARTED = {"not_started", "未开工", "未动工", "尚未开工", "未建", "闲置"}
_UNKNOWN = {"unknown", "未知", "不详", "待核查", "待查"}


def parse_start_status(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Inspection finding: ``started`` / ``not_started`` / ``unknown`` (missing -> unknown).

    Returns a string Series and the mask of cells holding text not understood.
    """
    blank = _is_blank(raw)
    text = raw.astype("string").str.strip().str.lower()
    started = text.isin(_STARTED).to_numpy(dtype=bool)
    not_started = text.isin(_NOT_STARTED).to_numpy(dtype=bool)
    unknown = text.isin(_UNKNOWN).to_numpy(dtype=bool)
    values = np.where(
        started,
        StartStatus.STARTED.value,
        np.where(not_started, StartStatus.NOT_STARTED.value, StartStatus.UNKNOWN.value),
    )
    bad = ~blank & ~started & ~not_started & ~unknown
    return pd.Series(values, index=raw.index, dtype="string"), bad


def parse_text(raw: pd.Series) -> pd.Series:
    """Trimmed text; empty cells become missing. Whole numbers read from Excel as floats
    (``123.0``) are written without the ``.0``."""
    if pd.api.types.is_float_dtype(raw.dtype):
        whole = (raw.notna() & (raw % 1 == 0)).to_numpy(dtype=bool)
        text = raw.astype("string")
        text[whole] = raw[whole].astype("int64").astype("string")
    elif raw.dtype == object and pd.api.types.infer_dtype(raw, skipna=True) != "string":
        text = raw.map(_cell_text, na_action="ignore").astype("string")
    else:
        text = raw.astype("string")
    stripped = text.str.strip()
    empty = (stripped == "").fillna(False)
    if empty.any():
        return stripped.mask(empty)
    # clean text keeps the reader's buffers (shared, not copied)
    return text if bool((stripped == text).fillna(True).all()) else stripped


def _cell_text(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
