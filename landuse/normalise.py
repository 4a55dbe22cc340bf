"""Raw tables to canonical, typed columns: header mapping, unit conversion, value parsing.

Every cell that cannot be understood becomes a missing value and a row of the load report;
nothing here drops a row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from landuse import parsing
from landuse.quality import load_issue_codes
from landuse.report import LoadReport
from landuse.rules_file import DateRules
from landuse.schema import (
    COLUMNS_BY_NAME,
    INPUT_NAMES,
    SOURCE_FILE,
    SOURCE_ROW,
    Kind,
    Unit,
    header_lookup,
    normalise_header,
)
from landuse.vocab import DataIssue

_UNITS_BY_FAMILY = {
    Unit.AREA_HA: parsing.AREA_UNITS_TO_HA,
    Unit.MONEY_WAN: parsing.MONEY_UNITS_TO_WAN,
    Unit.NONE: {"": 1.0},
}
_UNIT_NAMES = {"m2": "平方米 (m²)", "mu": "亩", "ha": "公顷", "yuan": "元"}

# Plausibility caps, in the canonical unit. Far above any real value, so that only slips
# (a unit typed wrong, 1e308, an overflow) are caught; see PLAUSIBLE_RANGES.
AREA_MAX_HA = 100_000.0  # 1,000 km²; the largest supply record in the national data is 419 ha
MONEY_MAX_WAN = 1e8  # 1 万亿元 (one trillion yuan) for one parcel
RATIO_MAX = 100.0  # plot ratio: no building reaches a floor area of 100 times its site
PERMILLE_MAX = 100.0  # ‰ of the price per day: 10 % a day; contracts use 0.5-5 ‰


@dataclass(frozen=True)
class Plausible:
    """The plausible values of one numeric column, in its canonical unit: ``low`` (included
    when ``low_included``) up to ``high`` (included). Anything else, infinities included, is
    reported and treated as missing; a row is never rejected for it (the other rules of the row
    do not need the value)."""

    low: float
    low_included: bool
    high: float
    unit: str

    def describe(self) -> str:
        low = f"{'≥' if self.low_included else '>'} {self.low:g}"
        unit = f" {self.unit}" if self.unit else ""
        return f"{low} and ≤ {self.high:,.10g}{unit}"


_AREA = Plausible(0.0, False, AREA_MAX_HA, "ha")
_MONEY = Plausible(0.0, True, MONEY_MAX_WAN, "万元")
_RATIO = Plausible(0.0, True, RATIO_MAX, "")
_RATE = Plausible(0.0, True, PERMILLE_MAX, "‰ per day")
PLAUSIBLE_RANGES: dict[str, Plausible] = {
    # a parcel has a positive area; without one only the per-hectare rules are skipped
    "area_ha": _AREA,
    "developed_area_ha": Plausible(0.0, True, AREA_MAX_HA, "ha"),  # 0: nothing developed yet
    "land_price_wan": _MONEY,  # 0 happens (allocated land); negative never
    "agreed_investment_wan": _MONEY,
    "actual_investment_wan": _MONEY,
    "invested_ex_land_wan": _MONEY,
    "total_investment_ex_land_wan": _MONEY,
    "price_paid_wan": _MONEY,
    "far_min": _RATIO,  # 0 = no lower limit
    "far_max": _RATIO,  # 0 = no upper limit (RULES.md section 2)
    "far_actual": _RATIO,
    "coverage_actual": Plausible(0.0, True, 1.0, "(a share: 45 % is 0.45)"),
    "late_start_rate_permille": _RATE,
    "late_completion_rate_permille": _RATE,
}


def _too_low_word(rng: Plausible) -> str:
    if rng.low != 0:
        return "too small"
    return "negative" if rng.low_included else "zero or negative"


def implausible_numbers(values: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Cells of a float64 column (canonical unit) outside :data:`PLAUSIBLE_RANGES` for
    ``name``: ``(mask, problem text per cell or None when the mask is all false)``. Missing
    values are not implausible."""
    rng = PLAUSIBLE_RANGES[name]
    infinite = np.isinf(values)
    too_low = values < rng.low  # NaN compares false
    if not rng.low_included:
        too_low |= values == rng.low
    too_high = values > rng.high
    too_low &= ~infinite
    too_high &= ~infinite
    mask = infinite | too_low | too_high
    if not mask.any():
        return mask, None
    rule = f"{name} must be {rng.describe()}"
    problem = np.full(len(values), "", dtype=object)
    problem[infinite] = f"数值无穷大 (not a finite number; {rule})"
    problem[too_low] = f"数值过小 (implausible: {_too_low_word(rng)}; {rule})"
    problem[too_high] = f"数值过大 (implausible: too large; {rule})"
    return mask, problem


