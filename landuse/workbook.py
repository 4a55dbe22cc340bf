"""The Excel workbook for the bureau's meeting, and the per-park summary table.

:func:`summary_table` counts parcels and sums areas and amounts per park and status (English
column names: the GeoPackage's ``summary`` table and the map use it).
:func:`write_workbook` writes the meeting workbook with XlsxWriter: a one-page 汇总 with a bar
chart, one list per action (the 待核查 list doubles as the inspection form), a per-park summary,
every analysed parcel, the rejected rows and the load report.

Print: every sheet prints landscape, one page wide, with its header row repeated on each page,
the title and as-of date in the page header and 第 n 页 / 共 m 页 in the footer; 汇总 fits one
page. Numbers carry thousands separators, dates are Excel dates, every code is shown by its
Chinese label (:data:`VALUE_LABELS_ZH`), an empty list is one line saying so.

Text from the data is never a formula: cells are written as strings (inline or shared), which
Excel never evaluates. Text that Excel would take for a formula if retyped
(:func:`formula_like`, the rule the CSV outputs share) also carries Excel's quote prefix, so
editing the cell (F2, Enter) keeps it text. Characters XML cannot hold are removed.

Speed: the workbook is written in XlsxWriter's ``constant_memory`` mode. Titles, headers and the
summary tables go through XlsxWriter's cell methods; the rows of the lists are serialised to
SpreadsheetML by Arrow compute functions, :data:`BLOCK_ROWS` rows at a time (one call per column
and block, no Python work per cell, two threads), and appended to the worksheet's row stream by
a worksheet subclass. Without that stream (a future XlsxWriter), the same prepared values go
through the cell methods.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import datetime as dt
import functools
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import xlsxwriter
import xlsxwriter.workbook
import xlsxwriter.worksheet
from xlsxwriter.exceptions import FileCreateError
from xlsxwriter.utility import xl_col_to_name

from landuse import vocab
from landuse.grouping import (
    GROUP_KINDS,
    column_numbers,
    group_kinds,
    group_names,
    penalty_split,
    split_amounts,
)
from landuse.inspections import INSPECTION_LABELS_ZH
from landuse.palette import STATUS_COLOURS
from landuse.report import REPORT_LABELS_ZH
from landuse.schema import (
    AMOUNT_COLUMNS,
    INPUT_NAMES,
    OUTPUT_LABELS_ZH,
    PENALTY_SPLIT_COLUMNS,
    SOURCE_FILE,
    SOURCE_ROW,
    STATUS_ORDER,
    STATUS_ZH,
    Status,
)

NO_PARK = vocab.NO_AREA_GROUP  # （未指定园区）
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

#: Excel's hard limit of rows per sheet; a longer list continues on 名称(2), 名称(3) ...
EXCEL_MAX_ROWS = 1_048_576
#: XML bytes one sheet may hold: a zip member over 2 GiB needs ZIP64 extensions, which Excel
#: reads poorly; a longer table continues on another sheet.
SHEET_XML_BYTES = 1_900_000_000
# Tables longer than this are measured for their size per row (shorter ones cannot reach it).
_SIZE_CHECK_ROWS = 300_000
#: Rows serialised at a time (memory holds one block of every column of a sheet).
BLOCK_ROWS = 16_384
#: Threads converting blocks of rows (XlsxWriter's own work and the zip take one).
_THREADS = 2
#: Groups (parks or regions) listed one by one on 汇总; the others are summed in one row.
SUMMARY_GROUPS = 15
# Column widths are measured on at most this many rows of each table.
_WIDTH_SAMPLE_ROWS = 10_000
_MAX_TEXT_CHARS = 32_767  # Excel's limit for one cell
_MAX_WIDTH = 50.0
_FORM_MAX_WIDTH = 28.0
_FORM_ROW_HEIGHT = 22.0  # points: room to write by hand

#: Status code of parcels whose records lack what a rule needs (its list is 资料不全).
INSUFFICIENT_DATA = vocab.Status.INSUFFICIENT_DATA.value

# Columns the sheets show beside the analysed ones: computed here (the money split is read from
# the results when they carry it, see landuse.grouping.penalty_split).
GROUP = "group_name"
CONFIRMED, POTENTIAL = PENALTY_SPLIT_COLUMNS  # confirmed and would-apply amounts (万元)
INVESTMENT_GAP = "investment_gap_wan"
UNPAID_PRICE = "unpaid_price_wan"

# Chinese labels missing from schema.OUTPUT_LABELS_ZH, for columns only the workbook shows.
EXTRA_LABELS_ZH: dict[str, str] = {
    "parcels": "宗数",
    "geometry_area_ha": "图形面积(公顷)",
    "input_kind": "输入类型",
    INVESTMENT_GAP: "达标尚需投资(万元)",
    UNPAID_PRICE: "欠缴价款(万元)",
    GROUP: "园区/地区",
    "region_match": "行政区代码匹配",
}

# --------------------------------------------------------------------------- vocabulary
# Every code is shown by its Chinese label: landuse.vocab's labels, with the codes of columns
# it does not cover (the region match of landuse.regions, an inspection's 已竣工, the load
# report's actions) added here.

#: Code values shown in Chinese, per column.
VALUE_LABELS_ZH: dict[str, dict[str, str]] = {
    **vocab.VALUE_LABELS_ZH,
    "start_status": {**vocab.VALUE_LABELS_ZH["start_status"], "completed": "已竣工"},
    "region_match": {
        "current": "现行代码",
        "retired": "已撤销代码（沿用最后名称）",
        "land_market": "土地市场系统代码",
        "prefix": "按代码前缀推断",
    },
}
#: Data issue codes (column ``data_issues``, codes joined by ``;``).
DATA_ISSUE_LABELS_ZH: dict[str, str] = dict(vocab.LABELS_ZH[vocab.DataIssue])
#: Load-report actions (English in the report's CSV) in Chinese.
ACTION_LABELS_ZH: dict[str, str] = {
    "noted": "已记录",
    "ignored": "未使用",
    "ignore": "未使用",
    "kept": "保留",
    "treated as missing": "按缺失处理",
    "treated as unknown": "按未知处理",
    "analysed as industrial land": "按工业用地分析",
    "analysed with the declared area": "按申报面积分析",
    "park left empty": "园区留空",
    "repaired with make_valid (structure method)": "已修复几何（make_valid）",
    "treated as missing; open the file in Excel or WPS and save it to compute the formulas": (
        "按缺失处理；请用 Excel 或 WPS 打开并保存该文件以计算公式"
    ),
}
_ACTION_PATTERNS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (
        re.compile(r"converted to (\w+) \(×(.+)\)"),
        lambda m: f"已换算为{_label(m[1])}（×{m[2]}）",
    ),
    (re.compile(r"parsed and converted to (\w+)"), lambda m: f"已解析并换算为{_label(m[1])}"),
    (re.compile(r"ignored; “(.+)” used"), lambda m: f"未使用；采用“{m[1]}”"),
)
_BOOL_ZH = ("否", "是")

#: Text that Excel would take as a formula (or a DDE command): it starts with one of these.
FORMULA_START = re.compile(r"[=+\-@\t\r]")
# Characters XML 1.0 cannot hold (lone surrogates only exist in Python strings).
_ILLEGAL_PY = r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]"
_ILLEGAL_RE2 = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x{fffe}\x{ffff}]"
# East Asian wide and full-width characters: they take two columns in Excel.
_WIDE_RANGES = (
    (0x1100, 0x115F),
    (0x2E80, 0x303E),
    (0x3041, 0x33FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xA000, 0xA4CF),
    (0xAC00, 0xD7A3),
    (0xF900, 0xFAFF),
    (0xFE30, 0xFE4F),
    (0xFF00, 0xFF60),
    (0xFFE0, 0xFFE6),
)
_WIDE_RE = re.compile("[" + "".join(f"{chr(a)}-{chr(b)}" for a, b in _WIDE_RANGES) + "]")
_WIDE_RE2 = "[" + "".join(f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in _WIDE_RANGES) + "]"

# Colours: header fill, the form's fill-in columns (cells to fill and their headers).
_HEADER_FILL = "#DDEBF7"
_INPUT_FILL = "#FFF2CC"
_INPUT_HEADER_FILL = "#FFD966"
_IDLE_BAR = STATUS_COLOURS[Status.RECOVERY.value]
_OVERDUE_BAR = STATUS_COLOURS[Status.LATE_COMPLETION.value]
_UNVERIFIED_BAR = "#BBBBBB"

# Paper (XlsxWriter's codes): A4, or A3 for tables wider than this many character widths.
_A4, _A3 = 9, 8
_A3_ABOVE_WIDTH = 220.0

# Dates Excel shows: serial 1 = 1900-01-01; the 1900 leap-year bug shifts dates from 1900-03-01.
_UNIX_DAY_SERIAL = 25_569  # 1970-01-01
_FIRST_EXCEL_DAY = np.datetime64("1900-01-01", "D")
_LEAP_BUG_DAY = np.datetime64("1900-03-01", "D")
_PLAUSIBLE_DATES = (dt.date(1949, 1, 1), dt.date(2100, 12, 31))


# --------------------------------------------------------------------------- summary


def _blank_to_na(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip()
    return text.mask(text == "")


def _park_names(parcels: pd.DataFrame) -> pd.Series:
    """Park names with missing or blank ones shown as :data:`NO_PARK`."""
    if "park" not in parcels.columns:
        return pd.Series(NO_PARK, index=parcels.index, dtype="string")
    return _blank_to_na(parcels["park"]).fillna(NO_PARK)


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
            "area_ha": column_numbers(parcels, "area_ha"),
            # amounts as written (0.01 万元): a total is the sum of the listed amounts
            **{c: column_numbers(parcels, c).round(2) for c in value_cols[1:]},
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


# --------------------------------------------------------------------------- text rules


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


def _label(name: str, labels: Mapping[str, str] | None = None) -> str:
    """The Chinese header of a column: from ``labels``, then the schema's and this module's
    labels, else the column's own name."""
    for table in (labels or {}, OUTPUT_LABELS_ZH, INSPECTION_LABELS_ZH, EXTRA_LABELS_ZH):
        if name in table:
            return table[name]
    return name


