"""A committee's table of proposed projects (入园评审, RULES.md section 6): read it, find its
columns and total rows, and screen every row with the rules of :func:`landuse.screening.evaluate`.

These functions work on pandas frames; :mod:`landuse.screening` loads them on first use, so
screening one project never imports pandas.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from landuse.errors import InputError
from landuse.parsing import AREA_UNITS_TO_HA, MONEY_UNITS_TO_WAN, parse_number
from landuse.rules_file import RuleSet, industry_codes
from landuse.schema import SOURCE_FILE, SOURCE_ROW, header_lookup, normalise_header
from landuse.screening import (
    _SHARE_FIELDS,
    AREA_RANGES,
    CONCLUSION_ERROR_ZH,
    INDICATOR_NAMES,
    INVESTMENT_WAN_RANGE,
    M2_PER_HA,
    MU_PER_HA,
    VERDICT_COLUMNS,
    ProjectValues,
    evaluate,
    number_text,
)

# --------------------------------------------------------------------------------------------
# The evaluation of clean values, as columns

_TEXT_VALUES = ("project_name", "park", "industry_code")
_NUMBER_VALUES = ("investment_wan", "area_ha", "plot_ratio", *_SHARE_FIELDS)
_BOOLEAN_COLUMNS = frozenset({*(f"{n}_passed" for n in INDICATOR_NAMES), "passed", "park_in_rules"})
_FLOAT_COLUMNS = frozenset(
    {
        *_NUMBER_VALUES,
        "intensity_wan_per_ha",
        "threshold_wan_per_ha",
        "max_area_ha",
        "min_investment_wan",
        "building_coverage_min",
        "admin_living_share_max",
        "green_ratio_max",
        "plot_ratio_min",
    }
)
# The columns evaluate() gives.
_EVALUATED = tuple(c for c in VERDICT_COLUMNS if c not in ("error", "notes_zh", "error_zh"))


def _objects(column: pd.Series) -> list[Any]:
    """Python values of a nullable column, None for NA."""
    return column.array.to_numpy(dtype=object, na_value=None).tolist()


def _evaluate(values: pd.DataFrame, rules: RuleSet) -> pd.DataFrame:
    """:func:`landuse.screening.evaluate` of rows of clean values, as columns.

    ``values`` holds ``investment_wan`` (万元), ``area_ha`` (ha), the optional float columns
    ``plot_ratio``, ``building_coverage``, ``green_ratio``, ``admin_living_share`` (NaN when
    not given or not usable), and the string columns ``project_name``, ``park`` and
    ``industry_code`` (two-digit). Returns the verdict columns (without ``error``,
    ``notes_zh``, ``error_zh``) on the index of ``values``: floats, nullable booleans (NA =
    not checked) and strings.
    """
    columns = [_objects(values[c].astype("string")) for c in _TEXT_VALUES]
    columns += [values[c].to_numpy(dtype=float).tolist() for c in _NUMBER_VALUES]
    rows, _ = evaluate(map(ProjectValues._make, zip(*columns, strict=True)), rules)
    out = {}
    for name in _EVALUATED:
        cells = [row[name] for row in rows]
        if name in _FLOAT_COLUMNS:
            out[name] = np.asarray(cells, dtype="float64")
        elif name in _BOOLEAN_COLUMNS:
            out[name] = pd.array(cells, dtype="boolean")
        else:
            out[name] = pd.array(cells, dtype="string")
    return pd.DataFrame(out, index=values.index)


def _text(values: np.ndarray, index: pd.Index, *, decimals: int = 2, trim: bool) -> pd.Series:
    """Numbers as text (:func:`landuse.screening.number_text`)."""
    texts = [number_text(v, decimals=decimals, trim=trim) for v in values.tolist()]
    return pd.Series(texts, index=index, dtype="string")


def _join(parts: list[pd.Series], sep: str, index: pd.Index) -> pd.Series:
    """Join string Series element-wise with ``sep``, skipping missing parts (NA when all are)."""
    acc = pd.Series(pd.NA, index=index, dtype="string")
    for part in parts:
        part = part.astype("string")
        joined = part.where(acc.isna(), acc + sep + part)
        acc = joined.where(part.notna(), acc)
    return acc


# --------------------------------------------------------------------------------------------
# A table of projects

# Header text (normalised, unit in brackets removed) -> field.
_BASE_HEADERS: dict[str, str] = {
    **dict.fromkeys(("project_name", "项目名称", "项目"), "project_name"),
    **dict.fromkeys(
        (
            "investment_wan",
            "固定资产总投资",
            "投资总额",
            "总投资",
            "固定资产投资",
            "计划总投资",
            "项目总投资",
            "投资",
            "投资额",
            "固定资产投资额",
            "计划投资",
            "计划投资额",
            "拟投资",
            "项目投资",
        ),
        "investment",
    ),
    **dict.fromkeys(
        (
            "用地面积",
            "面积",
            "申请用地面积",
            "拟用地面积",
            "申请面积",
            "占地面积",
            "宗地面积",
            "出让面积",
            "土地面积",
        ),
        "area",
    ),
    "area_ha": "area_ha",
    "area_mu": "area_mu",
    "area_m2": "area_m2",
    **dict.fromkeys(("park", "园区", "所属园区", "开发区", "园区名称", "拟入园区"), "park"),
    **dict.fromkeys(
        ("industry_code", "行业代码", "国民经济行业代码", "行业分类代码"), "industry_code"
    ),
    **dict.fromkeys(
        ("plot_ratio", "容积率", "规划容积率", "计划容积率", "拟建容积率"), "plot_ratio"
    ),
    **dict.fromkeys(("building_coverage", "建筑系数"), "building_coverage"),
    **dict.fromkeys(("green_ratio", "绿地率"), "green_ratio"),
    **dict.fromkeys(
        (
            "admin_living_share",
            "行政办公及生活服务设施用地比例",
            "行政办公及生活服务设施用地所占比重",
            "行政办公及生活服务设施用地比重",
            "行政办公及生活服务设施用地占比",
        ),
        "admin_living_share",
    ),
}
# Unit written in the header's brackets -> divisor from a bare number to the field's unit.
_AREA_HEADER_UNITS: dict[str, tuple[str, float]] = {
    "": ("area_ha", 1.0),
    "公顷": ("area_ha", 1.0),
    "ha": ("area_ha", 1.0),
    "亩": ("area_mu", MU_PER_HA),
    "mu": ("area_mu", MU_PER_HA),
    "平方米": ("area_m2", M2_PER_HA),
    "m2": ("area_m2", M2_PER_HA),
    "m²": ("area_m2", M2_PER_HA),
    "㎡": ("area_m2", M2_PER_HA),
    "平米": ("area_m2", M2_PER_HA),
}
_MONEY_HEADER_UNITS: dict[str, float] = {"": 1.0, "万元": 1.0, "万": 1.0, "元": 1e4, "亿元": 1e-4}
_SHARE_HEADER_UNITS: dict[str, float] = {"": 1.0, "%": 100.0, "％": 100.0}
_HEADER_RE = re.compile(r"^(.*?)(?:\(([^()]*)\))?$")
_AREA_DIVISORS = {"area_ha": 1.0, "area_mu": MU_PER_HA, "area_m2": M2_PER_HA}
_SHARE_VALUE_UNITS = {"": 1.0, "%": 0.01, "％": 0.01}


@dataclass(frozen=True)
class _Source:
    header: str  # the column as written in the table
    divisor: float  # bare numbers are divided by this to get the field's unit


def _match_header(header: object) -> tuple[str, float] | None:
    """``(field, divisor)`` for a header of a projects table, or None when it is not known.

    Fields: project_name, investment_wan, area_ha, area_mu, area_m2, park, industry_code,
    plot_ratio, building_coverage, green_ratio, admin_living_share.
    """
    text = normalise_header(header)
    m = _HEADER_RE.match(text)
    base, unit = (m.group(1), m.group(2) or "") if m else (text, "")
    kind = _BASE_HEADERS.get(base)
    if kind is None:
        return _ledger_header(text)
    if kind == "area":
        return _AREA_HEADER_UNITS.get(unit)
    if kind in _AREA_DIVISORS:
        return None if unit else (kind, _AREA_DIVISORS[kind])
    if kind == "investment":
        divisor = _MONEY_HEADER_UNITS.get(unit)
        return None if divisor is None else ("investment_wan", divisor)
    if kind in _SHARE_FIELDS:
        divisor = _SHARE_HEADER_UNITS.get(unit)
        return None if divisor is None else (kind, divisor)
    return (kind, 1.0) if not unit else None


# Ledger columns (landuse.schema) that hold a screening input, and the header units they take.
_LEDGER_FIELDS: dict[str, str] = {
    "project_name": "project_name",
    "park": "park",
    "industry_code": "industry_code",
    "agreed_investment_wan": "investment_wan",
}
_LEDGER_AREA_UNITS: dict[str | None, tuple[str, float]] = {
    None: ("area_ha", 1.0),
    "ha": ("area_ha", 1.0),
    "mu": ("area_mu", MU_PER_HA),
    "m2": ("area_m2", M2_PER_HA),
}


def _ledger_header(text: str) -> tuple[str, float] | None:
    """A header of the ledgers' vocabulary (:func:`landuse.schema.header_lookup`) that names
    a screening input, e.g. 出让面积(亩) or 约定投资总额(万元)."""
    hit = header_lookup().get(text)
    if hit is None:
        return None
    name, unit = hit
    if name == "area_ha":
        return _LEDGER_AREA_UNITS.get(unit)
    field = _LEDGER_FIELDS.get(name)
    if field is None:
        return None
    if field == "investment_wan":
        return (field, 1e4) if unit == "yuan" else (field, 1.0) if unit is None else None
    return (field, 1.0) if unit is None else None


def _map_columns(columns: list[object]) -> dict[str, _Source]:
    """Field -> the first column of the table that holds it."""
    found: dict[str, _Source] = {}
    for col in columns:
        if col in (SOURCE_FILE, SOURCE_ROW):
            continue
        hit = _match_header(col)
        if hit is not None and hit[0] not in found:
            found[hit[0]] = _Source(str(col), hit[1])
    return found


def _parse(raw: pd.Series, units: dict[str, float], divisor: float) -> tuple[pd.Series, np.ndarray]:
    """Numbers of one column in the field's unit: bare numbers are divided by the header's
    ``divisor``; a unit written into the value (``30亩``, ``25%``) wins over the header's."""
    parsed, bad = parse_number(raw, units)
    if divisor != 1.0:
        if pd.api.types.is_numeric_dtype(raw.dtype):
            own_unit = np.zeros(len(raw), dtype=bool)
        else:
            text = raw.astype("string")
            own_unit = text.str.contains(r"[^\d.,\s+\-]", regex=True).fillna(False)
            own_unit = own_unit.to_numpy(dtype=bool)
        parsed = parsed.where(own_unit, parsed / divisor)
    return parsed.astype("float64"), bad


