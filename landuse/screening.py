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
and :func:`read_projects` reads such a table from CSV or XLSX. Every path evaluates the rules
through one function, :func:`evaluate`, in plain Python: this module loads without numpy or
pandas, so that one project is screened at once. The table functions live in
:mod:`landuse.screening_table` (pandas) and are loaded from here on first use.
"""

from __future__ import annotations

import functools
import math
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator

from landuse.errors import InputError
from landuse.rules_file import RuleSet, industry_code_of

if TYPE_CHECKING:  # loaded on first use, with pandas (see __getattr__ below)
    from landuse.screening_table import (
        ProjectsTable,
        read_projects,
        read_projects_table,
        screen_table,
        screening_inputs,
        split_totals,
    )

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
        code = industry_code_of(v)  # as the table's industry_codes() reads a cell
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


@functools.cache
def _verdict_list() -> TypeAdapter[list[ScreeningVerdict]]:
    return TypeAdapter(list[ScreeningVerdict])


# --------------------------------------------------------------------------------------------
# The indicators


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


# --------------------------------------------------------------------------------------------
# The evaluation shared by screen(), screen_records() and screen_table()

_LARGEST = sys.float_info.max
_TRAILING_ZEROS = re.compile(r"(\.\d*?)0+$")
_TRAILING_DOT = re.compile(r"\.$")


def number_text(value: float, *, decimals: int = 2, trim: bool) -> str:
    """A number as text with ``decimals`` decimals; ``trim`` drops trailing zeros (5000.00 ->
    5000, 0.50 -> 0.5). NaN is written as 0 and an infinity as the largest float (as
    ``numpy.nan_to_num`` has it)."""
    if value != value:
        value = 0.0
    elif not -_LARGEST <= value <= _LARGEST:
        value = math.copysign(_LARGEST, value)
    text = f"%.{decimals}f" % value
    if trim:
        text = _TRAILING_DOT.sub("", _TRAILING_ZEROS.sub(r"\1", text))
    return text


def _ratio(a: float, b: float) -> float:
    """``a / b`` as float64 arrays divide: a zero divisor gives an infinity, or NaN for 0 / 0
    and NaN / 0 (a threshold of 0 is possible in a rules file's park table)."""
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


class ProjectValues(NamedTuple):
    """One project's clean values, as :func:`evaluate` takes them: NaN for a number not given
    (or not usable), None for a text not given; ``industry_code`` is the two-digit group."""

    project_name: str | None
    park: str | None
    industry_code: str | None
    investment_wan: float
    area_ha: float
    plot_ratio: float
    building_coverage: float
    green_ratio: float
    admin_living_share: float


@dataclass(frozen=True)
class _Standard:
    """What the rules file sets for a (park, industry code) pair."""

    threshold: float
    source: str
    source_zh: str
    warning: str | None
    park_in_rules: bool | None
    plot_ratio_min: float


def _known_parks(rules: RuleSet) -> frozenset[str]:
    """The parks the rules file names (with a threshold of their own or per industry)."""
    return frozenset({*rules.intensity.parks, *rules.intensity.park_industries})


def _standard(
    park: str | None, code: str | None, rules: RuleSet, known: frozenset[str]
) -> _Standard:
    """The threshold of a (park, code) pair, 标准来源 with the threshold and what it rests on,
    and the warning of a park the rules file does not know."""
    threshold, source = rules.threshold_for(park, code)
    kind = THRESHOLD_SOURCE_ZH[source]
    limit = number_text(threshold, trim=True)
    unknown = park is not None and park not in known
    park_text = f"园区“{park}”"
    not_in_rules = f"规则文件无{park_text}"
    if source == "park_industry":
        detail = f"（{park_text}，行业 {code}）"
    elif source == "park":
        detail = f"（{park_text}）"
    elif source == "industry":
        detail = f"（行业 {code}；{not_in_rules}）" if unknown else f"（行业 {code}）"
    elif unknown:
        detail = f"（{not_in_rules}）"
    elif park is None:
        detail = "（未填写园区）"
    else:
        detail = f"（{park_text}无适用的行业标准）"
    minimum = rules.plot_ratio_min.get(code) if code is not None else None
    return _Standard(
        threshold=threshold,
        source=source,
        source_zh=f"{kind} {limit}{detail}",
        warning=f"{not_in_rules}，按{kind} {limit} 万元/公顷评审" if unknown else None,
        park_in_rules=None if park is None else not unknown,
        plot_ratio_min=math.nan if minimum is None else float(minimum),
    )


def _reason(ind: _Indicator, value: float, limit: float, code: str | None) -> str:
    """The Chinese reason text of a failed indicator."""
    word = "低于" if ind.comparison == ">=" else "高于"
    if ind.unit == "万元/公顷":
        return (
            f"{ind.label_zh} {number_text(value, trim=False)} 万元/公顷，{word}标准 "
            f"{number_text(limit, trim=True)} 万元/公顷"
        )
    if ind.unit == "share":
        kind = "下限" if ind.comparison == ">=" else "上限"
        return (
            f"{ind.label_zh} {number_text(value * 100, trim=True)}%，{word}{kind} "
            f"{number_text(limit * 100, trim=True)}%"
        )
    return (
        f"{ind.label_zh} {number_text(value, trim=False)}，低于行业下限 "
        f"{number_text(limit, trim=True)}（行业代码 {code}）"
    )


def evaluate(
    projects: Iterable[ProjectValues], rules: RuleSet
) -> tuple[list[dict[str, Any]], list[list[str]]]:
    """Screen projects of clean values: the one implementation of the rules, for one project
    (:func:`screen`), a request's list (:func:`screen_records`) and a committee's table
    (:func:`screen_table`).

    Returns, per project, the verdict columns (:data:`VERDICT_COLUMNS` without ``error``,
    ``notes_zh``, ``error_zh``; NaN for a figure that cannot be computed, None where a check
    or a text does not apply; ``passed`` is computed over the checked indicators) and the
    reasons of its failed indicators, in the order of the indicators.
    """
    control = rules.control
    known = _known_parks(rules)
    standards: dict[tuple[str | None, str | None], _Standard] = {}
    rows: list[dict[str, Any]] = []
    reasons: list[list[str]] = []
    for p in projects:
        code = p.industry_code
        standard = standards.get((p.park, code))
        if standard is None:
            standard = standards[p.park, code] = _standard(p.park, code, rules, known)
        threshold = standard.threshold
        row: dict[str, Any] = {
            "project_name": p.project_name,
            "park": p.park,
            "industry_code": code,
            "investment_wan": p.investment_wan,
            "area_ha": p.area_ha,
            "intensity_wan_per_ha": _ratio(p.investment_wan, p.area_ha),
            "threshold_wan_per_ha": threshold,
            "threshold_source": standard.source,
            "max_area_ha": _ratio(p.investment_wan, threshold),
            "min_investment_wan": threshold * p.area_ha,
            "building_coverage": p.building_coverage,
            "building_coverage_min": control.min_building_coverage,
            "admin_living_share": p.admin_living_share,
            "admin_living_share_max": control.max_admin_living_share,
            "green_ratio": p.green_ratio,
            "green_ratio_max": control.max_green_ratio,
            "plot_ratio": p.plot_ratio,
            "plot_ratio_min": standard.plot_ratio_min,
        }
        failed: list[str] = []
        unreviewed: list[str] = []
        for ind in _INDICATORS:
            value, limit = row[ind.value_col], row[ind.limit_col]
            if value == value and limit == limit:  # neither is NaN: checked
                if ind.comparison == ">=":
                    ok = value >= limit * (1 - _REL_TOL)
                else:
                    ok = value <= limit * (1 + _REL_TOL)
                row[f"{ind.name}_passed"] = ok
                row[f"{ind.name}_result_zh"] = PASS_ZH if ok else FAIL_ZH
                if not ok:
                    failed.append(_reason(ind, value, limit, code))
                continue
            row[f"{ind.name}_passed"] = None
            # not checked: no value, or (plot ratio) no industry code to find the minimum by
            if value != value or (ind.name == "plot_ratio" and code is None):
                row[f"{ind.name}_result_zh"] = NOT_REVIEWED_ZH
                unreviewed.append(ind.label_zh)
            else:
                row[f"{ind.name}_result_zh"] = NOT_APPLICABLE_ZH
        row["passed"] = not failed
        row["reasons"] = "；".join(failed)
        row["conclusion_zh"] = (
            CONCLUSION_FAIL_ZH
            if failed
            else CONCLUSION_PARTIAL_ZH
            if unreviewed
            else CONCLUSION_PASS_ZH
        )
        row["unchecked_zh"] = "、".join(unreviewed) or None
        row["park_in_rules"] = standard.park_in_rules
        row["threshold_source_zh"] = standard.source_zh
        row["warning_zh"] = standard.warning
        rows.append(row)
        reasons.append(failed)
    return rows, reasons


# --------------------------------------------------------------------------------------------
# Projects of the API and the command line


def _note(passed: bool | None, value: float | None, code: str | None) -> str | None:
    """Why an indicator was not checked (None when it was)."""
    if passed is not None:
        return None
    if value is None:
        return "未填写，未评审"
    if code is None:
        return "未填写行业代码，无法确定容积率下限，未评审"
    return f"行业代码 {code} 无容积率下限，不适用"


def _number(value: float) -> float | None:
    """A figure of a check as JSON gives it: None for NaN."""
    return None if value != value else value


def screen(project: ProposedProject, rules: RuleSet) -> ScreeningVerdict:
    """Screen one proposed project against ``rules`` (RULES.md section 6).

    The intensity (万元/公顷) is ``investment_wan ÷ area_ha``; ``max_area_ha`` is
    ``investment_wan ÷ threshold`` and ``min_investment_wan`` is ``threshold × area_ha``.
    """
    return ScreeningVerdict.model_validate(screen_records([project], rules)[0])


def screen_many(projects: list[ProposedProject], rules: RuleSet) -> list[ScreeningVerdict]:
    """Screen several proposed projects at once: one verdict object per project (same fields
    and figures as :func:`screen`)."""
    return _verdict_list().validate_python(screen_records(projects, rules))


def screen_records(projects: list[ProposedProject], rules: RuleSet) -> list[dict[str, Any]]:
    """The verdicts of :func:`screen_many` as JSON-ready dicts (what
    ``ScreeningVerdict.model_dump(mode="json")`` gives), assembled without building models:
    the API answers 5,000 projects with it in a fraction of a second."""
    nan = math.nan
    values = [
        ProjectValues(
            p.project_name,
            p.park,
            p.industry_code,
            p.investment_wan,
            p.requested_area_ha(),
            *(
                nan if getattr(p, n) is None else getattr(p, n)
                for n in ("plot_ratio", *_SHARE_FIELDS)
            ),
        )
        for p in projects
    ]
    rows, reasons = evaluate(values, rules)
    records = []
    for project, row, failed in zip(projects, rows, reasons, strict=True):
        checks = []
        for ind in _INDICATORS:
            passed = row[f"{ind.name}_passed"]
            value = _number(row[ind.value_col])
            checks.append(
                {
                    "name": ind.name,
                    "label_zh": ind.label_zh,
                    "value": value,
                    "limit": _number(row[ind.limit_col]),
                    "comparison": ind.comparison,
                    "unit": ind.unit,
                    "passed": passed,
                    "note": _note(passed, value, row["industry_code"]),
                    "result_zh": row[f"{ind.name}_result_zh"],
                }
            )
        records.append(
            {
                "passed": row["passed"],
                "project_name": project.project_name,
                "park": project.park,
                "industry_code": project.industry_code,
                **{name: row[name] for name in _FIGURES},
                "threshold_source": row["threshold_source"],
                "reasons": failed,
                "checks": checks,
                "conclusion_zh": row["conclusion_zh"],
                "threshold_source_zh": row["threshold_source_zh"],
                "park_in_rules": row["park_in_rules"],
                "unchecked": [c["name"] for c in checks if c["result_zh"] == NOT_REVIEWED_ZH],
                "warnings": [] if row["warning_zh"] is None else [row["warning_zh"]],
            }
        )
    return records


_FIGURES = (
    "investment_wan",
    "area_ha",
    "intensity_wan_per_ha",
    "threshold_wan_per_ha",
    "max_area_ha",
    "min_investment_wan",
)

# The table functions, loaded with pandas on first use (landuse.screening_table).
_TABLE_NAMES = frozenset(
    {
        "ProjectsTable",
        "read_projects",
        "read_projects_table",
        "screen_table",
        "screening_inputs",
        "split_totals",
    }
)


def __getattr__(name: str) -> Any:
    """The table functions of :mod:`landuse.screening_table`, imported when first asked for
    (``from landuse.screening import screen_table`` keeps working)."""
    if name in _TABLE_NAMES:
        from landuse import screening_table

        return getattr(screening_table, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