def _text_width(text: str) -> float:
    """The width of one string in Excel columns (wide CJK characters count double)."""
    return float(len(text) + len(_WIDE_RE.findall(text)))


_ISSUE_SPLIT = re.compile(r"[;,，；|\s]+")
_ISSUE_FORMS = (
    (re.compile(r"^(?:no|missing)_(\w+)$"), "缺{}"),
    (re.compile(r"^(\w+)_missing$"), "缺{}"),
    (re.compile(r"^(?:bad|invalid|implausible)_(\w+)$"), "{}异常"),
    (re.compile(r"^(\w+)_(?:invalid|implausible)$"), "{}异常"),
)


def _issue_label(code: str) -> str:
    """The Chinese label of one data-issue code; a code naming a column (``no_area_ha``,
    ``bad_contract_date``) is described by its column's label; any other code stays as is."""
    if code in DATA_ISSUE_LABELS_ZH:
        return DATA_ISSUE_LABELS_ZH[code]
    for pattern, form in _ISSUE_FORMS:
        m = pattern.match(code)
        if m is not None and _label(m[1]) != m[1]:
            return form.format(_label(m[1]))
    return code


def _issues_label(value: object) -> str | None:
    """Every issue code of one ``data_issues`` value in Chinese, joined by ``；``."""
    if isinstance(value, list | tuple | np.ndarray):
        codes = [str(v) for v in value]
    elif value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    else:
        codes = _ISSUE_SPLIT.split(str(value).strip())
    labels = [_issue_label(c) for c in codes if c]
    return "；".join(labels) or None


def _action_label(text: str) -> str:
    if text in ACTION_LABELS_ZH:
        return ACTION_LABELS_ZH[text]
    for pattern, form in _ACTION_PATTERNS:
        m = pattern.fullmatch(text)
        if m is not None:
            return form(m)
    return text


def _labeller(name: str) -> Callable[[str], str | None] | None:
    """How the values of column ``name`` are shown, when they are codes."""
    if name in VALUE_LABELS_ZH:
        table = VALUE_LABELS_ZH[name]
        return lambda v: table.get(v, v)
    if name == "data_issues":
        return _issues_label
    if name == "action":
        return _action_label
    if name == "column":  # the load report's column: canonical names in Chinese
        return _label
    return None


# --------------------------------------------------------------------------- columns

# Cell kinds: a number (float or integer), an Excel date (its serial number), shared text
# (few distinct values: stored once in the workbook's string table) and inline text.
NUMBER, DATE, SHARED, TEXT, FILL = "number", "date", "shared", "text", "fill"


def _number_style(name: str) -> tuple[str, int | None, bool]:
    """(format key, decimals kept, integer) of a numeric column, from its name and unit."""
    if name in (SOURCE_ROW, "row"):
        return "int", 0, True
    if name.endswith("_days") or name in ("parcels", "count"):
        return "count", 0, True
    if name.endswith("_wan") or name.endswith("_wan_per_ha"):
        return "money", 2, False  # rounded to 0.01 万元 here, at writing time only
    if name.endswith("_ha"):
        return "money", 4, False  # 1 m²; shown with two decimals
    if name.startswith("far_") or name.endswith("_permille") or name == "coverage_actual":
        return "ratio", 4, False
    if name in ("building_coverage", "coverage_change", "plot_ratio_est"):
        return "ratio", 4, False  # estimates from footprints: two decimals shown
    if name.endswith("_m2"):
        return "count", 0, False  # square metres, shown whole
    if name == "building_count":
        return "count", 0, True
    return "general", None, False


@dataclass
class _Cells:
    """One column of one block of rows, prepared for writing."""

    kind: str
    values: pa.Array | None = None  # NUMBER, DATE: numbers; TEXT: strings (nulls = empty)
    codes: np.ndarray | None = None  # SHARED: index into ``strings``, -1 = empty
    strings: list[str] | None = None  # SHARED: the distinct texts
    quote: np.ndarray | None = None  # TEXT, SHARED: cells that get Excel's quote prefix


@dataclass
class _Field:
    """One column of a sheet: its header, how its values become cells, its format."""

    name: str
    header: str
    style: str = "general"  # format key of numbers and dates
    fill: bool = False  # a column of the inspection form, filled in by hand
    width: float = 0.0
    _shared: bool | None = None  # inline or shared text, decided on the first block

    def cells(self, values: pd.Series) -> _Cells:
        """The values of one block of rows as cells (a whole-column conversion)."""
        if self.fill:
            return _Cells(FILL)
        labeller = _labeller(self.name)
        dtype = values.dtype
        if labeller is not None and not pd.api.types.is_bool_dtype(dtype):
            return self._shared_cells(values, labeller)
        if pd.api.types.is_bool_dtype(dtype):
            return _bool_cells(values)
        if pd.api.types.is_datetime64_any_dtype(dtype):
            return _date_cells(values)
        if isinstance(dtype, pd.CategoricalDtype):
            return self._shared_cells(values, None)
        if pd.api.types.is_numeric_dtype(dtype):
            return self._number_cells(values)
        kind = pd.api.types.infer_dtype(values, skipna=True)
        if kind == "boolean":
            return _bool_cells(values)
        if kind in ("date", "datetime", "datetime64"):
            return _date_cells(values)
        if kind in ("integer", "floating", "mixed-integer-float", "decimal", "empty"):
            return self._number_cells(values)
        if self._shared is None:
            sample = values.iloc[:2_000]
            self._shared = len(sample) >= 8 and sample.nunique() * 4 <= len(sample)
        if self._shared:
            return self._shared_cells(values, None)
        return _text_cells(values)

    def _number_cells(self, values: pd.Series) -> _Cells:
        key, decimals, integer = _number_style(self.name)
        self.style = key
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        if decimals is not None:
            numbers = np.round(numbers, decimals)
        valid = np.isfinite(numbers)
        if integer and np.all(np.abs(numbers[valid]) < 2**53):
            array = pa.array(np.where(valid, numbers, 0).astype(np.int64), mask=~valid)
        else:
            array = pa.array(np.where(valid, numbers, 0.0), mask=~valid)
        return _Cells(NUMBER, values=array)

    def _shared_cells(self, values: pd.Series, labeller: Callable | None) -> _Cells:
        """Few distinct texts: each distinct value converted (and labelled) once."""
        if isinstance(values.dtype, pd.CategoricalDtype):
            codes = values.cat.codes.to_numpy(dtype=np.int64)
            uniques = list(values.cat.categories)
        else:
            if isinstance(values.dtype, pd.ArrowDtype) or pd.api.types.is_object_dtype(values):
                values = _lists_as_text(values)
            codes, found = pd.factorize(values, use_na_sentinel=True)
            codes = codes.astype(np.int64)
            uniques = list(found)
        texts = [labeller(u) if labeller is not None else u for u in uniques]
        shown = _clean_texts(pd.Series(texts, dtype=object))
        remap = np.array([-1 if s is None else i for i, s in enumerate(shown)], dtype=np.int64)
        codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1) if len(remap) else codes
        strings = ["" if s is None else s for s in shown]
        risky = formula_like(pd.Series(strings, dtype=object)) if strings else np.zeros(0, bool)
        quote = risky[np.maximum(codes, 0)] & (codes >= 0) if risky.any() else None
        return _Cells(SHARED, codes=codes, strings=strings, quote=quote)


def _lists_as_text(values: pd.Series) -> pd.Series:
    """A column of lists (data issues given as a list per parcel) as ``;``-joined text."""
    first = values.dropna().iloc[:1]
    if first.empty or not isinstance(first.iloc[0], list | tuple | np.ndarray):
        return values
    return values.map(lambda v: ";".join(map(str, v)), na_action="ignore").astype(object)


def _bool_cells(values: pd.Series) -> _Cells:
    flags = values.astype("boolean")
    codes = np.where(flags.isna().to_numpy(), -1, flags.fillna(False).to_numpy(dtype=np.int64))
    return _Cells(SHARED, codes=codes, strings=list(_BOOL_ZH))


def _date_cells(values: pd.Series) -> _Cells:
    """Dates as Excel serial numbers (days; a time of day is dropped)."""
    dates = pd.to_datetime(values, errors="coerce")
    if isinstance(dates.dtype, pd.DatetimeTZDtype):
        dates = dates.dt.tz_localize(None)
    days = dates.to_numpy().astype("datetime64[D]")  # any unit: no overflow past 2262
    # before 1900-01-01 Excel has no date (the loader keeps such dates out of the results)
    valid = ~np.isnat(days) & (days >= _FIRST_EXCEL_DAY)
    serial = days.astype(np.int64) + _UNIX_DAY_SERIAL
    serial = np.where(days < _LEAP_BUG_DAY, serial - 1, serial)
    return _Cells(DATE, values=pa.array(np.where(valid, serial, 0), mask=~valid))


def _clean_texts(values: pd.Series) -> list[str | None]:
    """Python strings without characters XML cannot hold, cut at Excel's cell limit; empty
    text and missing values are None. For the few distinct values of a column."""
    out: list[str | None] = []
    illegal = re.compile(_ILLEGAL_PY)
    for v in values:
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            out.append(None)
            continue
        text = illegal.sub("", str(v))[:_MAX_TEXT_CHARS]
        out.append(text or None)
    return out