def _problem(
    mask: np.ndarray, source: _Source, raw: pd.Series, text: str, text_zh: str
) -> tuple[pd.Series, pd.Series]:
    """``column “X”: value “v” <text>`` and its Chinese twin where ``mask``, NA elsewhere."""
    cell = _cell_text(raw).fillna("")
    msg = f"column “{source.header}”: value “" + cell + f"” {text}"
    msg_zh = f"“{source.header}”的值“" + cell + f"”{text_zh}"
    return msg.where(mask), msg_zh.where(mask)


def _cell_text(raw: pd.Series) -> pd.Series:
    """Cells as the user typed them (Excel's 2611.0 shown as 2611)."""
    return raw.astype("string").str.replace(r"^([+-]?\d+)\.0$", r"\1", regex=True)


def _row_labels(frame: pd.DataFrame, names: pd.Series) -> pd.Series:
    """How a user finds each row: ``file.csv row 5`` (or ``row 3`` of the table), plus the
    project name when there is one."""
    if SOURCE_ROW in frame.columns:
        label = "row " + frame[SOURCE_ROW].astype("string").fillna("?")
        if SOURCE_FILE in frame.columns:
            label = (frame[SOURCE_FILE].astype("string") + " " + label).fillna(label)
    else:
        label = pd.Series(
            np.char.mod("row %d", np.arange(1, len(frame) + 1)), index=frame.index, dtype="string"
        )
    return (label + " (项目名称 “" + names + "”)").fillna(label)


