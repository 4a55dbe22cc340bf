"""Vectorised parsing of raw cell values into typed columns.

Every parser takes a raw column (strings, numbers, datetimes or NA, as read from a file) and
returns ``(values, bad)`` where ``bad`` is a boolean mask of cells that held something that could
not be understood (they become missing values; the caller reports them). Empty cells are
missing, not bad.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Dates on or before this day are placeholders of the land-market system (1900-01-01,
# 1901-01-02 ...), not real dates.
PLACEHOLDER_LAST_DAY = pd.Timestamp("1901-12-31")
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
# Excel serials accepted as dates: 1950-01-01 .. 2100-12-31.
_SERIAL_MIN, _SERIAL_MAX = 18264, 73415

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


def ymd_to_datetime(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Build ``datetime64[ns]`` from float arrays of year, month and day; NaT where any part is
    missing or the date does not exist (2013-02-30)."""
    ok = ~(np.isnan(year) | np.isnan(month) | np.isnan(day))
    ok &= (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31) & (year >= 1800) & (year <= 2200)
    y = np.where(ok, year, 1970).astype("int64")
    m = np.where(ok, month, 1).astype("int64")
    d = np.where(ok, day, 1).astype("int64")
    months = ((y - 1970) * 12 + (m - 1)).astype("datetime64[M]")
    dates = months.astype("datetime64[D]") + (d - 1).astype("timedelta64[D]")
    ok &= dates.astype("datetime64[M]") == months  # day past the month's end
    return np.where(ok, dates.astype("datetime64[ns]"), np.datetime64("NaT", "ns"))


def _text_dates(text: pd.Series) -> pd.Series:
    """Dates from trimmed text in any accepted written form or as Excel serials."""
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    # fast path: the two forms nearly every file uses, parsed in C
    for fmt in ("%Y年%m月%d日", "%Y-%m-%d"):
        todo = out.isna().to_numpy()
        if not todo.any():
            return out
        out[todo] = pd.to_datetime(text[todo], format=fmt, errors="coerce").to_numpy()
    todo = out.isna().to_numpy()
    if not todo.any():
        return out
    out[todo] = _free_form_dates(text[todo]).to_numpy()
    return out


def _free_form_dates(text: pd.Series) -> pd.Series:
    """Dates in the less common forms: ``2013/6/20``, ``2013.06.20``, ``20130620``, serials."""
    ymd = text.str.extract(_YMD_RE)
    compact = text.str.extract(r"^(\d{4})(\d{2})(\d{2})$")
    ymd = ymd.fillna(compact)
    parsed = pd.Series(
        ymd_to_datetime(
            pd.to_numeric(ymd[0], errors="coerce").to_numpy(dtype=float, na_value=np.nan),
            pd.to_numeric(ymd[1], errors="coerce").to_numpy(dtype=float, na_value=np.nan),
            pd.to_numeric(ymd[2], errors="coerce").to_numpy(dtype=float, na_value=np.nan),
        ),
        index=text.index,
    )
    serial = pd.to_numeric(text.where(ymd[0].isna()), errors="coerce").astype("float64")
    serial = serial.where((serial >= _SERIAL_MIN) & (serial <= _SERIAL_MAX))
    from_serial = _EXCEL_EPOCH + pd.to_timedelta(serial.round(), unit="D")
    return parsed.where(parsed.notna(), from_serial).astype("datetime64[ns]")


def parse_date(raw: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Parse dates written as ``2013年06月20日``, ``2013-06-20``, ``2013/6/20``, ``20130620``,
    Excel serial numbers or datetime cells.

    Returns ``(dates, bad, placeholder)``: ``datetime64[ns]`` values at midnight (NaT when
    missing), the mask of cells not understood, and the mask of placeholder dates (on or before
    1901-12-31) that were turned into missing values.
    """
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        out = pd.Series(raw.dt.tz_localize(None) if raw.dt.tz else raw, index=raw.index)
        out = out.astype("datetime64[ns]").dt.normalize()
        blank = raw.isna().to_numpy(dtype=bool)
    elif raw.dtype == object and pd.api.types.infer_dtype(raw, skipna=True) in (
        "date",
        "datetime",
        "datetime64",
    ):
        # a column of date/datetime objects only (a reader that kept Python dates)
        cells = raw.to_numpy().astype("datetime64[ns]")
        out = pd.Series(cells.astype("datetime64[D]").astype("datetime64[ns]"), index=raw.index)
        blank = raw.isna().to_numpy(dtype=bool)
    else:
        blank = _is_blank(raw)
        out = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
        if raw.dtype == object:
            # Excel cells arrive as datetime/date objects among strings and numbers
            kinds = raw.map(type)
            is_dt = kinds.map(lambda t: hasattr(t, "year") and hasattr(t, "month"))
            is_dt = is_dt.to_numpy(dtype=bool) & ~blank
        else:
            is_dt = np.zeros(len(raw), dtype=bool)
        if is_dt.any():
            cells = raw[is_dt].to_numpy().astype("datetime64[ns]")
            out[is_dt] = cells.astype("datetime64[D]").astype("datetime64[ns]")
        rest = ~blank & ~is_dt
        if rest.any():
            text = raw[rest].astype("string").str.strip()
            out[rest] = _text_dates(text).to_numpy()

    placeholder = (out <= PLACEHOLDER_LAST_DAY).to_numpy(dtype=bool)
    out[placeholder] = pd.NaT
    bad = ~blank & ~placeholder & out.isna().to_numpy(dtype=bool)
    return out, bad, placeholder


_TRUE_TEXT = {"是", "有", "true", "yes", "y", "1", "√", "✓", "t"}
_FALSE_TEXT = {"否", "无", "没有", "false", "no", "n", "0", "f", "×", "-"}


def parse_gov_cause(raw: pd.Series) -> pd.Series:
    """``gov_cause``: any non-empty text or a true value means a government cause.

    Explicit negatives (``否``, ``无``, ``false``, ``0`` ...) and empty cells mean none.
    Returns a bool Series.
    """
    blank = _is_blank(raw)
    text = raw.astype("string").str.strip().str.lower()
    negative = text.isin(_FALSE_TEXT).to_numpy(dtype=bool)
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
    values = np.where(started, "started", np.where(not_started, "not_started", "unknown"))
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