def _plain_array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _text_cells(values: pd.Series) -> _Cells:
    """Many distinct texts, converted as a column: illegal characters removed, cut at Excel's
    cell limit, empty text missing."""
    if pd.api.types.is_object_dtype(values.dtype):
        # may hold non-strings and lone surrogates, which Arrow cannot take
        text = values.astype("string[python]").str.replace(_ILLEGAL_PY, "", regex=True)
        array = pa.array(text.to_numpy(dtype=object, na_value=None), type=pa.string())
    else:
        array = _plain_array(pa.array(values, from_pandas=True)).cast(pa.string())
        if pc.any(pc.match_substring_regex(array, _ILLEGAL_RE2)).as_py():
            array = pc.replace_substring_regex(array, _ILLEGAL_RE2, "")
    if len(array) and (pc.max(pc.utf8_length(array)).as_py() or 0) > _MAX_TEXT_CHARS:
        array = pc.utf8_slice_codeunits(array, 0, _MAX_TEXT_CHARS)
    array = pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)
    quote = formula_like(pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([array]))))
    return _Cells(TEXT, values=array, quote=quote if quote.any() else None)


def _width_of(cells: _Cells, fmt_decimals: int) -> float:
    """The widest value of a block sample, in Excel character widths."""
    if cells.kind in (NUMBER, DATE):
        if cells.kind == DATE:
            return 10.0
        values = cells.values.slice(0, _WIDTH_SAMPLE_ROWS)
        biggest = pc.max(pc.abs(values)).as_py()
        if biggest is None:
            return 0.0
        negative = (pc.min(values).as_py() or 0) < 0
        return len(f"{biggest:,.{fmt_decimals}f}") + float(negative)
    if cells.kind == SHARED:
        used = np.unique(cells.codes[:_WIDTH_SAMPLE_ROWS])
        return max((_text_width(cells.strings[i]) for i in used if i >= 0), default=0.0)
    if cells.kind == TEXT:
        sample = cells.values.slice(0, _WIDTH_SAMPLE_ROWS)
        widths = pc.add(pc.utf8_length(sample), pc.count_substring_regex(sample, _WIDE_RE2))
        return float(pc.max(widths).as_py() or 0)
    return 0.0


# --------------------------------------------------------------------------- the book

_FORMATS: dict[str, dict[str, object]] = {
    "title": {"bold": True, "font_size": 14},
    "subtitle": {"font_size": 10, "font_color": "#404040"},
    "section": {"bold": True, "font_size": 11},
    "empty": {"font_size": 12},
    "header": {
        "bold": True,
        "text_wrap": True,
        "align": "center",
        "valign": "vcenter",
        "bg_color": _HEADER_FILL,
        "border": 1,
    },
    "input_header": {
        "bold": True,
        "text_wrap": True,
        "align": "center",
        "valign": "vcenter",
        "bg_color": _INPUT_HEADER_FILL,
        "border": 1,
    },
    "money": {"num_format": "#,##0.00"},
    "count": {"num_format": "#,##0"},
    "int": {"num_format": "0"},
    "ratio": {"num_format": "0.00"},
    "date": {"num_format": "yyyy-mm-dd"},
    "quote": {"quote_prefix": True},
    "bold": {"bold": True},
    "bold_money": {"bold": True, "num_format": "#,##0.00"},
    "bold_count": {"bold": True, "num_format": "#,##0"},
    "input": {"bg_color": _INPUT_FILL, "locked": False},
    "input_date": {"bg_color": _INPUT_FILL, "locked": False, "num_format": "yyyy-mm-dd"},
    "input_number": {"bg_color": _INPUT_FILL, "locked": False, "num_format": "#,##0.00"},
}
_DECIMALS = {"money": 2, "count": 0, "int": 0, "ratio": 2, "general": 2}

#: Whether rows are appended to XlsxWriter's row stream directly (False: through its cell
#: methods, much slower; used when XlsxWriter lacks the stream, and by the tests).
RAW_ROWS = True


class _Sheet(xlsxwriter.worksheet.Worksheet):
    """A constant-memory worksheet that also takes rows already serialised to SpreadsheetML,
    and copies its row stream into the sheet as bytes (XlsxWriter decodes and re-encodes it)."""

    def takes_rows(self) -> bool:
        """Whether the row stream this class relies on is there (and allowed)."""
        return RAW_ROWS and all(
            hasattr(self, name)
            for name in ("constant_memory", "row_data_fh", "previous_row", "_write_single_row")
        )

    def append_rows(self, first_row: int, last_row: int, last_col: int, xml: pa.Array) -> int:
        """Append the ``<row>`` elements of rows ``first_row..last_row`` (0-based) after the
        rows written through the cell methods, extend the sheet's dimensions; returns the
        bytes written."""
        if first_row > self.previous_row:
            self._write_single_row(first_row)  # flush the row the cell methods hold
        fh = self.row_data_fh
        fh.flush()
        written = 0
        data = xml.buffers()[2]
        if data is not None:
            offsets = np.frombuffer(
                xml.buffers()[1], dtype=np.int32, count=len(xml) + 1, offset=xml.offset * 4
            )
            start, stop = int(offsets[0]), int(offsets[-1])
            fh.buffer.write(memoryview(data)[start:stop])
            fh.buffer.flush()
            written = stop - start
        self._check_dimensions(last_row, last_col)
        self.previous_row = last_row + 1
        return written

    def _write_optimized_sheet_data(self) -> None:
        out = getattr(self.fh, "buffer", None)
        rows = getattr(self.row_data_fh, "buffer", None)
        if self.dim_rowmin is None or out is None or rows is None:
            super()._write_optimized_sheet_data()
            return
        self._xml_start_tag("sheetData")
        self.fh.flush()
        self.row_data_fh.flush()
        self.row_data_fh.seek(0)
        shutil.copyfileobj(rows, out, 1 << 20)
        self.row_data_fh.close()
        os.unlink(self.row_data_filename)
        self._xml_end_tag("sheetData")


def _escape_header_text(text: str) -> str:
    """Text for a page header or footer: ``&`` starts a control code there."""
    return text.replace("&", "&&")


class _Book:
    """An XlsxWriter workbook in constant-memory mode, with the formats and page set-up."""

    def __init__(self, path: str | PathLike[str], day: str | None) -> None:
        # XlsxWriter creates the file only when it zips the workbook, inside zipfile's ZipFile
        # constructor; a stop signal (Ctrl+C, SIGTERM) that lands there leaves a half-made
        # ZipFile that complains when collected. The file exists from the start instead.
        with open(path, "wb"):
            pass
        self.path = path
        self.wb = xlsxwriter.Workbook(
            os.fspath(path),
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                # a sheet of several hundred thousand rows passes the 2 GiB of a plain zip
                "use_zip64": True,
            },
        )
        self.day = day
        self.fmt = {key: self.wb.add_format(props) for key, props in _FORMATS.items()}
        # style indices are given on first use: give them now, before threads use them
        self._xf = {key: fmt._get_xf_index() for key, fmt in self.fmt.items()}
        self._sst = self.wb.str_table
        self._sst_lock = threading.Lock()
        self.raw_bytes = 0  # sheet rows serialised here

    def xf(self, key: str) -> int:
        """The style index of a format (0 for none)."""
        return 0 if key == "general" else self._xf[key]

    def shared_indices(self, strings: list[str], codes: np.ndarray) -> np.ndarray:
        """Indices in the workbook's shared string table of ``strings[codes]`` (-1 stays)."""
        used = codes >= 0
        with self._sst_lock:
            table = np.array([self._sst._get_shared_string_index(s) for s in strings] + [-1])
            self._sst.count += int(used.sum()) - len(strings)  # references, not distinct
        return table[np.where(used, codes, len(strings))]

    def sheet(self, name: str):
        """A new sheet printing landscape on A4, one page wide."""
        ws = self.wb.add_worksheet(name, worksheet_class=_Sheet)
        ws.set_landscape()
        ws.set_paper(_A4)
        ws.set_margins(left=0.4, right=0.4, top=0.75, bottom=0.6)
        ws.fit_to_pages(1, 0)
        return ws

    def page_header(self, ws, title: str) -> None:
        """Title left, as-of date right; page numbers in the footer."""
        right = f"&R评价基准日 {self.day}" if self.day else ""
        ws.set_header(f'&L&"-,Bold"{_escape_header_text(title)}{right}')
        ws.set_footer("&L&A&C第 &P 页 / 共 &N 页")

    def close(self) -> None:
        # Compressing is most of the time of a big workbook: above _FAST_ZIP_BYTES of rows the
        # zip is written at zlib level 1 (twice as fast, a third larger) instead of 6
        level = 1 if self.raw_bytes > _FAST_ZIP_BYTES else None
        try:
            with _zip_level(level):
                self.wb.close()
        except FileCreateError as exc:  # a full or read-only disk: say it as what it is
            cause = exc.args[0] if exc.args and isinstance(exc.args[0], OSError) else None
            raise (cause or OSError(str(exc))) from exc

    def discard(self) -> None:
        """Remove the unfinished workbook and its temporary row files."""
        for ws in self.wb.worksheets():
            fh = getattr(ws, "row_data_fh", None)
            name = getattr(ws, "row_data_filename", None)
            with contextlib.suppress(Exception):
                if fh is not None:
                    fh.close()
            with contextlib.suppress(Exception):
                if name:
                    os.unlink(name)
        self.wb.fileclosed = True  # nothing to write when the object is collected
        with contextlib.suppress(OSError):
            os.unlink(self.path)


_ZIP_LOCK = threading.Lock()
_FAST_ZIP_BYTES = 100_000_000