def screening_inputs(columns: list[object]) -> dict[str, str]:
    """Field -> the column of a projects table that :func:`screen_table` reads it from
    (``investment_wan``, ``area_mu`` ...); every other column is the committee's own."""
    return {name: source.header for name, source in _map_columns(columns).items()}


def screen_table(frame: pd.DataFrame, rules: RuleSet) -> pd.DataFrame:
    """Screen every row of a table of proposed projects.

    Columns may carry the field names of :class:`ProposedProject` or the Chinese headers
    (项目名称, 固定资产总投资(万元) / 投资总额 / 投资(万元), 用地面积(公顷) / 面积(亩) /
    面积(平方米), 园区, 行业代码, 容积率, 建筑系数, 绿地率, 行政办公及生活服务设施用地比例, and
    the ledgers' headers of the same fields); a unit in the header's brackets (元, 亩, 平方米, %)
    converts bare numbers, a unit written into a value (``12000万元``, ``30亩``, ``25%``) wins.
    Shares are fractions 0-1 (``0.35``), percentages (``35%``), or bare numbers above 1 up to
    100 (``35``), which are read as percentages and said in ``notes_zh``.

    Returns one row per input row with :data:`VERDICT_COLUMNS` (``source_file`` and
    ``source_row`` first when present): money in 万元, areas in ha, intensity in 万元/公顷, check
    columns as nullable booleans (NA = not checked), ``reasons`` joined by ``；``, the Chinese
    conclusion, threshold source and per-indicator results. A row with unusable values
    (missing or non-positive investment, text in a number cell, no area, two areas that
    disagree, a share outside 0-1 ...) gets ``passed = NA``, ``conclusion_zh = 无法评审`` and an
    ``error`` (``error_zh`` in Chinese) naming the row, the column, the value and the fix; the
    other rows are not affected. Raises :class:`InputError` only when the table has no
    investment column or no area column at all.
    """
    sources = _map_columns(list(frame.columns))
    missing = []
    if "investment_wan" not in sources:
        missing.append("the investment (固定资产总投资(万元), 投资总额 or 投资(万元))")
    if not any(a in sources for a in ("area_ha", "area_mu", "area_m2")):
        missing.append("the area (用地面积(公顷), 面积(亩) or 面积(平方米))")
    if missing:
        shown = [str(c) for c in frame.columns if c not in (SOURCE_FILE, SOURCE_ROW)]
        raise InputError(
            f"The projects table has no column for {' and '.join(missing)}; its columns are: "
            f"{', '.join(shown) or '(none)'}. Add the column with one of these headers "
            "(or the English names investment_wan, area_ha, area_mu, area_m2)."
        )

    index = frame.index
    n = len(frame)
    problems: list[tuple[pd.Series, pd.Series]] = []
    notes: list[pd.Series] = []
    values = pd.DataFrame(index=index)

    def text_column(name: str) -> pd.Series:
        if name not in sources:
            return pd.Series(pd.NA, index=index, dtype="string")
        raw = frame[sources[name].header]
        text = raw.astype("string").str.strip()
        # numbers read from Excel as floats keep no ".0" (行业代码 2611.0)
        text = text.str.replace(r"^(\d+)\.0$", r"\1", regex=True)
        return text.mask(text == "")

    values["project_name"] = text_column("project_name")
    values["park"] = text_column("park")
    raw_code = text_column("industry_code")
    values["industry_code"] = industry_codes(raw_code)
    if "industry_code" in sources:
        bad_code = (raw_code.notna() & values["industry_code"].isna()).to_numpy(dtype=bool)
        problems.append(
            _problem(
                bad_code,
                sources["industry_code"],
                frame[sources["industry_code"].header],
                "holds no GB/T 4754 code; write the code with its two-digit major group, "
                "e.g. C2611 or 26, or leave the cell empty",
                "不含国民经济行业代码；请填写含两位大类的代码，如 C2611 或 26，或留空",
            )
        )

    # Investment: required, > 0.
    src = sources["investment_wan"]
    raw = frame[src.header]
    investment, bad = _parse(raw, MONEY_UNITS_TO_WAN, src.divisor)
    inv = investment.to_numpy()
    empty = np.isnan(inv) & ~bad
    nonpositive = ~np.isnan(inv) & (inv <= 0)
    low, high = INVESTMENT_WAN_RANGE
    implausible = ~np.isnan(inv) & (inv > 0) & ((inv < low) | (inv > high))
    problems += [
        _problem(
            empty,
            src,
            raw,
            "is empty; fill in the fixed-asset investment in 万元",
            "为空；请填写固定资产总投资（万元）",
        ),
        _problem(
            bad,
            src,
            raw,
            "is not a number; write the investment in 万元, e.g. 12000",
            "不是数字；请填写投资额（万元），如 12000",
        ),
        _problem(
            nonpositive,
            src,
            raw,
            "is not above 0; write the investment in 万元",
            "不大于 0；请填写投资额（万元）",
        ),
        _problem(
            implausible,
            src,
            raw,
            f"is not a plausible investment; write 万元 from {low:g} to {high:g}",
            f"不是合理的投资额；应在 {low:g} 至 {high:g} 万元之间",
        ),
    ]
    values["investment_wan"] = np.where(nonpositive | implausible, np.nan, inv)

    # Area: exactly one unit per row (several columns are fine when they agree within 1 %).
    areas = []
    reported = np.zeros(n, dtype=bool)  # an area cell already reported as unusable
    for name in ("area_ha", "area_mu", "area_m2"):
        if name not in sources:
            continue
        src = sources[name]
        raw = frame[src.header]
        area, bad = _parse(raw, AREA_UNITS_TO_HA, src.divisor)
        a = area.to_numpy()
        nonpositive = ~np.isnan(a) & (a <= 0)
        low, high = AREA_RANGES["area_ha"]  # a is in hectares here
        implausible = ~np.isnan(a) & (a > 0) & ((a < low) | (a > high))
        problems += [
            _problem(
                bad,
                src,
                raw,
                "is not a number; write the area, e.g. 2 or 30亩",
                "不是数字；请填写面积，如 2 或 30亩",
            ),
            _problem(
                nonpositive,
                src,
                raw,
                "is not above 0; write the requested area",
                "不大于 0；请填写申请用地面积",
            ),
            _problem(
                implausible,
                src,
                raw,
                "is not a plausible area; write an area from 1 m² to 10,000 km²",
                "不是合理的面积；应在 1 平方米至 10,000 平方公里之间",
            ),
        ]
        reported |= bad | nonpositive | implausible
        areas.append(np.where(nonpositive | implausible, np.nan, a))
    area_stack = np.vstack(areas)
    given = ~np.isnan(area_stack)
    count = given.sum(axis=0)
    first = np.argmax(given, axis=0)
    area_ha = np.where(count > 0, area_stack[first, np.arange(n)], np.nan)
    high = np.max(area_stack, axis=0, initial=-np.inf, where=given)
    low = np.min(area_stack, axis=0, initial=np.inf, where=given)
    conflict = (count > 1) & (high > low * 1.01)
    names = [sources[a].header for a in ("area_ha", "area_mu", "area_m2") if a in sources]
    area_headers = "、".join(f"“{h}”" for h in names)
    no_area = (count == 0) & ~reported
    problems.append(
        (
            pd.Series(
                f"no area given: fill one of {area_headers} (1 公顷 = 15 亩 = 10,000 平方米)",
                index=index,
                dtype="string",
            ).where(no_area),
            pd.Series(
                f"未填写面积：请填写{area_headers}之一（1 公顷 = 15 亩 = 10,000 平方米）",
                index=index,
                dtype="string",
            ).where(no_area),
        )
    )
    low_text = _text(low, index, decimals=4, trim=True)
    high_text = _text(high, index, decimals=4, trim=True)
    problems.append(
        (
            (
                f"the areas in {area_headers} disagree ("
                + low_text
                + " ha vs "
                + high_text
                + " ha); keep one of them"
            ).where(conflict),
            (
                f"{area_headers}的面积不一致（"
                + low_text
                + " 公顷与 "
                + high_text
                + " 公顷）；请只保留一个"
            ).where(conflict),
        )
    )
    values["area_ha"] = np.where(conflict, np.nan, area_ha)

    # Optional indicators.
    for name in ("plot_ratio", *_SHARE_FIELDS):
        if name not in sources:
            values[name] = np.nan
            continue
        src = sources[name]
        raw = frame[src.header]
        units = {"": 1.0} if name == "plot_ratio" else _SHARE_VALUE_UNITS
        parsed, bad = _parse(raw, units, src.divisor)
        v = parsed.to_numpy()
        if name == "plot_ratio":
            out_of_range = ~np.isnan(v) & (v <= 0)
            fix = (
                "is not above 0; write the planned plot ratio, e.g. 1.2",
                "不大于 0；请填写规划容积率，如 1.2",
            )
            number_fix = (
                "is not a number; write the planned plot ratio, e.g. 1.2",
                "不是数字；请填写规划容积率，如 1.2",
            )
        else:
            # A bare number above 1 up to 100 in a column of shares is a percentage (35 -> 35 %).
            percent = ~np.isnan(v) & (v > 1) & (v <= 100) & _bare_numbers(raw)
            if src.divisor == 1.0 and percent.any():
                cell = _cell_text(raw).fillna("")
                notes.append(
                    (f"“{src.header}”的值“" + cell + "”按 " + cell + "% 计").where(percent)
                )
                v = np.where(percent, v / 100, v)
            out_of_range = ~np.isnan(v) & ((v < 0) | (v > 1))
            fix = (
                "is not a share between 0 and 1; write 0.30 or 30% for 30 %",
                "不是 0 至 1 之间的比例；30% 请写 0.30 或 30%",
            )
            number_fix = (
                "is not a number; write a share such as 0.30 or 30%",
                "不是数字；请填写比例，如 0.30 或 30%",
            )
        problems += [
            _problem(bad, src, raw, *number_fix),
            _problem(out_of_range, src, raw, *fix),
        ]
        values[name] = np.where(out_of_range, np.nan, v)

    verdict = _evaluate(values, rules)
    details = _join([en for en, _ in problems], "; ", index)
    has_error = details.notna().to_numpy(dtype=bool)
    label = _row_labels(frame, values["project_name"])
    verdict["error"] = (label + ": " + details).where(has_error)
    verdict["error_zh"] = _join([zh for _, zh in problems], "；", index)
    verdict["notes_zh"] = _join(notes, "；", index)
    passed = verdict["passed"].array.copy()
    passed[has_error] = pd.NA
    verdict["passed"] = passed
    verdict["conclusion_zh"] = verdict["conclusion_zh"].mask(has_error, CONCLUSION_ERROR_ZH)

    lead = [c for c in (SOURCE_FILE, SOURCE_ROW) if c in frame.columns]
    result = pd.concat([frame[lead], verdict[list(VERDICT_COLUMNS)]], axis=1)
    return result.reset_index(drop=True)