def map_headers(
    columns: list[str], file: str, report: LoadReport
) -> dict[str, tuple[str, str | None]]:
    """Map raw header text to ``(canonical name, header unit)``; report ignored columns.

    When two headers map to one canonical column, the first is used and the other reported.
    """
    lookup = header_lookup()
    mapping: dict[str, tuple[str, str | None]] = {}
    used: dict[str, str] = {}
    for raw in columns:
        if raw in (SOURCE_FILE, SOURCE_ROW, "geometry"):
            continue
        hit = lookup.get(normalise_header(raw))
        if hit is None:
            report.add(
                file=file,
                column=str(raw),
                problem="未识别的列 (column not in the data model)",
                action="ignored",
            )
            continue
        name, unit = hit
        if name in used:
            report.add(
                file=file,
                column=str(raw),
                problem=f"与列“{used[name]}”同为 {name}",
                action=f"ignored; “{used[name]}” used",
                severity="warning",
            )
            continue
        used[name] = str(raw)
        mapping[str(raw)] = (name, unit)
    return mapping


def canonical_frame(
    raw: pd.DataFrame, file: str, report: LoadReport, *, dates: DateRules | None = None
) -> pd.DataFrame:
    """Typed canonical columns from a raw table (with ``source_file`` / ``source_row``).

    Numbers are converted to 万元 / ha (header units such as ``面积(平方米)`` and units written
    into values such as ``12000万元``); numbers outside :data:`PLAUSIBLE_RANGES` (negative,
    zero areas, infinite, absurdly large) become missing. Dates are parsed; placeholder dates
    and dates outside ``dates`` (the rules file's [dates] limits, default 1949-01-01 ..
    2100-12-31) become missing. Every such cell is reported; no row is dropped here. Every
    canonical column is present in the result (empty when the file lacks it).
    """
    dates = dates if dates is not None else DateRules()
    mapping = map_headers(list(raw.columns), file, report)
    out = pd.DataFrame(index=raw.index)
    out[SOURCE_FILE] = raw[SOURCE_FILE].astype("string")
    out[SOURCE_ROW] = raw[SOURCE_ROW].astype("int64")
    by_name = {name: (header, unit) for header, (name, unit) in mapping.items()}
    implausible_dates = np.zeros(len(raw), dtype=bool)
    for name in INPUT_NAMES:
        spec = COLUMNS_BY_NAME[name]
        if name not in by_name:
            out[name] = _empty(spec.kind)
            continue
        header, header_unit = by_name[name]
        values = _without_null_markers(raw[header], file, header, spec.kind, report)
        if spec.kind is Kind.TEXT:
            out[name] = parsing.parse_text(values)
        elif spec.kind is Kind.NUMBER:
            parsed, bad = parsing.parse_number(values, _UNITS_BY_FAMILY[spec.unit])
            if pd.api.types.is_numeric_dtype(values.dtype):
                plain = np.ones(len(values), dtype=bool)
            else:
                digits = values.astype("string").str.replace(",", "", regex=False)
                plain = pd.to_numeric(digits, errors="coerce").notna().to_numpy()
            with_unit = ~bad & ~plain & parsed.notna().to_numpy()
            if header_unit is not None:
                factor = parsing.HEADER_UNIT_FACTORS[header_unit]
                # a unit written into the value wins over the header's unit
                parsed = parsed.where(with_unit, parsed * factor)
                report.add(
                    file=file,
                    column=header,
                    problem=f"单位为{_UNIT_NAMES[header_unit]}",
                    action=f"converted to {name} (×{factor:g})",
                )
            report.add_rows(
                raw,
                bad,
                column=header,
                values=values,
                problem="无法识别的数值 (not a number)",
                action="treated as missing",
            )
            report.add_rows(
                raw,
                with_unit,
                column=header,
                values=values,
                problem="数值带单位 (unit written into the value)",
                action=f"parsed and converted to {name}",
                severity="info",
            )
            implausible, problem = implausible_numbers(parsed.to_numpy(dtype=float), name)
            if problem is not None:
                report.add_rows(
                    raw,
                    implausible,
                    column=header,
                    values=values,
                    problem=pd.Series(problem, index=raw.index),
                    action="treated as missing",
                )
                parsed = parsed.mask(implausible)
            out[name] = parsed
        elif spec.kind is Kind.DATE:
            parsed, bad, placeholder, implausible = parsing.parse_date(
                values, earliest=dates.earliest, latest=dates.latest
            )
            report.add_rows(
                raw,
                bad,
                column=header,
                values=values,
                problem="无法识别的日期 (not a date; use 2024-06-30 or 2024年06月30日)",
                action="treated as missing",
            )
            report.add_rows(
                raw,
                placeholder,
                column=header,
                values=values,
                problem="占位日期 (placeholder date)",
                action="treated as missing",
                severity="info",
            )
            report.add_rows(
                raw,
                implausible,
                column=header,
                values=values,
                problem=(
                    f"日期不合理 (implausible date: before {dates.earliest} or after "
                    f"{dates.latest}, the [dates] limits of the rules file)"
                ),
                action="treated as missing",
            )
            implausible_dates |= implausible
            out[name] = parsed
        elif spec.kind is Kind.BOOL:
            out[name] = parsing.parse_gov_cause(values)
        elif spec.kind is Kind.START_STATUS:
            parsed, bad = parsing.parse_start_status(values)
            report.add_rows(
                raw,
                bad,
                column=header,
                values=values,
                problem="无法识别的开工状态 (use 已开工 / 未开工 / 未知)",
                action="treated as unknown",
            )
            out[name] = parsed
    out["data_issues"] = load_issue_codes(
        {DataIssue.DATE_IMPLAUSIBLE: implausible_dates}, out.index
    )
    return fix_column_types(out)