@contextlib.contextmanager
def _zip_level(level: int | None) -> Iterator[None]:
    """XlsxWriter's zip container written at zlib ``level`` (None: its default)."""
    original = getattr(xlsxwriter.workbook, "ZipFile", None)
    if level is None or original is None:
        yield
        return
    with _ZIP_LOCK:
        xlsxwriter.workbook.ZipFile = functools.partial(original, compresslevel=level)
        try:
            yield
        finally:
            xlsxwriter.workbook.ZipFile = original


@contextlib.contextmanager
def _book(path: str | PathLike[str], day: str | None) -> Iterator[_Book]:
    """A workbook written to ``path`` when the block ends; removed when it fails."""
    book = _Book(path, day)
    try:
        yield book
        book.close()
    except BaseException:
        book.discard()
        raise


# --------------------------------------------------------------------------- rows


class _Rows:
    """Rows of one table from whole columns (a ``positions`` selection of them, in order)."""

    def __init__(self, columns: Mapping[str, pd.Series], positions: np.ndarray | None, n: int):
        self.columns = columns
        self.positions = positions
        self.n = n

    def block(self, name: str, start: int, stop: int) -> pd.Series:
        values = self.columns[name]
        if self.positions is None:
            return values.iloc[start:stop]
        return values.take(self.positions[start:stop])


def _xml_cells(
    book: _Book, col: int, rows: pa.Array, cells: _Cells, style: str, needs_ref: np.ndarray | None
) -> tuple[list[pa.Array | str], np.ndarray]:
    """The ``<c>`` elements of one column for a block of rows, as pieces for the row join (a
    column with empty cells: one array of elements, null where empty), and which rows have a
    cell.

    A cell carries its reference (``r="B7"``) only where the cell before it in the row is
    empty (``needs_ref``): a cell without one is the column after the previous cell (ECMA-376
    §18.3.1.4; Excel, LibreOffice and openpyxl read it so), which saves a quarter of the bytes
    to write and compress.
    """
    head: pa.Array | str = "<c"
    if needs_ref is not None and needs_ref.any():
        ref = pc.binary_join_element_wise(f'<c r="{xl_col_to_name(col)}', rows, '"', "")
        head = ref if needs_ref.all() else pc.if_else(pa.array(needs_ref), ref, "<c")
    quoted = book.xf("quote")
    if cells.kind in (NUMBER, DATE):
        xf = book.xf("date" if cells.kind == DATE else style)
        text = pc.cast(cells.values, pa.string())
        pieces = [head, f' s="{xf}"><v>' if xf else "><v>", text, "</v></c>"]
    elif cells.kind == SHARED:
        index = book.shared_indices(cells.strings, cells.codes)
        text = pc.cast(pa.array(index, mask=index < 0), pa.string())
        attrs: pa.Array | str = ' t="s"><v>'
        if cells.quote is not None:
            attrs = pc.if_else(pa.array(cells.quote), f' s="{quoted}" t="s"><v>', attrs)
        pieces = [head, attrs, text, "</v></c>"]
    else:
        text = cells.values
        if pc.any(pc.match_substring_regex(text, r"[&<>]|_x[0-9A-Fa-f]{4}_")).as_py():
            for raw, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
                text = pc.replace_substring(text, raw, escaped)
            # Excel reads _xHHHH_ as an escaped character: its underscore is escaped in turn
            text = pc.replace_substring_regex(text, r"(_x[0-9A-Fa-f]{4}_)", r"_x005F\1")
        attrs = ' t="inlineStr"><is><t'
        if cells.quote is not None:
            attrs = pc.if_else(pa.array(cells.quote), f' s="{quoted}" t="inlineStr"><is><t', attrs)
        space = pc.if_else(
            pc.match_substring_regex(text, r"^\s|\s$"), ' xml:space="preserve">', ">"
        )
        pieces = [head, attrs, space, text, "</t></is></c>"]
    if text.null_count == 0:
        return pieces, np.ones(len(text), dtype=bool)
    valid = text.is_valid().to_numpy(zero_copy_only=False)
    return [pc.binary_join_element_wise(*pieces, "")], valid


def _write_cells_slowly(book: _Book, ws, first_row: int, blocks: list[_Cells], fields) -> None:
    """The same cells through XlsxWriter's cell methods (when the row stream is not there),
    row by row as constant-memory mode needs."""
    columns = []
    for col, (cells, fld) in enumerate(zip(blocks, fields, strict=True)):
        if cells.kind == FILL:
            continue
        if cells.kind in (NUMBER, DATE):
            fmt = book.fmt.get("date" if cells.kind == DATE else fld.style)
            columns.append((col, cells.values.to_pylist(), ws.write_number, [fmt]))
            continue
        if cells.kind == SHARED:
            values = [cells.strings[c] if c >= 0 else None for c in cells.codes]
        else:
            values = cells.values.to_pylist()
        quote = cells.quote if cells.quote is not None else np.zeros(len(values), dtype=bool)
        formats = [book.fmt["quote"] if q else None for q in quote]
        columns.append((col, values, ws.write_string, formats))
    count = max((len(values) for _, values, _, _ in columns), default=0)
    for i in range(count):
        for col, values, write, formats in columns:
            if values[i] is not None:
                write(first_row + i, col, values[i], formats[i if len(formats) > 1 else 0])


def _block_cells(fields: list[_Field], rows: _Rows, start: int, stop: int) -> list[_Cells]:
    return [
        _Cells(FILL) if fld.fill else fld.cells(rows.block(fld.name, start, stop)) for fld in fields
    ]


def _block_xml(book: _Book, fields: list[_Field], blocks: list[_Cells], top: int) -> pa.Array:
    """The ``<row>`` elements of one block of rows, the first at 0-based row ``top``."""
    n = len(next((c.codes if c.kind == SHARED else c.values) for c in blocks if c.kind != FILL))
    row_refs = pc.cast(pa.array(np.arange(top + 1, top + n + 1, dtype=np.int64)), pa.string())
    parts = []
    before: np.ndarray | None = None  # which rows have a cell in the previous column
    for col, (fld, cells) in enumerate(zip(fields, blocks, strict=True)):
        if cells.kind == FILL:
            before = np.zeros(n, dtype=bool)
            continue
        needs_ref = None if col == 0 else ~before
        pieces, before = _xml_cells(book, col, row_refs, cells, fld.style, needs_ref)
        parts += pieces
    return pc.binary_join_element_wise(
        '<row r="', row_refs, '">', *parts, "</row>", "", null_handling="skip"
    )


def _write_rows(book: _Book, ws, first_row: int, rows: _Rows, fields: list[_Field]) -> None:
    """Every row of ``rows`` from ``first_row`` on, a block at a time; sets column widths.

    The first block is measured for the widths and decides each column's kind of text; the
    others are converted by :data:`_THREADS` threads (Arrow's kernels run without the
    interpreter lock) and appended in order as they come."""
    if rows.n == 0 or all(fld.fill for fld in fields):
        return
    raw = ws.takes_rows()
    stop = min(BLOCK_ROWS, rows.n)
    first = _block_cells(fields, rows, 0, stop)
    for fld, cells in zip(fields, first, strict=True):
        fld.width = _width_of(cells, _DECIMALS.get(fld.style, 2))
    if not raw:
        _write_cells_slowly(book, ws, first_row, first, fields)
        for start in range(BLOCK_ROWS, rows.n, BLOCK_ROWS):
            stop = min(start + BLOCK_ROWS, rows.n)
            blocks = _block_cells(fields, rows, start, stop)
            _write_cells_slowly(book, ws, first_row + start, blocks, fields)
        return
    last_col = len(fields) - 1

    def convert(start: int) -> pa.Array:
        stop = min(start + BLOCK_ROWS, rows.n)
        return _block_xml(book, fields, _block_cells(fields, rows, start, stop), first_row + start)

    def append(start: int, xml: pa.Array) -> None:
        top = first_row + start
        last = first_row + min(start + BLOCK_ROWS, rows.n) - 1
        book.raw_bytes += ws.append_rows(top, last, last_col, xml)

    append(0, _block_xml(book, fields, first, first_row))
    del first
    with concurrent.futures.ThreadPoolExecutor(_THREADS) as pool:
        pending: collections.deque = collections.deque()
        for start in range(BLOCK_ROWS, rows.n, BLOCK_ROWS):
            pending.append((start, pool.submit(convert, start)))
            if len(pending) > _THREADS:  # at most one block waiting per thread
                done, future = pending.popleft()
                append(done, future.result())
        while pending:
            done, future = pending.popleft()
            append(done, future.result())


def _set_widths(ws, fields: list[_Field], book: _Book, widest: float = _MAX_WIDTH) -> list[float]:
    """Column widths from the sampled values and the headers (wrapped on two lines), at most
    ``widest``; a column to fill in by hand is at least 12 wide (备注 24)."""
    widths = []
    for col, fld in enumerate(fields):
        header = _text_width(fld.header)
        # a header may wrap on two lines; CJK glyphs print a little wider than two digits
        width = max(fld.width, min(header, np.ceil(header / 2) + 3), 6.0) + 1.5
        width = min(width, widest)
        if fld.fill:
            width = max(width, 24.0 if fld.header == "备注" else 12.0)
            fmt = {"date": "input_date", "money": "input_number"}.get(fld.style, "input")
            ws.set_column(col, col, width, book.fmt[fmt])
        else:
            ws.set_column(col, col, width)
        widths.append(width)
    return widths


@dataclass
class _Table:
    """One list sheet: title lines above a header row, the rows, the empty-list line."""

    sheet: str
    title: str
    empty: str
    fields: list[_Field]
    rows: _Rows
    lines: list[str] = field(default_factory=list)
    page_title: str | None = None
    form: bool = False