def _bare_numbers(raw: pd.Series) -> np.ndarray:
    """Cells holding a number without a unit written into them (``35``, not ``35%``)."""
    if pd.api.types.is_numeric_dtype(raw.dtype):
        return np.ones(len(raw), dtype=bool)
    text = raw.astype("string")
    return (~text.str.contains(r"[%％]", regex=True).fillna(False)).to_numpy(dtype=bool)


# --------------------------------------------------------------------------------------------
# Reading a projects table


def _known_count(cells: pd.Series) -> int:
    return sum(1 for v in cells.dropna().tolist() if _match_header(v) is not None)


@dataclass
class ProjectsTable:
    """A projects table as read: the cells (``source_file`` and ``source_row`` added), what
    the reader said (notes), and the row number of its header."""

    frame: pd.DataFrame
    notes: list[str]
    header_row: int


def read_projects_table(path: str | Path, *, sheet: str | None = None) -> ProjectsTable:
    """Read a table of proposed projects with the ledgers' reader
    (:func:`landuse.readers.read_table`: CSV in UTF-8, GBK or Big5, Excel workbooks and
    whatever other spreadsheet formats it reads; ``sheet`` picks a sheet of a workbook).

    The header row is the first of the first 30 rows with at least two known headers, the
    ledgers' or the screening's (title rows above it are skipped). Cells are returned as read;
    pass the frame to :func:`split_totals` and :func:`screen_table`. Raises
    :class:`InputError` for a missing or unreadable file.
    """
    from landuse.readers import read_table, unique_names  # heavy (geopandas); only here

    table = read_table(path, sheet=sheet)
    frame = table.frame
    data_cols = [c for c in frame.columns if c not in (SOURCE_FILE, SOURCE_ROW)]
    if len(_map_columns(data_cols)) >= 2:
        return ProjectsTable(frame, list(table.notes), table.header_row)
    # The reader did not recognise the screening headers (容积率, 投资总额 ...): look for them
    # in the first rows it returned as data.
    head = frame[data_cols].head(30)
    for i in range(len(head)):  # at most 30 header candidates, not the data
        if _known_count(head.iloc[i]) >= 2:
            names = unique_names(
                [
                    str(v).strip() if pd.notna(v) and str(v).strip() else str(c)
                    for c, v in zip(data_cols, head.iloc[i].tolist(), strict=True)
                ]
            )
            body = frame.iloc[i + 1 :].reset_index(drop=True)
            out = body[data_cols].set_axis(names, axis=1)
            out[SOURCE_FILE] = body[SOURCE_FILE]
            out[SOURCE_ROW] = body[SOURCE_ROW]
            # the reader's note on the header it guessed no longer holds
            notes = [n for n in table.notes if "was taken as the header" not in n]
            return ProjectsTable(out, notes, int(frame[SOURCE_ROW].iloc[i]))
    return ProjectsTable(frame, list(table.notes), table.header_row)


