"""Screening a proposed project before it enters a park (入园评审, RULES.md section 6).

Units: money in 万元 (10,000 yuan, fixed-asset investment **including** the land price), areas in
hectares (1 公顷 = 15 亩 = 10,000 m²), investment intensity in 万元/公顷, shares (building
coverage, green ratio, administrative/living land) as fractions 0-1, plot ratio dimensionless.

Indicators:

- investment intensity = investment ÷ area ≥ the threshold of the rules file (park + industry
  rule, else park rule, else industry rule, else the default 5000 万元/公顷);
- building coverage (建筑系数) ≥ ``control.min_building_coverage`` (30 %);
- administrative and living land (行政办公及生活服务设施用地) ≤ ``control.max_admin_living_share``
  (7 %);
- green ratio (绿地率) ≤ ``control.max_green_ratio`` (20 %);
- plot ratio (容积率) ≥ ``plot_ratio_min[industry code]`` when the code has a minimum.

An indicator whose value is not given is reported as not checked (``passed = None``, 未评审),
never as failed; one whose value is given but has no limit (a plot ratio for an industry code
without a minimum) is 不适用 (not applicable). A project passes when every checked indicator
passes; a pass with an indicator 未评审 reads 通过（部分指标未评审）. Comparisons allow a relative
tolerance of 1e-9 so that a value exactly on the limit (after unit conversion) passes.

A park that the rules file does not name gets the industry or default threshold, and the verdict
says so (``threshold_source_zh``, ``warnings``).

:func:`screen` screens one :class:`ProposedProject`; :func:`screen_table` screens a table of them
(vectorised over columns) and :func:`read_projects` reads such a table from CSV or XLSX.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator

from landuse.errors import InputError
from landuse.parsing import AREA_UNITS_TO_HA, MONEY_UNITS_TO_WAN, parse_number
from landuse.rules_file import RuleSet, industry_codes, intensity_thresholds
from landuse.schema import SOURCE_FILE, SOURCE_ROW, header_lookup, normalise_header

__all__ = [
    "Check",
    "ProjectsTable",
    "ProposedProject",
    "ScreeningVerdict",
    "ThresholdSource",
    "VERDICT_COLUMNS",
    "parse_share",
    "read_projects",
    "read_projects_table",
    "screen",
    "screen_many",
    "screen_records",
    "screen_table",
    "screening_inputs",
    "split_totals",
]

ThresholdSource = Literal["default", "park", "industry", "park_industry"]

# Relative tolerance of the limit comparisons (a value on the limit passes).
_REL_TOL = 1e-9
MU_PER_HA = 15.0
M2_PER_HA = 10_000.0
_SHARE_FIELDS = ("building_coverage", "green_ratio", "admin_living_share")
_ASCII_CODE_RE = re.compile(r"([0-9]{2})")

#: Plausible requested areas, (lowest, highest) in each unit: from 1 m² (anything smaller is a
#: typing or unit mistake, and an area near zero would make any investment pass the intensity
#: check) to 10,000 km² (larger than any park; keeps every figure finite).
AREA_RANGES: dict[str, tuple[float, float]] = {
    "area_ha": (1 / M2_PER_HA, 1e6),
    "area_mu": (MU_PER_HA / M2_PER_HA, 1e6 * MU_PER_HA),
    "area_m2": (1.0, 1e6 * M2_PER_HA),
}
#: Plausible investments in 万元: from 0.01 万元 (100 yuan, the smallest amount the results
#: write) to 10^9 万元 (10 万亿元, above any single project; keeps every figure finite).
INVESTMENT_WAN_RANGE: tuple[float, float] = (0.01, 1e9)
PLOT_RATIO_MAX = 100.0  # floor area at most 100 times the site (towers reach about 30)
_WHY = {
    "investment_wan": "万元 (100 元 up to 10 万亿元)",
    "area_ha": "公顷 (1 m² up to 10,000 km²)",
    "area_mu": "亩 (1 m² up to 10,000 km²)",
    "area_m2": "平方米 (1 m² up to 10,000 km²)",
}


def _range(bounds: tuple[float, float]) -> dict[str, float]:
    return {"minimum": bounds[0], "maximum": bounds[1]}


def _range_text(bounds: tuple[float, float], unit: str) -> str:
    return f"{bounds[0]:g} to {bounds[1]:g} {unit}"


# --------------------------------------------------------------------------------------------
# Public models


class ProposedProject(BaseModel):
    """A project applying to enter a park (the JSON body of ``POST /screening``).

    Give the requested area in exactly one unit: ``area_ha``, ``area_mu`` or ``area_m2``.
    """

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "project_name": "年产 5 万套汽车零部件项目",
                    "investment_wan": 12000,
                    "area_mu": 30,
                    "park": "高新区",
                    "industry_code": "C3670",
                    "plot_ratio": 1.2,
                    "building_coverage": 0.45,
                    "green_ratio": 0.15,
                    "admin_living_share": 0.05,
                }
            ]
        },
    )

    project_name: str | None = Field(None, description="Project name (项目名称), free text.")
    investment_wan: float = Field(
        ...,
        strict=True,
        json_schema_extra=_range(INVESTMENT_WAN_RANGE),
        description=(
            "Proposed fixed-asset investment (固定资产总投资) in 万元 (10,000 yuan), land price "
            f"included; {_range_text(INVESTMENT_WAN_RANGE, '万元')}."
        ),
    )
    area_ha: float | None = Field(
        None,
        strict=True,
        json_schema_extra=_range(AREA_RANGES["area_ha"]),
        description="Requested land area in hectares (公顷), "
        f"{_range_text(AREA_RANGES['area_ha'], 'ha')}. Give one area only.",
    )
    area_mu: float | None = Field(
        None,
        strict=True,
        json_schema_extra=_range(AREA_RANGES["area_mu"]),
        description="Requested land area in 亩 (15 亩 = 1 ha), "
        f"{_range_text(AREA_RANGES['area_mu'], '亩')}. Give one area only.",
    )
    area_m2: float | None = Field(
        None,
        strict=True,
        json_schema_extra=_range(AREA_RANGES["area_m2"]),
        description="Requested land area in square metres (10,000 m² = 1 ha), "
        f"{_range_text(AREA_RANGES['area_m2'], 'm²')}. Give one area only.",
    )
    park: str | None = Field(
        None, description="Park name (园区) as written in the rules file; selects a park threshold."
    )
    industry_code: str | None = Field(
        None,
        description=(
            "GB/T 4754 industry code (行业代码); only the two-digit major group is used, so "
            "'C2611', '2611' and '26' all mean 26."
        ),
    )
    plot_ratio: float | None = Field(
        None,
        strict=True,
        gt=0,
        le=PLOT_RATIO_MAX,
        description="Planned plot ratio (容积率, floor area ÷ site area).",
    )
    building_coverage: float | None = Field(
        None,
        strict=True,
        ge=0,
        le=1,
        description=(
            "Planned building coverage (建筑系数) as a share 0-1: buildings, structures and "
            "yards over the site area (0.30 = 30 %)."
        ),
    )
    green_ratio: float | None = Field(
        None,
        strict=True,
        ge=0,
        le=1,
        description="Planned green ratio (绿地率) as a share 0-1 (0.20 = 20 %).",
    )
    admin_living_share: float | None = Field(
        None,
        strict=True,
        ge=0,
        le=1,
        description=(
            "Share 0-1 of the site used for administrative offices and living facilities "
            "(行政办公及生活服务设施用地所占比重; 0.07 = 7 %)."
        ),
    )

    @field_validator("project_name", "park", mode="after")
    @classmethod
    def _blank_is_none(cls, v: str | None) -> str | None:
        return v or None

    @field_validator("investment_wan", "area_ha", "area_mu", "area_m2", mode="after")
    @classmethod
    def _plausible(cls, v: float | None, info: Any) -> float | None:
        if v is None:
            return v
        name = info.field_name
        low, high = INVESTMENT_WAN_RANGE if name == "investment_wan" else AREA_RANGES[name]
        if not low <= v <= high:
            what = "investment (投资额)" if name == "investment_wan" else "area (用地面积)"
            raise ValueError(
                f"{v:g} is not a plausible {what}: give {low:g} to {high:g} {_WHY[name]}"
            )
        return v

    @field_validator("industry_code", mode="after")
    @classmethod
    def _two_digit_code(cls, v: str | None) -> str | None:
        if not v:
            return None
        # the scalar twin of industry_codes() (Arrow's RE2: \d is ASCII 0-9); a pandas Series
        # per project would cost more than the whole screening of a batch
        m = _ASCII_CODE_RE.search(v)
        code = m.group(1) if m else None
        if code is None:
            raise ValueError(
                f"industry_code {v!r} holds no GB/T 4754 code; give the code with at least its "
                "two-digit major group, e.g. 'C2611' or '26' (or leave it out)"
            )
        return str(code)

    @field_validator(*_SHARE_FIELDS, mode="before")
    @classmethod
    def _share_not_percent(cls, v: Any, info: Any) -> Any:
        if isinstance(v, int | float) and not isinstance(v, bool) and 1 < v <= 100:
            raise ValueError(
                f"{info.field_name} is a share between 0 and 1; write {v / 100:g} for {v:g} %, "
                f"not {v:g}"
            )
        return v

    @model_validator(mode="after")
    def _exactly_one_area(self) -> ProposedProject:
        given = [n for n in ("area_ha", "area_mu", "area_m2") if getattr(self, n) is not None]
        if len(given) != 1:
            got = "none of them" if not given else " and ".join(given)
            raise ValueError(
                "give the requested land area in exactly one of area_ha (公顷), area_mu (亩) or "
                f"area_m2 (平方米; 1 ha = 15 亩 = 10,000 m²); got {got}"
            )
        return self

    def requested_area_ha(self) -> float:
        """The requested area converted to hectares."""
        if self.area_ha is not None:
            return self.area_ha
        if self.area_mu is not None:
            return self.area_mu / MU_PER_HA
        assert self.area_m2 is not None  # guaranteed by the model validator
        return self.area_m2 / M2_PER_HA


class Check(BaseModel):
    """One indicator of the screening."""

    name: str = Field(
        description=(
            "investment_intensity | building_coverage | admin_living_share | green_ratio | "
            "plot_ratio"
        )
    )
    label_zh: str = Field(description="Chinese name of the indicator.")
    value: float | None = Field(description="The project's value (None when not given).")
    limit: float | None = Field(description="The limit that applies (None when there is none).")
    comparison: Literal[">=", "<="] = Field(description="The value must be >= or <= the limit.")
    unit: str = Field(description="Unit of value and limit: 万元/公顷, share (0-1) or ratio.")
    passed: bool | None = Field(description="None when the indicator was not checked.")
    note: str | None = Field(None, description="Why the indicator was not checked.")
    result_zh: str = Field(
        description="通过, 未通过, 未评审 (no value, or no industry code for the plot-ratio "
        "minimum) or 不适用 (a value, but no limit for the project's industry code)."
    )


class ScreeningVerdict(BaseModel):
    """The outcome of screening one proposed project."""

    passed: bool = Field(description="True when every checked indicator passes.")
    project_name: str | None = None
    park: str | None = None
    industry_code: str | None = Field(None, description="Two-digit GB/T 4754 major group.")
    investment_wan: float = Field(description="Fixed-asset investment in 万元, land included.")
    area_ha: float = Field(description="Requested area in hectares.")
    intensity_wan_per_ha: float = Field(description="Investment intensity in 万元/公顷.")
    threshold_wan_per_ha: float = Field(description="Minimum intensity that applies, 万元/公顷.")
    threshold_source: ThresholdSource = Field(
        description="Which rule gave the threshold: park_industry, park, industry or default."
    )
    max_area_ha: float = Field(
        description="Largest area the investment supports: investment ÷ threshold, in ha."
    )
    min_investment_wan: float = Field(
        description="Smallest investment the requested area needs: threshold × area, in 万元."
    )
    reasons: list[str] = Field(
        default_factory=list, description="One reason (Chinese, with figures) per failed check."
    )
    checks: list[Check] = Field(default_factory=list, description="Every indicator, in order.")
    conclusion_zh: str = Field(
        description="评审结论: 通过, 通过（部分指标未评审） when an indicator was not checked, "
        "or 不通过."
    )
    threshold_source_zh: str = Field(
        description="标准来源 in Chinese with the threshold, e.g. 园区标准 6000（园区“高新区”） or "
        "默认标准 5000（规则文件无园区“XX园”）."
    )
    park_in_rules: bool | None = Field(
        description="Whether the rules file names the park (None when no park was given)."
    )
    unchecked: list[str] = Field(
        default_factory=list,
        description="Names of the indicators not checked (未评审) for want of a value.",
    )
    warnings: list[str] = Field(
        default_factory=list,
        description="Warnings in Chinese, e.g. a park the rules file does not know.",
    )


_VERDICT_LIST = TypeAdapter(list[ScreeningVerdict])


# --------------------------------------------------------------------------------------------
# The vectorised core shared by screen() and screen_table()


@dataclass(frozen=True)
class _Indicator:
    name: str
    label_zh: str
    value_col: str
    limit_col: str
    comparison: Literal[">=", "<="]
    unit: str


_INDICATORS: tuple[_Indicator, ...] = (
    _Indicator(
        "investment_intensity",
        "投资强度",
        "intensity_wan_per_ha",
        "threshold_wan_per_ha",
        ">=",
        "万元/公顷",
    ),
    _Indicator(
        "building_coverage",
        "建筑系数",
        "building_coverage",
        "building_coverage_min",
        ">=",
        "share",
    ),
    _Indicator(
        "admin_living_share",
        "行政办公及生活服务设施用地比例",
        "admin_living_share",
        "admin_living_share_max",
        "<=",
        "share",
    ),
    _Indicator("green_ratio", "绿地率", "green_ratio", "green_ratio_max", "<=", "share"),
    _Indicator("plot_ratio", "容积率", "plot_ratio", "plot_ratio_min", ">=", "ratio"),
)

#: The result of one indicator and the conclusion of a project, in Chinese.
PASS_ZH, FAIL_ZH, NOT_REVIEWED_ZH, NOT_APPLICABLE_ZH = "通过", "未通过", "未评审", "不适用"
CONCLUSION_PASS_ZH = "通过"
CONCLUSION_PARTIAL_ZH = "通过（部分指标未评审）"
CONCLUSION_FAIL_ZH = "不通过"
CONCLUSION_ERROR_ZH = "无法评审"
#: Where the intensity threshold comes from, in Chinese.
THRESHOLD_SOURCE_ZH: dict[str, str] = {
    "park_industry": "园区+行业标准",
    "park": "园区标准",
    "industry": "行业标准",
    "default": "默认标准",
}
INDICATOR_LABELS_ZH: dict[str, str] = {ind.name: ind.label_zh for ind in _INDICATORS}
INDICATOR_NAMES: tuple[str, ...] = tuple(ind.name for ind in _INDICATORS)

#: Columns of the table returned by :func:`screen_table` (``source_file`` / ``source_row``
#: come first when the input has them).
VERDICT_COLUMNS: tuple[str, ...] = (
    "project_name",
    "park",
    "industry_code",
    "investment_wan",
    "area_ha",
    "intensity_wan_per_ha",
    "threshold_wan_per_ha",
    "threshold_source",
    "max_area_ha",
    "min_investment_wan",
    "investment_intensity_passed",
    "building_coverage",
    "building_coverage_min",
    "building_coverage_passed",
    "admin_living_share",
    "admin_living_share_max",
    "admin_living_share_passed",
    "green_ratio",
    "green_ratio_max",
    "green_ratio_passed",
    "plot_ratio",
    "plot_ratio_min",
    "plot_ratio_passed",
    "passed",
    "reasons",
    "error",
    "conclusion_zh",
    "threshold_source_zh",
    "park_in_rules",
    *(f"{name}_result_zh" for name in INDICATOR_NAMES),
    "unchecked_zh",
    "warning_zh",
    "notes_zh",
    "error_zh",
)


def _text(values: np.ndarray, index: pd.Index, *, decimals: int = 2, trim: bool) -> pd.Series:
    """Numbers as text with ``decimals`` decimals; ``trim`` drops trailing zeros (5000.00 ->
    5000, 0.50 -> 0.5)."""
    text = pd.Series(
        np.char.mod(f"%.{decimals}f", np.nan_to_num(values)), index=index, dtype="string"
    )
    if trim:
        text = text.str.replace(r"(\.\d*?)0+$", r"\1", regex=True).str.replace(
            r"\.$", "", regex=True
        )
    return text


def _reason(ind: _Indicator, frame: pd.DataFrame) -> pd.Series:
    """The Chinese reason text of ``ind`` for every row (used where the check failed)."""
    value = frame[ind.value_col].to_numpy(dtype=float)
    limit = frame[ind.limit_col].to_numpy(dtype=float)
    word = "低于" if ind.comparison == ">=" else "高于"
    if ind.unit == "万元/公顷":
        return (
            f"{ind.label_zh} "
            + _text(value, frame.index, trim=False)
            + f" 万元/公顷，{word}标准 "
            + _text(limit, frame.index, trim=True)
            + " 万元/公顷"
        )
    if ind.unit == "share":
        kind = "下限" if ind.comparison == ">=" else "上限"
        return (
            f"{ind.label_zh} "
            + _text(value * 100, frame.index, trim=True)
            + f"%，{word}{kind} "
            + _text(limit * 100, frame.index, trim=True)
            + "%"
        )
    return (
        f"{ind.label_zh} "
        + _text(value, frame.index, trim=False)
        + "，低于行业下限 "
        + _text(limit, frame.index, trim=True)
        + "（行业代码 "
        + frame["industry_code"].astype("string")
        + "）"
    )


def _join(parts: list[pd.Series], sep: str, index: pd.Index) -> pd.Series:
    """Join string Series element-wise with ``sep``, skipping missing parts (NA when all are)."""
    acc = pd.Series(pd.NA, index=index, dtype="string")
    for part in parts:
        part = part.astype("string")
        joined = part.where(acc.isna(), acc + sep + part)
        acc = joined.where(part.notna(), acc)
    return acc


def _evaluate(values: pd.DataFrame, rules: RuleSet) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """Screen rows of clean values.

    ``values`` holds ``investment_wan`` (万元), ``area_ha`` (ha), the optional float columns
    ``plot_ratio``, ``building_coverage``, ``green_ratio``, ``admin_living_share`` (NaN when
    not given or not usable), and the string columns ``project_name``, ``park`` and
    ``industry_code`` (two-digit). Returns the verdict columns (without ``error``; ``passed``
    is computed over the checked indicators) and, per indicator, the reason text of the rows
    where it failed (NA elsewhere).
    """
    index = values.index
    out = pd.DataFrame(index=index)
    out["project_name"] = values["project_name"].astype("string")
    out["park"] = values["park"].astype("string")
    out["industry_code"] = values["industry_code"].astype("string")
    investment = values["investment_wan"].to_numpy(dtype=float)
    area = values["area_ha"].to_numpy(dtype=float)
    threshold, source = intensity_thresholds(out["park"], out["industry_code"], rules)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["investment_wan"] = investment
        out["area_ha"] = area
        out["intensity_wan_per_ha"] = investment / area
        out["threshold_wan_per_ha"] = threshold
        out["threshold_source"] = pd.Series(source, index=index, dtype="string")
        out["max_area_ha"] = investment / threshold
        out["min_investment_wan"] = threshold * area

    control = rules.control
    out["building_coverage"] = values["building_coverage"].to_numpy(dtype=float)
    out["building_coverage_min"] = control.min_building_coverage
    out["admin_living_share"] = values["admin_living_share"].to_numpy(dtype=float)
    out["admin_living_share_max"] = control.max_admin_living_share
    out["green_ratio"] = values["green_ratio"].to_numpy(dtype=float)
    out["green_ratio_max"] = control.max_green_ratio
    out["plot_ratio"] = values["plot_ratio"].to_numpy(dtype=float)
    out["plot_ratio_min"] = out["industry_code"].map(rules.plot_ratio_min).astype("float64")

    failed_any = np.zeros(len(index), dtype=bool)
    unreviewed_any = np.zeros(len(index), dtype=bool)
    no_code = out["industry_code"].isna().to_numpy()
    reasons: dict[str, pd.Series] = {}
    unreviewed: list[pd.Series] = []
    for ind in _INDICATORS:
        value = out[ind.value_col].to_numpy(dtype=float)
        limit = out[ind.limit_col].to_numpy(dtype=float)
        checked = ~np.isnan(value) & ~np.isnan(limit)
        with np.errstate(invalid="ignore"):
            if ind.comparison == ">=":
                ok = value >= limit * (1 - _REL_TOL)
            else:
                ok = value <= limit * (1 + _REL_TOL)
        failed = checked & ~ok
        failed_any |= failed
        # not checked: no value, or (plot ratio) no industry code to find the minimum by
        not_reviewed = ~checked & (
            np.isnan(value) | (no_code if ind.name == "plot_ratio" else False)
        )
        unreviewed_any |= not_reviewed
        out[f"{ind.name}_passed"] = pd.arrays.BooleanArray(ok & checked, ~checked)
        result = np.where(
            checked,
            np.where(ok, PASS_ZH, FAIL_ZH),
            np.where(not_reviewed, NOT_REVIEWED_ZH, NOT_APPLICABLE_ZH),
        )
        out[f"{ind.name}_result_zh"] = pd.Series(result, index=index, dtype="string")
        reasons[ind.name] = _reason(ind, out).where(failed)
        unreviewed.append(pd.Series(ind.label_zh, index=index, dtype="string").where(not_reviewed))
    out["passed"] = pd.arrays.BooleanArray(~failed_any, np.zeros(len(index), dtype=bool))
    out["reasons"] = _join(list(reasons.values()), "；", index).fillna("")
    out["conclusion_zh"] = pd.Series(
        np.where(
            failed_any,
            CONCLUSION_FAIL_ZH,
            np.where(unreviewed_any, CONCLUSION_PARTIAL_ZH, CONCLUSION_PASS_ZH),
        ),
        index=index,
        dtype="string",
    )
    out["unchecked_zh"] = _join(unreviewed, "、", index)
    known = _known_parks(rules)
    park_given = out["park"].notna().to_numpy()
    in_rules = out["park"].isin(known).to_numpy(dtype=bool)
    out["park_in_rules"] = pd.arrays.BooleanArray(in_rules, ~park_given)
    # the texts depend on a few values only: built once per distinct combination
    unknown = park_given & ~in_rules
    keys = pd.DataFrame(
        {
            "park": out["park"],
            "industry_code": out["industry_code"],
            "threshold_wan_per_ha": out["threshold_wan_per_ha"],
        },
        index=index,
    )
    key = (
        keys["park"].fillna("\x00")
        + "\x1f"
        + keys["industry_code"].fillna("\x00")
        + "\x1f"
        + keys["threshold_wan_per_ha"].astype("string").fillna("")
        + "\x1f"
        + pd.Series(source, index=index, dtype="string")
    )
    codes, _ = pd.factorize(key)
    _, first = np.unique(codes, return_index=True)  # the first row of each combination
    distinct = keys.iloc[first].reset_index(drop=True)
    text, warning = _source_texts(distinct, source[first], unknown[first])
    out["threshold_source_zh"] = pd.Series(text.to_numpy()[codes], index=index, dtype="string")
    out["warning_zh"] = pd.Series(warning.to_numpy()[codes], index=index, dtype="string")
    return out, reasons


def _known_parks(rules: RuleSet) -> list[str]:
    """The parks the rules file names (with a threshold of their own or per industry)."""
    return sorted({*rules.intensity.parks, *rules.intensity.park_industries})


def _source_texts(
    out: pd.DataFrame, source: np.ndarray, unknown_park: np.ndarray
) -> tuple[pd.Series, pd.Series]:
    """标准来源 with the threshold and what it rests on, and the warning of a park the rules
    file does not know (NA elsewhere), for every row."""
    index = out.index
    threshold = _text(out["threshold_wan_per_ha"].to_numpy(dtype=float), index, trim=True)
    kind = pd.Series(source, index=index).map(THRESHOLD_SOURCE_ZH).astype("string")
    park = "园区“" + out["park"] + "”"
    code = "行业 " + out["industry_code"]
    not_in_rules = "规则文件无" + park
    park_given = out["park"].notna().to_numpy()
    is_ = {name: source == name for name in THRESHOLD_SOURCE_ZH}
    detail = pd.Series(pd.NA, index=index, dtype="string")
    detail = detail.mask(is_["park_industry"], "（" + park + "，" + code + "）")
    detail = detail.mask(is_["park"], "（" + park + "）")
    detail = detail.mask(is_["industry"] & ~unknown_park, "（" + code + "）")
    detail = detail.mask(is_["industry"] & unknown_park, "（" + code + "；" + not_in_rules + "）")
    detail = detail.mask(is_["default"] & unknown_park, "（" + not_in_rules + "）")
    detail = detail.mask(is_["default"] & ~park_given, "（未填写园区）")
    detail = detail.mask(
        is_["default"] & park_given & ~unknown_park, "（" + park + "无适用的行业标准）"
    )
    text = kind + " " + threshold + detail.fillna("")
    warning = (not_in_rules + "，按" + kind + " " + threshold + " 万元/公顷评审").where(
        unknown_park
    )
    return text, warning


# --------------------------------------------------------------------------------------------
# One project


def _notes(
    passed: list[bool | None], value: list[float | None], code: list[Any]
) -> list[str | None]:
    """Why ``ind`` was not checked, per project (None where it was)."""
    out: list[str | None] = []
    for p, v, c in zip(passed, value, code, strict=True):
        if p is not None:
            out.append(None)
        elif v is None:
            out.append("未填写，未评审")
        elif c is None:
            out.append("未填写行业代码，无法确定容积率下限，未评审")
        else:
            out.append(f"行业代码 {c} 无容积率下限，不适用")
    return out


def _floats(column: pd.Series) -> list[float | None]:
    """Python floats, None for NaN."""
    values = column.to_numpy(dtype=float)
    missing = np.isnan(values)
    out = values.tolist()
    if missing.any():
        out = [None if m else v for v, m in zip(out, missing.tolist(), strict=True)]
    return out


def _objects(column: pd.Series) -> list[Any]:
    """Python values of a nullable column, None for NA."""
    return column.array.to_numpy(dtype=object, na_value=None).tolist()


def screen(project: ProposedProject, rules: RuleSet) -> ScreeningVerdict:
    """Screen one proposed project against ``rules`` (RULES.md section 6).

    The intensity (万元/公顷) is ``investment_wan ÷ area_ha``; ``max_area_ha`` is
    ``investment_wan ÷ threshold`` and ``min_investment_wan`` is ``threshold × area_ha``.
    """
    return screen_many([project], rules)[0]


def screen_many(projects: list[ProposedProject], rules: RuleSet) -> list[ScreeningVerdict]:
    """Screen several proposed projects at once: one vectorised evaluation for the list, then
    one verdict object per project (same fields and figures as :func:`screen`)."""
    return _VERDICT_LIST.validate_python(screen_records(projects, rules))


def screen_records(projects: list[ProposedProject], rules: RuleSet) -> list[dict[str, Any]]:
    """The verdicts of :func:`screen_many` as JSON-ready dicts (what
    ``ScreeningVerdict.model_dump(mode="json")`` gives), assembled column by column from the
    vectorised evaluation without building models: the API answers 5,000 projects with it in
    a fraction of a second."""
    if not projects:
        return []
    values = pd.DataFrame(
        {
            "project_name": pd.Series([p.project_name for p in projects], dtype="string"),
            "park": pd.Series([p.park for p in projects], dtype="string"),
            "industry_code": pd.Series([p.industry_code for p in projects], dtype="string"),
            "investment_wan": [p.investment_wan for p in projects],
            "area_ha": [p.requested_area_ha() for p in projects],
            **{
                name: [np.nan if getattr(p, name) is None else getattr(p, name) for p in projects]
                for name in ("plot_ratio", *_SHARE_FIELDS)
            },
        }
    )
    frame, reasons = _evaluate(values, rules)
    codes = _objects(frame["industry_code"])
    per_indicator = []
    for ind in _INDICATORS:
        passed = _objects(frame[f"{ind.name}_passed"])
        value = _floats(frame[ind.value_col])
        per_indicator.append(
            (
                ind,
                value,
                _floats(frame[ind.limit_col]),
                passed,
                _notes(passed, value, codes),
                frame[f"{ind.name}_result_zh"].tolist(),
            )
        )
    reason_columns = [_objects(col) for col in reasons.values()]
    figures = {
        name: frame[name].to_numpy(dtype=float).tolist()
        for name in (
            "investment_wan",
            "area_ha",
            "intensity_wan_per_ha",
            "threshold_wan_per_ha",
            "max_area_ha",
            "min_investment_wan",
        )
    }
    sources = frame["threshold_source"].astype(str).tolist()
    passed_all = _objects(frame["passed"])
    conclusions = frame["conclusion_zh"].tolist()
    sources_zh = frame["threshold_source_zh"].tolist()
    park_in_rules = _objects(frame["park_in_rules"])
    warnings = _objects(frame["warning_zh"])
    rows = []
    for i, project in enumerate(projects):
        checks = [
            {
                "name": ind.name,
                "label_zh": ind.label_zh,
                "value": value[i],
                "limit": limit[i],
                "comparison": ind.comparison,
                "unit": ind.unit,
                "passed": passed[i],
                "note": note[i],
                "result_zh": result[i],
            }
            for ind, value, limit, passed, note, result in per_indicator
        ]
        rows.append(
            {
                "passed": bool(passed_all[i]),
                "project_name": project.project_name,
                "park": project.park,
                "industry_code": project.industry_code,
                **{name: column[i] for name, column in figures.items()},
                "threshold_source": sources[i],
                "reasons": [str(col[i]) for col in reason_columns if col[i] is not None],
                "checks": checks,
                "conclusion_zh": conclusions[i],
                "threshold_source_zh": sources_zh[i],
                "park_in_rules": park_in_rules[i],
                "unchecked": [c["name"] for c in checks if c["result_zh"] == NOT_REVIEWED_ZH],
                "warnings": [] if warnings[i] is None else [warnings[i]],
            }
        )
    return rows


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

    verdict, _ = _evaluate(values, rules)
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
    from landuse.readers import read_table  # heavy (geopandas); only needed here

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
            names = _unique(
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


def _unique(names: list[str]) -> list[str]:
    """Repeated header names get ``.1``, ``.2`` suffixes (as the reader does)."""
    used: set[str] = set()
    out = []
    for name in names:
        new, k = name, 0
        while new in used:
            k += 1
            new = f"{name}.{k}"
        used.add(new)
        out.append(new)
    return out


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


# --------------------------------------------------------------------------------------------
# Shares typed on the command line

_SHARE_TEXT_RE = re.compile(r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*([%％]?)\s*$")


def parse_share(text: str, option: str) -> tuple[float, str | None]:
    """A share typed as ``0.35``, ``35%`` or ``35`` as a fraction (0.35), and a note (Chinese)
    when a bare number above 1 was read as a percentage; :class:`InputError` naming ``option``
    for anything else (text, a negative number, more than 100 %)."""
    m = _SHARE_TEXT_RE.match(text)
    fix = f"Write a share as 0.35 or 35% (for 35 %), e.g. {option} 35%."
    if m is None:
        raise InputError(f"{option} {text!r} is not a number. {fix}")
    number, percent = float(m.group(1)), bool(m.group(2))
    note = None
    if percent:
        value = number / 100
    elif 1 < number <= 100:
        value = number / 100
        note = f"{option} {m.group(1)} 按 {m.group(1)}% 计"
    else:
        value = number
    if not 0 <= value <= 1:
        raise InputError(f"{option} {text!r} is not a share between 0 and 100 %. {fix}")
    return value, note