def _rows_per_sheet(book: _Book, table: _Table) -> int:
    """How many rows of ``table`` one sheet takes: Excel's limit (below the title lines and
    the header) and, for a long table, as many as stay under :data:`SHEET_XML_BYTES` of XML
    (measured on its first block), so that the file needs no ZIP64 extensions, which Excel
    reads poorly."""
    room = EXCEL_MAX_ROWS - len(table.lines) - 2
    if table.rows.n <= _SIZE_CHECK_ROWS:
        return room
    fields = [_Field(f.name, f.header, f.style, f.fill) for f in table.fields]
    sample = min(BLOCK_ROWS, table.rows.n)
    references = book._sst.count  # the sample's shared strings are counted when written
    xml = _block_xml(book, fields, _block_cells(fields, table.rows, 0, sample), 0)
    book._sst.count = references
    per_row = (xml.nbytes / sample) * 1.1  # with a margin: later rows may be longer
    return max(1, min(room, int(SHEET_XML_BYTES // per_row)))


def _sheet_names(table: _Table, per_sheet: int) -> list[str]:
    parts = max(1, -(-table.rows.n // per_sheet))
    return [table.sheet] + [f"{table.sheet}({k})" for k in range(2, parts + 1)]


def _write_table(book: _Book, table: _Table, per_sheet: int | None = None) -> None:
    """Write one table on one sheet, or on several (名称(2) ...) beyond ``per_sheet`` rows
    (:func:`_rows_per_sheet`)."""
    if table.rows.n == 0:
        ws = book.sheet(table.sheet)
        book.page_header(ws, table.page_title or table.title)
        ws.write_string(0, 0, table.empty, book.fmt["empty"])
        ws.set_column(0, 0, 12)
        return
    per_sheet = per_sheet or _rows_per_sheet(book, table)
    names = _sheet_names(table, per_sheet)
    for part, name in enumerate(names):
        start, stop = part * per_sheet, min((part + 1) * per_sheet, table.rows.n)
        title = table.title
        positions = table.rows.positions
        if len(names) > 1:
            title += (
                f"（行数超出一张工作表的容量，分 {len(names)} 表列出："
                f"本表为第 {part + 1} 表，第 {start + 1:,}–{stop:,} 行）"
            )
            positions = np.arange(start, stop) if positions is None else positions[start:stop]
        _write_sheet(book, name, table, title, _Rows(table.rows.columns, positions, stop - start))


def _write_sheet(book: _Book, name: str, table: _Table, title: str, rows: _Rows) -> None:
    ws = book.sheet(name)
    fields = [
        _Field(f.name, f.header, f.style, f.fill) for f in table.fields
    ]  # widths and text kinds are measured per sheet
    header_row = 1 + len(table.lines)
    last_col = len(fields) - 1
    book.page_header(ws, table.page_title or table.title)
    if table.form:
        # merged across the table, so the fill colour of the form's columns stays below
        ws.merge_range(0, 0, 0, last_col, title, book.fmt["title"])
        for k, line in enumerate(table.lines, start=1):
            ws.merge_range(k, 0, k, last_col, line, book.fmt["subtitle"])
    else:
        ws.write_string(0, 0, title, book.fmt["title"])
        for k, line in enumerate(table.lines, start=1):
            ws.write_string(k, 0, line, book.fmt["subtitle"])
    ws.set_row(header_row, 33)
    for col, fld in enumerate(fields):
        fmt = book.fmt["input_header" if fld.fill else "header"]
        ws.write_string(header_row, col, fld.header, fmt)
    _write_rows(book, ws, header_row + 1, rows, fields)
    # the form is printed and filled in by hand: long names are cut rather than shrink it,
    # rows are taller, and the columns after the ones to fill (context) are not printed
    widths = _set_widths(ws, fields, book, _FORM_MAX_WIDTH if table.form else _MAX_WIDTH)
    printed = last_col
    if table.form:
        printed = max(col for col, fld in enumerate(fields) if fld.fill)
        ws.set_default_row(_FORM_ROW_HEIGHT)
    if sum(widths[: printed + 1]) > _A3_ABOVE_WIDTH:
        ws.set_paper(_A3)
    last_row = header_row + rows.n
    ws.freeze_panes(header_row + 1, 1)
    ws.autofilter(header_row, 0, last_row, last_col)
    ws.repeat_rows(header_row)
    ws.print_area(0, 0, last_row, printed)
    ws.hide_gridlines(0)  # shown and printed
    if table.form:
        _form_rules(book, ws, fields, header_row + 1, last_row)


# --------------------------------------------------------------------------- the form

INSPECTION_SHEET = "待核查"
LIKELY_IDLE = "likely_idle"
INSPECTION_RESULTS = ("已开工", "未开工", "已竣工")
#: The columns an inspector fills in, with the kind of value each takes.
INSPECTION_FIELDS: tuple[tuple[str, str], ...] = (
    ("核查日期", "date"),
    ("核查结论", "choice"),
    ("实际开工时间", "date"),
    ("实际竣工时间", "date"),
    ("已开发面积(公顷)", "money"),
    ("已投资额(万元)", "money"),
    ("停工日期", "date"),
    ("核查人", "text"),
    ("备注", "text"),
)


def _form_rules(book: _Book, ws, fields: list[_Field], first: int, last: int) -> None:
    """Drop-down and date checks on the fill-in columns; the sheet is protected (without a
    password) so that only those columns take input."""
    kinds = dict(INSPECTION_FIELDS)
    low, high = _PLAUSIBLE_DATES
    for col, fld in enumerate(fields):
        if not fld.fill:
            continue
        kind = kinds[fld.header]
        if kind == "choice":
            rule = {
                "validate": "list",
                "source": list(INSPECTION_RESULTS),
                "input_title": fld.header,
                "input_message": "从下拉列表选择：" + " / ".join(INSPECTION_RESULTS),
                "error_title": fld.header,
                "error_message": "只能填 " + "、".join(INSPECTION_RESULTS),
            }
        elif kind == "date":
            rule = {
                "validate": "date",
                "criteria": "between",
                "minimum": low,
                "maximum": high,
                "error_title": fld.header,
                "error_message": f"请填写日期（{low:%Y-%m-%d} 至 {high:%Y-%m-%d}），如 2025-06-30",
            }
        elif kind == "money":
            rule = {
                "validate": "decimal",
                "criteria": ">=",
                "value": 0,
                "error_title": fld.header,
                "error_message": "请填写不小于 0 的数字",
            }
        else:
            continue
        ws.data_validation(first, col, last, col, rule)
    ws.protect(
        "",
        {
            "autofilter": True,
            "format_columns": True,
            "format_rows": True,
            "select_locked_cells": True,
            "select_unlocked_cells": True,
        },
    )


# --------------------------------------------------------------------------- the lists

_IDS = (
    "supervision_no",
    "parcel_id",
    "project_name",
    "holder",
    GROUP,
    "area_ha",
    "land_price_wan",
)
_INTENSITY = ("intensity_wan_per_ha", "intensity_min_wan_per_ha")
_BASIS = ("legal_basis", "proposed_action")
_SOURCE = (SOURCE_FILE, SOURCE_ROW)
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
    "total_penalty_wan",
    *_BASIS,
    *_SOURCE,
)


@dataclass(frozen=True)
class _ActionList:
    """One action-list sheet: which parcels, which columns, what the title says."""

    sheet: str
    title: str
    empty: str
    columns: tuple[str, ...]
    status: str | None = None  # parcels of this status; None: selected by ``_select``
    order: str = "按合计金额从高到低排列"


ACTION_LISTS: tuple[_ActionList, ...] = (
    _ActionList(
        "拟收回", "拟收回宗地（闲置满两年）", "本期无拟收回宗地", _IDLE_COLUMNS, Status.RECOVERY
    ),
    _ActionList(
        "闲置满一年",
        "闲置满一年宗地（征缴土地闲置费）",
        "本期无闲置满一年宗地",
        _IDLE_COLUMNS,
        Status.IDLE_FEE,
    ),
    _ActionList(
        "逾期未开工",
        "逾期未开工宗地（不满一年）",
        "本期无逾期未开工宗地",
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
            "total_penalty_wan",
            *_BASIS,
            *_SOURCE,
        ),
        Status.LATE_START,
    ),
    _ActionList(
        INSPECTION_SHEET,
        "待核查宗地核查表（已过开工期限、无开工证据）",
        "本期无待核查宗地",
        (),  # the inspection form: see _inspection_fields
        Status.UNVERIFIED,
        order="疑似闲置（建筑物调查无建筑）在前，再按待核查金额从高到低排列",
    ),
    _ActionList(
        "逾期未竣工",
        "逾期未竣工宗地",
        "本期无逾期未竣工宗地",
        (
            *_IDS,
            "actual_start_date",
            "agreed_completion_date",
            "completion_due_date",
            "late_completion_days",
            *_INTENSITY,
            "late_completion_wan",
            "total_penalty_wan",
            *_BASIS,
            *_SOURCE,
        ),
        Status.LATE_COMPLETION,
    ),
    _ActionList(
        "投资强度不达标",
        "投资强度不达标宗地（不论状态）",
        "本期无投资强度不达标宗地",
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
            CONFIRMED,
            POTENTIAL,
            "amounts_confirmed",
            *_BASIS,
            *_SOURCE,
        ),
        order="按已确认金额、待核查金额从高到低排列",
    ),
    _ActionList(
        "价款逾期",
        "土地价款逾期宗地",
        "本期无价款逾期宗地",
        (
            *_IDS,
            "status_zh",
            "contract_date",
            "price_due_date",
            "price_paid_wan",
            UNPAID_PRICE,
            "late_payment_days",
            "termination_risk",
            "late_payment_wan",
            CONFIRMED,
            POTENTIAL,
            "amounts_confirmed",
            *_BASIS,
            *_SOURCE,
        ),
        order="按已确认金额、待核查金额从高到低排列",
    ),
    _ActionList(
        "政府原因闲置",
        "政府原因闲置宗地（不征闲置费、不收回）",
        "本期无政府原因闲置宗地",
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
            "total_penalty_wan",
            *_BASIS,
            *_SOURCE,
        ),
        Status.GOV_DELAY,
    ),
    _ActionList(
        "资料不全",
        "资料不全宗地（缺少判断所需的资料，需补充）",
        "本期无资料不全宗地",
        (
            *_IDS,
            "data_issues",
            "contract_date",
            "agreed_delivery_date",
            "actual_delivery_date",
            "agreed_start_date",
            "start_due_date",
            "agreed_completion_date",
            "agreed_investment_wan",
            *_INTENSITY,
            CONFIRMED,
            POTENTIAL,
            *_BASIS,
            *_SOURCE,
        ),
        INSUFFICIENT_DATA,
        order="按面积从大到小排列",
    ),
)

#: The identifying columns of the inspection form, then (after the fill-in columns) context.
INSPECTION_IDS: tuple[tuple[str, str], ...] = (
    ("supervision_no", "电子监管号"),
    ("parcel_id", "宗地编号"),
    ("project_name", "项目名称"),
    ("holder", "土地使用权人"),
    (GROUP, "园区/地区"),
    ("area_ha", "面积(公顷)"),
    ("agreed_start_date", "约定开工时间"),
    ("start_due_date", "开工期限"),
    (POTENTIAL, "待核查金额(万元)"),
)
_INSPECTION_CONTEXT = (
    "likely_idle",
    "building_count",
    "building_coverage",
    "buildings_survey_date",
    "idle_stage_if_not_started",
    "late_start_days",
    "idle_fee_wan",
    "late_start_wan",
    "data_issues",
    SOURCE_FILE,
    SOURCE_ROW,
)


def _is(values: pd.Series, code: str) -> np.ndarray:
    """Which rows hold ``code`` (compared on the categories once for a categorical)."""
    return (values == code).fillna(False).to_numpy(dtype=bool)


def _codes(values: pd.Series) -> pd.Series:
    """Codes as Python strings, ``unknown`` where missing (a categorical without copying each
    text: its categories are converted once)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.cat.rename_categories([str(c) for c in values.cat.categories])
        return values.astype(object).where(values.notna(), "unknown")
    return values.astype("string").fillna("unknown").astype(object)


def _has_status_code(parcels: pd.DataFrame, code: str) -> bool:
    """Whether ``code`` is a status of this data: among its values, its categories (the
    analysis gives every status as a category) or the schema's statuses."""
    if code in STATUS_ORDER:
        return True
    if "status" not in parcels.columns:
        return False
    status = parcels["status"]
    if isinstance(status.dtype, pd.CategoricalDtype) and code in status.cat.categories:
        return True
    return bool(_is(status, code).any())


def _order(columns: Mapping[str, pd.Series], mask: np.ndarray, keys: Sequence[str]) -> np.ndarray:
    """Positions of the rows of ``mask``, by ``keys`` descending (missing last), stable."""
    picked = np.flatnonzero(mask)
    if not len(picked) or not keys:
        return picked
    arrays = []
    for k in reversed(keys):  # np.lexsort: the last key is the primary one
        values = columns[k].to_numpy(dtype=float, na_value=np.nan)[picked]
        arrays.append(np.where(np.isnan(values), np.inf, -values))
    return picked[np.lexsort(arrays)]


def _select(columns: Mapping[str, pd.Series], n: int, action: _ActionList) -> np.ndarray:
    """Positions of the parcels of one action list, in its order."""
    if action.status is not None:
        status = columns.get("status")
        if status is None:
            return np.zeros(0, dtype=np.int64)
        mask = _is(status, action.status)
        if action.sheet == INSPECTION_SHEET:
            # parcels that footprints show empty a year after their due date come first
            keys = [LIKELY_IDLE, POTENTIAL, "area_ha"] if LIKELY_IDLE in columns else []
            return _order(columns, mask, keys or [POTENTIAL, "area_ha"])
        if action.status == INSUFFICIENT_DATA:
            return _order(columns, mask, ["area_ha"])
        return _order(columns, mask, ["total_penalty_wan", "area_ha"])
    if action.sheet == "投资强度不达标":
        below = columns.get("below_threshold", pd.Series(pd.NA, index=range(n)))
        mask = below.astype("boolean").fillna(False).to_numpy(dtype=bool)
        return _order(columns, mask, [CONFIRMED, POTENTIAL, INVESTMENT_GAP, "area_ha"])
    overdue = (columns["late_payment_wan"].to_numpy(dtype=float, na_value=np.nan) > 0) | (
        columns["late_payment_days"].to_numpy(dtype=float, na_value=np.nan) > 0
    )
    return _order(columns, overdue, [CONFIRMED, POTENTIAL, "area_ha"])


def _list_fields(columns: Mapping[str, pd.Series], names: Sequence[str]) -> list[_Field]:
    return [_Field(n, _label(n)) for n in dict.fromkeys(names) if n in columns]


def _inspection_fields(columns: Mapping[str, pd.Series]) -> list[_Field]:
    """The form's identifying columns (always, empty when the data lacks them), the fill-in
    columns, then context columns the data has."""
    fields = [_Field(name, header) for name, header in INSPECTION_IDS]
    for header, kind in INSPECTION_FIELDS:
        style = {"date": "date", "money": "money"}.get(kind, "general")
        fields.append(_Field(header, header, style, fill=True))
    fields += _list_fields(columns, _INSPECTION_CONTEXT)
    return fields


# --------------------------------------------------------------------------- the columns


def _columns(parcels: pd.DataFrame) -> dict[str, pd.Series]:
    """Every column of the parcels on a 0..n-1 index, with the computed ones."""
    frame = parcels.reset_index(drop=True)
    columns: dict[str, pd.Series] = {str(c): frame[c] for c in frame.columns}
    n = len(frame)
    columns[GROUP] = group_names(frame).astype("category")  # few groups: shared strings
    money = penalty_split(frame)
    columns[CONFIRMED], columns[POTENTIAL] = money[CONFIRMED], money[POTENTIAL]
    for name in ("late_payment_wan", "late_payment_days", "total_penalty_wan", "area_ha"):
        columns.setdefault(name, pd.Series(np.nan, index=range(n)))
    needed = column_numbers(frame, "intensity_min_wan_per_ha") * column_numbers(frame, "area_ha")
    columns[INVESTMENT_GAP] = (needed - column_numbers(frame, "investment_wan")).clip(lower=0)
    unpaid = column_numbers(frame, "land_price_wan") - column_numbers(
        frame, "price_paid_wan"
    ).fillna(0)
    columns[UNPAID_PRICE] = unpaid.clip(lower=0)
    for name in (SOURCE_FILE, SOURCE_ROW):
        columns.setdefault(name, pd.Series(pd.NA, index=range(n), dtype="string"))
    return columns


def _all_parcels_fields(parcels: pd.DataFrame, columns: Mapping[str, pd.Series]) -> list[_Field]:
    """Every column that holds a value, the source file and row last; not the status and
    progress codes when their labels are there (状态, 推进情况), nor the as-of date (in the
    title)."""
    skip = {"geometry", "as_of_date", SOURCE_FILE, SOURCE_ROW}
    skip |= {code for code in ("status", "progress") if f"{code}_zh" in parcels.columns}
    names = [str(c) for c in parcels.columns if str(c) not in skip]
    if "total_penalty_wan" in names:
        at = names.index("total_penalty_wan") + 1
        names[at:at] = [c for c in (CONFIRMED, POTENTIAL) if c not in names]
    names += [SOURCE_FILE, SOURCE_ROW]
    return [_Field(n, _label(n)) for n in names if columns[n].notna().any()]


def _without_geometry(frame: pd.DataFrame) -> pd.DataFrame:
    """A plain DataFrame without the ``geometry`` column or any other geometry-typed column."""
    drop = [c for c in frame.columns if c == "geometry" or str(frame[c].dtype) == "geometry"]
    return pd.DataFrame(frame.drop(columns=drop))


def _rejects_fields(rejects: pd.DataFrame) -> list[_Field]:
    """The reason, the source file and row, and the canonical columns that hold a value."""
    first = ["reason", SOURCE_FILE, SOURCE_ROW, "input_kind"]
    canonical = [c for c in INPUT_NAMES if c in rejects.columns and rejects[c].notna().any()]
    names = [c for c in dict.fromkeys([*first, *canonical]) if c in rejects.columns]
    return [_Field(n, _label(n)) for n in names]


def _report_fields(report: pd.DataFrame) -> list[_Field]:
    """The load report in its own column order, headers from ``landuse.report``; the problem
    code is shown by its message (``message``), so the code column is left out when the
    message is there."""
    names = [str(c) for c in report.columns]
    if "message" in names:
        names.remove("code")
    return [_Field(n, _label(n, REPORT_LABELS_ZH)) for n in names]


def _plain_rows(frame: pd.DataFrame) -> _Rows:
    frame = frame.reset_index(drop=True)
    return _Rows({str(c): frame[c] for c in frame.columns}, None, len(frame))


# --------------------------------------------------------------------------- 汇总


@dataclass
class _Summary:
    """The figures of 汇总."""

    by_status: pd.DataFrame  # status_zh, parcels, area_ha, confirmed, potential (+ total row)
    by_group: pd.DataFrame  # group, parcels, area, confirmed, potential, idle, overdue, unverified
    groups: int  # distinct groups (before the others were summed)


_IDLE_STATUSES = (Status.RECOVERY.value, Status.IDLE_FEE.value)
_OVERDUE_STATUSES = (Status.LATE_START.value, Status.LATE_COMPLETION.value)


def _statuses(status: pd.Series) -> list[str]:
    """The statuses 汇总 lists: every status of the schema, then other codes of the data."""
    codes = list(STATUS_ORDER)
    if isinstance(status.dtype, pd.CategoricalDtype):
        codes += [str(c) for c in status.cat.categories if str(c) not in codes]
    codes += [str(c) for c in pd.unique(status.dropna().astype(object)) if str(c) not in codes]
    return codes


def _summary(columns: Mapping[str, pd.Series], n: int) -> _Summary:
    raw_status = columns.get("status", pd.Series(pd.NA, index=range(n), dtype="string"))
    status = _codes(raw_status)
    frame = pd.DataFrame(
        {
            "group": columns[GROUP].to_numpy(dtype=object),
            "status": status.to_numpy(dtype=object),
            "area_ha": columns["area_ha"].to_numpy(dtype=float, na_value=np.nan),
            CONFIRMED: columns[CONFIRMED].to_numpy(dtype=float, na_value=np.nan),
            POTENTIAL: columns[POTENTIAL].to_numpy(dtype=float, na_value=np.nan),
        }
    )
    values = ["area_ha", CONFIRMED, POTENTIAL]
    per_status = frame.groupby("status", sort=False)[values].sum(min_count=1)
    per_status.insert(0, "parcels", frame.groupby("status", sort=False).size())
    codes = _statuses(raw_status)
    if (status == "unknown").any() and "unknown" not in codes:
        codes.append("unknown")
    by_status = per_status.reindex(codes)
    by_status["parcels"] = by_status["parcels"].fillna(0).astype("int64")
    nothing = by_status["parcels"] == 0  # a status without parcels sums to 0, not unknown
    by_status.loc[nothing, values] = 0.0
    by_status.loc[GRAND_TOTAL] = [n, *(frame[c].sum(min_count=1) for c in values)]
    labels = VALUE_LABELS_ZH["status"]
    by_status.index = [labels.get(c, "未知" if c == "unknown" else c) for c in codes] + [
        GRAND_TOTAL
    ]

    area = frame["area_ha"].fillna(0.0)
    frame["idle"] = area.where(frame["status"].isin(_IDLE_STATUSES), 0.0)
    frame["overdue"] = area.where(frame["status"].isin(_OVERDUE_STATUSES), 0.0)
    frame["unverified"] = area.where(frame["status"] == Status.UNVERIFIED.value, 0.0)
    areas = ["idle", "overdue", "unverified"]
    grouped = frame.groupby("group", sort=True)
    by_group = grouped[[*values, *areas]].sum(min_count=1)
    by_group[areas] = by_group[areas].fillna(0.0)
    by_group.insert(0, "parcels", grouped.size())
    at_stake = by_group["idle"] + by_group["overdue"]
    by_group = by_group.assign(
        _stake=at_stake, _unv=by_group["unverified"], _none=by_group.index == NO_PARK
    ).sort_values(["_stake", "_unv", "_none"], ascending=[False, False, True], kind="stable")
    by_group = by_group.drop(columns=["_stake", "_unv", "_none"])
    groups = len(by_group)
    if groups > SUMMARY_GROUPS:
        rest = by_group.iloc[SUMMARY_GROUPS - 1 :]
        others = rest.sum(min_count=1)
        others["parcels"] = rest["parcels"].sum()
        by_group = by_group.iloc[: SUMMARY_GROUPS - 1]
        by_group.loc[f"其他 {len(rest):,} 个园区/地区"] = others
    total = frame[[*values, *areas]].sum(min_count=1)
    by_group.loc[GRAND_TOTAL] = [n, *total]
    by_group["parcels"] = by_group["parcels"].astype("int64")
    return _Summary(by_status, by_group, groups)


def _write_number(ws, row: int, col: int, value: object, fmt) -> None:
    if value is not None and not pd.isna(value) and np.isfinite(float(value)):
        ws.write_number(row, col, float(value), fmt)


def _write_block(book: _Book, ws, top: int, headers: list[str], table: pd.DataFrame) -> int:
    """A small bold-headed table whose last row (合计) is bold; returns the next free row."""
    for col, text in enumerate(headers):
        ws.write_string(top, col, text, book.fmt["header"])
    ws.set_row(top, 33)
    for i, (name, row) in enumerate(table.iterrows(), start=top + 1):
        last = i == top + len(table)
        ws.write_string(i, 0, str(name), book.fmt["bold"] if last else None)
        for col, value in enumerate(row.to_numpy(), start=1):
            key = "count" if col == 1 else "money"
            _write_number(ws, i, col, value, book.fmt[f"bold_{key}" if last else key])
    return top + len(table) + 1


def _write_summary(
    book: _Book,
    columns: Mapping[str, pd.Series],
    n: int,
    rejected: int,
    split_note: str,
) -> None:
    """汇总: notes, the figures per status with a bar chart of idle, overdue and unverified
    hectares per park or region beside them, then the figures per park or region; one page."""
    summary = _summary(columns, n)
    ws = book.sheet("汇总")
    ws.fit_to_pages(1, 1)
    ws.center_horizontally()
    book.page_header(ws, "工业用地利用情况汇总")
    ws.write_string(0, 0, f"工业用地利用情况汇总（评价基准日 {book.day}）", book.fmt["title"])
    notes = [
        f"分析宗地 {n:,} 宗；未分析记录 {rejected:,} 条（原因见“未分析记录”）。",
        "金额分两列，不相加：“已确认金额”为已适用的金额；“待核查金额”为待核查宗地"
        "经现场核查确认未开工后才适用的金额（以及仅凭建筑物调查认定开工的宗地的金额），尚未确认。",
        "闲置 = 拟收回 + 闲置满一年；逾期 = 逾期未开工 + 逾期未竣工；"
        "待核查 = 已过开工期限、尚无开工证据。",
    ]
    if summary.groups > SUMMARY_GROUPS:
        notes.append(
            f"园区/地区共 {summary.groups:,} 个，列出闲置与逾期面积最大的 "
            f"{SUMMARY_GROUPS - 1} 个（面积相同时按待核查面积），其余合并为一行；"
            "逐个见“分园区汇总”。"
        )
    if split_note:
        notes.append(split_note)
    for k, note in enumerate(notes, start=1):
        ws.write_string(k, 0, note, book.fmt["subtitle"])
    top = len(notes) + 2
    ws.write_string(top, 0, "按状态", book.fmt["section"])
    status_headers = ["状态", "宗数", "面积(公顷)", "已确认金额(万元)", "待核查金额(万元)"]
    after_status = _write_block(book, ws, top + 1, status_headers, summary.by_status)

    # the chart beside the status table: one bar per park or region (not the total row)
    # one bar per park or region listed by name (not the others summed, nor the total)
    groups = min(summary.groups, SUMMARY_GROUPS - 1 if summary.groups > SUMMARY_GROUPS else 10**9)
    height = int(min(max(len(summary.by_status) * 20 + 53, 110 + 3 * 14 * max(groups, 1)), 640))
    chart_rows = -(-height // 20)
    group_top = max(after_status, top + 1 + chart_rows) + 1
    first, last = group_top + 2, group_top + 1 + max(groups, 1)
    chart = book.wb.add_chart({"type": "bar"})
    series = (
        (5, "闲置", _IDLE_BAR),
        (6, "逾期", _OVERDUE_BAR),
        (7, "待核查（尚未核实）", _UNVERIFIED_BAR),
    )
    bars = summary.by_group.iloc[: max(groups, 1)]
    for col, name, colour in series:
        chart.add_series(
            {
                "name": name,
                "categories": ["汇总", first, 0, last, 0],
                "values": ["汇总", first, col, last, col],
                # the cells' values, cached in the chart (constant-memory mode cannot read
                # them back): categories are then known to be text
                "categories_data": [str(g) for g in bars.index],
                "values_data": [float(v) for v in bars.iloc[:, col - 1].fillna(0.0)],
                "fill": {"color": colour},
                "border": {"color": "#333333", "width": 0.5},
                "gap": 50,
            }
        )
    chart.set_title({"name": "闲置与逾期用地（公顷）", "name_font": {"size": 11}})
    chart.set_x_axis({"num_format": "#,##0", "major_gridlines": {"visible": True}})
    chart.set_y_axis({"reverse": True, "crossing": "max"})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 470, "height": height})
    ws.insert_chart(top + 1, 5, chart, {"x_offset": 12})

    ws.write_string(group_top, 0, "按园区/地区", book.fmt["section"])
    group_headers = [
        "园区/地区",
        "宗数",
        "面积(公顷)",
        "已确认金额(万元)",
        "待核查金额(万元)",
        "闲置面积(公顷)",
        "逾期面积(公顷)",
        "待核查面积(公顷)",
    ]
    end = _write_block(book, ws, group_top + 1, group_headers, summary.by_group)
    names = [*summary.by_group.index, *summary.by_status.index]
    name_width = max(_text_width(str(g)) for g in names) + 2
    ws.set_column(0, 0, min(max(name_width, 16.0), 40.0))
    ws.set_column(1, 1, 9)
    ws.set_column(2, 7, 15)
    ws.set_column(8, 8, 23)  # with F-H, the chart's width
    ws.print_area(0, 0, end - 1, 8)