def read_projects(path: str | Path, *, sheet: str | None = None) -> pd.DataFrame:
    """The cells of :func:`read_projects_table` (for :func:`screen_table`)."""
    return read_projects_table(path, sheet=sheet).frame


# --------------------------------------------------------------------------------------------
# Total rows

#: Text (all white space removed) that marks a total row rather than a project: 合计, 小计,
#: 总计, 共计 alone, after a group name (北区小计) or followed by a note (合计（3个）, 合计:).
_TOTAL_RE = r"^(?:.{0,20}?(?:合计|小计|总计|共计)|(?:合计|小计|总计|共计)[:：(（\d].*)$"
#: Headers of the cells that name a row (besides its first filled cell).
_NAME_HEADERS = frozenset(
    normalise_header(h)
    for h in (
        "序号",
        "编号",
        "项目名称",
        "项目",
        "企业名称",
        "公司名称",
        "单位名称",
        "申请单位",
        "项目单位",
        "企业",
        "project_name",
    )
)


def split_totals(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(projects, totals)``: the rows of a projects table that are projects, and the total
    rows (合计, 小计, 总计, 共计 in the row's first filled cell or in a name cell such as 序号,
    项目名称 or 企业名称), which are not projects and must not be screened. ``totals`` has the
    table's columns and a ``total_label`` column holding the text that marked it."""
    data_cols = [c for c in frame.columns if c not in (SOURCE_FILE, SOURCE_ROW)]
    if frame.empty or not data_cols:
        empty = frame.iloc[:0].assign(total_label=pd.Series(dtype="string"))
        return frame, empty
    cells = pd.DataFrame(
        {c: frame[c].astype("string").str.replace(r"\s+", "", regex=True) for c in data_cols},
        index=frame.index,
    )
    cells = cells.mask(cells == "")
    first = cells.bfill(axis=1).iloc[:, 0]
    candidates = [first] + [cells[c] for c in data_cols if normalise_header(c) in _NAME_HEADERS]
    label = pd.Series(pd.NA, index=frame.index, dtype="string")
    for text in candidates:
        hit = text.str.match(_TOTAL_RE).fillna(False).to_numpy(dtype=bool)
        label = label.mask(hit & label.isna().to_numpy(), text)
    is_total = label.notna().to_numpy()
    totals = frame[is_total].assign(total_label=label[is_total])
    return frame[~is_total], totals