def _without_null_markers(
    values: pd.Series, file: str, header: str, kind: Kind, report: LoadReport
) -> pd.Series:
    """``values`` with null-marker cells (``/``, ``—``, ``无``, ``N/A`` ...: see
    :func:`landuse.parsing.null_markers`) emptied; reported once for the column with a count
    and the markers seen."""
    markers = parsing.null_markers(values)
    if not markers.any():
        return values
    seen = values[markers].astype("string").str.strip().value_counts()
    listed = "，".join(f"{marker} ×{count}" for marker, count in seen.head(8).items())
    meaning = (
        "read as no government cause (政府原因：无)" if kind is Kind.BOOL else "treated as missing"
    )
    report.add(
        file=file,
        column=header,
        value=listed + ("，…" if len(seen) > 8 else ""),
        problem=f"空值标记 (null marker, one of {parsing.NULL_MARKER_EXAMPLES}): {int(markers.sum())} 个单元格",
        action=meaning,
        count=int(markers.sum()),
    )
    return values.mask(markers)


def _empty(kind: Kind) -> object:
    if kind is Kind.NUMBER:
        return np.nan
    if kind is Kind.DATE:
        return pd.NaT
    if kind is Kind.BOOL:
        return False
    if kind is Kind.START_STATUS:
        return "unknown"
    return pd.NA


def fix_column_types(frame: pd.DataFrame) -> pd.DataFrame:
    """Give freshly added empty columns their proper dtypes."""
    for name in INPUT_NAMES:
        kind = COLUMNS_BY_NAME[name].kind
        if kind is Kind.DATE:
            frame[name] = frame[name].astype("datetime64[ns]")
        elif kind is Kind.NUMBER:
            frame[name] = frame[name].astype("float64")
        elif kind is Kind.BOOL:
            frame[name] = frame[name].astype(bool)
        else:
            frame[name] = frame[name].astype("string")
    return frame