def _write_group_detail(book: _Book, columns: Mapping[str, pd.Series], n: int) -> None:
    """分园区汇总: every park or region by status, with subtotals; amounts by kind count the
    confirmed amounts only (0 for a 待核查 parcel), the would-apply amounts have their own
    column."""
    status = _codes(columns.get("status", pd.Series(pd.NA, index=range(n))))
    kinds = [c for c in AMOUNT_COLUMNS if c in columns]
    wanted = ("park", "region_label", "status", "amounts_confirmed", *kinds)
    source = pd.DataFrame({k: columns[k] for k in wanted if k in columns}, index=range(n))
    confirmed_by_kind = split_amounts(source, kinds)  # 0 where the amounts would only apply
    frame = pd.DataFrame(
        {
            "group": columns[GROUP].to_numpy(dtype=object),
            "kind": group_kinds(source).to_numpy(dtype=object),
            "status": status.fillna("unknown").to_numpy(dtype=object),
            "area_ha": columns["area_ha"].to_numpy(dtype=float, na_value=np.nan),
            **{k: confirmed_by_kind[k].to_numpy(dtype=float) for k in kinds},
            CONFIRMED: columns[CONFIRMED].to_numpy(dtype=float, na_value=np.nan),
            POTENTIAL: columns[POTENTIAL].to_numpy(dtype=float, na_value=np.nan),
        }
    )
    values = ["area_ha", *kinds, CONFIRMED, POTENTIAL]
    grouped = frame.groupby(["group", "status"], sort=False)
    per_status = grouped[values].sum(min_count=1)
    per_status.insert(0, "parcels", grouped.size())
    per_status = per_status.reset_index()
    per_group = frame.groupby("group", sort=False)
    subtotal = per_group[values].sum(min_count=1)
    subtotal.insert(0, "parcels", per_group.size())
    subtotal = subtotal.reset_index().assign(status=ALL_STATUSES)
    rank = {s: i for i, s in enumerate(_statuses(columns.get("status", status)))}
    table = pd.concat([per_status, subtotal], ignore_index=True)
    # parks, then regions, then （未指定园区）, each by name (landuse.grouping's order)
    first_kind = frame.groupby("group", sort=False)["kind"].first()
    kind_rank = {k: i for i, k in enumerate(GROUP_KINDS)}
    table["_kind"] = table["group"].map(first_kind).map(kind_rank).fillna(len(kind_rank))
    table["_rank"] = table["status"].map(rank).fillna(len(rank))
    table.loc[table["status"] == ALL_STATUSES, "_rank"] = len(rank) + 1
    table = table.sort_values(["_kind", "group", "_rank"], kind="stable")
    labels = {**VALUE_LABELS_ZH["status"], ALL_STATUSES: SUBTOTAL_ZH, "unknown": "未知"}
    table["status"] = table["status"].map(lambda s: labels.get(s, s))
    total = pd.DataFrame(
        [[GRAND_TOTAL, GRAND_TOTAL, n, *(frame[c].sum(min_count=1) for c in values)]],
        columns=["group", "status", "parcels", *values],
    )
    table = pd.concat([table[["group", "status", "parcels", *values]], total], ignore_index=True)
    bold = np.asarray(table["status"].isin([SUBTOTAL_ZH, GRAND_TOTAL]))

    ws = book.sheet("分园区汇总")
    title = "分园区汇总（按园区/地区和状态）"
    book.page_header(ws, title)
    ws.write_string(0, 0, f"{title}（评价基准日 {book.day}）", book.fmt["title"])
    ws.write_string(
        1,
        0,
        "分项金额只计已确认的金额；待核查宗地经核查确认未开工后才适用的金额列在"
        "“待核查金额”，不计入已确认金额。",
        book.fmt["subtitle"],
    )
    headers = [
        "园区/地区",
        "状态",
        "宗数",
        "面积(公顷)",
        *(_label(k) for k in kinds),
        "已确认金额(万元)",
        "待核查金额(万元)",
    ]
    header_row = 2
    for col, text in enumerate(headers):
        ws.write_string(header_row, col, text, book.fmt["header"])
    ws.set_row(header_row, 45)
    for i, row in enumerate(table.itertuples(index=False), start=header_row + 1):
        b = bool(bold[i - header_row - 1])
        ws.write_string(i, 0, str(row[0]), book.fmt["bold"] if b else None)
        ws.write_string(i, 1, str(row[1]), book.fmt["bold"] if b else None)
        ws.write_number(i, 2, int(row[2]), book.fmt["bold_count" if b else "count"])
        for col, value in enumerate(row[3:], start=3):
            _write_number(ws, i, col, value, book.fmt["bold_money" if b else "money"])
    width = max((_text_width(str(g)) for g in table["group"]), default=10.0)
    ws.set_column(0, 0, min(max(width + 2, 12.0), 40.0))
    ws.set_column(1, 1, 14)
    ws.set_column(2, 2, 9)
    ws.set_column(3, len(headers) - 1, 14)
    last_row = header_row + len(table)
    ws.freeze_panes(header_row + 1, 2)
    ws.autofilter(header_row, 0, last_row, len(headers) - 1)
    ws.repeat_rows(header_row)
    ws.print_area(0, 0, last_row, len(headers) - 1)
    ws.hide_gridlines(0)  # shown and printed


# --------------------------------------------------------------------------- the workbook


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
    Sheets, in order: 汇总, 拟收回, 闲置满一年, 逾期未开工, 待核查 (the inspection form),
    逾期未竣工, 投资强度不达标, 价款逾期, 政府原因闲置, 资料不全 (when the data has that
    status), 分园区汇总, 全部宗地 (continued on 全部宗地(2) ... beyond Excel's row limit or
    :data:`SHEET_XML_BYTES`), 未分析记录 and, when ``report`` is given, 加载问题.
    """
    day = pd.Timestamp(as_of).strftime("%Y-%m-%d")
    parcels = _without_geometry(parcels)
    rejects = _without_geometry(rejects) if rejects is not None else pd.DataFrame()
    columns = _columns(parcels)
    n = len(parcels)
    all_parcels = _Table(
        "全部宗地",
        f"全部分析宗地（评价基准日 {day}，共 {n:,} 宗）",
        f"本期无分析宗地（评价基准日 {day}）",
        _all_parcels_fields(parcels, columns),
        _Rows(columns, None, n),
        page_title="全部分析宗地",
    )
    with _book(path, day) as book:
        per_sheet = _rows_per_sheet(book, all_parcels)
        names = _sheet_names(all_parcels, per_sheet)
        split_note = ""
        if len(names) > 1:
            split_note = (
                f"全部宗地 {n:,} 宗分 {len(names)} 表列出（Excel 每表最多 {EXCEL_MAX_ROWS:,} 行，"
                f"每表数据不超过 {SHEET_XML_BYTES / 1e9:.1f} GB）：" + "、".join(names) + "。"
            )
        _write_summary(book, columns, n, len(rejects), split_note)
        for action in ACTION_LISTS:
            if action.status == INSUFFICIENT_DATA and not _has_status_code(parcels, action.status):
                continue
            _write_action_list(book, columns, n, action)
        _write_group_detail(book, columns, n)
        _write_table(book, all_parcels, per_sheet)
        _write_table(
            book,
            _Table(
                "未分析记录",
                f"未分析记录（共 {len(rejects):,} 条，每条注明原因）",
                f"本期无未分析记录（评价基准日 {day}）",
                _rejects_fields(rejects),
                _plain_rows(rejects),
                page_title="未分析记录",
            ),
        )
        if report is not None:
            _write_table(
                book,
                _Table(
                    "加载问题",
                    f"加载问题（共 {len(report):,} 条）",
                    f"本期无加载问题（评价基准日 {day}）",
                    _report_fields(report),
                    _plain_rows(report),
                    page_title="加载问题",
                ),
            )


def _write_action_list(
    book: _Book, columns: Mapping[str, pd.Series], n: int, action: _ActionList
) -> None:
    positions = _select(columns, n, action)
    count = len(positions)
    title = f"{action.title}（评价基准日 {book.day}，共 {count:,} 宗，{action.order}）"
    lines: list[str] = []
    form = action.sheet == INSPECTION_SHEET
    if form:
        fields = _inspection_fields(columns)
        blank = pd.Series(pd.NA, index=range(n), dtype="string")
        columns = {**columns, **{name: columns.get(name, blank) for name, _ in INSPECTION_IDS}}
        lines = [
            "待核查金额为现场核查确认未开工后才适用的金额，尚未确认。填写黄色列（核查结论从下拉"
            "列表选择）并保存后，用 landuse analyse <原输入文件> --inspections 本文件.xlsx "
            f"--sheet {INSPECTION_SHEET} --as-of <评价基准日> --out <新成果> 重新分析。"
        ]
    else:
        fields = _list_fields(columns, action.columns)
    _write_table(
        book,
        _Table(
            action.sheet,
            title,
            f"{action.empty}（评价基准日 {book.day}）",
            fields,
            _Rows(columns, positions, count),
            lines=lines,
            page_title=action.title,
            form=form,
        ),
    )


def write_table_workbook(
    path: str | PathLike[str], frame: pd.DataFrame, *, sheet: str, titles: Sequence[str] = ()
) -> None:
    """One table as a one-sheet workbook under its own column names (header in row
    ``len(titles) + 1``): typed numbers and dates, text from the data always stored as text
    (formula-like text with Excel's quote prefix); printed landscape, one page wide."""
    frame = _without_geometry(frame)
    fields = [_Field(str(c), str(c)) for c in frame.columns]
    with _book(path, None) as book:
        ws = book.sheet(sheet)
        book.page_header(ws, titles[0] if titles else sheet)
        for k, line in enumerate(titles):
            ws.write_string(k, 0, line, book.fmt["title" if k == 0 else "subtitle"])
        header_row = len(titles)
        for col, fld in enumerate(fields):
            ws.write_string(header_row, col, fld.header, book.fmt["header"])
        rows = _plain_rows(frame)
        _write_rows(book, ws, header_row + 1, rows, fields)
        last_col = max(len(fields) - 1, 0)
        if sum(_set_widths(ws, fields, book)) > _A3_ABOVE_WIDTH:
            ws.set_paper(_A3)
        ws.freeze_panes(header_row + 1, 0)
        ws.autofilter(header_row, 0, header_row + rows.n, last_col)
        ws.repeat_rows(header_row)
